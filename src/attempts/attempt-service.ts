import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { actionKey, isModelCall } from '../aws/operations';
import type { CallRecord } from '../aws/session';
import { gradingJobId, type GradingJob } from '../service/jobs';
import { ConcurrentModificationError } from '../store/errors';
import type { AttemptFilter, AttemptPatch, AttemptRecord, GradingRunRecord, SandboxRef, Store } from '../store/types';
import { resolveCandidate } from './candidate';
import { AttemptNotFoundError, GradingFailedError, InvalidAttemptInputError, RateLimitedError } from './errors';
import { IllegalTransitionError, nextState, type Transition } from './state-machine';
import { everyTaskMustPass, type AssessmentRule, type AttemptTarget, type Freeze, type Grade, type GradeResult } from './types';

export const DEFAULT_CHECK_INTERVAL_MS = 30_000;

/**
 * How many model calls (InvokeAgent, InvokeAgentRuntime, Retrieve, ApplyGuardrail…; every try counts)
 * the progress checks of one attempt may make per task, over all its progress checks. Past it, a
 * progress run's behavioural checks are not sent (ERROR, "not sent"); the final grading has no limit.
 */
export const DEFAULT_PROGRESS_MODEL_CALLS = 60;

export interface AttemptServiceOptions {
  store: Store;
  grade: Grade;
  freeze: Freeze;
  now?: () => Date;
  /** Minimum time between two progress checks of one attempt. */
  checkIntervalMs?: number;
  /** Model calls the progress checks of one attempt may make per task (default DEFAULT_PROGRESS_MODEL_CALLS). */
  progressModelCalls?: number;
  /** Where a submit or progress check gets its tasks graded (default INLINE_GRADING). */
  dispatcher?: GradingDispatcher;
}

/**
 * Inline: graded in this process before the call returns (the CLI, the embedded portal). Queue: one
 * grading job per task is handed to `enqueue` (service mode: SQS, src/service/dispatch.ts) and the
 * call returns at once; a worker records each run and finishes the round (`completeFinalRound`).
 */
export type GradingDispatcher = { kind: 'inline' } | { kind: 'queue'; enqueue: (jobs: readonly GradingJob[]) => Promise<void> };

export const INLINE_GRADING: GradingDispatcher = { kind: 'inline' };

export interface CreateAttemptInput {
  /** Pseudonymous id or e-mail address (kept only as a salted hash). */
  candidate: string;
  target: AttemptTarget;
  sandbox: SandboxRef;
  /** Counted from `start`; null or absent for no limit. */
  timeLimitMinutes?: number | null;
  actor?: string;
}

export interface CheckResult {
  attempt: AttemptRecord;
  /** One progress run per task, in the attempt's task order (none yet when the check was queued). */
  runs: GradingRunRecord[];
  nextCheckAt: string;
  /** Queued grading: the ids of the jobs that will record this check's runs. */
  queued?: string[];
}

/** What the budget reads of a recorded call (src/aws/session CallRecord). */
type RecordedCall = Pick<CallRecord, 'service' | 'operation' | 'error'>;

interface ActorOption {
  actor?: string;
}

const sandboxSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('aws'),
    accountId: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
    roleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'must be an IAM role ARN'),
    externalId: z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2-1224 characters of letters, digits and +=,.@:/-'),
  }),
  z.strictObject({ kind: z.literal('replay'), path: z.string().min(1, 'must name an evidence file or folder') }),
]);

const PAST: Record<Transition, string> = {
  start: 'started',
  submit: 'submitted',
  grade: 'graded',
  regrade: 'regrade-requested',
  credential: 'credentialed',
  expire: 'expired',
  cancel: 'cancelled',
};

/**
 * The life of an attempt. Every step is one store transaction, so a process killed at any point
 * leaves the attempt in a state from which calling the same operation again finishes the job.
 */
export class AttemptService {
  private readonly store: Store;
  private readonly grade: Grade;
  private readonly freeze: Freeze;
  private readonly now: () => Date;
  private readonly checkIntervalMs: number;
  private readonly progressModelCalls: number;
  private readonly dispatcher: GradingDispatcher;

  constructor(options: AttemptServiceOptions) {
    this.store = options.store;
    this.grade = options.grade;
    this.freeze = options.freeze;
    this.now = options.now ?? (() => new Date());
    this.checkIntervalMs = options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS;
    this.progressModelCalls = options.progressModelCalls ?? DEFAULT_PROGRESS_MODEL_CALLS;
    this.dispatcher = options.dispatcher ?? INLINE_GRADING;
  }

  /**
   * Model calls the attempt's earlier progress runs of `taskId` sent, read from their evidence (every
   * try of a model call counts; calls the budget refused were never sent).
   */
  async progressModelCallsSpent(attemptId: string, taskId: string): Promise<number> {
    let spent = 0;
    for (const run of await this.store.listGradingRuns(attemptId, { scope: 'progress' })) {
      if (run.taskId !== taskId) continue;
      const stored = await this.store.getEvidenceBundle(run.bundleSha256);
      const calls = stored ? ((JSON.parse(stored.json) as { transcript?: RecordedCall[] }).transcript ?? []) : [];
      spent += calls.filter((c) => isModelCall(actionKey(c.service, c.operation)) && c.error?.code !== 'ModelCallBudgetExhausted').length;
    }
    return spent;
  }

  async create(input: CreateAttemptInput): Promise<AttemptRecord> {
    const actor = input.actor ?? 'system';
    const sandbox = sandboxSchema.safeParse(input.sandbox);
    if (!sandbox.success) {
      const issue = sandbox.error.issues[0];
      throw new InvalidAttemptInputError(`Sandbox ${issue?.path.join('.') || 'reference'} ${issue?.message ?? 'is invalid'}.`);
    }
    if (sandbox.data.kind === 'aws' && !sandbox.data.roleArn.includes(`::${sandbox.data.accountId}:`)) {
      throw new InvalidAttemptInputError(
        `Sandbox role ${sandbox.data.roleArn} is not in account ${sandbox.data.accountId}; the grader only assumes roles in the candidate's account.`,
      );
    }
    const { targetId, taskIds } = resolveTarget(input.target);
    const limit = input.timeLimitMinutes ?? null;
    if (limit !== null && !(Number.isInteger(limit) && limit > 0)) {
      throw new InvalidAttemptInputError(`Time limit must be a whole number of minutes above 0; got ${limit}.`);
    }
    const candidate = await resolveCandidate(this.store, input.candidate, actor);
    const id = `att-${randomBytes(6).toString('hex')}`;
    return this.store.createAttempt(
      {
        id,
        candidateId: candidate.id,
        kind: input.target.kind,
        targetId,
        taskIds,
        sandbox: sandbox.data,
        timeLimitSeconds: limit === null ? null : limit * 60,
      },
      { actor, action: 'attempt.created', subject: id, data: { candidateId: candidate.id, kind: input.target.kind, targetId, taskIds, sandbox: sandbox.data.kind } },
    );
  }

  async get(id: string): Promise<AttemptRecord> {
    const attempt = await this.store.getAttempt(id);
    if (!attempt) throw new AttemptNotFoundError(id);
    return attempt;
  }

  async list(filter?: AttemptFilter): Promise<AttemptRecord[]> {
    return this.store.listAttempts(filter);
  }

  async runs(id: string): Promise<GradingRunRecord[]> {
    await this.get(id);
    return this.store.listGradingRuns(id);
  }

  /** The sandbox is ready: the clock starts. */
  async start(id: string, options: ActorOption = {}): Promise<AttemptRecord> {
    const attempt = await this.get(id);
    const startedAt = this.now();
    const expiresAt = attempt.timeLimitSeconds === null ? null : new Date(startedAt.getTime() + attempt.timeLimitSeconds * 1000).toISOString();
    return this.transition(attempt, 'start', { startedAt: startedAt.toISOString(), expiresAt }, options.actor);
  }

  /**
   * A progress run over every task. Rate-limited per attempt (the slot is taken before grading, so
   * a failing grader cannot be hammered either); the caller shows only the `visible` checks.
   */
  async check(id: string, options: ActorOption = {}): Promise<CheckResult> {
    const actor = options.actor ?? 'system';
    let attempt = await this.expireIfOverdue(id);
    if (attempt.state !== 'active') {
      throw new IllegalTransitionError(attempt.id, attempt.state, attempt.result, 'check', 'progress checks are only possible while active');
    }
    const now = this.now();
    if (attempt.lastCheckAt) {
      const wait = Date.parse(attempt.lastCheckAt) + this.checkIntervalMs - now.getTime();
      if (wait > 0) throw new RateLimitedError(attempt.id, wait);
    }
    attempt = await this.store.updateAttempt(
      { attemptId: attempt.id, expectedVersion: attempt.version, patch: { lastCheckAt: now.toISOString() } },
      { actor, action: 'attempt.check-requested', subject: attempt.id },
    );
    const nextCheckAt = new Date(now.getTime() + this.checkIntervalMs).toISOString();
    if (this.dispatcher.kind === 'queue') {
      const queued = await this.enqueue(this.dispatcher, attempt, attempt.taskIds, 'progress', 0);
      return { attempt, runs: [], nextCheckAt, queued };
    }
    const runs = await this.gradeTasks(attempt, attempt.taskIds, 'progress', 0, actor);
    return { attempt, runs, nextCheckAt };
  }

  /**
   * Submits (if still active), freezes the sandbox, runs the final grading of each task not yet
   * graded in this round, and records the result. Calling it again on a submitted attempt resumes.
   * Queued grading returns the attempt still `submitted`, its jobs enqueued; a worker records the result.
   */
  async submit(id: string, options: ActorOption & { rule?: AssessmentRule } = {}): Promise<AttemptRecord> {
    const actor = options.actor ?? 'system';
    return this.finishFinalRound(await this.markSubmitted(id, { actor }), options.rule ?? everyTaskMustPass, actor);
  }

  /**
   * The submit transition alone (a new final round), or the attempt as it is when already submitted;
   * nothing is frozen or graded. The service's lifecycle (Step Functions) does the rest.
   */
  async markSubmitted(id: string, options: ActorOption = {}): Promise<AttemptRecord> {
    const attempt = await this.expireIfOverdue(id);
    if (attempt.state === 'expired' && attempt.expiresAt) {
      throw new IllegalTransitionError(attempt.id, attempt.state, null, 'submit', `the time limit passed at ${attempt.expiresAt}`);
    }
    if (attempt.state === 'submitted') return attempt;
    return this.transition(attempt, 'submit', { submittedAt: this.now().toISOString(), finalRound: attempt.finalRound + 1 }, options.actor ?? 'system');
  }

  /** Admin: re-runs the final grading of an incomplete attempt (failed and passed are final). */
  async regrade(id: string, options: { actor: string; rule?: AssessmentRule }): Promise<AttemptRecord> {
    return this.finishFinalRound(await this.requestRegrade(id, options), options.rule ?? everyTaskMustPass, options.actor);
  }

  /** The regrade transition alone: the attempt submitted again, in a new final round, not yet graded. */
  async requestRegrade(id: string, options: { actor: string }): Promise<AttemptRecord> {
    const graded = await this.get(id);
    return this.transition(graded, 'regrade', { result: null, gradedAt: null, finalRound: graded.finalRound + 1 }, options.actor);
  }

  async cancel(id: string, options: ActorOption & { reason?: string } = {}): Promise<AttemptRecord> {
    return this.transition(await this.get(id), 'cancel', {}, options.actor, options.reason ? { reason: options.reason } : {});
  }

  /** Expires the attempt if its time limit has passed while it was still open; returns it either way. */
  async expireIfOverdue(id: string): Promise<AttemptRecord> {
    const attempt = await this.get(id);
    if (!this.isOverdue(attempt)) return attempt;
    return this.transition(attempt, 'expire', {}, 'system', { expiresAt: attempt.expiresAt });
  }

  /** Sweeps every open attempt whose time limit has passed. */
  async expireOverdue(): Promise<AttemptRecord[]> {
    const open = await this.store.listAttempts({ state: 'active' });
    const expired: AttemptRecord[] = [];
    for (const attempt of open.filter((a) => this.isOverdue(a))) expired.push(await this.expireIfOverdue(attempt.id));
    return expired;
  }

  private isOverdue(attempt: AttemptRecord): boolean {
    return (
      (attempt.state === 'created' || attempt.state === 'active') &&
      attempt.expiresAt !== null &&
      this.now().getTime() >= Date.parse(attempt.expiresAt)
    );
  }

  private async finishFinalRound(submitted: AttemptRecord, rule: AssessmentRule, actor: string): Promise<AttemptRecord> {
    let attempt = submitted;
    if (!attempt.frozenAt) {
      await this.freeze(attempt);
      attempt = await this.store.updateAttempt(
        { attemptId: attempt.id, expectedVersion: attempt.version, patch: { frozenAt: this.now().toISOString() } },
        { actor, action: 'attempt.frozen', subject: attempt.id, data: { sandbox: attempt.sandbox.kind } },
      );
    }
    const round = attempt.finalRound;
    const graded = new Set((await this.store.listGradingRuns(attempt.id, { scope: 'final', round })).map((r) => r.taskId));
    const missing = attempt.taskIds.filter((t) => !graded.has(t));
    if (this.dispatcher.kind === 'queue' && missing.length > 0) {
      await this.enqueue(this.dispatcher, attempt, missing, 'final', round);
      return attempt;
    }
    await this.gradeTasks(attempt, missing, 'final', round, actor);
    return this.completeFinalRound(attempt.id, round, rule, actor);
  }

  /**
   * Records the result of final round `round` once every task has its final run: the `grade`
   * transition, with compare-and-set on the attempt. Idempotent, so every worker that records a
   * final run may call it: before the last run lands it returns the attempt still submitted; after
   * another caller graded the round (or a later round began) it returns the attempt as it is; a
   * concurrent finisher's ConcurrentModificationError makes it read the attempt again, not fail.
   */
  async completeFinalRound(id: string, round: number, rule: AssessmentRule, actor = 'system'): Promise<AttemptRecord> {
    for (;;) {
      const attempt = await this.get(id);
      if (attempt.state !== 'submitted' || attempt.finalRound !== round) return attempt;
      const finals = await this.store.listGradingRuns(attempt.id, { scope: 'final', round });
      const byTask = new Map(finals.map((r) => [r.taskId, r]));
      if (attempt.taskIds.some((t) => !byTask.has(t))) return attempt;
      const result = rule(attempt.taskIds.map((taskId) => ({ taskId, status: byTask.get(taskId)!.status })));
      try {
        return await this.transition(attempt, 'grade', { result, gradedAt: this.now().toISOString() }, actor, {
          result,
          round,
          runs: attempt.taskIds.map((taskId) => ({ taskId, runId: byTask.get(taskId)?.id, status: byTask.get(taskId)?.status, bundle: byTask.get(taskId)?.bundleSha256 })),
        });
      } catch (e) {
        if (!(e instanceof ConcurrentModificationError)) throw e;
      }
    }
  }

  /** Hands one job per task to the queue; returns their ids. */
  private async enqueue(
    dispatcher: Extract<GradingDispatcher, { kind: 'queue' }>,
    attempt: AttemptRecord,
    taskIds: readonly string[],
    scope: 'progress' | 'final',
    round: number,
  ): Promise<string[]> {
    const enqueuedAt = this.now().toISOString();
    const jobs = taskIds.map((taskId): GradingJob => {
      const base = { attemptId: attempt.id, taskId, scope, round, ...(scope === 'progress' && attempt.lastCheckAt ? { requestedAt: attempt.lastCheckAt } : {}) };
      return { v: 1, jobId: gradingJobId(base), ...base, accountId: sandboxAccount(attempt), enqueuedAt };
    });
    await dispatcher.enqueue(jobs);
    return jobs.map((j) => j.jobId);
  }

  /**
   * Grades tasks concurrently and records each run (with its evidence bundle) as soon as it is
   * done, so a crash loses at most the runs still in flight. Throws after all have settled.
   */
  private async gradeTasks(
    attempt: AttemptRecord,
    taskIds: string[],
    scope: 'progress' | 'final',
    round: number,
    actor: string,
  ): Promise<GradingRunRecord[]> {
    const settled = await Promise.allSettled(taskIds.map(async (taskId) => (await this.gradeTask(attempt, taskId, scope, round, actor)).run));
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) throw failure.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<GradingRunRecord>).value);
  }

  /**
   * Grades one task and records the run. If the run cannot be recorded because it already is (another
   * process resumed the same round and recorded this task's final run first, or a queued job's
   * duplicate recorded the run with the same `runId`), returns the recorded run with `created` false.
   */
  async gradeTask(
    attempt: AttemptRecord,
    taskId: string,
    scope: 'progress' | 'final',
    round: number,
    actor: string,
    runId = `run-${randomBytes(6).toString('hex')}`,
  ): Promise<{ run: GradingRunRecord; created: boolean }> {
    const startedAt = this.now().toISOString();
    let result: GradeResult;
    try {
      const modelCallBudget = scope === 'progress' ? Math.max(0, this.progressModelCalls - (await this.progressModelCallsSpent(attempt.id, taskId))) : undefined;
      result = await this.grade({ taskId, attemptId: attempt.id, sandbox: attempt.sandbox, scope, ...(modelCallBudget !== undefined ? { modelCallBudget } : {}) });
    } catch (e) {
      throw new GradingFailedError(attempt.id, taskId, e);
    }
    try {
      const run = await this.store.recordGradingRun(
        {
          id: runId,
          attemptId: attempt.id,
          taskId,
          scope,
          round,
          status: result.status,
          report: result.report,
          bundle: result.bundle,
          startedAt,
          finishedAt: this.now().toISOString(),
        },
        { actor, action: `grading.${scope}-run`, subject: attempt.id, data: { runId, taskId, round, status: result.status, bundle: result.bundle.sha256 } },
      );
      return { run, created: true };
    } catch (e) {
      const existing = await this.recordedRun(attempt.id, taskId, scope, round, runId).catch(() => undefined);
      if (existing) return { run: existing, created: false };
      throw e;
    }
  }

  /** The run already recorded for this task: the round's final run, or the progress run with this id. */
  async recordedRun(attemptId: string, taskId: string, scope: 'progress' | 'final', round: number, runId: string): Promise<GradingRunRecord | undefined> {
    const runs = await this.store.listGradingRuns(attemptId, { scope, round });
    return runs.find((r) => (scope === 'final' ? r.taskId === taskId : r.id === runId));
  }

  private async transition(
    attempt: AttemptRecord,
    transition: Transition,
    patch: AttemptPatch,
    actor = 'system',
    data: Record<string, unknown> = {},
  ): Promise<AttemptRecord> {
    const to = nextState(attempt, transition);
    return this.store.updateAttempt(
      { attemptId: attempt.id, expectedVersion: attempt.version, patch: { ...patch, state: to } },
      { actor, action: `attempt.${PAST[transition]}`, subject: attempt.id, data: { from: attempt.state, to, ...data } },
    );
  }
}

/** The account a job's grading calls go to, for the per-account rate bound (a replay calls none). */
function sandboxAccount(attempt: AttemptRecord): string {
  return attempt.sandbox.kind === 'aws' ? attempt.sandbox.accountId : 'replay';
}

function resolveTarget(target: AttemptTarget): { targetId: string; taskIds: string[] } {
  const id = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
  if (target.kind === 'practice') {
    if (!id.test(target.taskId)) throw new InvalidAttemptInputError(`Task id "${target.taskId}" must be kebab-case, e.g. "serverless-orders-api".`);
    return { targetId: target.taskId, taskIds: [target.taskId] };
  }
  if (!id.test(target.assessmentId)) {
    throw new InvalidAttemptInputError(`Assessment id "${target.assessmentId}" must be kebab-case, e.g. "aws-serverless".`);
  }
  if (target.taskIds.length === 0) throw new InvalidAttemptInputError(`Assessment ${target.assessmentId} has no tasks; an attempt needs at least one.`);
  const bad = target.taskIds.find((t) => !id.test(t));
  if (bad !== undefined) throw new InvalidAttemptInputError(`Task id "${bad}" of assessment ${target.assessmentId} must be kebab-case.`);
  if (new Set(target.taskIds).size !== target.taskIds.length) {
    throw new InvalidAttemptInputError(`Assessment ${target.assessmentId} lists a task twice; each task is graded once per round.`);
  }
  return { targetId: target.assessmentId, taskIds: [...target.taskIds] };
}
