/**
 * One worker thread of the service-mode throughput bench: a share of the grading workers (Lambda
 * invocations), each with its own DynamoDbTokenBucket and DynamoDB client, on the bench's SQLite
 * store and DynamoDB endpoint. The main thread owns the simulated queue and sends each worker's
 * batches here; this thread answers with the handler's response. Every AWS call's send time is kept
 * per account, for the main thread to judge against the account's limit after the run.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SQSEvent } from 'aws-lambda';
import type { Grade } from '../../src/attempts/types';
import type { Responder } from '../../src/aws/session';
import { gradeSimulated } from '../../src/engine/grade';
import { serialiseBundle } from '../../src/evidence/bundle';
import { createWorkerHandler } from '../../src/service/worker/lambda';
import { DynamoDbTokenBucket } from '../../src/service/worker/token-bucket';
import { SqliteStore } from '../../src/store/sqlite-store';
import { passFixtures, recordedRun, type PassFixture } from '../reliability/support/pass-fixtures';
import { transcriptWorld } from '../reliability/support/transcript-world';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { sleep } from './stats';

export interface ThreadInit {
  dir: string;
  endpoint: string;
  tableName: string;
  workers: number[];
  /** attempt id → fixture label. */
  attempts: Array<[string, string]>;
  rps: number;
  latencyMs: number;
  lateToleranceMs?: number;
  maxBatch?: number;
}

export type ToThread = { type: 'batch'; id: number; worker: number; event: SQSEvent } | { type: 'finish' };
export type FromThread =
  | { type: 'ready' }
  | { type: 'graded'; attemptId: string }
  | { type: 'response'; id: number; failures: string[] }
  | { type: 'error'; id: number; message: string }
  | { type: 'finished'; sends: Record<string, number[]>; passed: number; graded: number; stats: DynamoDbTokenBucket['stats'][] };

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const init = workerData as ThreadInit;
const byLabel = new Map(passFixtures({ firstPerTask: true }).map((fx) => [fx.label, fx]));
const fixtureOf = new Map(init.attempts.map(([attempt, label]) => [attempt, byLabel.get(label)!]));
const clock = () => performance.timeOrigin + performance.now();
const sends = new Map<string, number[]>();
let passed = 0;
let graded = 0;

/** The account: answers from the recorded transcript after the call's latency; HTTP probes reach the candidate's endpoint and are not counted. */
function accountResponder(fx: PassFixture, accountId: string): Responder {
  const world = transcriptWorld(fx.bundle.transcript);
  let times = sends.get(accountId);
  if (!times) sends.set(accountId, (times = []));
  const t = times;
  return async (service, operation, input) => {
    if (service !== 'HTTP') t.push(clock());
    await sleep(init.latencyMs);
    return world(service, operation, input);
  };
}

async function main(): Promise<void> {
  const store = SqliteStore.open(init.dir);
  const buckets = init.workers.map(
    () =>
      new DynamoDbTokenBucket({
        dynamodb: new DynamoDBClient({ endpoint: init.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 3 }),
        tableName: init.tableName,
        callsPerSecond: init.rps,
        now: clock,
        ...(init.lateToleranceMs !== undefined ? { lateToleranceMs: init.lateToleranceMs } : {}),
        ...(init.maxBatch !== undefined ? { maxBatch: init.maxBatch } : {}),
      }),
  );
  const handlers = new Map(
    init.workers.map((w, i) => {
      const bucket = buckets[i]!;
      const grade: Grade = async (req) => {
        const fx = fixtureOf.get(req.attemptId)!;
        const accountId = (req.sandbox as { accountId: string }).accountId;
        const { report, bundle } = await gradeSimulated(fx.entry, { responder: accountResponder(fx, accountId), ...recordedRun(fx), pace: bucket.limiter(accountId) });
        graded++;
        if (report.status === 'passed') passed++;
        parentPort!.postMessage({ type: 'graded', attemptId: req.attemptId } satisfies FromThread);
        return { status: report.status, report, bundle: { sha256: bundle.sha256!, json: serialiseBundle(bundle) } };
      };
      return [w, createWorkerHandler(() => ({ store, grade, ruleFor: () => (outcomes) => outcomes[0]?.status ?? 'incomplete', log: () => undefined }))];
    }),
  );
  // A Lambda's init phase loads its code before the first event: grade each task once, unpaced, and
  // send each DynamoDB client one request, so neither is timed.
  for (const fx of new Set(fixtureOf.values())) await gradeSimulated(fx.entry, { responder: transcriptWorld(fx.bundle.transcript), ...recordedRun(fx) });
  await Promise.all(buckets.map((b) => b.reserve(`warm-up-${init.workers[0]}`, 1)));
  for (const b of buckets) Object.assign(b.stats, { updates: 0, reads: 0, conditionFailures: 0, reserved: 0, slots: 0, late: 0, unused: 0, returned: 0 });

  parentPort!.on('message', (m: ToThread) => {
    if (m.type === 'finish') {
      store.close();
      parentPort!.postMessage({ type: 'finished', sends: Object.fromEntries(sends), passed, graded, stats: buckets.map((b) => b.stats) } satisfies FromThread);
      return;
    }
    handlers
      .get(m.worker)!(m.event)
      .then(
        (r) => parentPort!.postMessage({ type: 'response', id: m.id, failures: r.batchItemFailures.map((f) => f.itemIdentifier) } satisfies FromThread),
        (e: unknown) => parentPort!.postMessage({ type: 'error', id: m.id, message: e instanceof Error ? e.message : String(e) } satisfies FromThread),
      );
  });
  parentPort!.postMessage({ type: 'ready' } satisfies FromThread);
}

void main();
