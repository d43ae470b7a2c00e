import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttemptService } from '../../src/attempts/attempt-service';
import type { Grade } from '../../src/attempts/types';
import type { Responder } from '../../src/aws/session';
import { gradeSimulated } from '../../src/engine/grade';
import { serialiseBundle } from '../../src/evidence/bundle';
import type { GradingJob } from '../../src/service/jobs';
import { createWorkerHandler } from '../../src/service/worker/lambda';
import { DynamoDbTokenBucket } from '../../src/service/worker/token-bucket';
import { SqliteStore } from '../../src/store/sqlite-store';
import { awsError } from '../../src/testing/fake-account';
import type { PassFixture } from '../reliability/support/pass-fixtures';
import { transcriptWorld } from '../reliability/support/transcript-world';
import { createRateTable } from '../service/support/rate-table';
import { seededRandom, SqsSimulation } from '../service/support/sqs-sim';
import { startDynalite } from '../support/dynalite';
import { round, sleep } from './stats';
import { AccountLimit, deal } from './throughput';

/**
 * The same attempts, accounts and per-account limit as the single-process throughput bench, graded
 * by the service's path instead: one final grading job per attempt on a (simulated) SQS queue, N
 * workers polling it in batches of 10 through the Lambda handler, each worker pacing its calls with
 * its own DynamoDbTokenBucket (its own DynamoDB client) on one shared table in dynalite. Each account
 * still admits at most `rps` requests in any one-second window and throttles the rest, judged at the
 * moment the call reaches it. The bound is the single-process bench's: the busiest account's calls
 * at the limit.
 */

export interface WorkerThroughputOptions {
  accounts: number;
  attemptsPerAccount: number;
  rps: number;
  latencyMs: number;
  /** Concurrent workers (Lambda invocations), each taking batches of `batchSize` jobs. */
  workers: number;
  batchSize?: number;
  /** The bucket's lateness tolerance (default the bucket's own). */
  lateToleranceMs?: number;
}

export interface WorkerThroughputResult {
  jobs: number;
  accounts: number;
  workers: number;
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
  /** Token bucket traffic: DynamoDB writes and reads per second, and slots given up for lateness. */
  bucketWritesPerSecond: number;
  bucketReadsPerSecond: number;
  lateSlots: number;
}

const WINDOW_MS = 1000;

export async function measureWorkerThroughput(fixtures: PassFixture[], o: WorkerThroughputOptions): Promise<WorkerThroughputResult> {
  const batchSize = o.batchSize ?? 10;
  const queues = deal(fixtures, o.accounts, o.attemptsPerAccount);
  const accountIds = queues.map((_, a) => String(100_000_000_000 + a));
  const limits = new Map(accountIds.map((id) => [id, new AccountLimit(o.rps)]));
  const dynamo = await startDynalite();
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'skillproof-worker-bench-'));
  const store = SqliteStore.open(dir);
  try {
    await createRateTable(dynamo.client(), 'skillproof-bench');
    const sim = new SqsSimulation({ visibilityTimeoutMs: 15 * 60_000, maxReceiveCount: 5, random: seededRandom(8) });
    const api = new AttemptService({
      store,
      grade: async () => Promise.reject(new Error('the API process does not grade in service mode')),
      freeze: async () => undefined,
      dispatcher: { kind: 'queue', enqueue: async (jobs: readonly GradingJob[]) => jobs.forEach((j) => sim.send(JSON.stringify(j))) },
    });
    const fixtureOf = new Map<string, PassFixture>();
    // Dealt round-robin over accounts, so the queue holds every account's work from the start.
    for (let i = 0; i < o.attemptsPerAccount; i++) {
      for (const [a, queue] of queues.entries()) {
        const fx = queue[i]!;
        const accountId = accountIds[a]!;
        const attempt = await api.create({
          candidate: `bench-${a}-${i}`,
          target: { kind: 'practice', taskId: fx.entry.task.id },
          sandbox: { kind: 'aws', accountId, roleArn: `arn:aws:iam::${accountId}:role/SkillProofGrader`, externalId: `bench-${a}-${i}` },
        });
        await api.start(attempt.id);
        await api.submit(attempt.id);
        fixtureOf.set(attempt.id, fx);
      }
    }

    const clock = () => performance.timeOrigin + performance.now();
    const buckets = Array.from({ length: o.workers }, () => new DynamoDbTokenBucket({ dynamodb: dynamo.client({ maxAttempts: 3 }), tableName: 'skillproof-bench', callsPerSecond: o.rps, now: clock, ...(o.lateToleranceMs !== undefined ? { lateToleranceMs: o.lateToleranceMs } : {}) }));
    let passed = 0;
    const handlers = buckets.map((bucket) => {
      const grade: Grade = async (req) => {
        const fx = fixtureOf.get(req.attemptId)!;
        const accountId = (req.sandbox as { accountId: string }).accountId;
        const { report, bundle } = await gradeSimulated(fx.entry, {
          responder: accountResponder(fx, limits.get(accountId)!, o.latencyMs),
          region: fx.bundle.run.region,
          nonce: fx.bundle.run.nonce,
          startedAt: new Date(fx.bundle.run.startedAt),
          // The recorded run's attempt id: probes name what they create after it, and the transcript answers those names.
          attemptId: fx.bundle.run.attemptId,
          ...(fx.bundle.run.expectedAccount ? { expectedAccount: fx.bundle.run.expectedAccount } : {}),
          pace: bucket.limiter(accountId),
        });
        if (report.status === 'passed') passed++;
        return { status: report.status, report, bundle: { sha256: bundle.sha256!, json: serialiseBundle(bundle) } };
      };
      return createWorkerHandler(() => ({ store, grade, ruleFor: () => (outcomes) => outcomes[0]?.status ?? 'incomplete', log: () => undefined }));
    });

    const t0 = performance.now();
    await Promise.all(
      handlers.map(async (handler) => {
        while (!sim.drained) {
          if (!(await sim.poll(handler, batchSize))) await sleep(5);
        }
      }),
    );
    const wallMs = performance.now() - t0;

    const jobs = o.accounts * o.attemptsPerAccount;
    const calls = [...limits.values()].map((l) => l.calls);
    const totalCalls = calls.reduce((n, c) => n + c, 0);
    const busiest = Math.max(...calls);
    const boundMs = (Math.ceil(busiest / o.rps) - 1) * WINDOW_MS + o.latencyMs;
    const graded = (await store.listAttempts({ state: 'graded' })).length;
    const stats = buckets.reduce((s, b) => ({ updates: s.updates + b.stats.updates, reads: s.reads + b.stats.reads, late: s.late + b.stats.late }), { updates: 0, reads: 0, late: 0 });
    return {
      jobs,
      accounts: o.accounts,
      workers: o.workers,
      batchSize,
      wallMs: round(wallMs),
      jobsPerSecond: round(jobs / (wallMs / 1000), 1),
      awsCallsPerSecond: round(totalCalls / (wallMs / 1000), 1),
      boundJobsPerSecond: round(jobs / (boundMs / 1000), 1),
      ratio: round(boundMs / wallMs, 2),
      throttlingErrors: [...limits.values()].reduce((n, l) => n + l.throttled, 0),
      callsPerJob: round(totalCalls / jobs, 1),
      graded,
      passed,
      bucketWritesPerSecond: round(stats.updates / (wallMs / 1000), 1),
      bucketReadsPerSecond: round(stats.reads / (wallMs / 1000), 1),
      lateSlots: stats.late,
    };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
    await dynamo.close();
  }
}

/**
 * The account as the single-process bench has it, minus its pacer: the worker's token bucket paces
 * instead. Unlike that bench (whose pacer sits in front of the whole simulated world), HTTP probes
 * are not counted against the account's AWS API limit.
 */
function accountResponder(fx: PassFixture, limit: AccountLimit, latencyMs: number): Responder {
  const world = transcriptWorld(fx.bundle.transcript);
  return async (service, operation, input) => {
    // An HTTP probe reaches the candidate's endpoint, not the account's AWS APIs: neither paced nor counted.
    if (service !== 'HTTP' && !limit.admit(performance.now())) throw awsError('ThrottlingException', 'Rate exceeded', 400);
    await sleep(latencyMs);
    return world(service, operation, input);
  };
}
