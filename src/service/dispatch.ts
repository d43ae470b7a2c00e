/**
 * The queue side of grading in service mode: AttemptService's `queue` dispatcher sends each job to
 * the grading queue with SendMessageBatch. A FIFO queue (URL ending `.fifo`) gets MessageGroupId =
 * the attempt and MessageDeduplicationId = sha256 of the job id, so SQS drops a re-sent job within
 * its 5-minute deduplication window; on a standard queue the job id itself is the idempotency key
 * the worker honours (src/service/worker/process-jobs.ts).
 */
import { createHash } from 'node:crypto';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import type { GradingDispatcher } from '../attempts/attempt-service';
import type { GradingJob } from './jobs';

/** SendMessageBatch takes at most 10 entries. */
export const SQS_BATCH_LIMIT = 10;

export interface SqsDispatcherOptions {
  sqs: Pick<SQSClient, 'send'>;
  queueUrl: string;
  /** How many times entries SQS failed are sent again before giving up (default 3). */
  retries?: number;
  /** Backoff between those sends (default: 100 ms, doubling). */
  sleep?: (ms: number) => Promise<void>;
}

/** Some jobs could not be queued; the attempt is unchanged and the same submit or check enqueues them again. */
export class EnqueueFailedError extends Error {
  constructor(readonly failures: ReadonlyArray<{ jobId: string; code: string; message: string; senderFault: boolean }>) {
    super(
      `Could not queue ${failures.length} grading job(s): ${failures.map((f) => `${f.jobId} (${f.code}${f.senderFault ? ', refused' : ''}: ${f.message})`).join('; ')}. ` +
        'Nothing was graded for them; submitting again (or the next progress check) queues them again.',
    );
    this.name = 'EnqueueFailedError';
  }
}

export function messageDeduplicationId(jobId: string): string {
  return createHash('sha256').update(jobId).digest('hex');
}

export function isFifoQueue(queueUrl: string): boolean {
  return queueUrl.endsWith('.fifo');
}

function entryOf(job: GradingJob, index: number, fifo: boolean): SendMessageBatchRequestEntry {
  return {
    Id: `job-${index}`,
    MessageBody: JSON.stringify(job),
    ...(fifo ? { MessageGroupId: job.attemptId, MessageDeduplicationId: messageDeduplicationId(job.jobId) } : {}),
  };
}

/** Sends `jobs` in batches of 10; entries SQS fails are sent again, then any still failing are named in an EnqueueFailedError. */
export async function enqueueJobs(jobs: readonly GradingJob[], options: SqsDispatcherOptions): Promise<void> {
  const fifo = isFifoQueue(options.queueUrl);
  const retries = options.retries ?? 3;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const failures: Array<{ jobId: string; code: string; message: string; senderFault: boolean }> = [];
  for (let start = 0; start < jobs.length; start += SQS_BATCH_LIMIT) {
    let pending = jobs.slice(start, start + SQS_BATCH_LIMIT).map((job, i) => ({ job, entry: entryOf(job, i, fifo) }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      const out = await options.sqs.send(new SendMessageBatchCommand({ QueueUrl: options.queueUrl, Entries: pending.map((p) => p.entry) }));
      const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
      const next: typeof pending = [];
      for (const p of pending) {
        const f = failed.get(p.entry.Id);
        if (!f) continue;
        // A sender fault (a malformed entry) fails the same way again; anything else is worth another try.
        if (f.SenderFault || attempt >= retries) failures.push({ jobId: p.job.jobId, code: f.Code ?? 'Unknown', message: f.Message ?? 'no message', senderFault: f.SenderFault ?? false });
        else next.push(p);
      }
      pending = next;
      if (pending.length > 0) await sleep(100 * 2 ** attempt);
    }
  }
  if (failures.length > 0) throw new EnqueueFailedError(failures);
}

/** AttemptService's dispatcher for service mode. */
export function sqsGradingDispatcher(options: SqsDispatcherOptions): GradingDispatcher {
  return { kind: 'queue', enqueue: (jobs) => enqueueJobs(jobs, options) };
}
