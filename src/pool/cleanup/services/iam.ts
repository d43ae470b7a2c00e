import {
  DeleteInstanceProfileCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListInstanceProfilesCommand,
  ListInstanceProfilesForRoleCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  RemoveRoleFromInstanceProfileCommand,
  type PolicyGroup,
  type PolicyRole,
  type PolicyUser,
} from '@aws-sdk/client-iam';
import { allPages } from '../aws-call';
import type { PhaseContext } from '../context';

/**
 * IAM, last (services may need a role to delete what it made, e.g. a knowledge base deleting its vectors).
 * Every role that is neither SkillProof's (listed by its stack), nor AWS's (service-linked, IAM Identity
 * Center), nor the platform's named role is the candidate's: its inline policies, attached policies and
 * instance profiles go, then the role. Then customer-managed policies that are not SkillProof's: detached
 * from every remaining principal but SkillProof's (which the candidate could not have attached them to; one
 * found there is recorded, not touched), non-default versions deleted, then the policy. Then leftover
 * instance profiles.
 */
export async function cleanIam(ctx: PhaseContext): Promise<void> {
  const iam = ctx.client(IAMClient);
  const page = <T>(items: T[] | undefined, out: { IsTruncated?: boolean; Marker?: string }) => ({ items, next: out.IsTruncated ? out.Marker : undefined });

  const roles = await allPages(async (token) => {
    const out = await ctx.call(() => iam.send(new ListRolesCommand({ Marker: token })));
    return page(out.Roles, out);
  });
  const skillProofRoles = new Set<string>();
  for (const role of roles) {
    const roleName = role.RoleName;
    if (!roleName) continue;
    if (ctx.isSkillProofs('AWS::IAM::Role', roleName)) {
      skillProofRoles.add(roleName);
      continue;
    }
    if (ctx.ownership.isForeignRole(role.Path ?? '/', roleName)) continue;
    const arn = role.Arn ?? ctx.globalArn('iam', `role${role.Path ?? '/'}${roleName}`);
    await ctx.remove(arn, async () => {
      const inline = await allPages(async (token) => {
        const out = await ctx.call(() => iam.send(new ListRolePoliciesCommand({ RoleName: roleName, Marker: token })));
        return page(out.PolicyNames, out);
      });
      for (const policyName of inline) await ctx.call(() => iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })));
      const attached = await allPages(async (token) => {
        const out = await ctx.call(() => iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker: token })));
        return page(out.AttachedPolicies, out);
      });
      for (const policy of attached) await ctx.call(() => iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: policy.PolicyArn })));
      const profiles = await allPages(async (token) => {
        const out = await ctx.call(() => iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: roleName, Marker: token })));
        return page(out.InstanceProfiles, out);
      });
      for (const profile of profiles) {
        await ctx.call(() => iam.send(new RemoveRoleFromInstanceProfileCommand({ RoleName: roleName, InstanceProfileName: profile.InstanceProfileName })));
      }
      return iam.send(new DeleteRoleCommand({ RoleName: roleName }));
    });
  }

  const policies = await allPages(async (token) => {
    const out = await ctx.call(() => iam.send(new ListPoliciesCommand({ Scope: 'Local', Marker: token })));
    return page(out.Policies, out);
  });
  for (const policy of policies) {
    const policyArn = policy.Arn;
    if (!policyArn || ctx.isSkillProofs('AWS::IAM::ManagedPolicy', policyArn)) continue;
    const entities: { PolicyRoles: PolicyRole[]; PolicyUsers: PolicyUser[]; PolicyGroups: PolicyGroup[] } = { PolicyRoles: [], PolicyUsers: [], PolicyGroups: [] };
    await allPages(async (token) => {
      const out = await ctx.call(() => iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: policyArn, Marker: token })));
      entities.PolicyRoles.push(...(out.PolicyRoles ?? []));
      entities.PolicyUsers.push(...(out.PolicyUsers ?? []));
      entities.PolicyGroups.push(...(out.PolicyGroups ?? []));
      return page([], out);
    });
    const heldBySkillProof = entities.PolicyRoles.filter((r) => r.RoleName && skillProofRoles.has(r.RoleName));
    if (heldBySkillProof.length > 0) {
      ctx.fail(policyArn, `attached to SkillProof's role ${heldBySkillProof.map((r) => r.RoleName).join(', ')}; not detached (SkillProof's roles are never changed by the clean-up)`);
      continue;
    }
    await ctx.remove(policyArn, async () => {
      for (const r of entities.PolicyRoles ?? []) await ctx.call(() => iam.send(new DetachRolePolicyCommand({ RoleName: r.RoleName, PolicyArn: policyArn })));
      for (const u of entities.PolicyUsers ?? []) await ctx.call(() => iam.send(new DetachUserPolicyCommand({ UserName: u.UserName, PolicyArn: policyArn })));
      for (const g of entities.PolicyGroups ?? []) await ctx.call(() => iam.send(new DetachGroupPolicyCommand({ GroupName: g.GroupName, PolicyArn: policyArn })));
      const versions = await allPages(async (token) => {
        const out = await ctx.call(() => iam.send(new ListPolicyVersionsCommand({ PolicyArn: policyArn, Marker: token })));
        return page(out.Versions, out);
      });
      for (const version of versions) {
        if (version.IsDefaultVersion || !version.VersionId) continue;
        await ctx.call(() => iam.send(new DeletePolicyVersionCommand({ PolicyArn: policyArn, VersionId: version.VersionId })));
      }
      return iam.send(new DeletePolicyCommand({ PolicyArn: policyArn }));
    });
  }

  const profiles = await allPages(async (token) => {
    const out = await ctx.call(() => iam.send(new ListInstanceProfilesCommand({ Marker: token })));
    return page(out.InstanceProfiles, out);
  });
  for (const profile of profiles) {
    const name = profile.InstanceProfileName;
    if (!name || ctx.isSkillProofs('AWS::IAM::InstanceProfile', name)) continue;
    // A profile still holding a role that stays (SkillProof's, AWS's) is not the candidate's to empty.
    if ((profile.Roles ?? []).some((r) => r.RoleName && (skillProofRoles.has(r.RoleName) || ctx.ownership.isForeignRole(r.Path ?? '/', r.RoleName)))) continue;
    await ctx.remove(profile.Arn ?? ctx.globalArn('iam', `instance-profile${profile.Path ?? '/'}${name}`), async () => {
      for (const role of profile.Roles ?? []) {
        await ctx.call(() => iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: role.RoleName })));
      }
      return iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: name }));
    });
  }
}
