import { BootstraplessSynthesizer, CfnOutput, Fn, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import { CfnAccount, CfnOrganizationalUnit, CfnPolicy } from 'aws-cdk-lib/aws-organizations';
import type { Construct } from 'constructs';
import type { SandboxPart } from './blueprint-merge';
import { SKILLPROOF_IAM_PATH, SKILLPROOF_NAME_PREFIX } from './sandbox-naming';
import { regionLockStatements } from './sandbox-policies';

/** Services the sandbox stack itself is made of; its deployment needs them whatever the tasks use. */
// `tag`: the pool's clean-up verifies an account empty with the Resource Groups Tagging API (tag:GetResources),
// besides Cloud Control (cloudformation:ListResources) and IAM's own listings (src/pool/cleanup/verify.ts).
export const SANDBOX_INFRA_SERVICES = ['budgets', 'cloudformation', 'dynamodb', 'iam', 'lambda', 'logs', 's3', 'scheduler', 'sns', 'ssm', 'sts', 'tag'];
/** Role Organizations creates in each new account; `sandbox deploy` assumes it. */
export const DEFAULT_ADMIN_ROLE = 'OrganizationAccountAccessRole';
/** Service control policies may hold at most 5,120 characters. */
export const SCP_MAX_CHARS = 5120;
/** So may resource control policies (Organizations quotas; CfnPolicy's Content documentation). */
export const RCP_MAX_CHARS = 5120;

/**
 * The STS actions authorised on a role when someone assumes it: the three ways in, and the session
 * source identity and tags that come with them. An RCP applies to them at assume time, whatever the
 * role's trust policy says.
 */
export const ASSUME_ROLE_ACTIONS = ['sts:AssumeRole', 'sts:AssumeRoleWithWebIdentity', 'sts:AssumeRoleWithSAML', 'sts:SetSourceIdentity', 'sts:TagSession'];
/**
 * Services whose resources take resource-based policies (that could name an outside account, or
 * everyone) and that resource control policies apply to: the intersection of the Organizations User
 * Guide's "List of AWS services that support RCPs" with what sandboxes allow, plus KMS and Secrets
 * Manager, which no task allows yet. STS is handled apart (ASSUME_ROLE_ACTIONS). Allowed services whose
 * resource policies RCPs do not reach (Lambda, SNS, API Gateway, S3 Vectors) are listed in cdk/README.md.
 * Cognito user pools are left out on purpose: their sign-in APIs are unsigned, and a perimeter on the
 * caller's organisation would refuse every sign-in.
 */
export const RCP_RESOURCE_SERVICES = ['aoss', 'codebuild', 'dynamodb', 'ecr', 'events', 'kms', 'logs', 's3', 'secretsmanager', 'sqs', 'xray'];

export interface PoolAccount {
  /** Account name, e.g. "skillproof-sandbox-01". */
  name: string;
  /** A distinct root e-mail address per account (plus-addressing works: ops+sandbox-01@example.com). */
  email: string;
}

export interface SandboxOrgStackProps extends StackProps {
  /** Where the sandbox OU goes: the organisation root (r-…) or an OU (ou-…). */
  parentId: string;
  /** The organisation's id (o-…): the resource control policy lets only its principals in. */
  organizationId: string;
  /**
   * The account SkillProof's grading service and candidate hub run in, when it is outside the organisation:
   * its principals may assume SkillProof's own roles in the sandboxes (GraderRole, CandidateRole, the admin
   * role) and nothing else. Leave it out when SkillProof runs inside the organisation.
   */
  skillproofAccountId?: string;
  ouName?: string;
  /** Regions sandboxes may use; every other region is denied (global services and Bedrock's cross-Region inference excepted). */
  allowedRegions: string[];
  /** Every task a sandbox may host: their services are the only ones allowed in the OU. */
  tasks: readonly SandboxPart[];
  /** The account pool. Accounts are retained when the stack is deleted: closing an account is a decision. */
  accounts: readonly PoolAccount[];
  /** The administration role SkillProof assumes in a pool account. */
  adminRoleName?: string;
}

const serviceOf = (action: string): string => action.slice(0, action.indexOf(':')).toLowerCase();

/** The services an OU of sandboxes must allow: the tasks' candidate and grader services, and the sandbox's own. */
export function allowedServices(tasks: readonly SandboxPart[]): string[] {
  const services = new Set(SANDBOX_INFRA_SERVICES);
  for (const { blueprint } of tasks) {
    blueprint.candidate.services.forEach((s) => services.add(s));
    [...blueprint.grader.reads, ...blueprint.grader.probes].forEach((a) => services.add(serviceOf(a)));
  }
  return [...services].sort();
}

/** The service control policy of the sandbox OU, as a policy document. */
export function sandboxServiceControlPolicy(props: Pick<SandboxOrgStackProps, 'allowedRegions' | 'tasks' | 'adminRoleName'>): object {
  const admin = `arn:*:iam::*:role/${props.adminRoleName ?? DEFAULT_ADMIN_ROLE}`;
  // SkillProof's own automation (scheduled expiry, budget action) attaches the freeze policy.
  const skillproofAutomation = [`arn:*:iam::*:role${SKILLPROOF_IAM_PATH}${SKILLPROOF_NAME_PREFIX}*-expiry`, `arn:*:iam::*:role${SKILLPROOF_IAM_PATH}${SKILLPROOF_NAME_PREFIX}*-budget`];
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'StayInOrganization', Effect: 'Deny', Action: ['organizations:LeaveOrganization'], Resource: '*' },
      ...regionLockStatements('AllowedRegions', props.allowedRegions),
      { Sid: 'TaskServicesOnly', Effect: 'Deny', NotAction: allowedServices(props.tasks).map((s) => `${s}:*`), Resource: '*' },
      {
        Sid: 'ProtectSkillProofIam',
        Effect: 'Deny',
        NotAction: ['iam:Get*', 'iam:List*'],
        Resource: [`arn:*:iam::*:role${SKILLPROOF_IAM_PATH}*`, `arn:*:iam::*:policy${SKILLPROOF_IAM_PATH}*`, admin],
        Condition: { ArnNotLike: { 'aws:PrincipalARN': [admin, ...skillproofAutomation] } },
      },
      {
        Sid: 'NoLongTermCredentials',
        Effect: 'Deny',
        Action: ['iam:CreateUser', 'iam:CreateAccessKey', 'iam:CreateLoginProfile'],
        Resource: '*',
        Condition: { ArnNotLike: { 'aws:PrincipalARN': admin } },
      },
    ],
  };
}

const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const ACCOUNT_ID = /^\d{12}$/;

/**
 * The resource control policy of the sandbox OU, as a policy document: nobody outside the organisation
 * gets into a sandbox, whatever a trust policy or resource policy there says.
 *
 * A candidate creates IAM roles (their functions' and agents' execution roles) and resource policies,
 * and nothing in IAM can read a trust policy or resource policy as it is written: CreateRole and
 * UpdateAssumeRolePolicy have no condition key for the document (Service Authorization Reference, IAM),
 * so no SCP can refuse "a role trusting account X" without refusing every role. An RCP is evaluated on
 * the resource at request time instead, so an outside principal named in a trust policy is refused when it
 * calls AssumeRole, and the same for a bucket, queue, table, repository, log group or event bus policy;
 * roles and policies made before the RCP are covered too. Hence no SCP statement for it.
 *
 * Conditions (IAM User Guide, global condition keys; the RCP syntax allows only Deny, `Principal: "*"`,
 * no NotAction; shape after aws-samples/data-perimeter-policy-examples, identity_perimeter_rcp.json):
 * - `aws:PrincipalOrgID` is in every request signed by a principal of an organisation; StringNotEqualsIfExists
 *   also catches requests without it (anonymous, web identity and SAML federation), which are refused:
 *   no sandbox task federates.
 * - `aws:PrincipalIsAWSService` is true only when a service acts with its service principal (Lambda
 *   assuming an execution role, CloudWatch Logs delivering); BoolIfExists lets those through.
 * - SkillProof's exception is `aws:PrincipalAccount` (set by AWS from the caller's credentials, never from
 *   the request) and only on roles under /skillproof/ and the admin role, which the candidate can neither
 *   create nor change (the SCP's ProtectSkillProofIam). SkillProof's principals still need those roles'
 *   trust (GraderRole also wants the external id); they cannot use a candidate's role that trusts the
 *   SkillProof account, and the grader reads resources only through GraderRole, a principal in the organisation.
 * - Services acting for an account outside the organisation (`aws:SourceAccount` present, `aws:SourceOrgID`
 *   not ours) are refused too: a candidate's queue policy letting sns.amazonaws.com in would otherwise
 *   let any account's topic in (the confused deputy).
 */
export function sandboxResourceControlPolicy(props: Pick<SandboxOrgStackProps, 'organizationId' | 'skillproofAccountId' | 'adminRoleName'>): object {
  const outsideTheOrganization = { StringNotEqualsIfExists: { 'aws:PrincipalOrgID': props.organizationId }, BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' } };
  const skillproofRoles = [`arn:*:iam::*:role${SKILLPROOF_IAM_PATH}*`, `arn:*:iam::*:role/${props.adminRoleName ?? DEFAULT_ADMIN_ROLE}`];
  const assume = props.skillproofAccountId
    ? [
        { Sid: 'OnlyTheOrganizationAssumesRoles', Effect: 'Deny', Principal: '*', Action: ASSUME_ROLE_ACTIONS, NotResource: skillproofRoles, Condition: outsideTheOrganization },
        {
          Sid: 'SkillProofAssumesOnlyItsRoles',
          Effect: 'Deny',
          Principal: '*',
          Action: ASSUME_ROLE_ACTIONS,
          Resource: skillproofRoles,
          Condition: {
            StringNotEqualsIfExists: { 'aws:PrincipalOrgID': props.organizationId, 'aws:PrincipalAccount': props.skillproofAccountId },
            BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
          },
        },
      ]
    : [{ Sid: 'OnlyTheOrganizationAssumesRoles', Effect: 'Deny', Principal: '*', Action: ASSUME_ROLE_ACTIONS, Resource: '*', Condition: outsideTheOrganization }];
  return {
    Version: '2012-10-17',
    Statement: [
      ...assume,
      { Sid: 'OnlyTheOrganizationUsesResources', Effect: 'Deny', Principal: '*', Action: RCP_RESOURCE_SERVICES.map((s) => `${s}:*`), Resource: '*', Condition: outsideTheOrganization },
      {
        Sid: 'ServicesActOnlyForTheOrganization',
        Effect: 'Deny',
        Principal: '*',
        Action: [...ASSUME_ROLE_ACTIONS, ...RCP_RESOURCE_SERVICES.map((s) => `${s}:*`)],
        Resource: '*',
        Condition: {
          StringNotEqualsIfExists: { 'aws:SourceOrgID': props.organizationId },
          Null: { 'aws:SourceAccount': 'false' },
          Bool: { 'aws:PrincipalIsAWSService': 'true' },
        },
      },
    ],
  };
}

/**
 * Deployed once in the organisation's management account: an OU for sandboxes, its service control
 * policy and resource control policy, and a pool of member accounts to deploy sandboxes into.
 */
export class SandboxOrgStack extends Stack {
  readonly ou: CfnOrganizationalUnit;
  readonly scp: CfnPolicy;
  readonly rcp: CfnPolicy;
  readonly accounts: CfnAccount[];

  constructor(scope: Construct, id: string, props: SandboxOrgStackProps) {
    const { parentId, organizationId, skillproofAccountId, ouName, allowedRegions, tasks, accounts, adminRoleName, ...stackProps } = props;
    super(scope, id, {
      description: 'SkillProof sandbox organisation: OU, service and resource control policies, account pool',
      analyticsReporting: false,
      ...stackProps,
      synthesizer: stackProps.synthesizer ?? new BootstraplessSynthesizer(),
    });
    if (allowedRegions.length === 0) throw new Error('allowedRegions must name at least one region');
    if (!ORGANIZATION_ID.test(organizationId)) throw new Error(`organizationId must be the organisation's id, o- and 10-32 lower-case letters or digits (got "${organizationId}")`);
    if (skillproofAccountId !== undefined && !ACCOUNT_ID.test(skillproofAccountId)) throw new Error(`skillproofAccountId must be a 12-digit account id (got "${skillproofAccountId}")`);
    const emails = new Set(accounts.map((a) => a.email.toLowerCase()));
    if (emails.size !== accounts.length) throw new Error('every pool account needs its own e-mail address');

    this.ou = new CfnOrganizationalUnit(this, 'SandboxOu', { name: ouName ?? 'skillproof-sandboxes', parentId });
    const content = sandboxServiceControlPolicy({ allowedRegions, tasks, adminRoleName });
    const length = JSON.stringify(content).length;
    if (length > SCP_MAX_CHARS) {
      throw new Error(`the sandbox service control policy has ${length} characters, over the ${SCP_MAX_CHARS} AWS allows; allow fewer services or regions`);
    }
    this.scp = new CfnPolicy(this, 'SandboxScp', {
      name: 'skillproof-sandbox-guardrails',
      description: 'Regions, services and SkillProof roles for sandbox accounts',
      type: 'SERVICE_CONTROL_POLICY',
      content,
      targetIds: [this.ou.attrId],
    });
    const rcpContent = sandboxResourceControlPolicy({ organizationId, skillproofAccountId, adminRoleName });
    const rcpLength = JSON.stringify(rcpContent).length;
    if (rcpLength > RCP_MAX_CHARS) throw new Error(`the sandbox resource control policy has ${rcpLength} characters, over the ${RCP_MAX_CHARS} AWS allows`);
    // RESOURCE_CONTROL_POLICY must be enabled on the organisation root first (EnablePolicyType); CloudFormation does not do it.
    this.rcp = new CfnPolicy(this, 'SandboxRcp', {
      name: 'skillproof-sandbox-perimeter',
      description: 'Nobody outside the organisation (but SkillProof, on its own roles) gets into sandbox accounts',
      type: 'RESOURCE_CONTROL_POLICY',
      content: rcpContent,
      targetIds: [this.ou.attrId],
    });
    this.accounts = accounts.map((account, index) => {
      const resource = new CfnAccount(this, `PoolAccount${index}`, {
        accountName: account.name,
        email: account.email,
        parentIds: [this.ou.attrId],
        roleName: adminRoleName ?? DEFAULT_ADMIN_ROLE,
      });
      resource.applyRemovalPolicy(RemovalPolicy.RETAIN);
      return resource;
    });
    new CfnOutput(this, 'SandboxOuId', { value: this.ou.attrId, description: 'The OU holding the sandbox accounts' });
    new CfnOutput(this, 'SandboxScpId', { value: this.scp.attrId, description: 'The service control policy attached to the OU' });
    new CfnOutput(this, 'SandboxRcpId', { value: this.rcp.attrId, description: 'The resource control policy attached to the OU' });
    if (this.accounts.length > 0) {
      new CfnOutput(this, 'PoolAccountIds', {
        value: Fn.join(',', this.accounts.map((a) => a.attrAccountId)),
        description: 'The account pool, comma-separated (the value for SKILLPROOF_SANDBOX_POOL)',
      });
    }
    Tags.of(this).add('skillproof:component', 'sandbox-org');
  }
}
