import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Responder } from '../../src/aws/session';
import { gradeSimulated } from '../../src/engine/grade';
import { awsError } from '../../src/testing/fake-account';
import { recordedRun, type PassFixture } from '../reliability/support/pass-fixtures';
import { transcriptWorld } from '../reliability/support/transcript-world';
import { busyShare, machineCpu, ownCpuMs, round, sleep } from './stats';

/**
 * Many attempts graded at once against simulated sandbox accounts, each of which admits at most
 * `rps` requests in any one-second window and throttles the rest, as AWS does. Each account's
 * requests go through a pacer that sends a request only when the account would admit it, so the
 * scheduler never provokes throttling; every attempt replays one task's passing fixture. An account
 * grades one attempt at a time (its calls alone keep the account's budget busy); the accounts are
 * split over one worker thread per core.
 *
 * The bound: an account admits at most `rps` calls in a second, so the run cannot end before its
 * busiest account (the most calls, given the attempts it was dealt) has sent its last call:
 * (ceil(calls / rps) - 1) s after the first, plus that call's latency. The fleet bound, which
 * assumes attempts could be spread over accounts perfectly, is accounts x rps x 60 / calls per attempt.
 */

export interface ThroughputOptions {
  accounts: number;
  attemptsPerAccount: number;
  rps: number;
  latencyMs: number;
  /** Worker threads grading (one per core): accounts are split between them. */
  workers: number;
  /** Work around the session async-context leak in the workers too. */
}

export interface ThroughputResult {
  attempts: number;
  accounts: number;
  requestsPerSecondPerAccount: number;
  workers: number;
  wallMs: number;
  attemptsPerMinute: number;
  boundPerMinute: number;
  fleetBoundPerMinute: number;
  ratio: number;
  throttlingErrors: number;
  callsPerAttempt: number;
  passed: number;
  peakRssMb: number;
  /** CPU used (all threads) over the machine's CPU time during the run. */
  cpuBusy: number;
  /** The machine's busy share over the run, every process counted (null where /proc/stat is not there). */
  machineBusy: number | null;
}

const WINDOW_MS = 1000;

/** What AWS enforces: at most `limit` requests admitted in any window (t - 1 s, t]. */
export class AccountLimit {
  private admitted: number[] = [];
  throttled = 0;
  calls = 0;
  constructor(private readonly limit: number) {}
  admit(at: number): boolean {
    while (this.admitted.length && this.admitted[0]! <= at - WINDOW_MS) this.admitted.shift();
    if (this.admitted.length >= this.limit) {
      this.throttled++;
      return false;
    }
    this.admitted.push(at);
    this.calls++;
    return true;
  }
}

/** The scheduler's side: hands out send times, first come first served, never more than the limit in a window. */
class Pacer {
  private readonly sent: number[] = [];
  private readonly waiting: Array<(at: number) => void> = [];
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly limit: number) {}

  next(): Promise<number> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.pump();
    });
  }

  private pump(): void {
    while (this.waiting.length && !this.timer) {
      const now = performance.now();
      const free = this.sent.length < this.limit ? now : this.sent[this.sent.length - this.limit]! + WINDOW_MS;
      if (free > now) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, free - now);
        return;
      }
      this.sent.push(now);
      if (this.sent.length > this.limit) this.sent.shift();
      this.waiting.shift()!(now);
    }
  }
}

function accountResponder(fx: PassFixture, pacer: Pacer, limit: AccountLimit, latencyMs: number): Responder {
  const world = transcriptWorld(fx.bundle.transcript);
  return async (service, operation, input) => {
    const at = await pacer.next();
    if (!limit.admit(at)) throw awsError('ThrottlingException', 'Rate exceeded', 400);
    await sleep(latencyMs);
    return world(service, operation, input);
  };
}

/**
 * Deals the attempts (every task's fixture equally often) to accounts, `perAccount` each, so that
 * the accounts' call totals are as even as possible: the longest first, to the least loaded account.
 */
export function deal(fixtures: PassFixture[], accounts: number, perAccount: number): PassFixture[][] {
  const attempts = Array.from({ length: accounts * perAccount }, (_, i) => fixtures[i % fixtures.length]!);
  attempts.sort((a, b) => b.bundle.transcript.length - a.bundle.transcript.length);
  const queues: PassFixture[][] = Array.from({ length: accounts }, () => []);
  const load = new Array<number>(accounts).fill(0);
  for (const fx of attempts) {
    let best = -1;
    for (let a = 0; a < accounts; a++) if (queues[a]!.length < perAccount && (best < 0 || load[a]! < load[best]!)) best = a;
    queues[best]!.push(fx);
    load[best]! += fx.bundle.transcript.length;
  }
  return queues;
}

export interface AccountsResult {
  calls: number[];
  throttled: number;
  passed: number;
}

/** Grades each account's queue of attempts, one attempt at a time per account, all accounts at once. */
export async function gradeAccounts(queues: PassFixture[][], o: Pick<ThroughputOptions, 'rps' | 'latencyMs'>): Promise<AccountsResult> {
  const limits = queues.map(() => new AccountLimit(o.rps));
  let passed = 0;
  await Promise.all(
    queues.map(async (queue, account) => {
      const pacer = new Pacer(o.rps);
      for (const fx of queue) {
        const { report } = await gradeSimulated(fx.entry, {
          responder: accountResponder(fx, pacer, limits[account]!, o.latencyMs),
          ...recordedRun(fx),
        });
        if (report.status === 'passed') passed++;
      }
    }),
  );
  return { calls: limits.map((l) => l.calls), throttled: limits.reduce((n, l) => n + l.throttled, 0), passed };
}

interface WorkerHandle {
  worker: Worker;
  ready: Promise<void>;
  done: Promise<AccountsResult>;
}

/** A worker thread that grades the accounts it is sent (see throughput-worker.ts). */
function startWorker(): WorkerHandle {
  const file = join(__dirname, 'throughput-worker.ts');
  const worker = new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(file)});`, { eval: true });
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const done = new Promise<AccountsResult>((resolve, reject) => {
    worker.on('message', (m: { type: 'ready' } | ({ type: 'done' } & AccountsResult)) => (m.type === 'ready' ? onReady() : resolve(m)));
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`throughput worker exited with ${code} before finishing`)));
  });
  return { worker, ready, done };
}

export async function measureThroughput(fixtures: PassFixture[], o: ThroughputOptions): Promise<ThroughputResult> {
  const queues = deal(fixtures, o.accounts, o.attemptsPerAccount);
  const handles = Array.from({ length: o.workers }, () => startWorker());
  await Promise.all(handles.map((h) => h.ready));
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  const cpu0 = ownCpuMs();
  const machine0 = machineCpu();
  const t0 = performance.now();
  let results: AccountsResult[];
  try {
    handles.forEach((h, w) => h.worker.postMessage({ labels: queues.filter((_, a) => a % o.workers === w).map((q) => q.map((fx) => fx.label)), rps: o.rps, latencyMs: o.latencyMs }));
    results = await Promise.all(handles.map((h) => h.done));
  } finally {
    clearInterval(sampler);
    await Promise.all(handles.map((h) => h.worker.terminate()));
  }
  const wallMs = performance.now() - t0;
  const cpuMs = ownCpuMs() - cpu0;
  const perAccount = results.flatMap((r) => r.calls);
  const attempts = o.accounts * o.attemptsPerAccount;
  const callsPerAttempt = perAccount.reduce((n, c) => n + c, 0) / attempts;
  const attemptsPerMinute = (attempts / wallMs) * 60_000;
  const busiest = Math.max(...perAccount);
  const boundMs = (Math.ceil(busiest / o.rps) - 1) * WINDOW_MS + o.latencyMs;
  const boundPerMinute = (attempts / boundMs) * 60_000;
  return {
    attempts,
    accounts: o.accounts,
    requestsPerSecondPerAccount: o.rps,
    workers: o.workers,
    wallMs: round(wallMs),
    attemptsPerMinute: round(attemptsPerMinute),
    boundPerMinute: round(boundPerMinute),
    fleetBoundPerMinute: round((o.accounts * o.rps * 60) / callsPerAttempt),
    ratio: round(attemptsPerMinute / boundPerMinute, 2),
    throttlingErrors: results.reduce((n, r) => n + r.throttled, 0),
    callsPerAttempt: round(callsPerAttempt, 1),
    passed: results.reduce((n, r) => n + r.passed, 0),
    peakRssMb: round(peakRss / 2 ** 20),
    cpuBusy: round(cpuMs / (wallMs * availableParallelism()), 2),
    machineBusy: busyShare(machine0, machineCpu()) ?? null,
  };
}
