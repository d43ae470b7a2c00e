/**
 * The grading worker's core: a batch of queued grading jobs in, the messages to deliver again out.
 * Delivery is at least once (duplicates, redeliveries after a visibility timeout, out of order), so
 * every job is idempotent on its `jobId`:
 *
 * - a final job whose task already has its final run in that round is acknowledged without grading
 *   (so is the loser of two concurrent duplicates: the store refuses its run, DuplicateFinalRunError);
 * - a progress job records its run under an id derived from the job id, so one check gets one run
 *   per task however often its job arrives;
 * - after a final run is recorded (or found), the round is finished if every task has its run, with
 *   the same idempotent code the inline path uses (AttemptService.completeFinalRound), and a passed
 *   assessment's credential is issued (issueCredential: one per attempt, whoever calls it);
 * - a job that waits in Step Functions (`taskToken`) is answered once its work is done; an answer
 *   Step Functions no longer wants (TaskTimedOut, InvalidToken) is logged and the job acknowledged.
 *
 * A failed job is reported alone (`batchItemFailures`), never failing the rest of the batch; a body
 * that is not a job is reported too, so after maxReceiveCount deliveries it lands in the DLQ.
 */
import { createHash } from 'node:crypto';
import { AttemptService } from '../../attempts/attempt-service';
import type { AssessmentRule, Grade } from '../../attempts/types';
import type { AttemptRecord, GradingRunRecord, RunStatus, Store } from '../../store/types';
import { parseGradingJob, type GradingJob } from '../jobs';
import { GRADING_HEARTBEAT_SECONDS, WORKER_HEARTBEAT_INTERVAL_SECONDS } from '../stack-contract';

/** One SQS message as the worker needs it. */
export interface WorkerMessage {
  messageId: string;
  body: string;
  /** ApproximateReceiveCount: 1 on the first delivery. */
  receiveCount: number;
  /** FIFO queues: the message group (the attempt). */
  groupId?: string;
}

/** What a waiting Step Functions task is told: the job's task was graded with this status. */
export interface TaskOutput {
  attemptId: string;
  taskId: string;
  status: RunStatus;
}

/** Step Functions' callbacks (SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat), see ./task-callbacks.ts. */
export interface TaskCallbacks {
  succeed(taskToken: string, output: TaskOutput): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
  /** Tells the waiting task the job is still being worked on (its HeartbeatSeconds start again). */
  heartbeat?(taskToken: string): Promise<void>;
}

/** Runs `tick` every `ms` until the returned function is called (default: setInterval, unref'd). */
export type Every = (ms: number, tick: () => void) => () => void;

const everyInterval: Every = (ms, tick) => {
  const timer = setInterval(tick, ms);
  timer.unref();
  return () => clearInterval(timer);
};

export type WorkerLog = (entry: { level: 'info' | 'warn' | 'error'; event: string; messageId?: string; jobId?: string; [key: string]: unknown }) => void;

export interface WorkerDeps {
  store: Store;
  grade: Grade;
  /** How an attempt's final runs combine (the assessment's pass rule; every task for practice). */
  ruleFor: (attempt: AttemptRecord) => AssessmentRule | Promise<AssessmentRule>;
  /** Issues the credential of a passed assessment attempt; must be idempotent (issueCredential is). Absent: none issued. */
  issue?: (attempt: AttemptRecord) => Promise<void>;
  callbacks?: TaskCallbacks;
  /** The queue's maxReceiveCount: on that delivery a job that fails again is reported to its waiting task as failed. */
  maxReceiveCount?: number;
  log?: WorkerLog;
  now?: () => Date;
  progressModelCalls?: number;
  /** How often a job that carries a task token sends a heartbeat while it is graded (default WORKER_HEARTBEAT_INTERVAL_SECONDS). */
  heartbeatIntervalMs?: number;
  /** The heartbeat's timer (tests: a hand-driven one). */
  every?: Every;
}

export type JobOutcome =
  /** Graded and recorded now. */
  | 'graded'
  /** Its run was already recorded: acknowledged without grading. */
  | 'duplicate'
  /** A newer check or round replaced it: acknowledged without grading. */
  | 'superseded'
  /** Reported for redelivery: grading, the store or a callback failed. */
  | 'failed'
  /** Reported for redelivery, but it can never succeed (not a job, no such attempt or task): it ends in the DLQ. */
  | 'rejected'
  /** FIFO: not tried, because an earlier message of its group failed (order is kept). */
  | 'deferred';

export interface ProcessResult {
  batchItemFailures: Array<{ itemIdentifier: string }>;
  outcomes: Array<{ messageId: string; jobId?: string; outcome: JobOutcome }>;
}

/** A job that can never succeed, whatever the number of deliveries. */
export class InvalidJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidJobError';
  }
}

const ACTOR = 'system';

/** The id a job's run is recorded under: the same for every delivery of the job. */
export function jobRunId(jobId: string): string {
  return `run-${createHash('sha256').update(`skillproof/grading-job/${jobId}`).digest('hex').slice(0, 12)}`;
}

const defaultLog: WorkerLog = (entry) => console.log(JSON.stringify(entry));

export async function processJobs(messages: readonly WorkerMessage[], deps: WorkerDeps): Promise<ProcessResult> {
  const attempts = new AttemptService({
    store: deps.store,
    grade: deps.grade,
    freeze: async (a) => {
      throw new Error(`a grading worker does not freeze sandboxes (attempt ${a.id}); submit freezes before queueing the final jobs`);
    },
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.progressModelCalls !== undefined ? { progressModelCalls: deps.progressModelCalls } : {}),
  });
  const log = deps.log ?? defaultLog;
  const outcomes = new Map<string, { messageId: string; jobId?: string; outcome: JobOutcome }>();
  const one = async (m: WorkerMessage): Promise<JobOutcome> => {
    const result = await processOne(m, deps, attempts, log);
    outcomes.set(m.messageId, { messageId: m.messageId, ...(result.jobId ? { jobId: result.jobId } : {}), outcome: result.outcome });
    return result.outcome;
  };
  // A FIFO group is processed in order and stops at its first failure, the rest reported unprocessed
  // (Lambda's rule for FIFO partial batches); groups, and standard-queue messages, run concurrently.
  const groups = new Map<string, WorkerMessage[]>();
  messages.forEach((m, i) => {
    const key = m.groupId !== undefined ? `group:${m.groupId}` : `message:${i}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  });
  await Promise.all(
    [...groups.values()].map(async (group) => {
      let blocked = false;
      for (const m of group) {
        if (blocked) {
          outcomes.set(m.messageId, { messageId: m.messageId, outcome: 'deferred' });
          continue;
        }
        const outcome = await one(m);
        if (outcome === 'failed' || outcome === 'rejected') blocked = true;
      }
    }),
  );
  const ordered = messages.map((m) => outcomes.get(m.messageId)!);
  return {
    batchItemFailures: ordered.filter((o) => o.outcome === 'failed' || o.outcome === 'rejected' || o.outcome === 'deferred').map((o) => ({ itemIdentifier: o.messageId })),
    outcomes: ordered,
  };
}

async function processOne(m: WorkerMessage, deps: WorkerDeps, attempts: AttemptService, log: WorkerLog): Promise<{ jobId?: string; outcome: JobOutcome }> {
  let job: GradingJob;
  try {
    job = parseGradingJob(m.body);
  } catch (e) {
    // The message's content is never logged: it may hold a task token.
    log({ level: 'error', event: 'job-rejected', messageId: m.messageId, receiveCount: m.receiveCount, error: (e as Error).message });
    return { outcome: 'rejected' };
  }
  const context = { messageId: m.messageId, jobId: job.jobId, receiveCount: m.receiveCount };
  try {
    const stopHeartbeat = job.taskToken ? heartbeat(job.taskToken, deps, log, context) : () => undefined;
    let done: Done;
    try {
      done = await runJob(job, deps, attempts);
    } finally {
      stopHeartbeat();
    }
    if (job.taskToken) {
      if (done.run) await answer(deps, log, context, () => deps.callbacks!.succeed(job.taskToken!, { attemptId: job.attemptId, taskId: job.taskId, status: done.run!.status }));
      else await answer(deps, log, context, () => deps.callbacks!.fail(job.taskToken!, 'SkillProof.Superseded', done.reason));
    }
    log({ level: 'info', event: `job-${done.outcome}`, ...context, ...(done.run ? { runId: done.run.id, status: done.run.status } : { reason: done.reason }) });
    return { jobId: job.jobId, outcome: done.outcome };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const invalid = e instanceof InvalidJobError;
    const lastTry = deps.maxReceiveCount !== undefined && m.receiveCount >= deps.maxReceiveCount;
    log({ level: 'error', event: invalid ? 'job-rejected' : 'job-failed', ...context, error: message, ...(lastTry ? { lastDelivery: true } : {}) });
    if (job.taskToken && (invalid || lastTry)) {
      const error = invalid ? 'SkillProof.InvalidJob' : 'SkillProof.GradingFailed';
      const cause = invalid ? message : `${message} (after ${m.receiveCount} deliveries; the job goes to the grading dead-letter queue)`;
      await answer(deps, log, context, () => deps.callbacks!.fail(job.taskToken!, error, cause)).catch((err: unknown) =>
        log({ level: 'error', event: 'task-callback-failed', ...context, error: (err as Error).message }),
      );
    }
    return { jobId: job.jobId, outcome: invalid ? 'rejected' : 'failed' };
  }
}

/**
 * Keeps the waiting task alive while its job is graded: a heartbeat at once (the job may have waited
 * in the queue behind others of its attempt) and then every interval, well inside the task's
 * HeartbeatSeconds (GRADING_HEARTBEAT_SECONDS). A failed heartbeat is logged, not fatal: the next
 * one follows, and grading goes on. Returns the function that stops it.
 */
function heartbeat(taskToken: string, deps: WorkerDeps, log: WorkerLog, context: Record<string, unknown>): () => void {
  const send = deps.callbacks?.heartbeat?.bind(deps.callbacks);
  if (!send) return () => undefined;
  const interval = deps.heartbeatIntervalMs ?? WORKER_HEARTBEAT_INTERVAL_SECONDS * 1000;
  if (interval >= GRADING_HEARTBEAT_SECONDS * 1000) throw new Error(`the heartbeat interval (${interval} ms) must be below the task's HeartbeatSeconds (${GRADING_HEARTBEAT_SECONDS} s)`);
  let inFlight = false;
  let stopped = false;
  const beat = () => {
    if (inFlight || stopped) return;
    inFlight = true;
    send(taskToken)
      .catch((e: unknown) => log({ level: 'warn', event: 'task-heartbeat-failed', ...context, error: (e as Error).message }))
      .finally(() => {
        inFlight = false;
      });
  };
  beat();
  const stop = (deps.every ?? everyInterval)(interval, beat);
  return () => {
    stopped = true;
    stop();
  };
}

async function answer(deps: WorkerDeps, log: WorkerLog, context: Record<string, unknown>, send: () => Promise<void>): Promise<void> {
  if (!deps.callbacks) {
    log({ level: 'warn', event: 'task-token-unanswered', ...context, reason: 'the worker has no Step Functions client' });
    return;
  }
  await send();
}

type Done = { outcome: 'graded' | 'duplicate'; run: GradingRunRecord; reason?: undefined } | { outcome: 'superseded'; run?: undefined; reason: string };

async function runJob(job: GradingJob, deps: WorkerDeps, attempts: AttemptService): Promise<Done> {
  const attempt = await deps.store.getAttempt(job.attemptId);
  if (!attempt) throw new InvalidJobError(`no attempt ${job.attemptId} in the store`);
  if (!attempt.taskIds.includes(job.taskId)) throw new InvalidJobError(`attempt ${job.attemptId} has no task ${job.taskId}`);
  const runId = jobRunId(job.jobId);
  const round = job.scope === 'final' ? job.round : 0;

  let done: Done;
  const recorded = await attempts.recordedRun(attempt.id, job.taskId, job.scope, round, runId);
  if (recorded) {
    done = { outcome: 'duplicate', run: recorded };
  } else {
    const stale = staleness(job, attempt);
    if (stale) return { outcome: 'superseded', reason: stale };
    // A concurrent duplicate may have recorded the run first; gradeTask then returns that one.
    const { run, created } = await attempts.gradeTask(attempt, job.taskId, job.scope, round, ACTOR, runId);
    done = { outcome: created ? 'graded' : 'duplicate', run };
  }
  if (job.scope === 'final') await finishRound(attempt, job.round, deps, attempts);
  return done;
}

/** Why the job no longer needs grading, or undefined when it does. */
function staleness(job: GradingJob, attempt: AttemptRecord): string | undefined {
  if (job.scope === 'progress') {
    if (attempt.state !== 'active') return `attempt ${attempt.id} is ${attempt.state}; its progress checks are over`;
    if (attempt.lastCheckAt !== job.requestedAt) return `a newer progress check (${attempt.lastCheckAt}) replaced the one at ${job.requestedAt}`;
    return undefined;
  }
  if (job.round > attempt.finalRound) {
    // The store has not shown us the submit that queued this job yet; a later delivery will see it.
    throw new Error(`attempt ${attempt.id} is at final round ${attempt.finalRound}, before this job's round ${job.round}`);
  }
  if (job.round < attempt.finalRound) return `attempt ${attempt.id} moved on to final round ${attempt.finalRound}`;
  if (attempt.state !== 'submitted') return `attempt ${attempt.id} is ${attempt.state}, not awaiting final grading`;
  return undefined;
}

async function finishRound(attempt: AttemptRecord, round: number, deps: WorkerDeps, attempts: AttemptService): Promise<void> {
  const after = await attempts.completeFinalRound(attempt.id, round, await deps.ruleFor(attempt), ACTOR);
  if (deps.issue && after.finalRound === round && after.state === 'graded' && after.result === 'passed' && after.kind === 'assessment') await deps.issue(after);
}
