/**
 * A grading job: one task of one attempt, graded by a worker. The submit or progress check that
 * creates jobs and the worker that runs them (and the Step Functions lifecycle that waits for them)
 * agree on this shape only. Delivery is at-least-once, so `jobId` is deterministic: the same
 * grading round of the same task always has the same id, and a worker that sees a job whose run
 * is already recorded acknowledges it without grading again.
 */
import { z } from 'zod';

/** Environment the service's Lambda functions read (set by cdk/lib/service-stack.ts). */
export const SERVICE_ENV = {
  /** `dynamodb:<table>` (or `sqlite:<dir>` for a local run), as `--store` takes it. */
  store: 'SKILLPROOF_STORE',
  /** S3 bucket holding evidence bundles, keyed by their sha256. */
  evidenceBucket: 'SKILLPROOF_EVIDENCE_BUCKET',
  /** URL of the grading queue. */
  gradingQueueUrl: 'SKILLPROOF_GRADING_QUEUE_URL',
  /** Largest number of AWS calls per second the graders may make into one sandbox account. */
  accountCallsPerSecond: 'SKILLPROOF_ACCOUNT_CALLS_PER_SECOND',
  /** The grading queue's redrive maxReceiveCount: on that delivery a failing job tells its waiting task it failed. */
  gradingMaxReceives: 'SKILLPROOF_GRADING_MAX_RECEIVES',
} as const;

export const gradingJobSchema = z
  .object({
    v: z.literal(1),
    /** `<attemptId>/<scope>/<round or check instant>/<taskId>`: equal for redeliveries of the same work. */
    jobId: z.string().min(1).max(512),
    attemptId: z.string().min(1),
    taskId: z.string().min(1),
    scope: z.enum(['progress', 'final']),
    /** The attempt's `finalRound` for a final job; 0 for progress. */
    round: z.number().int().min(0),
    /** Progress jobs: the attempt's `lastCheckAt` that requested them (one check, one set of runs). */
    requestedAt: z.string().datetime().optional(),
    /** The sandbox account the grader will call, for the per-account rate bound. */
    accountId: z.string().min(1),
    enqueuedAt: z.string().datetime(),
    /** Set when the attempt lifecycle (Step Functions, waitForTaskToken) waits for this job. */
    taskToken: z.string().min(1).max(1024).optional(),
  })
  .strict();

export type GradingJob = z.infer<typeof gradingJobSchema>;

export function gradingJobId(job: Pick<GradingJob, 'attemptId' | 'scope' | 'round' | 'requestedAt' | 'taskId'>): string {
  const when = job.scope === 'final' ? String(job.round) : (job.requestedAt ?? 'unrequested');
  return `${job.attemptId}/${job.scope}/${when}/${job.taskId}`;
}

/** Parses a message body, naming what is wrong (the worker sends such a message to the DLQ untouched). */
export function parseGradingJob(body: string): GradingJob {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    // Not JSON.parse's message: it quotes the body, which may hold the job's task token.
    throw new Error(`grading job is not JSON (${body.length} characters)`);
  }
  const parsed = gradingJobSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`grading job is malformed at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}
