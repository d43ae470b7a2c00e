import { CloudControlClient, GetResourceCommand, ListResourcesCommand } from '@aws-sdk/client-cloudcontrol';
import { CloudFormationClient, ListTypesCommand, type ProvisioningType } from '@aws-sdk/client-cloudformation';
import { IAMClient, ListInstanceProfilesCommand, ListPoliciesCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient, type ResourceTagMapping } from '@aws-sdk/client-resource-groups-tagging-api';
import { allPages, errorCode, errorText, isGone, withRetry } from './aws-call';
import { discoverSkillProofStacks, isAwsDefault, Ownership } from './ownership';
import { ACCOUNT_SETTING_TYPES, arnOfListed, CANDIDATE_SERVICES, cloudControlTarget, REGISTRY_NAMESPACES } from './resource-types';
import type { CleanupClock, CleanupLogger, CleanupTarget, ClientFactory } from './types';

/**
 * The independent proof that an account is empty of candidate resources. It shares nothing with the
 * deleter but the rule of who owns what: it finds SkillProof's stacks afresh, and enumerates by other
 * paths than the deleter's per-service list calls:
 *   1. the CloudFormation registry names every public resource type of the allowed services, and Cloud
 *      Control ListResources lists each (so it sees types the deleter has never heard of);
 *   2. the Resource Groups Tagging API lists every tagged resource in the region; a hit is confirmed with
 *      Cloud Control GetResource, because the tagging API keeps returning resources for a while after
 *      they are deleted;
 *   3. IAM's own listing of roles, customer-managed policies and instance profiles.
 * Whatever is found that is neither SkillProof's nor AWS's is a remaining resource, with why. A listing
 * that fails (other than a type Cloud Control cannot list, or a sub-resource type that needs its parent)
 * is a finding too: an account that could not be checked is not proved clean.
 */

export interface Finding {
  arn: string;
  reason: string;
}

export interface VerifyOptions {
  target: CleanupTarget;
  clients: ClientFactory;
  clock: CleanupClock;
  logger: CleanupLogger;
  maxTries: number;
  platformRoleNames: readonly string[];
}

/** Cloud Control's answer for a type it cannot list at all, or only under a parent (`ResourceModel`). */
const UNLISTABLE = new Set(['UnsupportedActionException', 'TypeNotFoundException', 'InvalidRequestException']);
const PROVISIONABLE: ProvisioningType[] = ['FULLY_MUTABLE', 'IMMUTABLE'];

export async function verifyAccount(options: VerifyOptions): Promise<Finding[]> {
  const { target } = options;
  const call = <T>(fn: () => Promise<T>) => withRetry(fn, { clock: options.clock, maxTries: options.maxTries });
  const findings = new Map<string, string>();
  const found = (arn: string, reason: string) => {
    if (!findings.has(arn)) findings.set(arn, reason);
  };
  const ownership = new Ownership(options.platformRoleNames);
  for (const region of target.regions) {
    await discoverSkillProofStacks(options.clients(CloudFormationClient, region), region, ownership, call);
  }

  for (const region of target.regions) {
    const where = { partition: target.partition, region, accountId: target.accountId };
    const cfn = options.clients(CloudFormationClient, region);
    const cc = options.clients(CloudControlClient, region);
    const owned = (type: string, identifier: string) =>
      ownership.isSkillProofs(type, identifier, region) || identifier.split('|').some((part) => ownership.isSkillProofs(type, part, region)) || isAwsDefault(type, identifier);

    const types = new Set<string>();
    for (const namespace of CANDIDATE_SERVICES.flatMap((s) => REGISTRY_NAMESPACES[s])) {
      for (const provisioningType of PROVISIONABLE) {
        const summaries = await allPages(async (token) => {
          const out = await call(() =>
            cfn.send(new ListTypesCommand({ Visibility: 'PUBLIC', Type: 'RESOURCE', ProvisioningType: provisioningType, DeprecatedStatus: 'LIVE', Filters: { Category: 'AWS_TYPES', TypeNamePrefix: `AWS::${namespace}::` }, NextToken: token })),
          );
          return { items: out.TypeSummaries, next: out.NextToken };
        });
        summaries.forEach((s) => s.TypeName && !ACCOUNT_SETTING_TYPES.has(s.TypeName) && types.add(s.TypeName));
      }
    }
    const listed = new Set<string>();
    // With no ARN template for the type, the resource's own Arn property (when its schema has one) names it best.
    const readableArn = async (type: string, identifier: string, fallback: string): Promise<string> => {
      if (!fallback.includes(':cloudcontrol:')) return fallback;
      try {
        const out = await call(() => cc.send(new GetResourceCommand({ TypeName: type, Identifier: identifier })));
        const arn: unknown = JSON.parse(out.ResourceDescription?.Properties ?? '{}').Arn;
        return typeof arn === 'string' && arn.startsWith('arn:') ? arn : fallback;
      } catch {
        return fallback;
      }
    };
    for (const type of [...types].sort()) {
      let identifiers: string[];
      try {
        const descriptions = await allPages(async (token) => {
          const out = await call(() => cc.send(new ListResourcesCommand({ TypeName: type, NextToken: token })));
          return { items: out.ResourceDescriptions, next: out.NextToken };
        });
        identifiers = descriptions.map((d) => d.Identifier).filter((id): id is string => Boolean(id));
      } catch (err) {
        if (UNLISTABLE.has(errorCode(err))) {
          options.logger.info(`[${region}] verify: Cloud Control does not list ${type} on its own (${errorCode(err)}); it is checked through its parent`);
          continue;
        }
        found(`arn:${target.partition}:cloudcontrol:${region}:${target.accountId}:resource/${type}`, `could not list ${type} in ${region} with Cloud Control: ${errorText(err)}`);
        continue;
      }
      for (const identifier of identifiers) {
        if (type === 'AWS::CloudFormation::Stack' ? ownership.isSkillProofStack(identifier, region) : owned(type, identifier)) continue;
        const arn = await readableArn(type, identifier, arnOfListed(type, identifier, where));
        listed.add(arn);
        found(arn, `still exists: Cloud Control lists ${type} "${identifier}" in ${region}`);
      }
    }

    const tagging = options.clients(ResourceGroupsTaggingAPIClient, region);
    const skillProofStackIds = ownership.stackIds();
    let mappings: ResourceTagMapping[];
    try {
      mappings = await allPages(async (token) => {
        const out = await call(() => tagging.send(new GetResourcesCommand({ PaginationToken: token, ResourcesPerPage: 100 })));
        return { items: out.ResourceTagMappingList, next: out.PaginationToken };
      });
    } catch (err) {
      found(`arn:${target.partition}:tag:${region}:${target.accountId}:resources`, `could not list tagged resources in ${region}: ${errorText(err)}`);
      mappings = [];
    }
    for (const mapping of mappings) {
      const arn = mapping.ResourceARN;
      if (!arn || listed.has(arn) || findings.has(arn)) continue;
      const stackId = mapping.Tags?.find((t) => t.Key === 'aws:cloudformation:stack-id')?.Value;
      if (stackId && skillProofStackIds.has(stackId)) continue;
      const ccTarget = cloudControlTarget(arn);
      if (ccTarget && (ccTarget.type === 'AWS::CloudFormation::Stack' ? ownership.isSkillProofStack(ccTarget.identifier, region) : owned(ccTarget.type, ccTarget.identifier))) continue;
      if (!ccTarget) {
        found(arn, `the Resource Groups Tagging API still lists it in ${region}, and SkillProof cannot confirm with Cloud Control whether it exists`);
        continue;
      }
      try {
        await call(() => cc.send(new GetResourceCommand({ TypeName: ccTarget.type, Identifier: ccTarget.identifier })));
        found(arn, `still exists: the Resource Groups Tagging API lists it in ${region} and Cloud Control reads ${ccTarget.type} "${ccTarget.identifier}"`);
      } catch (err) {
        if (isGone(err)) continue;
        found(arn, `the Resource Groups Tagging API still lists it in ${region}, and Cloud Control could not read it: ${errorText(err)}`);
      }
    }
  }

  const home = target.regions[0]!;
  const iam = options.clients(IAMClient, home);
  const iamPage = <T>(items: T[] | undefined, out: { IsTruncated?: boolean; Marker?: string }) => ({ items, next: out.IsTruncated ? out.Marker : undefined });
  const roles = await allPages(async (token) => {
    const out = await call(() => iam.send(new ListRolesCommand({ Marker: token })));
    return iamPage(out.Roles, out);
  });
  for (const role of roles) {
    if (!role.RoleName || ownership.isSkillProofs('AWS::IAM::Role', role.RoleName, home) || ownership.isForeignRole(role.Path ?? '/', role.RoleName)) continue;
    found(role.Arn ?? role.RoleName, `still exists: IAM lists role ${role.RoleName} (path ${role.Path})`);
  }
  const policies = await allPages(async (token) => {
    const out = await call(() => iam.send(new ListPoliciesCommand({ Scope: 'Local', Marker: token })));
    return iamPage(out.Policies, out);
  });
  for (const policy of policies) {
    if (!policy.Arn || ownership.isSkillProofs('AWS::IAM::ManagedPolicy', policy.Arn, home)) continue;
    found(policy.Arn, `still exists: IAM lists customer-managed policy ${policy.PolicyName}`);
  }
  const profiles = await allPages(async (token) => {
    const out = await call(() => iam.send(new ListInstanceProfilesCommand({ Marker: token })));
    return iamPage(out.InstanceProfiles, out);
  });
  for (const profile of profiles) {
    if (!profile.InstanceProfileName || ownership.isSkillProofs('AWS::IAM::InstanceProfile', profile.InstanceProfileName, home)) continue;
    found(profile.Arn ?? profile.InstanceProfileName, `still exists: IAM lists instance profile ${profile.InstanceProfileName}`);
  }
  return [...findings].map(([arn, reason]) => ({ arn, reason }));
}
