import {
  CancelUpdateStackCommand,
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  ListStacksCommand,
  UpdateTerminationProtectionCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { allPages, isGone } from '../aws-call';
import type { PhaseContext } from '../context';
import { LIVE_STACK_STATUSES } from '../ownership';

/**
 * The candidate's CloudFormation stacks go first, so CloudFormation deletes what it made in the order it knows.
 * A stack that ends DELETE_FAILED is deleted again retaining the resources that failed; those are then
 * unmanaged and the direct phases after this one remove them. A stack that still cannot go is recorded.
 */
export async function cleanStacks(ctx: PhaseContext): Promise<void> {
  const cfn = ctx.client(CloudFormationClient);
  const summaries = await allPages(async (token) => {
    const out = await ctx.call(() => cfn.send(new ListStacksCommand({ NextToken: token, StackStatusFilter: LIVE_STACK_STATUSES })));
    return { items: out.StackSummaries, next: out.NextToken };
  });
  for (const summary of summaries) {
    const stackId = summary.StackId;
    // Nested stacks go with their root.
    if (!stackId || summary.ParentId || summary.RootId) continue;
    if (ctx.ownership.isSkillProofStack(stackId, ctx.region)) continue;
    await ctx.remove(stackId, () => deleteStack(ctx, cfn, stackId));
  }
}

async function describe(ctx: PhaseContext, cfn: CloudFormationClient, stackId: string): Promise<Stack | undefined> {
  try {
    const out = await ctx.call(() => cfn.send(new DescribeStacksCommand({ StackName: stackId })));
    return out.Stacks?.[0];
  } catch (err) {
    if (isGone(err)) return undefined;
    throw err;
  }
}

const settled = (stack: Stack | undefined) => !stack || !stack.StackStatus?.endsWith('_IN_PROGRESS');

/** Waits until the stack is in no *_IN_PROGRESS state; returns it (undefined once it is gone). */
async function waitSettled(ctx: PhaseContext, cfn: CloudFormationClient, stackId: string): Promise<Stack | undefined> {
  let stack: Stack | undefined;
  const ok = await ctx.waitUntil(async () => settled((stack = await describe(ctx, cfn, stackId))));
  if (!ok) throw new Error(`stack stayed ${stack?.StackStatus} past the deletion timeout`);
  return stack;
}

async function deleteStack(ctx: PhaseContext, cfn: CloudFormationClient, stackId: string): Promise<void> {
  let stack = await describe(ctx, cfn, stackId);
  if (!stack || stack.StackStatus === 'DELETE_COMPLETE') return;
  if (stack.StackStatus === 'UPDATE_IN_PROGRESS') await ctx.call(() => cfn.send(new CancelUpdateStackCommand({ StackName: stackId })));
  if (stack.StackStatus !== 'DELETE_IN_PROGRESS') stack = await waitSettled(ctx, cfn, stackId);
  if (!stack || stack.StackStatus === 'DELETE_COMPLETE') return;
  if (stack.EnableTerminationProtection) {
    await ctx.call(() => cfn.send(new UpdateTerminationProtectionCommand({ StackName: stackId, EnableTerminationProtection: false })));
  }
  if (stack.StackStatus !== 'DELETE_IN_PROGRESS') await ctx.call(() => cfn.send(new DeleteStackCommand({ StackName: stackId })));
  stack = await waitSettled(ctx, cfn, stackId);
  if (!stack || stack.StackStatus === 'DELETE_COMPLETE') return;

  // DELETE_FAILED: retain what failed and delete the rest; the direct phases remove the retained resources.
  const resources = await allPages(async (token) => {
    const out = await ctx.call(() => cfn.send(new ListStackResourcesCommand({ StackName: stackId, NextToken: token })));
    return { items: out.StackResourceSummaries, next: out.NextToken };
  });
  const failed = resources.filter((r) => r.ResourceStatus === 'DELETE_FAILED' && r.LogicalResourceId);
  const why = failed.map((r) => `${r.LogicalResourceId} (${r.ResourceType} ${r.PhysicalResourceId ?? ''}): ${r.ResourceStatusReason ?? 'no reason given'}`).join('; ');
  ctx.log(`stack ${stackId} is DELETE_FAILED (${why || stack.StackStatusReason}); deleting it again, retaining what failed`);
  await ctx.call(() => cfn.send(new DeleteStackCommand({ StackName: stackId, RetainResources: failed.map((r) => r.LogicalResourceId!) })));
  stack = await waitSettled(ctx, cfn, stackId);
  if (stack && stack.StackStatus !== 'DELETE_COMPLETE') {
    throw new Error(`stack stays ${stack.StackStatus} even retaining its failed resources: ${why || stack.StackStatusReason || 'no reason given'}`);
  }
}
