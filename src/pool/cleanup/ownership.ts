import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand, ListStacksCommand, type StackStatus } from '@aws-sdk/client-cloudformation';
import { RESERVED_TAG_PATTERN, SKILLPROOF_NAME_PREFIX } from '../../../cdk/lib/sandbox-naming';
import { allPages } from './aws-call';

/**
 * Who owns what in a pool account. SkillProof's own resources are exactly:
 *   - its stacks: named `skillproof-…` AND carrying a `skillproof:*` tag. The candidate can do neither (the
 *     boundary denies every write to `stack/skillproof-*` and any request carrying a `skillproof:*` tag key),
 *     so a stack that merely imitates the name is the candidate's;
 *   - the physical resources those stacks list (ListStackResources), matched by type and physical id.
 * A resource named like SkillProof's (`skillproof-…`, `/skillproof/`) that no SkillProof stack lists is the
 * candidate's, and is removed like any other. Besides SkillProof, AWS owns service-linked roles, SSO roles and
 * each service's defaults, and the platform owns the role it reaches the account with.
 */

/** Stack statuses that still exist (everything but DELETE_COMPLETE). */
export const LIVE_STACK_STATUSES: StackStatus[] = [
  'CREATE_IN_PROGRESS',
  'CREATE_FAILED',
  'CREATE_COMPLETE',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_FAILED',
  'ROLLBACK_COMPLETE',
  'DELETE_IN_PROGRESS',
  'DELETE_FAILED',
  'UPDATE_IN_PROGRESS',
  'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_COMPLETE',
  'UPDATE_FAILED',
  'UPDATE_ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_FAILED',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE',
  'REVIEW_IN_PROGRESS',
  'IMPORT_IN_PROGRESS',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_IN_PROGRESS',
  'IMPORT_ROLLBACK_FAILED',
  'IMPORT_ROLLBACK_COMPLETE',
];

/** Resource types whose physical ids are unique account-wide (IAM) or worldwide (S3 bucket names), not per region. */
const GLOBAL_TYPE = /^AWS::(IAM|S3)::/;

const reservedTagPrefix = RESERVED_TAG_PATTERN.replace(/\*$/, '');

export interface SkillProofStack {
  region: string;
  stackId: string;
  stackName: string;
}

export class Ownership {
  private readonly owned = new Set<string>();
  readonly stacks: SkillProofStack[] = [];

  constructor(readonly platformRoleNames: readonly string[]) {}

  private key(type: string, physicalId: string, region: string): string {
    return `${GLOBAL_TYPE.test(type) ? '*' : region}|${type}|${physicalId}`;
  }

  addStack(stack: SkillProofStack, resources: Array<{ type: string; physicalId: string }>): void {
    this.stacks.push(stack);
    this.owned.add(this.key('AWS::CloudFormation::Stack', stack.stackId, stack.region));
    this.owned.add(this.key('AWS::CloudFormation::Stack', stack.stackName, stack.region));
    for (const r of resources) this.owned.add(this.key(r.type, r.physicalId, stack.region));
  }

  /**
   * Whether a SkillProof stack lists this resource. `physicalId` is what CloudFormation reports for the type
   * (a role's name, a managed policy's ARN, a function's name, a topic's ARN, a user pool's id, a bucket's name…).
   */
  isSkillProofs(type: string, physicalId: string, region: string): boolean {
    return this.owned.has(this.key(type, physicalId, region));
  }

  isSkillProofStack(stackIdOrName: string, region: string): boolean {
    return this.isSkillProofs('AWS::CloudFormation::Stack', stackIdOrName, region);
  }

  /** SkillProof's stack ids, for the `aws:cloudformation:stack-id` tag CloudFormation puts on what it creates. */
  stackIds(): Set<string> {
    return new Set(this.stacks.map((s) => s.stackId));
  }

  /**
   * Roles nobody but AWS or the platform made, which the cleaner never touches: service-linked roles
   * (`/aws-service-role/`), IAM Identity Center's (`/aws-reserved/`), and the platform's named roles at `/`.
   */
  isForeignRole(path: string, roleName: string): boolean {
    if (path.startsWith('/aws-service-role/') || path.startsWith('/aws-reserved/')) return true;
    return path === '/' && this.platformRoleNames.includes(roleName);
  }
}

/** Whether a stack is SkillProof's by its name and tags (both out of the candidate's reach). */
export function looksLikeSkillProofStack(stackName: string, tags: Array<{ Key?: string }> | undefined): boolean {
  return stackName.startsWith(SKILLPROOF_NAME_PREFIX) && (tags ?? []).some((t) => t.Key?.startsWith(reservedTagPrefix));
}

/** Finds SkillProof's stacks in a region and records every resource they list. */
export async function discoverSkillProofStacks(cfn: CloudFormationClient, region: string, ownership: Ownership, call: <T>(fn: () => Promise<T>) => Promise<T>): Promise<void> {
  const summaries = await allPages(async (token) => {
    const out = await call(() => cfn.send(new ListStacksCommand({ NextToken: token, StackStatusFilter: LIVE_STACK_STATUSES })));
    return { items: out.StackSummaries, next: out.NextToken };
  });
  for (const summary of summaries) {
    const name = summary.StackName ?? '';
    if (!name.startsWith(SKILLPROOF_NAME_PREFIX) || !summary.StackId) continue;
    const described = await call(() => cfn.send(new DescribeStacksCommand({ StackName: summary.StackId })));
    const stack = described.Stacks?.[0];
    if (!stack || !looksLikeSkillProofStack(name, stack.Tags)) continue;
    const resources = await allPages(async (token) => {
      const out = await call(() => cfn.send(new ListStackResourcesCommand({ StackName: summary.StackId, NextToken: token })));
      return { items: out.StackResourceSummaries, next: out.NextToken };
    });
    ownership.addStack(
      { region, stackId: summary.StackId, stackName: name },
      resources.filter((r) => r.ResourceType && r.PhysicalResourceId).map((r) => ({ type: r.ResourceType!, physicalId: r.PhysicalResourceId! })),
    );
  }
}

/**
 * AWS's own defaults, which exist in every account and are not the candidate's: the Default X-Ray group and
 * sampling rule, the default event bus, CodeDeploy's predefined deployment configurations.
 */
export function isAwsDefault(type: string, id: string): boolean {
  switch (type) {
    case 'AWS::XRay::Group':
      return id === 'Default' || /:group\/Default$/.test(id);
    case 'AWS::XRay::SamplingRule':
      return id === 'Default' || /:sampling-rule\/Default$/.test(id);
    case 'AWS::Events::EventBus':
      return id === 'default' || /:event-bus\/default$/.test(id);
    case 'AWS::CodeDeploy::DeploymentConfig':
      return id.startsWith('CodeDeployDefault.');
    default:
      return false;
  }
}
