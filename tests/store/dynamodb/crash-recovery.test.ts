/**
 * A change and its audit entry are one commit (src/store/dynamodb/commit-log.ts): a process that
 * dies after the entry is written but before the change is applied leaves a change that the next
 * writer decides on and, once overdue, rolls forward (a process that starts, or recover(), at
 * once); one that dies before the entry leaves nothing. The "crash"
 * is a client that fails every write after a chosen one, as a killed process would stop sending.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MemoryBlobStore } from '../../../src/store/blobs/blob-store';
import { DynamoDbStore } from '../../../src/store/dynamodb/dynamodb-store';
import { ensureTable } from '../../../src/store/dynamodb/table';
import { startDynalite, type Dynalite } from '../../support/dynalite';
import { audit, finalRun, seedAttempt } from '../contract/seed';

let server: Dynalite;
let tables = 0;
beforeAll(async () => {
  server = await startDynalite();
});
afterAll(() => server.close());

/** A client whose writes fail from the `failFrom`-th on (1-based), counting PutItem and UpdateItem. */
function crashingClient(failFrom: number): { client: DynamoDBClient; writes: () => number } {
  const client = server.client();
  let writes = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'PutItemCommand' || context.commandName === 'UpdateItemCommand') {
        writes += 1;
        if (writes >= failFrom) throw new Error('simulated crash: the process died here');
      }
      return next(args);
    },
    { step: 'initialize', name: 'crash' },
  );
  return { client, writes: () => writes };
}

async function freshTable() {
  const tableName = `crash-${(tables += 1)}`;
  await ensureTable(server.client(), tableName, { pollMs: 5 });
  const blobs = new MemoryBlobStore();
  return { tableName, blobs, healthy: () => new DynamoDbStore({ client: server.client(), tableName, blobs }) };
}

describe('DynamoDbStore after a crash', () => {
  it('rolls forward an attempt update whose audit entry was committed but whose change was not applied', async () => {
    const { tableName, blobs, healthy } = await freshTable();
    await seedAttempt(healthy());
    // Writes of an update: 1 the audit entry (the commit), 2 the attempt, 3 mark applied, 4 the head.
    const crashing = new DynamoDbStore({ client: crashingClient(2).client, tableName, blobs });
    await expect(crashing.updateAttempt({ attemptId: 'att-1', expectedVersion: 1, patch: { state: 'active', startedAt: 'x' } }, audit('attempt.started'))).rejects.toThrow(/simulated crash/);

    const after = healthy();
    expect((await after.getAttempt('att-1'))?.state).toBe('created'); // committed, not yet applied
    await after.recover();
    expect(await after.getAttempt('att-1')).toMatchObject({ state: 'active', version: 2 });
    expect((await after.listAudit({ subject: 'att-1' })).map((e) => e.action)).toEqual(['attempt.created', 'attempt.started']);
    expect(await after.integrityCheck()).toMatchObject({ ok: true });
  });

  it('has the next writer roll forward the crashed change before deciding its own, so its compare-and-set sees it', async () => {
    const { tableName, blobs, healthy } = await freshTable();
    await seedAttempt(healthy());
    const crashing = new DynamoDbStore({ client: crashingClient(2).client, tableName, blobs });
    await expect(crashing.updateAttempt({ attemptId: 'att-1', expectedVersion: 1, patch: { state: 'active', startedAt: 'x' } }, audit('attempt.started'))).rejects.toThrow();
    const other = healthy();
    // This writer read version 1 before the crash; the committed change wins and it must be refused.
    await expect(other.updateAttempt({ attemptId: 'att-1', expectedVersion: 1, patch: { state: 'cancelled' } }, audit('attempt.cancelled'))).rejects.toMatchObject({
      name: 'ConcurrentModificationError',
      actualVersion: 2,
    });
    expect((await other.getAttempt('att-1'))?.state).toBe('active');
    expect(await other.verifyAuditChain()).toMatchObject({ ok: true });
  });

  it("has a writer decide on another writer's entry while it is being applied, and roll it forward once that writer is overdue", async () => {
    const { tableName, blobs, healthy } = await freshTable();
    let clock = Date.parse('2026-03-01T09:00:00Z');
    const warm = new DynamoDbStore({ client: server.client(), tableName, blobs, now: () => new Date(clock) });
    await seedAttempt(warm);
    const crashing = new DynamoDbStore({ client: crashingClient(2).client, tableName, blobs });
    await expect(crashing.updateAttempt({ attemptId: 'att-1', expectedVersion: 1, patch: { state: 'active', startedAt: 'x' } }, audit('attempt.started'))).rejects.toThrow();
    // The warm writer loses the entry to it, reads it, and decides on its images: its compare-and-set is refused...
    await expect(warm.updateAttempt({ attemptId: 'att-1', expectedVersion: 1, patch: { state: 'cancelled' } }, audit('attempt.cancelled'))).rejects.toMatchObject({
      name: 'ConcurrentModificationError',
      actualVersion: 2,
    });
    expect((await warm.getAttempt('att-1'))?.state).toBe('active');
    // ...without applying it (its writer is presumed to be applying it now).
    expect((await healthy().getAttempt('att-1'))?.state).toBe('created');
    // A second later by the warm writer's clock the entry is overdue: its next change rolls it forward first.
    clock += 1000;
    await warm.updateAttempt({ attemptId: 'att-1', expectedVersion: 2, patch: { state: 'cancelled' } }, audit('attempt.cancelled'));
    expect(await healthy().getAttempt('att-1')).toMatchObject({ state: 'cancelled', version: 3 });
    expect((await healthy().listAudit({ subject: 'att-1' })).map((e) => e.action)).toEqual(['attempt.created', 'attempt.started', 'attempt.cancelled']);
    expect(await healthy().integrityCheck()).toMatchObject({ ok: true });
  });

  it('completes a multi-item change (run + attempt update) that crashed half-applied', async () => {
    const { tableName, blobs, healthy } = await freshTable();
    const attempt = await seedAttempt(healthy());
    // 1 entry, 2.. the run, its id claim and the attempt (applied in parallel); crash on the 3rd write.
    const crashing = new DynamoDbStore({ client: crashingClient(3).client, tableName, blobs });
    await expect(
      crashing.recordGradingRun(finalRun({ scope: 'progress', round: 0 }), audit('grading.progress-run'), {
        attemptId: 'att-1',
        expectedVersion: attempt.version,
        patch: { lastCheckAt: '2026-03-01T09:05:00Z' },
      }),
    ).rejects.toThrow();
    const after = healthy();
    expect(await after.integrityCheck()).toMatchObject({ ok: true });
    expect((await after.listGradingRuns('att-1')).map((r) => r.id)).toEqual(['run-1']);
    expect(await after.getAttempt('att-1')).toMatchObject({ lastCheckAt: '2026-03-01T09:05:00Z', version: 2 });
  });

  it('leaves nothing when the process dies before the audit entry is written', async () => {
    const { tableName, blobs, healthy } = await freshTable();
    await seedAttempt(healthy());
    const crashing = new DynamoDbStore({ client: crashingClient(1).client, tableName, blobs });
    await expect(crashing.updateAttempt({ attemptId: 'att-1', expectedVersion: 1, patch: { state: 'active', startedAt: 'x' } }, audit('attempt.started'))).rejects.toThrow();
    const after = healthy();
    await after.recover();
    expect(await after.getAttempt('att-1')).toMatchObject({ state: 'created', version: 1 });
    expect((await after.listAudit()).map((e) => e.action)).toEqual(['candidate.created', 'attempt.created']);
  });

  it('carries a change too large for one item in chunk items, and applies it all', async () => {
    const { healthy } = await freshTable();
    const store = healthy();
    await seedAttempt(store);
    // A report of ~350 KB: over the inline limit, so the commit's writes go to chunk items.
    const report = { blob: 'x'.repeat(350_000) };
    await store.recordGradingRun(finalRun({ report }), audit('grading.final-run'));
    expect((await store.listGradingRuns('att-1'))[0]?.report).toEqual(report);
    expect(await store.integrityCheck()).toMatchObject({ ok: true });
  });
});
