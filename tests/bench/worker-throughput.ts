import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { AttemptService } from '../../src/attempts/attempt-service';
import type { GradingJob } from '../../src/service/jobs';
import type { TokenBucketStats } from '../../src/service/worker/token-bucket';
import { SqliteStore } from '../../src/store/sqlite-store';
import type { PassFixture } from '../reliability/support/pass-fixtures';
import { createRateTable } from '../service/support/rate-table';
import { seededRandom, SqsSimulation } from '../service/support/sqs-sim';
import { startDynalite } from '../support/dynalite';
import { busyShare, machineCpu, ownCpuMs, processCpuMs, round, sleep } from './stats';
import { AccountLimit, deal } from './throughput';
import type { FromThread, ThreadInit, ToThread } from './worker-throughput-thread';

/**
 * The same attempts, accounts and per-account limit as the single-process throughput bench, graded
 * by the service's path instead: one final grading job per attempt on a (simulated, standard) SQS
 * queue, `workers` Lambda invocations polling it in batches of 10 through the worker's handler, each
 * pacing its calls with its own DynamoDbTokenBucket and DynamoDB client on one shared table. The
 * workers are spread over one thread per core, as the single-process bench spreads its graders;
 * DynamoDB is dynalite in a process of its own (a service elsewhere, not the workers' CPU); the
 * store is SQLite, shared by the threads.
 *
 * Each account admits at most `rps` AWS calls in any one-second window. The bound is the
 * single-process bench's: the busiest account's calls at the limit. Every call's send time is kept;
 * after the run, the calls the account would have refused are counted as throttled.
 */

export interface WorkerThroughputOptions {
  accounts: number;
  attemptsPerAccount: number;
  rps: number;
  latencyMs: number;
  /** Concurrent workers (Lambda invocations), each taking batches of `batchSize` jobs. */
  workers: number;
  /** Threads the workers are spread over (one per core). */
  threads: number;
  batchSize?: number;
  /** The bucket's lateness tolerance and batch (default the bucket's own). */
  lateToleranceMs?: number;
  maxBatch?: number;
  /** Called every few seconds while the jobs run, with what has happened so far. */
  progress?: (line: string) => void;
}

export interface WorkerThroughputResult {
  jobs: number;
  accounts: number;
  workers: number;
  threads: number;
  batchSize: number;
  wallMs: number;
  jobsPerSecond: number;
  awsCallsPerSecond: number;
  boundJobsPerSecond: number;
  ratio: number;
  throttlingErrors: number;
  callsPerJob: number;
  graded: number;
  passed: number;
  /** Token bucket traffic: DynamoDB writes and reads per second; slots reserved per write; slots lost. */
  bucketWritesPerSecond: number;
  bucketReadsPerSecond: number;
  slotsPerWrite: number;
  lateSlots: number;
  returnedSlots: number;
  unusedSlots: number;
  /** CPU used (this process's threads and DynamoDB's process) over the machine's CPU time during the run. */
  cpuBusy: number;
  /** The machine's busy share over the run, every process counted (null where /proc/stat is not there). */
  machineBusy: number | null;
}

const WINDOW_MS = 1000;
const TABLE = 'skillproof-bench';

interface ThreadHandle {
  worker: Worker;
  ready: Promise<void>;
  finished: Promise<Extract<FromThread, { type: 'finished' }>>;
  pending: Map<number, { resolve: (r: SQSBatchResponse) => void; reject: (e: Error) => void }>;
}

function startThread(init: ThreadInit, onGraded: (attemptId: string) => void): ThreadHandle {
  const file = join(__dirname, 'worker-throughput-thread.ts');
  const worker = new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(file)});`, { eval: true, workerData: init });
  const pending: ThreadHandle['pending'] = new Map();
  let onReady: () => void = () => undefined;
  let onFinished: (m: Extract<FromThread, { type: 'finished' }>) => void = () => undefined;
  let onFail: (e: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    onFail = reject;
  });
  const finished = new Promise<Extract<FromThread, { type: 'finished' }>>((resolve, reject) => {
    onFinished = resolve;
    const fail = onFail;
    onFail = (e) => {
      fail(e);
      reject(e);
      for (const p of pending.values()) p.reject(e);
    };
  });
  finished.catch(() => undefined);
  worker.on('message', (m: FromThread) => {
    if (m.type === 'ready') onReady();
    else if (m.type === 'graded') onGraded(m.attemptId);
    else if (m.type === 'finished') onFinished(m);
    else if (m.type === 'response') {
      pending.get(m.id)?.resolve({ batchItemFailures: m.failures.map((itemIdentifier) => ({ itemIdentifier })) });
      pending.delete(m.id);
    } else {
      pending.get(m.id)?.reject(new Error(m.message));
      pending.delete(m.id);
    }
  });
  worker.on('error', (e) => onFail(e));
  worker.on('exit', (code) => onFail(new Error(`worker-throughput thread exited with ${code}`)));
  return { worker, ready, finished, pending };
}

/** Calls an account admitting `rps` in any one-second window would have refused, from every call's send time. */
export function overLimit(sendTimes: number[], rps: number): { admitted: number; throttled: number } {
  const limit = new AccountLimit(rps);
  for (const t of [...sendTimes].sort((a, b) => a - b)) limit.admit(t);
  return { admitted: limit.calls, throttled: limit.throttled };
}

export async function measureWorkerThroughput(fixtures: PassFixture[], o: WorkerThroughputOptions): Promise<WorkerThroughputResult> {
  const batchSize = o.batchSize ?? 10;
  const queues = deal(fixtures, o.accounts, o.attemptsPerAccount);
  const accountIds = queues.map((_, a) => String(100_000_000_000 + a));
  const dynamo = await startDynalite({ inProcess: false });
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'skillproof-worker-bench-'));
  const store = SqliteStore.open(dir);
  const threads: ThreadHandle[] = [];
  try {
    await createRateTable(dynamo.client(), TABLE);
    const sim = new SqsSimulation({ visibilityTimeoutMs: 15 * 60_000, maxReceiveCount: 5, random: seededRandom(8) });
    const api = new AttemptService({
      store,
      grade: async () => Promise.reject(new Error('the API process does not grade in service mode')),
      freeze: async () => undefined,
      dispatcher: { kind: 'queue', enqueue: async (jobs: readonly GradingJob[]) => jobs.forEach((j) => sim.send(JSON.stringify(j))) },
    });
    const attempts: Array<[string, string]> = [];
    // Each account grades one attempt at a time, as the single-process bench does and as the account
    // pool leases an account to one attempt at a time: an account's next attempt is submitted (its
    // grading job queued) when the grade before it has ended, not when its worker's batch has.
    const next = new Map<string, string[]>();
    const accountOf = new Map<string, string>();
    for (const [a, queue] of queues.entries()) {
      const accountId = accountIds[a]!;
      const ids: string[] = [];
      for (const [i, fx] of queue.entries()) {
        const attempt = await api.create({
          candidate: `bench-${a}-${i}`,
          target: { kind: 'practice', taskId: fx.entry.task.id },
          sandbox: { kind: 'aws', accountId, roleArn: `arn:aws:iam::${accountId}:role/SkillProofGrader`, externalId: `bench-${a}-${i}` },
        });
        await api.start(attempt.id);
        attempts.push([attempt.id, fx.label]);
        accountOf.set(attempt.id, accountId);
        ids.push(attempt.id);
      }
      next.set(accountId, ids);
    }
    const submitNext = async (accountId: string) => {
      const id = next.get(accountId)!.shift();
      if (id) await api.submit(id);
    };

    const owner = new Map<number, ThreadHandle>();
    for (let t = 0; t < o.threads; t++) {
      const workers = Array.from({ length: o.workers }, (_, w) => w).filter((w) => w % o.threads === t);
      const handle = startThread({
        dir,
        endpoint: dynamo.endpoint,
        tableName: TABLE,
        workers,
        attempts,
        rps: o.rps,
        latencyMs: o.latencyMs,
        ...(o.lateToleranceMs !== undefined ? { lateToleranceMs: o.lateToleranceMs } : {}),
        ...(o.maxBatch !== undefined ? { maxBatch: o.maxBatch } : {}),
      }, (attemptId) => void submitNext(accountOf.get(attemptId)!));
      threads.push(handle);
      for (const w of workers) owner.set(w, handle);
    }
    await Promise.all(threads.map((t) => t.ready));

    let seq = 0;
    const handlerOf = (w: number) => async (event: SQSEvent) => {
      const response = await new Promise<SQSBatchResponse>((resolve, reject) => {
        const thread = owner.get(w)!;
        const id = ++seq;
        thread.pending.set(id, { resolve, reject });
        thread.worker.postMessage({ type: 'batch', id, worker: w, event } satisfies ToThread);
      });
      return response;
    };

    const cpu0 = ownCpuMs() + (processCpuMs(dynamo.pid ?? -1) ?? 0);
    const machine0 = machineCpu();
    const t0 = performance.now();
    for (const accountId of accountIds) await submitNext(accountId);
    const ticker = o.progress
      ? setInterval(() => o.progress!(`${round((performance.now() - t0) / 1000, 1)} s: ${sim.counts.deleted} of ${sim.counts.sent} jobs done`), 2000)
      : undefined;
    let stuck = false;
    await Promise.all(
      Array.from({ length: o.workers }, async (_, w) => {
        const handler = handlerOf(w);
        while (!sim.drained && !stuck) {
          if (await sim.poll(handler, batchSize)) continue;
          // Nothing visible: wait for the jobs in flight; a job handed back (a failure) would only be
          // visible again after the visibility timeout, which the bench does not wait out.
          if (!sim.inFlightBatches) stuck = true;
          else await sleep(5);
        }
      }),
    );
    const wallMs = performance.now() - t0;
    const cpuMs = ownCpuMs() + (processCpuMs(dynamo.pid ?? -1) ?? 0) - cpu0;
    clearInterval(ticker);
    if (stuck) throw new Error(`${sim.counts.sent - sim.counts.deleted} of ${sim.counts.sent} jobs were handed back by the workers (grading failed); see the store's runs`);

    for (const t of threads) t.worker.postMessage({ type: 'finish' } satisfies ToThread);
    const finished = await Promise.all(threads.map((t) => t.finished));
    const sendsByAccount = new Map<string, number[]>();
    for (const f of finished) for (const [account, times] of Object.entries(f.sends)) sendsByAccount.set(account, [...(sendsByAccount.get(account) ?? []), ...times]);
    const judged = [...sendsByAccount.values()].map((times) => overLimit(times, o.rps));
    const calls = [...sendsByAccount.values()].map((times) => times.length);
    const stats = finished.flatMap((f) => f.stats).reduce<TokenBucketStats>(
      (s, b) => ({ updates: s.updates + b.updates, reads: s.reads + b.reads, conditionFailures: s.conditionFailures + b.conditionFailures, reserved: s.reserved + b.reserved, slots: s.slots + b.slots, late: s.late + b.late, unused: s.unused + b.unused, returned: s.returned + b.returned }),
      { updates: 0, reads: 0, conditionFailures: 0, reserved: 0, slots: 0, late: 0, unused: 0, returned: 0 },
    );

    const jobs = o.accounts * o.attemptsPerAccount;
    const totalCalls = calls.reduce((n, c) => n + c, 0);
    const busiest = Math.max(...calls);
    const boundMs = (Math.ceil(busiest / o.rps) - 1) * WINDOW_MS + o.latencyMs;
    const perSecond = (n: number, digits = 1) => round(n / (wallMs / 1000), digits);
    return {
      jobs,
      accounts: o.accounts,
      workers: o.workers,
      threads: o.threads,
      batchSize,
      wallMs: round(wallMs),
      jobsPerSecond: perSecond(jobs),
      awsCallsPerSecond: perSecond(totalCalls),
      boundJobsPerSecond: round(jobs / (boundMs / 1000), 1),
      ratio: round(boundMs / wallMs, 2),
      throttlingErrors: judged.reduce((n, j) => n + j.throttled, 0),
      callsPerJob: round(totalCalls / jobs, 1),
      graded: (await store.listAttempts({ state: 'graded' })).length,
      passed: finished.reduce((n, f) => n + f.passed, 0),
      bucketWritesPerSecond: perSecond(stats.updates),
      bucketReadsPerSecond: perSecond(stats.reads),
      slotsPerWrite: round(stats.reserved / Math.max(1, stats.updates - stats.conditionFailures), 1),
      lateSlots: stats.late,
      returnedSlots: stats.returned,
      unusedSlots: stats.reserved - stats.slots - stats.late - stats.returned,
      cpuBusy: round(cpuMs / (wallMs * availableParallelism()), 2),
      machineBusy: busyShare(machine0, machineCpu()) ?? null,
    };
  } finally {
    await Promise.all(threads.map((t) => t.worker.terminate()));
    store.close();
    rmSync(dir, { recursive: true, force: true });
    await dynamo.close();
  }
}
