import {
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type CloudFormationClient,
  type Stack,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { SandboxError } from './session';

/** One line of deployment progress: a resource changed state. */
export interface StackProgress {
  timestamp: Date;
  logicalId: string;
  resourceType: string;
  status: string;
  reason?: string;
}

export interface WatchOptions {
  /** Called for each new stack event, oldest first. */
  onProgress?: (progress: StackProgress) => void;
  /** Pause between polls (default 5 s). */
  pollIntervalMs?: number;
  /** Give up after this long (default 30 min). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface WatchResult {
  stack: Stack;
  /** Reasons given by resources that failed, oldest first (the first is usually the cause). */
  failures: string[];
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const isTerminal = (status: string) => status.endsWith('_COMPLETE') || status.endsWith('_FAILED');

/** Returns the stack, or undefined when CloudFormation says it does not exist. */
export async function describeStack(cfn: CloudFormationClient, stackName: string): Promise<Stack | undefined> {
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    return out.Stacks?.[0];
  } catch (e) {
    if (e instanceof Error && e.name === 'ValidationError' && /does not exist/.test(e.message)) return undefined;
    throw e;
  }
}

/** The id of the newest event of a stack, so a later watch reports only what happens after it. */
export async function latestEventId(cfn: CloudFormationClient, stackId: string): Promise<string | undefined> {
  const out = await cfn.send(new DescribeStackEventsCommand({ StackName: stackId }));
  return out.StackEvents?.[0]?.EventId;
}

/**
 * Polls a stack until it reaches a terminal status, reporting each new event. Events come newest first
 * and paged, so each poll reads pages until it meets an event already seen (or `after`).
 */
export async function watchStack(cfn: CloudFormationClient, stackId: string, after: string | undefined, options: WatchOptions = {}): Promise<WatchResult> {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const deadline = now() + (options.timeoutMs ?? 30 * 60_000);
  const seen = new Set<string>(after ? [after] : []);
  const failures: string[] = [];

  for (;;) {
    const fresh: StackEvent[] = [];
    let token: string | undefined;
    page: do {
      const out = await cfn.send(new DescribeStackEventsCommand({ StackName: stackId, NextToken: token }));
      for (const event of out.StackEvents ?? []) {
        if (!event.EventId || seen.has(event.EventId)) break page;
        fresh.push(event);
      }
      token = out.NextToken;
    } while (token);
    for (const event of fresh.reverse()) {
      seen.add(event.EventId as string);
      const status = event.ResourceStatus ?? 'UNKNOWN';
      if (status.endsWith('_FAILED') && event.ResourceStatusReason && !/cancelled/i.test(event.ResourceStatusReason)) {
        failures.push(`${event.LogicalResourceId} (${event.ResourceType}): ${event.ResourceStatusReason}`);
      }
      options.onProgress?.({
        timestamp: event.Timestamp ?? new Date(now()),
        logicalId: event.LogicalResourceId ?? '?',
        resourceType: event.ResourceType ?? '?',
        status,
        reason: event.ResourceStatusReason,
      });
    }

    const stack = await describeStack(cfn, stackId);
    if (!stack?.StackStatus) throw new SandboxError('not-found', `stack ${stackId} disappeared while it was being watched`);
    if (isTerminal(stack.StackStatus)) return { stack, failures };
    if (now() >= deadline) {
      throw new SandboxError('timeout', `stack ${stack.StackName} is still ${stack.StackStatus} after ${Math.round((options.timeoutMs ?? 1_800_000) / 60_000)} min; check it in the CloudFormation console`);
    }
    await sleep(options.pollIntervalMs ?? 5000);
  }
}
