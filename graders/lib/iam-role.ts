import { GetPolicyCommand, GetPolicyVersionCommand, GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import type { CheckContext } from '../../src/model/grader';
import { allPages, arnResourceName } from './aws-calls';
import { parsePolicyDocument, type PolicyStatement } from './iam-policy';

/** Every identity-policy statement of a role: inline policies and the default version of each attached managed policy. */
export function roleStatements(ctx: CheckContext, roleArn: string): Promise<PolicyStatement[]> {
  return ctx.memo(`role-statements:${roleArn}`, async () => {
    const iam = ctx.client(IAMClient);
    const RoleName = arnResourceName(roleArn);
    const [inlineNames, attached] = await Promise.all([
      allPages((Marker) => iam.send(new ListRolePoliciesCommand({ RoleName, ...(Marker ? { Marker } : {}) })), (p) => p.PolicyNames, (p) => (p.IsTruncated ? p.Marker : undefined)),
      allPages((Marker) => iam.send(new ListAttachedRolePoliciesCommand({ RoleName, ...(Marker ? { Marker } : {}) })), (p) => p.AttachedPolicies, (p) => (p.IsTruncated ? p.Marker : undefined)),
    ]);
    const inline = await Promise.all(
      inlineNames.map(async (PolicyName) => {
        const res = await iam.send(new GetRolePolicyCommand({ RoleName, PolicyName }));
        return parsePolicyDocument(res.PolicyDocument ?? '', `inline policy ${PolicyName} of role ${RoleName}`);
      }),
    );
    const managed = await Promise.all(
      attached
        .filter((a) => a.PolicyArn)
        .map(async ({ PolicyArn }) => {
          const policy = await iam.send(new GetPolicyCommand({ PolicyArn }));
          const VersionId = policy.Policy?.DefaultVersionId;
          if (!VersionId) throw new Error(`managed policy ${PolicyArn} has no default version`);
          const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn, VersionId }));
          return parsePolicyDocument(version.PolicyVersion?.Document ?? '', `managed policy ${PolicyArn}`);
        }),
    );
    return [...inline.flat(), ...managed.flat()];
  });
}
