import { GetPolicyCommand, GetPolicyVersionCommand, GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { awsError, type FakeAccount } from './fake-account';
import { MANAGED_POLICIES, type PolicyDocument } from './managed-policies';

export interface SimulatedRole {
  /** When set, IAM answers NoSuchEntity for any other role's policy lists. */
  roleName?: string;
  /** Inline policies by name. */
  inline: Record<string, PolicyDocument>;
  /** ARNs of the attached managed policies. */
  managed: readonly string[];
  /** Documents of attached policies beyond the AWS managed ones in MANAGED_POLICIES (customer-managed, or others). */
  documents?: Record<string, PolicyDocument>;
}

/**
 * Answers the IAM reads a grader makes to collect a role's identity policies (inline policies and
 * the default version of each attached managed policy), URL-encoded as IAM returns them.
 */
export function simulateRole(account: FakeAccount, role: SimulatedRole): FakeAccount {
  const known = (name: string | undefined) => role.roleName === undefined || name === role.roleName;
  const document = (arn: string | undefined) => role.documents?.[arn ?? ''] ?? MANAGED_POLICIES[arn ?? ''];
  const policyName = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);
  return account
    .on(IAMClient, ListRolePoliciesCommand, ({ RoleName }) => {
      if (!known(RoleName)) throw awsError('NoSuchEntity', `The role with name ${RoleName} cannot be found.`, 404);
      return { PolicyNames: Object.keys(role.inline), IsTruncated: false };
    })
    .on(IAMClient, GetRolePolicyCommand, ({ RoleName, PolicyName }) => {
      const doc = known(RoleName) ? role.inline[PolicyName ?? ''] : undefined;
      if (!doc) throw awsError('NoSuchEntity', `The role policy with name ${PolicyName} cannot be found.`, 404);
      return { RoleName, PolicyName, PolicyDocument: encodeURIComponent(JSON.stringify(doc)) };
    })
    .on(IAMClient, ListAttachedRolePoliciesCommand, ({ RoleName }) => {
      if (!known(RoleName)) throw awsError('NoSuchEntity', `The role with name ${RoleName} cannot be found.`, 404);
      return { AttachedPolicies: role.managed.map((PolicyArn) => ({ PolicyArn, PolicyName: policyName(PolicyArn) })), IsTruncated: false };
    })
    .on(IAMClient, GetPolicyCommand, ({ PolicyArn }) => {
      if (!document(PolicyArn)) throw awsError('NoSuchEntity', `Policy ${PolicyArn} was not found.`, 404);
      return { Policy: { PolicyName: policyName(PolicyArn!), Arn: PolicyArn, DefaultVersionId: 'v1', AttachmentCount: 1, IsAttachable: true } };
    })
    .on(IAMClient, GetPolicyVersionCommand, ({ PolicyArn, VersionId }) => ({
      PolicyVersion: { Document: encodeURIComponent(JSON.stringify(document(PolicyArn))), VersionId, IsDefaultVersion: true },
    }));
}
