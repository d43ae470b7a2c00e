import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { sandboxResourceControlPolicy, sandboxServiceControlPolicy } from '../../cdk/lib/sandbox-org-stack';
import { ACCOUNT, buildSandbox, REGION, type BuiltSandbox } from './build-sandbox';
import { ordersApiLike, parse } from './sample-tasks';
import { SandboxIam, type Decision } from './sandbox-iam';

/**
 * The sandbox OU's resource control policy, evaluated offline (@cloud-copilot/iam-simulate, tests only):
 * a candidate's role or resource policy that names someone outside the organisation does not let them in.
 */

const ORG = 'o-a1b2c3d4e5';
const OTHER_ORG = 'o-z9y8x7w6v5';
const SKILLPROOF = '999988887777';
const GRADING = `arn:aws:iam::${SKILLPROOF}:role/skillproof-grading`;
const OUTSIDER = '444455556666';
const OPERATOR = '777788889999'; // another account of the organisation, outside the sandbox OU
const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

const rcp = sandboxResourceControlPolicy({ organizationId: ORG, skillproofAccountId: SKILLPROOF });
const candidateRole = `arn:aws:iam::${ACCOUNT}:role/candidate/orders-fn-role`;
/** What a careless (or crafty) candidate writes: their function's role trusting Lambda, the organisation, an outside account and SkillProof's. */
const candidateTrust = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'lambda.amazonaws.com', AWS: [`arn:aws:iam::${OUTSIDER}:root`, `arn:aws:iam::${OPERATOR}:root`, `arn:aws:iam::${SKILLPROOF}:root`] },
      Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
    },
  ],
};

interface Caller {
  principal: string;
  context: Record<string, string>;
}
const outsider: Caller = { principal: `arn:aws:iam::${OUTSIDER}:role/attacker`, context: { 'aws:PrincipalAccount': OUTSIDER, 'aws:PrincipalOrgID': OTHER_ORG, 'aws:PrincipalIsAWSService': 'false' } };
const loneOutsider: Caller = { principal: `arn:aws:iam::${OUTSIDER}:user/someone`, context: { 'aws:PrincipalAccount': OUTSIDER, 'aws:PrincipalIsAWSService': 'false' } };
const operator: Caller = { principal: `arn:aws:iam::${OPERATOR}:role/ops`, context: { 'aws:PrincipalAccount': OPERATOR, 'aws:PrincipalOrgID': ORG, 'aws:PrincipalIsAWSService': 'false' } };
const grading: Caller = { principal: GRADING, context: { 'aws:PrincipalAccount': SKILLPROOF, 'aws:PrincipalIsAWSService': 'false', 'sts:ExternalId': 'ext-0123456789abcdef' } };
const lambdaService: Caller = {
  principal: 'lambda.amazonaws.com',
  context: { 'aws:PrincipalIsAWSService': 'true', 'aws:SourceAccount': ACCOUNT, 'aws:SourceOrgID': ORG },
};

/** One request by `caller` on a resource of the sandbox account, with the resource's own policy and, if given, the sandbox OU's RCP. */
async function decide(caller: Caller, action: string, resource: string, resourcePolicy: object, withRcp: boolean | object = true): Promise<Decision> {
  const service = caller.principal.endsWith('.amazonaws.com');
  const simulation: Simulation = {
    request: {
      principal: caller.principal,
      action,
      resource: { resource, accountId: ACCOUNT },
      contextVariables: { 'aws:RequestedRegion': REGION, 'aws:PrincipalArn': caller.principal, ...caller.context },
    },
    identityPolicies: service ? [] : [{ name: 'AdministratorAccess', policy: ALLOW_ALL }],
    serviceControlPolicies: [],
    resourceControlPolicies: withRcp ? [{ orgIdentifier: 'ou-sandboxes', policies: [{ name: 'skillproof-sandbox-perimeter', policy: withRcp === true ? rcp : withRcp }] }] : [],
    resourcePolicy,
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') throw new Error(`cannot simulate ${action} on ${resource}: ${JSON.stringify(result.errors)}`);
  return result.overallResult as Decision;
}

let sandbox: BuiltSandbox;
let graderRole: { arn: string; trust: object };
beforeAll(() => {
  sandbox = buildSandbox([parse(ordersApiLike)], 't1', { graderPrincipalArn: GRADING });
  const { logicalId, resource } = sandbox.resolved.find('AWS::IAM::Role', 'GraderRole');
  graderRole = { arn: sandbox.resolved.arn(logicalId), trust: sandbox.resolved.resolve(resource.Properties?.AssumeRolePolicyDocument) as object };
});

describe('sandbox resource control policy', () => {
  describe("a candidate's role that trusts an outside account", () => {
    it('is one IAM lets the candidate create: no condition key reads a trust policy, so no SCP can refuse it', async () => {
      const iam = new SandboxIam(sandbox.resolved, sandboxServiceControlPolicy({ allowedRegions: [REGION], tasks: [parse(ordersApiLike)] }) as Record<string, unknown>);
      expect(await iam.decide(iam.candidate, 'iam:CreateRole', candidateRole, { 'iam:PermissionsBoundary': iam.boundaryArn })).toBe('Allowed');
      expect(await iam.decide(iam.candidate, 'iam:UpdateAssumeRolePolicy', candidateRole)).toBe('Allowed');
    });

    it('would let the outsider in without the RCP (the trust policy is all it takes)', async () => {
      expect(await decide(outsider, 'sts:AssumeRole', candidateRole, candidateTrust, false)).toBe('Allowed');
    });

    it('does not let the outsider in, with or without an organisation of their own, nor tag or name the session', async () => {
      for (const caller of [outsider, loneOutsider]) {
        for (const action of ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity']) {
          expect(await decide(caller, action, candidateRole, candidateTrust)).toBe('ExplicitlyDenied');
        }
      }
    });

    it('still lets in a principal of the organisation and the AWS service the role is for', async () => {
      expect(await decide(operator, 'sts:AssumeRole', candidateRole, candidateTrust)).toBe('Allowed');
      expect(await decide(lambdaService, 'sts:AssumeRole', candidateRole, candidateTrust)).toBe('Allowed');
    });

    it('does not let SkillProof in either: its exception covers its own roles only', async () => {
      expect(await decide(grading, 'sts:AssumeRole', candidateRole, candidateTrust)).toBe('ExplicitlyDenied');
    });

    it('refuses web identity federation outright (no sandbox task federates, and Google or Cognito need no IAM provider)', async () => {
      const federated = {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Federated: 'accounts.google.com' }, Action: 'sts:AssumeRoleWithWebIdentity' }],
      };
      const googleUser: Caller = { principal: 'accounts.google.com', context: { 'accounts.google.com:aud': 'any-app' } };
      expect(await decide(googleUser, 'sts:AssumeRoleWithWebIdentity', candidateRole, federated, false)).toBe('Allowed');
      expect(await decide(googleUser, 'sts:AssumeRoleWithWebIdentity', candidateRole, federated)).toBe('ExplicitlyDenied');
    });
  });

  describe("SkillProof's grader", () => {
    it('assumes GraderRole from the SkillProof account, outside the organisation, with the external id', async () => {
      expect(await decide(grading, 'sts:AssumeRole', graderRole.arn, graderRole.trust)).toBe('Allowed');
    });

    it('owes that to the SkillProof account exception: an RCP without it would lock the grader out', async () => {
      const withoutException = sandboxResourceControlPolicy({ organizationId: ORG });
      expect(await decide(grading, 'sts:AssumeRole', graderRole.arn, graderRole.trust, withoutException)).toBe('ExplicitlyDenied');
    });

    it('is still held to the trust policy: no external id, no entry', async () => {
      const withoutId: Caller = { principal: GRADING, context: { 'aws:PrincipalAccount': SKILLPROOF, 'aws:PrincipalIsAWSService': 'false' } };
      expect(await decide(withoutId, 'sts:AssumeRole', graderRole.arn, graderRole.trust)).not.toBe('Allowed');
    });

    it('is the only outside account so excepted: another outsider trusted by a SkillProof role is refused', async () => {
      const trustsOutsider = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OUTSIDER}:root` }, Action: 'sts:AssumeRole' }] };
      expect(await decide(outsider, 'sts:AssumeRole', graderRole.arn, trustsOutsider)).toBe('ExplicitlyDenied');
    });
  });

  describe('resource policies of the other services', () => {
    const bucket = 'arn:aws:s3:::orders-uploads/report.csv';
    const queue = `arn:aws:sqs:${REGION}:${ACCOUNT}:orders`;
    const openBucket = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::orders-uploads/*' }] };
    const queueForSns = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: queue }],
    };

    it('keeps a bucket opened to everyone closed to outsiders, and open to the organisation', async () => {
      expect(await decide(outsider, 's3:GetObject', bucket, openBucket, false)).toBe('Allowed');
      expect(await decide(outsider, 's3:GetObject', bucket, openBucket)).toBe('ExplicitlyDenied');
      expect(await decide(operator, 's3:GetObject', bucket, openBucket)).toBe('Allowed');
    });

    it("refuses a service acting for an outside account (another account's SNS topic) and lets the sandbox's own through", async () => {
      const outsideTopic: Caller = { principal: 'sns.amazonaws.com', context: { 'aws:PrincipalIsAWSService': 'true', 'aws:SourceAccount': OUTSIDER, 'aws:SourceOrgID': OTHER_ORG } };
      const ownTopic: Caller = { principal: 'sns.amazonaws.com', context: { 'aws:PrincipalIsAWSService': 'true', 'aws:SourceAccount': ACCOUNT, 'aws:SourceOrgID': ORG } };
      expect(await decide(outsideTopic, 'sqs:SendMessage', queue, queueForSns, false)).toBe('Allowed');
      expect(await decide(outsideTopic, 'sqs:SendMessage', queue, queueForSns)).toBe('ExplicitlyDenied');
      expect(await decide(ownTopic, 'sqs:SendMessage', queue, queueForSns)).toBe('Allowed');
    });
  });
});
