import type Database from 'better-sqlite3';
import { canonicalJson } from './canonical-json';
import { PoolConflictError, StoreError } from './errors';
import type { Migration } from './migrations';
import type {
  NewPoolAccount,
  NewPoolCleanup,
  PoolAccountPatch,
  PoolAccountRecord,
  PoolAccountState,
  PoolCleanupRecord,
  PoolLeaseRecord,
  PoolStore,
  PoolTransition,
} from './pool-types';
import type { AuditEntry, AuditInput } from './types';

/** The pool's tables. The CHECKs hold the state machine's shape even against a buggy caller. */
export const POOL_MIGRATION: Migration = {
  version: 4,
  name: 'sandbox-account-pool',
  sql: `
    CREATE TABLE pool_accounts (
      account_id        TEXT PRIMARY KEY CHECK (length(account_id) = 12 AND account_id NOT GLOB '*[^0-9]*'),
      name              TEXT,
      email             TEXT,
      arn               TEXT,
      source            TEXT NOT NULL CHECK (source IN ('organizations', 'configured')),
      ou_id             TEXT,
      state             TEXT NOT NULL CHECK (state IN ('available', 'leased', 'frozen', 'cleaning', 'quarantined', 'retired')),
      version           INTEGER NOT NULL DEFAULT 1,
      lease_id          TEXT,
      attempt_id        TEXT,
      pending           TEXT CHECK (pending IN ('freeze', 'release')),
      cleanup_id        TEXT,
      cooldown_until    TEXT,
      quarantine_reason TEXT,
      quarantined_at    TEXT,
      verified_clean_at TEXT,
      retired_at        TEXT,
      retired_reason    TEXT,
      retired_by        TEXT CHECK (retired_by IN ('sync', 'admin')),
      joined_at         TEXT NOT NULL,
      updated_at        TEXT NOT NULL,
      -- a lease exactly while leased or frozen, and only then an effect pending on it
      CHECK ((state IN ('leased', 'frozen')) = (lease_id IS NOT NULL AND attempt_id IS NOT NULL)),
      CHECK (pending IS NULL OR state IN ('leased', 'frozen')),
      CHECK (state <> 'cleaning' OR cleanup_id IS NOT NULL),
      CHECK (cleanup_id IS NULL OR state IN ('cleaning', 'quarantined')),
      CHECK ((state = 'quarantined') = (quarantine_reason IS NOT NULL AND quarantined_at IS NOT NULL)),
      CHECK ((state = 'retired') = (retired_at IS NOT NULL AND retired_by IS NOT NULL)),
      CHECK (cooldown_until IS NULL OR state = 'available')
    ) STRICT;
    -- an attempt holds at most one account
    CREATE UNIQUE INDEX pool_accounts_one_per_attempt ON pool_accounts(attempt_id) WHERE attempt_id IS NOT NULL;
    CREATE INDEX pool_accounts_by_state ON pool_accounts(state);

    CREATE TABLE pool_leases (
      id              TEXT PRIMARY KEY,
      account_id      TEXT NOT NULL REFERENCES pool_accounts(account_id),
      attempt_id      TEXT NOT NULL,
      region          TEXT NOT NULL,
      cleanup_regions TEXT NOT NULL CHECK (json_valid(cleanup_regions) AND json_array_length(cleanup_regions) >= 1),
      leased_at       TEXT NOT NULL,
      frozen_at       TEXT,
      ended_at        TEXT,
      end_reason      TEXT,
      CHECK ((ended_at IS NULL) = (end_reason IS NULL))
    ) STRICT;
    CREATE INDEX pool_leases_by_account ON pool_leases(account_id);
    CREATE UNIQUE INDEX pool_leases_one_open_per_attempt ON pool_leases(attempt_id) WHERE ended_at IS NULL;

    CREATE TABLE pool_cleanups (
      id          TEXT PRIMARY KEY,
      account_id  TEXT NOT NULL REFERENCES pool_accounts(account_id),
      kind        TEXT NOT NULL CHECK (kind IN ('lease', 'join', 'recheck')),
      lease_id    TEXT REFERENCES pool_leases(id),
      regions     TEXT NOT NULL CHECK (json_valid(regions) AND json_array_length(regions) >= 1),
      started_at  TEXT NOT NULL,
      status      TEXT NOT NULL CHECK (status IN ('running', 'clean', 'dirty', 'error')),
      finished_at TEXT,
      removed     TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(removed)),
      remaining   TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(remaining)),
      error       TEXT,
      verified_at TEXT,
      CHECK ((kind = 'lease') = (lease_id IS NOT NULL)),
      CHECK ((status = 'running') = (finished_at IS NULL)),
      CHECK ((status = 'clean') = (verified_at IS NOT NULL))
    ) STRICT;
    CREATE INDEX pool_cleanups_by_account ON pool_cleanups(account_id);

    CREATE TABLE pool_cleanup_journal (
      cleanup_id TEXT NOT NULL REFERENCES pool_cleanups(id),
      key        TEXT NOT NULL,
      value      TEXT NOT NULL CHECK (json_valid(value)),
      updated_at TEXT NOT NULL,
      PRIMARY KEY (cleanup_id, key)
    ) STRICT;

    -- the pool's history is never deleted: a retired account keeps its leases and clean-ups
    CREATE TRIGGER pool_accounts_no_delete BEFORE DELETE ON pool_accounts
    BEGIN SELECT RAISE(ABORT, 'pool accounts are never deleted; retire them'); END;
    CREATE TRIGGER pool_leases_no_delete BEFORE DELETE ON pool_leases
    BEGIN SELECT RAISE(ABORT, 'pool leases are history and are never deleted'); END;
    CREATE TRIGGER pool_cleanups_no_delete BEFORE DELETE ON pool_cleanups
    BEGIN SELECT RAISE(ABORT, 'pool clean-ups are history and are never deleted'); END;
    -- a finished clean-up's outcome is final
    CREATE TRIGGER pool_cleanups_finished_once BEFORE UPDATE ON pool_cleanups WHEN OLD.status <> 'running'
    BEGIN SELECT RAISE(ABORT, 'a finished clean-up cannot be changed'); END;
  `,
};

type Row = Record<string, unknown>;

/** What the pool needs from the store it lives in: its database, transactions, the audit chain and the clock. */
export interface SqlitePoolContext {
  db: Database.Database;
  /** One IMMEDIATE transaction. */
  tx<T>(fn: () => T): T;
  /** Appends to the hash-chained audit log; called inside `tx`. */
  audit(input: AuditInput): AuditEntry;
  stamp(): string;
}

const PATCH_COLUMNS: Record<keyof PoolAccountPatch, string> = {
  state: 'state',
  name: 'name',
  email: 'email',
  arn: 'arn',
  source: 'source',
  ouId: 'ou_id',
  leaseId: 'lease_id',
  attemptId: 'attempt_id',
  pending: 'pending',
  cleanupId: 'cleanup_id',
  cooldownUntil: 'cooldown_until',
  quarantineReason: 'quarantine_reason',
  quarantinedAt: 'quarantined_at',
  verifiedCleanAt: 'verified_clean_at',
  retiredAt: 'retired_at',
  retiredReason: 'retired_reason',
  retiredBy: 'retired_by',
};

/** The pool in the SQLite store: its own tables, the store's transactions and audit chain. */
export class SqlitePoolStore implements PoolStore {
  constructor(private readonly ctx: SqlitePoolContext) {}

  async getPoolAccount(accountId: string): Promise<PoolAccountRecord | undefined> {
    return this.accountRow(accountId);
  }

  async listPoolAccounts(filter: { state?: PoolAccountState } = {}): Promise<PoolAccountRecord[]> {
    const rows = this.ctx.db
      .prepare('SELECT * FROM pool_accounts WHERE (@state IS NULL OR state = @state) ORDER BY joined_at, account_id')
      .all({ state: filter.state ?? null }) as Row[];
    return rows.map(toAccount);
  }

  async listPoolLeases(filter: { accountId?: string; attemptId?: string }): Promise<PoolLeaseRecord[]> {
    const rows = this.ctx.db
      .prepare(
        `SELECT * FROM pool_leases WHERE (@accountId IS NULL OR account_id = @accountId) AND (@attemptId IS NULL OR attempt_id = @attemptId)
         ORDER BY leased_at DESC, rowid DESC`,
      )
      .all({ accountId: filter.accountId ?? null, attemptId: filter.attemptId ?? null }) as Row[];
    return rows.map(toLease);
  }

  async getPoolCleanup(id: string): Promise<PoolCleanupRecord | undefined> {
    const row = this.ctx.db.prepare('SELECT * FROM pool_cleanups WHERE id = ?').get(id) as Row | undefined;
    return row && toCleanup(row);
  }

  async listPoolCleanups(accountId: string): Promise<PoolCleanupRecord[]> {
    const rows = this.ctx.db.prepare('SELECT * FROM pool_cleanups WHERE account_id = ? ORDER BY started_at DESC, rowid DESC').all(accountId) as Row[];
    return rows.map(toCleanup);
  }

  async addPoolAccount(account: NewPoolAccount, initialCleanup: NewPoolCleanup, audit: AuditInput): Promise<PoolAccountRecord> {
    if (initialCleanup.accountId !== account.accountId || initialCleanup.kind !== 'join') {
      throw new StoreError(`The initial clean-up of pool account ${account.accountId} must be a join clean-up of that account.`);
    }
    return this.ctx.tx(() => {
      if (this.accountRow(account.accountId)) throw new StoreError(`Account ${account.accountId} is in the pool already.`);
      const at = this.ctx.stamp();
      this.ctx.db
        .prepare(
          `INSERT INTO pool_accounts (account_id, name, email, arn, source, ou_id, state, cleanup_id, joined_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 'cleaning', ?, ?, ?)`,
        )
        .run(account.accountId, account.name, account.email, account.arn, account.source, account.ouId, initialCleanup.id, at, at);
      this.insertCleanup(initialCleanup);
      this.ctx.audit(audit);
      return this.accountRow(account.accountId) as PoolAccountRecord;
    });
  }

  async transitionPoolAccount(t: PoolTransition, audit: AuditInput): Promise<PoolAccountRecord> {
    return this.ctx.tx(() => {
      const sets: string[] = [];
      const values: Record<string, unknown> = { id: t.accountId, expectedState: t.expected.state, expectedVersion: t.expected.version, updatedAt: this.ctx.stamp() };
      for (const [key, column] of Object.entries(PATCH_COLUMNS) as Array<[keyof PoolAccountPatch, string]>) {
        if (t.patch[key] === undefined) continue;
        sets.push(`${column} = @${key}`);
        values[key] = t.patch[key];
      }
      const changed = this.ctx.db
        .prepare(
          `UPDATE pool_accounts SET ${[...sets, 'version = version + 1', 'updated_at = @updatedAt'].join(', ')}
           WHERE account_id = @id AND state = @expectedState AND version = @expectedVersion`,
        )
        .run(values).changes;
      if (changed === 0) {
        const current = this.accountRow(t.accountId);
        throw new PoolConflictError(t.accountId, t.expected, current && { state: current.state, version: current.version });
      }
      if (t.lease && 'start' in t.lease) {
        const l = t.lease.start;
        this.ctx.db
          .prepare('INSERT INTO pool_leases (id, account_id, attempt_id, region, cleanup_regions, leased_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(l.id, l.accountId, l.attemptId, l.region, JSON.stringify(l.cleanupRegions), l.leasedAt);
      }
      if (t.cleanup && 'start' in t.cleanup) this.insertCleanup(t.cleanup.start);
      if (t.lease && 'update' in t.lease) {
        const u = t.lease.update;
        const updated = this.ctx.db
          .prepare(
            `UPDATE pool_leases SET frozen_at = COALESCE(@frozenAt, frozen_at), ended_at = COALESCE(@endedAt, ended_at), end_reason = COALESCE(@endReason, end_reason)
             WHERE id = @id AND account_id = @accountId`,
          )
          .run({ id: u.id, accountId: t.accountId, frozenAt: u.frozenAt ?? null, endedAt: u.endedAt ?? null, endReason: u.endReason ?? null }).changes;
        if (updated === 0) throw new StoreError(`Pool account ${t.accountId} has no lease ${u.id}.`);
      }
      if (t.cleanup && 'finish' in t.cleanup) {
        const f = t.cleanup.finish;
        const updated = this.ctx.db
          .prepare(
            `UPDATE pool_cleanups SET status = ?, finished_at = ?, removed = ?, remaining = ?, error = ?, verified_at = ?
             WHERE id = ? AND account_id = ? AND status = 'running'`,
          )
          .run(f.status, f.finishedAt, canonicalJson(f.removed), canonicalJson(f.remaining), f.error, f.verifiedAt, f.id, t.accountId).changes;
        if (updated === 0) throw new StoreError(`Pool account ${t.accountId} has no running clean-up ${f.id}.`);
      }
      this.ctx.audit(audit);
      return this.accountRow(t.accountId) as PoolAccountRecord;
    });
  }

  async getCleanupJournal(cleanupId: string, key: string): Promise<unknown> {
    const row = this.ctx.db.prepare('SELECT value FROM pool_cleanup_journal WHERE cleanup_id = ? AND key = ?').get(cleanupId, key) as Row | undefined;
    return row === undefined ? undefined : (JSON.parse(String(row.value)) as unknown);
  }

  async putCleanupJournal(cleanupId: string, key: string, value: unknown): Promise<void> {
    const json = JSON.stringify(value ?? null);
    this.ctx.tx(() => {
      this.ctx.db
        .prepare(
          `INSERT INTO pool_cleanup_journal (cleanup_id, key, value, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT(cleanup_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        )
        .run(cleanupId, key, json, this.ctx.stamp());
    });
  }

  private insertCleanup(c: NewPoolCleanup): void {
    this.ctx.db
      .prepare("INSERT INTO pool_cleanups (id, account_id, kind, lease_id, regions, started_at, status) VALUES (?, ?, ?, ?, ?, ?, 'running')")
      .run(c.id, c.accountId, c.kind, c.leaseId, JSON.stringify(c.regions), c.startedAt);
  }

  private accountRow(accountId: string): PoolAccountRecord | undefined {
    const row = this.ctx.db.prepare('SELECT * FROM pool_accounts WHERE account_id = ?').get(accountId) as Row | undefined;
    return row && toAccount(row);
  }
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toAccount(r: Row): PoolAccountRecord {
  return {
    accountId: String(r.account_id),
    name: str(r.name),
    email: str(r.email),
    arn: str(r.arn),
    source: r.source as PoolAccountRecord['source'],
    ouId: str(r.ou_id),
    state: r.state as PoolAccountState,
    version: Number(r.version),
    leaseId: str(r.lease_id),
    attemptId: str(r.attempt_id),
    pending: (r.pending ?? null) as PoolAccountRecord['pending'],
    cleanupId: str(r.cleanup_id),
    cooldownUntil: str(r.cooldown_until),
    quarantineReason: str(r.quarantine_reason),
    quarantinedAt: str(r.quarantined_at),
    verifiedCleanAt: str(r.verified_clean_at),
    retiredAt: str(r.retired_at),
    retiredReason: str(r.retired_reason),
    retiredBy: (r.retired_by ?? null) as PoolAccountRecord['retiredBy'],
    joinedAt: String(r.joined_at),
    updatedAt: String(r.updated_at),
  };
}

function toLease(r: Row): PoolLeaseRecord {
  return {
    id: String(r.id),
    accountId: String(r.account_id),
    attemptId: String(r.attempt_id),
    region: String(r.region),
    cleanupRegions: JSON.parse(String(r.cleanup_regions)) as string[],
    leasedAt: String(r.leased_at),
    frozenAt: str(r.frozen_at),
    endedAt: str(r.ended_at),
    endReason: str(r.end_reason),
  };
}

function toCleanup(r: Row): PoolCleanupRecord {
  return {
    id: String(r.id),
    accountId: String(r.account_id),
    kind: r.kind as PoolCleanupRecord['kind'],
    leaseId: str(r.lease_id),
    regions: JSON.parse(String(r.regions)) as string[],
    startedAt: String(r.started_at),
    status: r.status as PoolCleanupRecord['status'],
    finishedAt: str(r.finished_at),
    removed: JSON.parse(String(r.removed)) as string[],
    remaining: JSON.parse(String(r.remaining)) as PoolCleanupRecord['remaining'],
    error: str(r.error),
    verifiedAt: str(r.verified_at),
  };
}
