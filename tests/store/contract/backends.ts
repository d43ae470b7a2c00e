/**
 * The store backends every contract test runs against: SQLite (a temporary data directory) and
 * DynamoDB (dynalite, one server per test file, a fresh table per test). A contract test is
 * written against the interfaces only; the hooks below reach behind a store's back, as an
 * attacker with access to the database or table would, for the tests of tamper detection.
 */
import { DeleteItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { MemoryBlobStore } from '../../../src/store/blobs/blob-store';
import type { CohortStore } from '../../../src/store/cohort-types';
import { DynamoDbStore } from '../../../src/store/dynamodb/dynamodb-store';
import { pad } from '../../../src/store/dynamodb/marshal';
import { ensureTable } from '../../../src/store/dynamodb/table';
import { keys } from '../../../src/store/dynamodb/table-access';
import { DATABASE_FILE, SqliteStore } from '../../../src/store/sqlite-store';
import type { AccessStore, AttemptState, Store } from '../../../src/store/types';
import { startDynalite, type Dynalite } from '../../support/dynalite';
import { tempStore } from '../../attempts/support/fixtures';

export type AnyStore = Store & AccessStore;

export interface OpenedStore {
  store: AnyStore;
  /** A second, independent handle on the same data: another process's view. */
  another(): AnyStore;
  /** Changes made behind the store's back. */
  tamper: {
    auditEntry(seq: number, field: 'actor' | 'subject', value: string): Promise<void>;
    removeAuditEntry(seq: number): Promise<void>;
    setAttemptState(attemptId: string, state: AttemptState): Promise<void>;
  };
  close(): Promise<void>;
}

export interface Backend {
  name: string;
  /** Whether the backend's store class implements CohortStore (feature-detected, not assumed). */
  implementsCohorts: boolean;
  /** Once per test file. */
  start(): Promise<void>;
  open(options?: { now?: () => Date }): Promise<OpenedStore>;
  stop(): Promise<void>;
}

export function cohortStoreOf(store: AnyStore): (AnyStore & CohortStore) | undefined {
  const s = store as Partial<CohortStore>;
  return typeof s.applyImport === 'function' && typeof s.createCohort === 'function' ? (store as AnyStore & CohortStore) : undefined;
}

const implementsCohorts = (cls: { prototype: object }) => {
  const proto = cls.prototype as Partial<CohortStore>;
  return typeof proto.applyImport === 'function' && typeof proto.createCohort === 'function';
};

const sqlite: Backend = {
  name: 'sqlite',
  implementsCohorts: implementsCohorts(SqliteStore),
  async start() {},
  async stop() {},
  async open(options = {}) {
    const ctx = tempStore(options.now);
    const others: SqliteStore[] = [];
    const raw = (fn: (db: Database.Database) => void) => {
      const db = new Database(join(ctx.dir, DATABASE_FILE));
      try {
        fn(db);
      } finally {
        db.close();
      }
    };
    return {
      store: ctx.store,
      another() {
        const other = SqliteStore.open(ctx.dir, options.now ? { now: options.now } : {});
        others.push(other);
        return other;
      },
      tamper: {
        async auditEntry(seq, field, value) {
          raw((db) => {
            db.exec('DROP TRIGGER IF EXISTS audit_log_no_update');
            db.prepare(`UPDATE audit_log SET ${field} = ? WHERE seq = ?`).run(value, seq);
          });
        },
        async removeAuditEntry(seq) {
          raw((db) => {
            db.exec('DROP TRIGGER IF EXISTS audit_log_no_delete');
            db.prepare('DELETE FROM audit_log WHERE seq = ?').run(seq);
          });
        },
        async setAttemptState(attemptId, state) {
          raw((db) => db.prepare('UPDATE attempts SET state = ? WHERE id = ?').run(state, attemptId));
        },
      },
      async close() {
        for (const o of others) o.close();
        ctx.cleanup();
      },
    };
  },
};

function dynamodb(): Backend {
  let server: Dynalite | undefined;
  let tables = 0;
  return {
    name: 'dynamodb',
    implementsCohorts: implementsCohorts(DynamoDbStore),
    async start() {
      server = await startDynalite();
    },
    async stop() {
      await server?.close();
    },
    async open(options = {}) {
      if (!server) throw new Error('dynalite not started');
      const client = server.client();
      const tableName = `contract-${(tables += 1)}`;
      await ensureTable(client, tableName, { pollMs: 5 });
      const blobs = new MemoryBlobStore();
      const make = () => new DynamoDbStore({ client: server!.client(), tableName, blobs, ...(options.now ? { now: options.now } : {}) });
      const store = new DynamoDbStore({ client, tableName, blobs, ...(options.now ? { now: options.now } : {}) });
      return {
        store,
        another: make,
        tamper: {
          async auditEntry(seq, field, value) {
            await client.send(
              new UpdateItemCommand({
                TableName: tableName,
                Key: { pk: { S: 'AUDIT' }, sk: { S: pad(seq) } },
                UpdateExpression: 'SET #f = :v',
                ExpressionAttributeNames: { '#f': field },
                ExpressionAttributeValues: { ':v': { S: value } },
              }),
            );
          },
          async removeAuditEntry(seq) {
            await client.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: 'AUDIT' }, sk: { S: pad(seq) } } }));
          },
          async setAttemptState(attemptId, state) {
            const attempt = await store.getAttempt(attemptId);
            const key = keys.attempt(attemptId);
            await client.send(
              new PutItemCommand({
                TableName: tableName,
                Item: { pk: { S: key.pk }, sk: { S: key.sk }, type: { S: 'attempt' }, rec: { S: JSON.stringify({ ...attempt, state }) } },
              }),
            );
          },
        },
        async close() {},
      };
    },
  };
}

/** Fresh backend descriptors (each test file starts its own dynalite). */
export function backends(): Backend[] {
  return [sqlite, dynamodb()];
}

/**
 * `describe`s the same specification once per backend, each with its own store per test.
 * `ctx()` gives the current test's store.
 */
export function describeEachBackend(
  title: string,
  spec: (ctx: () => OpenedStore, backend: Backend) => void,
  options: { now?: () => Date; when?: (backend: Backend) => boolean } = {},
): void {
  for (const backend of backends()) {
    (options.when?.(backend) === false ? describe.skip : describe)(`${title} [${backend.name}]`, () => {
      let current: OpenedStore | undefined;
      beforeAll(() => backend.start());
      afterAll(() => backend.stop());
      beforeEach(async () => {
        current = await backend.open(options);
      });
      afterEach(async () => {
        await current?.close();
        current = undefined;
      });
      spec(() => {
        if (!current) throw new Error('no store open');
        return current;
      }, backend);
    });
  }
}
