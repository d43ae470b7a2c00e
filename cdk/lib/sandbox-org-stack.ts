import { BootstraplessSynthesizer, CfnOutput, Fn, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import { CfnAccount, CfnOrganizationalUnit, CfnPolicy } from 'aws-cdk-lib/aws-organizations';
import type { Construct } from 'constructs';
import type { SandboxPart } from './blueprint-merge';
import { SKILLPROOF_IAM_PATH, SKILLPROOF_NAME_PREFIX } from './sandbox-naming';
import { regionLockStatements } from './sandbox-policies';

/** Services the sandbox stack itself is made of; its deployment needs them whatever the tasks use. */
export const SANDBOX_INFRA_SERVICES = ['budgets', 'cloudformation', 'dynamodb', 'iam', 'lambda', 'logs', 's3', 'scheduler', 'sns', 'ssm', 'sts'];
/** Role Organizations creates in each new account; `sandbox deploy` assumes it. */
export const DEFAULT_ADMIN_ROLE = 'OrganizationAccountAccessRole';
/** Service control policies may hold at most 5,120 characters. */
export const SCP_MAX_CHARS = 5120;

export interface PoolAccount {
  /** Account name, e.g. "skillproof-sandbox-01". */
  name: string;
  /** A distinct root e-mail address per account (plus-addressing works: ops+sandbox-01@example.com). */
  email: string;
}

export interface SandboxOrgStackProps extends StackProps {
  /** Where the sandbox OU goes: the organisation root (r-…) or an OU (ou-…). */
  parentId: string;
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

/**
 * Deployed once in the organisation's management account: an OU for sandboxes, its service control
 * policy, and a pool of member accounts to deploy sandboxes into.
 */
export class SandboxOrgStack extends Stack {
  readonly ou: CfnOrganizationalUnit;
  readonly scp: CfnPolicy;
  readonly accounts: CfnAccount[];

  constructor(scope: Construct, id: string, props: SandboxOrgStackProps) {
    const { parentId, ouName, allowedRegions, tasks, accounts, adminRoleName, ...stackProps } = props;
    super(scope, id, {
      description: 'SkillProof sandbox organisation: OU, service control policy, account pool',
      analyticsReporting: false,
      ...stackProps,
      synthesizer: stackProps.synthesizer ?? new BootstraplessSynthesizer(),
    });
    if (allowedRegions.length === 0) throw new Error('allowedRegions must name at least one region');
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
    if (this.accounts.length > 0) {
      new CfnOutput(this, 'PoolAccountIds', {
        value: Fn.join(',', this.accounts.map((a) => a.attrAccountId)),
        description: 'The account pool, comma-separated (the value for SKILLPROOF_SANDBOX_POOL)',
      });
    }
    Tags.of(this).add('skillproof:component', 'sandbox-org');
  }
}
