/**
 * Store operations per second, DynamoDbStore against dynalite (in memory, in this process) beside
 * SqliteStore in a temporary directory: createAttempt, updateAttempt (compare-and-set),
 * recordGradingRun, allocateStatusIndex and appendAudit, each run `count` times one after another
 * from one handle. dynalite's figures measure the store's round trips and CPU, not DynamoDB's
 * network latency: on AWS each round trip adds a few milliseconds (see docs/dynamodb-store.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBlobStore } from '../../src/store/blobs/blob-store';
import { canonicalJson, sha256Hex } from '../../src/store/canonical-json';
import { DynamoDbStore } from '../../src/store/dynamodb/dynamodb-store';
import { ensureTable } from '../../src/store/dynamodb/table';
import { SqliteStore } from '../../src/store/sqlite-store';
import type { AccessStore, Store } from '../../src/store/types';
import { startDynalite } from '../support/dynalite';
import { round } from './stats';

export const STORE_OPS = ['createAttempt', 'updateAttempt', 'recordGradingRun', 'allocateStatusIndex', 'appendAudit'] as const;
export type StoreOp = (typeof STORE_OPS)[number];
export type StoreOpsRates = Record<'sqlite' | 'dynamodb', Record<StoreOp, number>>;

const audit = (action: string, subject: string) => ({ actor: 'bench', action, subject });

async function measure(store: Store & AccessStore, count: number): Promise<Record<StoreOp, number>> {
  await store.ensureCandidate({ id: 'bench-cand', subjectId: 'urn:uuid:bench', emailHash: null }, audit('candidate.created', 'bench-cand'));
  const rates = {} as Record<StoreOp, number>;
  const timed = async (op: StoreOp, fn: (i: number) => Promise<unknown>) => {
    const started = performance.now();
    for (let i = 0; i < count; i += 1) await fn(i);
    rates[op] = round((count * 1000) / (performance.now() - started), 0);
  };
  const id = (i: number) => `bench-att-${i}`;
  await timed('createAttempt', (i) =>
    store.createAttempt(
      { id: id(i), candidateId: 'bench-cand', kind: 'assessment', targetId: 'aws-serverless', taskIds: ['task-a'], sandbox: { kind: 'replay', path: 'x' }, timeLimitSeconds: 3600 },
      audit('attempt.created', id(i)),
    ),
  );
  await timed('updateAttempt', (i) =>
    store.updateAttempt({ attemptId: id(i), expectedVersion: 1, patch: { state: 'active', startedAt: '2026-03-01T09:00:00Z' } }, audit('attempt.started', id(i))),
  );
  await timed('recordGradingRun', (i) => {
    const json = canonicalJson({ attempt: id(i), calls: [] });
    return store.recordGradingRun(
      {
        id: `bench-run-${i}`,
        attemptId: id(i),
        taskId: 'task-a',
        scope: 'progress',
        round: 0,
        status: 'passed',
        report: { checks: [{ id: 'table-exists', outcome: 'PASS' }] },
        bundle: { sha256: sha256Hex(json), json },
        startedAt: '2026-03-01T09:00:00Z',
        finishedAt: '2026-03-01T09:00:01Z',
      },
      audit('grading.progress-run', id(i)),
    );
  });
  await timed('allocateStatusIndex', (i) =>
    store.allocateStatusIndex(
      { attemptId: id(i), credentialId: `urn:uuid:bench-${i}`, validFrom: '2026-03-01T09:31:00Z', listUrl: (n) => `https://bench.example/status/${n}` },
      audit('credential.status-allocated', id(i)),
    ),
  );
  await timed('appendAudit', (i) => store.appendAudit(audit('bench.entry', id(i))));
  return rates;
}

export async function measureStoreOps(count: number): Promise<StoreOpsRates> {
  const dir = mkdtempSync(join(tmpdir(), 'skillproof-bench-store-'));
  const sqlite = SqliteStore.open(dir);
  const server = await startDynalite();
  try {
    const sqliteRates = await measure(sqlite, count);
    await ensureTable(server.client(), 'bench-store', { pollMs: 5 });
    const dynamo = new DynamoDbStore({ client: server.client(), tableName: 'bench-store', blobs: new MemoryBlobStore() });
    const dynamoRates = await measure(dynamo, count);
    return { sqlite: sqliteRates, dynamodb: dynamoRates };
  } finally {
    sqlite.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Rows for the bench table: one per operation, the two backends side by side. */
export function storeOpsRows(rates: StoreOpsRates): Array<Array<string | number>> {
  return STORE_OPS.map((op) => [op, rates.sqlite[op], rates.dynamodb[op], round(rates.sqlite[op] / Math.max(rates.dynamodb[op], 1), 1)]);
}
