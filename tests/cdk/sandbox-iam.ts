import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { ResolvedTemplate } from './resolve-template';

/**
 * Offline IAM evaluation of a resolved sandbox template with @cloud-copilot/iam-simulate (AGPL: tests
 * only). A principal is its identity policies plus, for candidate roles, CandidateBoundary; a service
 * control policy can be added to evaluate the whole chain an account in the sandbox OU applies.
 */

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

type PolicyDocument = Record<string, unknown>;

export interface Principal {
  arn: string;
  identityPolicies: { name: string; policy: PolicyDocument }[];
  boundary?: PolicyDocument;
}

const ALLOW_ALL: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

export class SandboxIam {
  /** A moment before the sandbox's freeze time. */
  readonly now: string;

  constructor(
    readonly t: ResolvedTemplate,
    readonly scp?: PolicyDocument,
  ) {
    this.now = new Date(Date.parse(`${t.deployment.parameters.FreezeAt}Z`) - 3_600_000).toISOString();
  }

  private managedPolicy(arn: string): PolicyDocument {
    for (const [id, resource] of Object.entries(this.t.template.Resources)) {
      if (resource.Type === 'AWS::IAM::ManagedPolicy' && this.t.arn(id) === arn) return this.t.resolve(resource.Properties?.PolicyDocument) as PolicyDocument;
    }
    throw new Error(`no managed policy ${arn} in the template`);
  }

  /** A role of the template, by logical id prefix (e.g. "CandidateRole"). */
  role(prefix: string): Principal {
    const { logicalId, resource } = this.t.find('AWS::IAM::Role', prefix);
    const props = resource.Properties ?? {};
    const inline = ((props.Policies as { PolicyName: string; PolicyDocument: unknown }[] | undefined) ?? []).map((p) => ({
      name: p.PolicyName,
      policy: this.t.resolve(p.PolicyDocument) as PolicyDocument,
    }));
    const managed = ((this.t.resolve(props.ManagedPolicyArns ?? []) as string[]) ?? []).map((arn) => ({ name: arn, policy: this.managedPolicy(arn) }));
    const boundaryArn = props.PermissionsBoundary === undefined ? undefined : (this.t.resolve(props.PermissionsBoundary) as string);
    return { arn: this.t.arn(logicalId), identityPolicies: [...inline, ...managed], boundary: boundaryArn ? this.managedPolicy(boundaryArn) : undefined };
  }

  get candidate(): Principal {
    return this.role('CandidateRole');
  }

  get grader(): Principal {
    return this.role('GraderRole');
  }

  get boundaryArn(): string {
    return this.t.arn(this.t.find('AWS::IAM::ManagedPolicy', 'CandidateBoundary').logicalId);
  }

  get freezePolicyArn(): string {
    return this.t.arn(this.t.find('AWS::IAM::ManagedPolicy', 'FreezePolicy').logicalId);
  }

  /** The candidate role after `sandbox freeze` (or the expiry schedule) attached the freeze policy. */
  get frozenCandidate(): Principal {
    const candidate = this.candidate;
    return { ...candidate, identityPolicies: [...candidate.identityPolicies, { name: 'freeze', policy: this.managedPolicy(this.freezePolicyArn) }] };
  }

  /** A role the candidate created (with the boundary, as they must), here with AdministratorAccess. */
  get candidateCreatedAdmin(): Principal {
    return {
      arn: `arn:aws:iam::${this.t.deployment.accountId}:role/candidate/orders-fn-role`,
      identityPolicies: [{ name: 'AdministratorAccess', policy: ALLOW_ALL }],
      boundary: this.managedPolicy(this.boundaryArn),
    };
  }

  /** A role of the account with AdministratorAccess and no boundary: what the service control policy alone allows. */
  get unboundedAdmin(): Principal {
    return unboundedAdmin(this.t.deployment.accountId);
  }

  async decide(principal: Principal, action: string, resource: string, context: Record<string, string | string[]> = {}): Promise<Decision> {
    const { accountId, region } = this.t.deployment;
    return simulate({ principal, scp: this.scp, accountId, region, now: this.now }, action, resource, context);
  }
}

/** A role with AdministratorAccess and no boundary, in account `accountId`. */
export function unboundedAdmin(accountId: string): Principal {
  return { arn: `arn:aws:iam::${accountId}:role/admin`, identityPolicies: [{ name: 'AdministratorAccess', policy: ALLOW_ALL }] };
}

/** One request, evaluated against a principal's policies and boundary and, if given, the sandbox OU's service control policy. */
export async function simulate(
  where: { principal: Principal; scp?: PolicyDocument; accountId: string; region: string; now: string },
  action: string,
  resource: string,
  context: Record<string, string | string[]> = {},
): Promise<Decision> {
  const { principal, scp, accountId, region, now } = where;
  const simulation: Simulation = {
    request: {
      principal: principal.arn,
      action,
      resource: { resource, accountId },
      contextVariables: {
        'aws:RequestedRegion': region,
        'aws:CurrentTime': now,
        'aws:PrincipalArn': principal.arn,
        'aws:PrincipalAccount': accountId,
        ...context,
      },
    },
    identityPolicies: principal.identityPolicies,
    serviceControlPolicies: scp
      ? [
          { orgIdentifier: 'r-root', policies: [{ name: 'FullAWSAccess', policy: ALLOW_ALL }] },
          { orgIdentifier: 'ou-sandboxes', policies: [{ name: 'FullAWSAccess', policy: ALLOW_ALL }, { name: 'skillproof', policy: scp }] },
        ]
      : [],
    resourceControlPolicies: [],
    permissionBoundaryPolicies: principal.boundary ? [{ name: 'CandidateBoundary', policy: principal.boundary }] : undefined,
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') throw new Error(`cannot simulate ${action} on ${resource}: ${JSON.stringify(result.errors)}`);
  return result.overallResult as Decision;
}
