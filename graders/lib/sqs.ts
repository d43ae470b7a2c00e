import { DeleteMessageCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { classifyFailure, GuardViolation, MissingRecordedCall } from '../../src/aws/errors';
import type { CheckContext } from '../../src/model/grader';
import { orNotFound } from './aws-calls';

/** A queue found by name, with every attribute GetQueueAttributes returns (all values are strings). */
export interface Queue {
  name: string;
  url: string;
  arn: string;
  attributes: Partial<Record<string, string>>;
}

/** The queue with this name in the session's region and its attributes, or undefined when there is none. */
export function describeQueue(ctx: CheckContext, name: string): Promise<Queue | undefined> {
  return ctx.memo(`sqs-queue:${name}`, async () => {
    const sqs = ctx.client(SQSClient);
    const url = (await orNotFound(sqs.send(new GetQueueUrlCommand({ QueueName: name }))))?.QueueUrl;
    if (!url) return undefined;
    // A queue deleted between the two calls is as absent as one that never existed.
    const res = await orNotFound(sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] })));
    if (!res) return undefined;
    // Asked for All, an existing queue always has attributes (QueueArn at least): none means a broken answer.
    if (!res.Attributes?.QueueArn) throw new Error(`GetQueueAttributes for ${name} returned no QueueArn; cannot judge the queue`);
    const attributes = res.Attributes;
    return { name, url, arn: attributes.QueueArn ?? `arn:aws:sqs:${ctx.region}:${ctx.accountId}:${name}`, attributes };
  });
}

/** A numeric queue attribute (VisibilityTimeout, MessageRetentionPeriod…), or undefined when absent or not a number. */
export function numberAttribute(queue: Queue, name: string): number | undefined {
  const raw = queue.attributes[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

export interface RedrivePolicy {
  /** The ARN of the dead-letter queue, when the policy names one. */
  deadLetterTargetArn?: string;
  /** Receives before SQS moves a message to the dead-letter queue; SQS accepts it as a number or a numeric string. */
  maxReceiveCount?: number;
  /** The attribute as the queue returned it, for assessors. */
  raw: string;
}

/** The queue's RedrivePolicy attribute, or undefined when the queue has no dead-letter queue. */
export function redrivePolicy(queue: Queue): RedrivePolicy | undefined {
  const raw = queue.attributes.RedrivePolicy;
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { raw };
  }
  if (parsed === null || typeof parsed !== 'object') return { raw };
  const { deadLetterTargetArn, maxReceiveCount } = parsed as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
  const count = typeof maxReceiveCount === 'number' || typeof maxReceiveCount === 'string' ? Number(maxReceiveCount) : NaN;
  return {
    raw,
    ...(typeof deadLetterTargetArn === 'string' ? { deadLetterTargetArn } : {}),
    ...(Number.isInteger(count) ? { maxReceiveCount: count } : {}),
  };
}

/**
 * Sends one probe message (a probe: the grader must declare sqs:SendMessage). DelaySeconds 0
 * overrides any delivery delay the queue has, so the message is visible at once.
 */
export async function sendProbeMessage(ctx: CheckContext, queue: Queue, body: string): Promise<string> {
  const res = await ctx.client(SQSClient).send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body, DelaySeconds: 0 }));
  if (!res.MessageId) throw new Error(`SQS accepted a message for ${queue.arn} but returned no MessageId`);
  return res.MessageId;
}

/**
 * Sends up to ten probe messages in one SendMessageBatch call (a probe: IAM authorises it as
 * sqs:SendMessage), so they are enqueued together and a consumer usually receives them in one batch.
 * Returns each entry's MessageId by its `id`. An entry SQS refused is SkillProof's problem (our own
 * call failed), so it throws rather than judging the candidate.
 */
export async function sendProbeBatch(ctx: CheckContext, queue: Queue, entries: ReadonlyArray<{ id: string; body: string }>): Promise<Map<string, string>> {
  if (entries.length === 0 || entries.length > 10) throw new Error(`SendMessageBatch takes 1 to 10 entries, not ${entries.length}`);
  const res = await ctx.client(SQSClient).send(
    new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: entries.map((e) => ({ Id: e.id, MessageBody: e.body, DelaySeconds: 0 })) }),
  );
  const failed = (res.Failed ?? []).map((f) => `${f.Id ?? '?'}: ${f.Code ?? 'error'}${f.SenderFault ? ' (sender fault)' : ''} ${f.Message ?? ''}`.trim());
  if (failed.length > 0) throw new Error(`SQS refused probe messages for ${queue.arn}: ${failed.join('; ')}`);
  const ids = new Map((res.Successful ?? []).filter((s) => s.Id && s.MessageId).map((s) => [s.Id!, s.MessageId!] as const));
  const missing = entries.filter((e) => !ids.has(e.id)).map((e) => e.id);
  if (missing.length > 0) throw new Error(`SQS accepted a batch for ${queue.arn} but returned no MessageId for ${missing.join(', ')}`);
  return ids;
}

/**
 * Where SQS says a dead-lettered message came from: the DeadLetterQueueSourceArn system attribute,
 * which SQS sets only when its redrive policy moves a message (a message anyone sent to the
 * dead-letter queue directly has none). Present only when ReceiveMessage asked for it.
 */
export function deadLetterSource(message: Message): string | undefined {
  return message.Attributes?.DeadLetterQueueSourceArn;
}

/**
 * The message's ApproximateReceiveCount, or undefined when absent. The SQS API reference defines it
 * as the receives "across all queues", so a dead-lettered message keeps the count of its source queue.
 */
export function receiveCount(message: Message): number | undefined {
  const raw = message.Attributes?.ApproximateReceiveCount;
  const count = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(count) ? count : undefined;
}

export interface WatchOptions {
  /** Which received messages are the probe's own (e.g. the body contains the run's nonce). */
  match: (message: Message) => boolean;
  /** Stop polling once the matches collected so far satisfy this. */
  done: (matches: Message[]) => boolean;
  timeoutMs: number;
  intervalMs?: number;
}

/**
 * Polls a queue with ReceiveMessage (a probe: sqs:ReceiveMessage) until `done` holds or the deadline
 * passes, and returns the matching messages seen, once each. Messages that do not match are left
 * alone: they reappear after the queue's visibility timeout. A short long-poll (2 s) asks every
 * SQS server, so a sparse queue does not answer "empty" by sampling.
 */
export async function watchQueue(ctx: CheckContext, queue: Queue, what: string, options: WatchOptions): Promise<Message[]> {
  const sqs = ctx.client(SQSClient);
  const seen = new Map<string, Message>();
  await ctx.waitFor(
    what,
    async () => {
      const res = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 2,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'DeadLetterQueueSourceArn'],
        }),
      );
      for (const message of res.Messages ?? []) {
        if (message.MessageId && options.match(message) && !seen.has(message.MessageId)) seen.set(message.MessageId, message);
      }
      return options.done([...seen.values()]) ? true : undefined;
    },
    { timeoutMs: options.timeoutMs, intervalMs: options.intervalMs ?? 5_000 },
  );
  return [...seen.values()];
}

/**
 * Deletes messages the probe received (a probe: sqs:DeleteMessage), so repeated grading does not
 * fill the candidate's queue. Best effort: the verdict is already decided, so a failure is reported,
 * not thrown.
 */
export async function deleteProbeMessages(ctx: CheckContext, queue: Queue, messages: readonly Message[]): Promise<{ deleted: number; failed: string[] }> {
  const sqs = ctx.client(SQSClient);
  let deleted = 0;
  const failed: string[] = [];
  for (const m of messages) {
    if (!m.ReceiptHandle) continue;
    try {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: m.ReceiptHandle }));
      deleted += 1;
    } catch (err) {
      // A grader bug or a replay that diverged is never "best effort".
      if (err instanceof GuardViolation || err instanceof MissingRecordedCall) throw err;
      failed.push(`${m.MessageId ?? 'message'}: ${classifyFailure(err).code}`);
    }
  }
  return { deleted, failed };
}
