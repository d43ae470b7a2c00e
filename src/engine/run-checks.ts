import { callOf, classifyFailure, describeFailure, GuardViolation, MissingRecordedCall } from '../aws/errors';
import type { GradingSession } from '../aws/session';
import { encodeValue } from '../evidence/canonical';
import type { CheckContext, LoadedCheck, LoadedGrader, Verdict, WaitOptions } from '../model/grader';
import { REPORT_FORMAT, type CheckResult, type Report, type Status } from '../model/report';
import type { TaskDefinition } from '../model/task';
import { createLimiter } from './limit';

export type Scope = 'final' | 'progress';

export interface RunChecksOptions {
  task: TaskDefinition;
  grader: LoadedGrader;
  session: GradingSession;
  accountId: string;
  /** `progress`: only `visible` checks (and what they depend on) run and are reported. */
  scope?: Scope;
  /** How many checks run at once (default 8). */
  concurrency?: number;
  /** Set when the run could not start (wrong account, no credentials): nothing is graded. */
  preflightError?: string;
  /** Called as each reported check finishes (progress display); never changes the result. */
  onCheck?: (result: CheckResult) => void;
}

/** Runs a grader's checks against a session and scores the result. Never throws for a check's sake. */
export async function runChecks(opts: RunChecksOptions): Promise<Report> {
  const { task, grader, session } = opts;
  const scope = opts.scope ?? 'final';
  const started = Date.now();
  const byId = new Map(grader.checks.map((c) => [c.id, c]));
  const reported = grader.checks.filter((c) => scope === 'final' || c.visibility === 'visible');
  const memo = new Map<string, Promise<unknown>>();
  const limit = createLimiter(opts.concurrency ?? 8);
  const results = new Map<string, Promise<CheckResult>>();

  const ctxFor = (check: LoadedCheck, signal: AbortSignal): CheckContext => ({
    client: (ctor) => session.client(ctor),
    http: session.http,
    nonce: session.config.nonce,
    attemptId: session.config.attemptId,
    region: session.config.region,
    accountId: opts.accountId,
    now: () => new Date(session.config.startedAt),
    signal,
    memo: <T>(key: string, compute: () => Promise<T>) => {
      if (!memo.has(key)) memo.set(key, compute());
      return memo.get(key) as Promise<T>;
    },
    waitFor: (what, probe, options) => waitFor(session, what, probe, options),
  });

  const execute = async (check: LoadedCheck): Promise<CheckResult> => {
    const t0 = Date.now();
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Verdict>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve({ outcome: 'ERROR', message: `the check did not finish within ${check.timeoutMs / 1000} s; grade again` });
      }, check.timeoutMs);
    });
    const { value, used } = await session.inCheck(check.id, async () => {
      try {
        return await Promise.race([check.run(ctxFor(check, controller.signal)).then(validateVerdict), timeout]);
      } catch (err) {
        return verdictForError(err);
      } finally {
        clearTimeout(timer);
      }
    });
    return toResult(check, value, used, Date.now() - t0);
  };

  const start = (check: LoadedCheck): Promise<CheckResult> => {
    let result = results.get(check.id);
    if (!result) {
      result = (async () => {
        if (opts.preflightError) return toResult(check, { outcome: 'SKIPPED', message: `not graded: ${opts.preflightError}` }, [], 0);
        const deps = await Promise.all(check.dependsOn.map((d) => start(byId.get(d)!)));
        const blocked = deps.filter((d) => d.outcome !== 'PASS');
        if (blocked.length > 0) {
          const names = blocked.map((d) => `"${d.title}"`).join(', ');
          return toResult(check, { outcome: 'SKIPPED', message: `not checked because ${names} did not pass` }, [], 0);
        }
        return limit(() => execute(check));
      })();
      results.set(check.id, result);
    }
    return result;
  };

  const checks = await Promise.all(
    reported.map(async (check) => {
      const result = await start(check);
      opts.onCheck?.(result);
      return result;
    }),
  );
  return score(task, opts, scope, checks, Date.now() - started);
}

type Decision = Omit<Verdict, 'outcome'> & { outcome: Verdict['outcome'] | 'SKIPPED' };

function toResult(check: LoadedCheck, v: Decision, evidence: number[], durationMs: number): CheckResult {
  return {
    id: check.id,
    title: check.title,
    points: check.points,
    critical: check.critical,
    visibility: check.visibility,
    outcome: v.outcome,
    message: v.message,
    ...(v.outcome === 'FAIL' ? { hint: check.hint } : {}),
    ...(v.expected !== undefined ? { expected: v.expected } : {}),
    ...(v.actual !== undefined ? { actual: v.actual } : {}),
    ...(v.resource !== undefined ? { resource: v.resource } : {}),
    evidence,
    durationMs,
  };
}

function validateVerdict(v: unknown): Verdict {
  const o = v as Partial<Verdict> | null;
  let shown: string;
  try {
    shown = String(JSON.stringify(v)).slice(0, 200);
  } catch {
    shown = String(v);
  }
  if (!o || typeof o !== 'object' || !['PASS', 'FAIL', 'ERROR'].includes(String(o.outcome)) || typeof o.message !== 'string' || o.message.length === 0) {
    return { outcome: 'ERROR', message: `grader bug: the check returned ${shown} instead of pass(...), fail(...) or error(...)` };
  }
  if (o.resource !== undefined && typeof o.resource !== 'string') {
    return { outcome: 'ERROR', message: `grader bug: the verdict's resource must be a string (an ARN), got ${typeof o.resource}` };
  }
  return { ...o, ...(o.expected !== undefined ? { expected: encodeValue(o.expected) } : {}), ...(o.actual !== undefined ? { actual: encodeValue(o.actual) } : {}) } as Verdict;
}

/** A check that throws has not shown the candidate wrong: the outcome is ERROR, never FAIL. */
export function verdictForError(err: unknown): Verdict {
  if (err instanceof GuardViolation) return { outcome: 'ERROR', message: `grader bug: ${err.message}` };
  if (err instanceof MissingRecordedCall) return { outcome: 'ERROR', message: `cannot replay: ${err.message}` };
  const call = callOf(err);
  if (call) return { outcome: 'ERROR', message: describeFailure(call, classifyFailure(err)) };
  const message = err instanceof Error ? err.message : String(err);
  return { outcome: 'ERROR', message: `grader bug: the check threw ${err instanceof Error ? err.name : typeof err}: ${message}` };
}

async function waitFor<T>(session: GradingSession, _what: string, probe: () => Promise<T | undefined>, options: WaitOptions = {}): Promise<T | undefined> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  let delay = options.intervalMs ?? 500;
  let waited = 0;
  const began = Date.now();
  for (;;) {
    const value = await session.fresh(probe);
    if (value !== undefined) return value;
    // The schedule, not the wall clock, decides the number of tries, so a replay tries as often.
    if (waited + delay > timeoutMs) return undefined;
    if (session.mode === 'live' && Date.now() - began + delay > timeoutMs) return undefined;
    await session.sleepFor(delay);
    waited += delay;
    delay = Math.min(delay * 2, 5_000);
  }
}

function score(task: TaskDefinition, opts: RunChecksOptions, scope: Scope, checks: CheckResult[], durationMs: number): Report {
  const counts = { PASS: 0, FAIL: 0, ERROR: 0, SKIPPED: 0 };
  for (const c of checks) counts[c.outcome]++;
  const scored = checks.filter((c) => c.points > 0 || c.critical);
  const possible = scored.reduce((n, c) => n + c.points, 0);
  const earned = scored.filter((c) => c.outcome === 'PASS').reduce((n, c) => n + c.points, 0);
  const criticalFailed = checks.filter((c) => c.critical && c.outcome !== 'PASS').map((c) => c.id);
  let status: Status;
  if (opts.preflightError || scored.some((c) => c.outcome === 'ERROR')) status = 'incomplete';
  else if (criticalFailed.length === 0 && (possible === 0 || earned / possible >= task.passRule.passMark)) status = 'passed';
  else status = 'failed';
  const { session } = opts;
  return {
    format: REPORT_FORMAT,
    task: { id: task.id, title: task.title, track: task.track },
    attemptId: session.config.attemptId,
    mode: session.mode,
    scope,
    region: session.config.region,
    accountId: opts.accountId,
    startedAt: session.config.startedAt.toISOString(),
    durationMs,
    status,
    ...(opts.preflightError ? { error: opts.preflightError } : {}),
    score: { earned, possible, passMark: task.passRule.passMark, criticalFailed },
    counts,
    checks,
  };
}
