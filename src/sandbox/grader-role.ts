import { evaluate, parsePolicyDocument, type PolicyStatement } from '../../graders/lib/iam-policy';
import { sandboxNames } from '../../cdk/lib/sandbox-naming';
import type { CallSite, IamRequest } from '../aws/iam-requests';
import { synthSandbox, type SandboxTask } from './synth';

/**
 * The grader role a task's sandbox grants, read from the TaskSandboxStack template that `sandbox
 * synth` would deploy (src/sandbox/synth.ts), and judged offline.
 *
 * Evaluation uses SkillProof's own evaluator (graders/lib/iam-policy.ts), not the IAM simulator:
 * `grader test` ships with the CLI, and @cloud-copilot/iam-simulate is AGPL-3.0 (a devDependency for
 * the tests only). The grader role is our own policy — Allow statements of actions on ARN patterns,
 * no conditions — which that evaluator decides exactly; tests/sandbox/grader-role.test.ts cross-checks
 * every decision the fixtures need against the simulator. Anything it cannot decide exactly (a
 * Condition, a managed policy from outside the template) is reported as not allowed, never as allowed.
 */

/** Synthesised once per task; placeholders stand for the attempt until a fixture names its own. */
const ATTEMPT_PLACEHOLDER = 'attempt-placeholder-0';

export interface GraderDecision {
  allowed: boolean;
  /** Why not, when not allowed. */
  reason?: string;
}

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

interface PolicySource {
  name: string;
  document: unknown;
}

export class GraderRole {
  private readonly resolved = new Map<string, { statements: PolicyStatement[]; boundary?: PolicyStatement[] }>();

  constructor(
    private readonly policies: PolicySource[],
    private readonly boundary: PolicySource | undefined,
    /** Problems found reading the role (an unresolvable reference): each makes every request unproven. */
    readonly problems: string[],
  ) {}

  /** Whether the grader role allows `request`, in the account and region of a run for `attemptId`. */
  decide(request: IamRequest, site: CallSite, attemptId: string): GraderDecision {
    if (this.problems.length) return { allowed: false, reason: this.problems.join('; ') };
    let resolved: ReturnType<GraderRole['statementsFor']>;
    try {
      resolved = this.statementsFor(site, attemptId);
    } catch (e) {
      return { allowed: false, reason: (e as Error).message };
    }
    const { statements, boundary } = resolved;
    const identity = evaluate(statements, request.action, request.resource);
    const within = boundary ? evaluate(boundary, request.action, request.resource) : undefined;
    if (identity.decision === 'explicit-deny' || within?.decision === 'explicit-deny') return { allowed: false, reason: 'explicitly denied' };
    if (identity.decision !== 'allow') return { allowed: false, reason: 'not granted' };
    if (within && within.decision !== 'allow') return { allowed: false, reason: "outside the role's permissions boundary" };
    if (identity.conditional || within?.conditional) return { allowed: false, reason: 'granted only under a condition that cannot be checked offline' };
    return { allowed: true };
  }

  private statementsFor(site: CallSite, attemptId: string) {
    const key = `${site.region}|${site.accountId}|${attemptId}`;
    let found = this.resolved.get(key);
    if (!found) {
      const resolve = (p: PolicySource) => parsePolicyDocument(JSON.stringify(resolveIntrinsics(p.document, site, attemptId)), p.name);
      found = { statements: this.policies.flatMap(resolve), ...(this.boundary ? { boundary: resolve(this.boundary) } : {}) };
      this.resolved.set(key, found);
    }
    return found;
  }
}

const roles = new Map<string, GraderRole>();

/** The grader role of a sandbox hosting `task` (synthesised once per task and blueprint in a process). */
export function graderRoleOf(task: SandboxTask): GraderRole {
  const key = JSON.stringify([task.id, task.blueprint]);
  let role = roles.get(key);
  if (!role) {
    const { template } = synthSandbox([task], ATTEMPT_PLACEHOLDER, undefined, { externalId: 'skillproof-offline-check' });
    role = graderRoleFromTemplate(template as Template, sandboxNames(ATTEMPT_PLACEHOLDER).graderRole);
    roles.set(key, role);
  }
  return role;
}

/** Reads the role named `roleName` from a template: its inline, attached and separately declared policies, and its boundary. */
export function graderRoleFromTemplate(template: Template, roleName: string): GraderRole {
  const resources = template.Resources;
  const problems: string[] = [];
  const entry = Object.entries(resources).find(([, r]) => r.Type === 'AWS::IAM::Role' && r.Properties?.RoleName === roleName);
  if (!entry) return new GraderRole([], undefined, [`the sandbox template has no role named ${roleName}`]);
  const [logicalId, role] = entry;
  const props = role.Properties ?? {};
  const policies: PolicySource[] = ((props.Policies as { PolicyName: string; PolicyDocument: unknown }[] | undefined) ?? []).map((p) => ({ name: `inline:${p.PolicyName}`, document: p.PolicyDocument }));
  const managedPolicy = (ref: unknown): PolicySource | undefined => {
    const id = (ref as { Ref?: unknown } | undefined)?.Ref;
    const resource = typeof id === 'string' ? resources[id] : undefined;
    if (resource?.Type === 'AWS::IAM::ManagedPolicy') return { name: `managed:${id as string}`, document: resource.Properties?.PolicyDocument };
    problems.push(`the grader role uses the managed policy ${JSON.stringify(ref)}, which is not in the sandbox template and cannot be read offline`);
    return undefined;
  };
  for (const ref of (props.ManagedPolicyArns as unknown[] | undefined) ?? []) {
    const p = managedPolicy(ref);
    if (p) policies.push(p);
  }
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const attached = ((r.Properties?.Roles as unknown[] | undefined) ?? []).some((x) => (x as { Ref?: unknown }).Ref === logicalId);
    if (attached) policies.push({ name: `${r.Type === 'AWS::IAM::Policy' ? 'policy' : 'managed'}:${id}`, document: r.Properties?.PolicyDocument });
  }
  const boundary = props.PermissionsBoundary === undefined ? undefined : managedPolicy(props.PermissionsBoundary);
  return new GraderRole(policies, boundary, problems);
}

/**
 * Resolves the intrinsic functions CDK writes into IAM policies (Ref to a pseudo parameter,
 * Fn::Join, Fn::Sub) as CloudFormation would in `site`, with the attempt placeholder replaced.
 */
function resolveIntrinsics(value: unknown, site: CallSite, attemptId: string): unknown {
  const partition = site.region.startsWith('cn-') ? 'aws-cn' : site.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  const stackName = `skillproof-${attemptId}`;
  const pseudo: Record<string, string> = {
    'AWS::Region': site.region,
    'AWS::AccountId': site.accountId,
    'AWS::Partition': partition,
    'AWS::URLSuffix': partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com',
    'AWS::StackName': stackName,
    'AWS::StackId': `arn:${partition}:cloudformation:${site.region}:${site.accountId}:stack/${stackName}/00000000-0000-4000-8000-000000000000`,
  };
  const ref = (name: string): string => {
    const v = pseudo[name];
    if (v === undefined) throw new Error(`the grader role refers to ${name}, which cannot be resolved offline`);
    return v;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v.split(ATTEMPT_PLACEHOLDER).join(attemptId);
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === 'Ref') return ref(o.Ref as string);
    if (keys.length === 1 && keys[0] === 'Fn::Join') {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return (walk(parts) as unknown[]).join(sep);
    }
    if (keys.length === 1 && keys[0] === 'Fn::Sub' && typeof o['Fn::Sub'] === 'string') {
      return walk((o['Fn::Sub'] as string).replace(/\$\{([^}!]+)\}/g, (_m, name: string) => ref(name)));
    }
    if (keys.length === 1 && keys[0]!.startsWith('Fn::')) throw new Error(`the grader role uses ${keys[0]}, which cannot be resolved offline`);
    return Object.fromEntries(keys.map((k) => [k, walk(o[k])]));
  };
  return walk(value);
}
