import { AsyncLocalStorage } from 'node:async_hooks';
import { actionKey, isReadAction } from '../../src/aws/operations';
import { GradingSession, type Responder } from '../../src/aws/session';
import { gradeSimulated, regrade } from '../../src/engine/grade';
import { recordedRun, type PassFixture } from '../reliability/support/pass-fixtures';
import { callKey, transcriptWorld } from '../reliability/support/transcript-world';
import { median, round, sleep } from './stats';

/**
 * Grade latency of each task's passing fixture, replayed with a real delay per call, against:
 *
 * - its lower bound: latency x (the preflight call + the heaviest dependsOn path), where a check
 *   weighs the longest chain of its own calls that ran one after another. The chains come from a
 *   calibration replay with unlimited concurrency: each call's start and end are timed, and a call
 *   extends a chain only if it started after the previous one ended, i.e. the check awaited it.
 *   Calls a check found in the memo (another check sent them) and calls it sent in parallel are
 *   not counted, so no scheduler, however good, can finish the grade sooner than this.
 * - the same replay with one check at a time (concurrency 1).
 *
 * The calibration run also counts API calls against distinct reads: a read sent again outside a
 * waitFor poll (where repeating is the point) and not as a retry is a duplicate the memo missed.
 */

export interface LatencyResult {
  task: string;
  fixture: string;
  status: string;
  calls: number;
  wallMs: number;
  lowerBoundMs: number;
  ratio: number;
  sequentialMs: number;
  /** The calls on the bound's path, e.g. "preflight 1 > api-exists 2 > post-route 3". */
  criticalPath: string;
}

export interface CallCount {
  task: string;
  apiCalls: number;
  reads: number;
  distinctReads: number;
  pollRepeats: number;
  retries: number;
  probes: number;
  duplicateReads: number;
}

interface TimedCall {
  service: string;
  operation: string;
  key: string;
  poll: boolean;
  start: number;
  end: number;
}

const CALIBRATION_LATENCY_MS = 10;
const polling = new AsyncLocalStorage<boolean>();

/** Marks the calls made inside ctx.waitFor (they go through session.fresh) while `fn` runs. */
async function markingPolls<T>(fn: () => Promise<T>): Promise<T> {
  const proto = GradingSession.prototype;
  const fresh = proto.fresh;
  proto.fresh = function <R>(this: GradingSession, probe: () => Promise<R>): Promise<R> {
    return polling.run(true, () => fresh.call(this, probe) as Promise<R>);
  };
  try {
    return await fn();
  } finally {
    proto.fresh = fresh;
  }
}

/** The longest chain of calls in which each started after the previous one ended. */
function chainLength(calls: readonly TimedCall[]): number {
  const sorted = [...calls].sort((a, b) => a.start - b.start);
  const best: number[] = [];
  sorted.forEach((c, i) => {
    best[i] = 1 + Math.max(0, ...sorted.slice(0, i).flatMap((p, j) => (p.end <= c.start ? [best[j]!] : [])));
  });
  return Math.max(0, ...best);
}

async function calibrate(fx: PassFixture) {
  const world = transcriptWorld(fx.bundle.transcript);
  const calls: TimedCall[] = [];
  const responder: Responder = async (service, operation, input) => {
    const call: TimedCall = { service, operation, key: callKey(service, operation, input), poll: polling.getStore() === true, start: performance.now(), end: 0 };
    calls.push(call);
    await sleep(CALIBRATION_LATENCY_MS);
    call.end = performance.now();
    return world(service, operation, input);
  };
  const { bundle } = await markingPolls(() =>
    gradeSimulated(fx.entry, {
      responder,
      ...recordedRun(fx),
      concurrency: 1000,
    }),
  );
  // The session calls the responder right after recording each call, so the n-th call is seq n.
  bundle.transcript.forEach((r, i) => {
    const c = calls[i];
    if (!c || c.service !== r.service || c.operation !== r.operation) throw new Error(`${fx.label}: calibration call ${i} does not match transcript seq ${r.seq}`);
  });
  return { calls, transcript: bundle.transcript };
}

function lowerBound(fx: PassFixture, calls: TimedCall[], checkOf: Array<string | undefined>, latencyMs: number) {
  const own = (check: string | undefined) => calls.filter((_, i) => checkOf[i] === check);
  const depth = new Map(fx.entry.grader.checks.map((c) => [c.id, chainLength(own(c.id))]));
  const heaviest = new Map<string, { weight: number; path: string[] }>();
  const walk = (id: string): { weight: number; path: string[] } => {
    const known = heaviest.get(id);
    if (known) return known;
    const check = fx.entry.grader.checks.find((c) => c.id === id)!;
    const before = check.dependsOn.map(walk).sort((a, b) => b.weight - a.weight)[0] ?? { weight: 0, path: [] };
    const result = { weight: before.weight + depth.get(id)!, path: [...before.path, `${id} ${depth.get(id)}`] };
    heaviest.set(id, result);
    return result;
  };
  const top = fx.entry.grader.checks.map((c) => walk(c.id)).sort((a, b) => b.weight - a.weight)[0]!;
  const preflight = chainLength(own(undefined));
  // In the calibration replay every call starts as soon as what it waits on has ended (unlimited
  // concurrency), so the longest chain of calls each starting after the previous one ended is the
  // longest chain of dependent calls, including waits on another check's call shared via the memo.
  const overall = chainLength(calls);
  const path = [`preflight ${preflight}`, ...top.path].join(' > ');
  return { ms: latencyMs * Math.max(preflight + top.weight, overall), path: overall > preflight + top.weight ? `${path} (longest dependent chain across checks: ${overall} calls)` : path };
}

function countCalls(task: string, calls: TimedCall[], tries: number[]): CallCount {
  const seen = new Set<string>();
  const count: CallCount = { task, apiCalls: calls.length, reads: 0, distinctReads: 0, pollRepeats: 0, retries: 0, probes: 0, duplicateReads: 0 };
  calls.forEach((c, i) => {
    const retry = (tries[i] ?? 1) > 1;
    if (retry) count.retries++;
    if (c.service === 'HTTP' || !isReadAction(actionKey(c.service, c.operation))) {
      count.probes++;
      return;
    }
    count.reads++;
    if (seen.has(c.key) && !retry) {
      if (c.poll) count.pollRepeats++;
      else count.duplicateReads++;
    }
    seen.add(c.key);
  });
  count.distinctReads = seen.size;
  return count;
}

export async function measureLatency(fixtures: PassFixture[], options: { latencyMs: number; repeats: number }) {
  const latency: LatencyResult[] = [];
  const counts: CallCount[] = [];
  for (const fx of fixtures) {
    const { calls, transcript } = await calibrate(fx);
    const bound = lowerBound(fx, calls, transcript.map((r) => r.check), options.latencyMs);
    counts.push(countCalls(fx.entry.task.id, calls, transcript.map((r) => r.try)));
    const walls: number[] = [];
    let status = '';
    for (let i = 0; i < options.repeats; i++) {
      const t0 = performance.now();
      status = (await regrade(fx.entry, fx.bundle, { latencyMs: options.latencyMs })).report.status;
      walls.push(performance.now() - t0);
    }
    const wallMs = median(walls);
    latency.push({
      task: fx.entry.task.id,
      fixture: fx.label,
      status,
      calls: calls.length,
      wallMs: round(wallMs),
      lowerBoundMs: bound.ms,
      ratio: round(wallMs / bound.ms, 2),
      sequentialMs: 0,
      criticalPath: bound.path,
    });
  }
  // One check at a time is mostly waiting, so the tasks' sequential replays share the process.
  await Promise.all(
    fixtures.map(async (fx, i) => {
      const t0 = performance.now();
      await regrade(fx.entry, fx.bundle, { latencyMs: options.latencyMs, concurrency: 1 });
      latency[i]!.sequentialMs = round(performance.now() - t0);
    }),
  );
  return { latency, counts };
}
