import Database from 'better-sqlite3';
import { join } from 'node:path';
import { NotFoundError } from '../../src/store/errors';
import { MIGRATIONS } from '../../src/store/migrations';
import { DATABASE_FILE, SqliteStore } from '../../src/store/sqlite-store';
import type { AuditInput } from '../../src/store/types';
import { replaySandbox, tempStore } from '../attempts/support/fixtures';

const audit = (action: string, subject: string): AuditInput => ({ actor: 'system', action, subject });

/** A credential row the way issuance leaves it: a passed assessment attempt, its status bit, its key. */
async function issued(store: SqliteStore, credentialId = 'urn:uuid:00000000-0000-4000-8000-0000000000c1'): Promise<string> {
  await store.ensureCandidate({ id: 'cand-1', subjectId: 'urn:uuid:00000000-0000-4000-8000-000000000001', emailHash: null }, audit('candidate.created', 'cand-1'));
  let attempt = await store.createAttempt(
    { id: 'att-1', candidateId: 'cand-1', kind: 'assessment', targetId: 'aws-serverless', taskIds: ['task-a'], sandbox: replaySandbox, timeLimitSeconds: 3600 },
    audit('attempt.created', 'att-1'),
  );
  for (const patch of [{ state: 'active' as const }, { state: 'submitted' as const, finalRound: 1 }, { state: 'graded' as const, result: 'passed' as const }]) {
    attempt = await store.updateAttempt({ attemptId: 'att-1', expectedVersion: attempt.version, patch }, audit(`attempt.${patch.state}`, 'att-1'));
  }
  const allocation = await store.allocateStatusIndex(
    { attemptId: 'att-1', credentialId, validFrom: '2026-03-01T09:31:00Z', listUrl: (n) => `https://x.example/status/${n}` },
    audit('credential.status-allocated', 'att-1'),
  );
  await store.putIssuerKey({ kid: 'did:web:x.example#k1', issuerId: 'did:web:x.example', alg: 'ES256', publicJwk: { kty: 'EC' } }, audit('issuer.key-registered', 'k1'));
  await store.insertCredential(
    { id: credentialId, attemptId: 'att-1', statusListId: allocation.listId, statusIndex: allocation.index, kid: 'did:web:x.example#k1', jwt: 'h.p.s', credential: { id: credentialId }, validFrom: allocation.validFrom, validUntil: null },
    { attemptId: 'att-1', expectedVersion: attempt.version, patch: { state: 'credentialed' } },
    audit('credential.issued', credentialId),
  );
  return credentialId;
}

describe('SQLite badge settings (migration 5)', () => {
  let ctx: ReturnType<typeof tempStore>;
  beforeEach(() => {
    ctx = tempStore(() => new Date('2026-04-01T10:00:00Z'));
  });
  afterEach(() => ctx.cleanup());

  it('shows no name until the holder sets one, then the name, then none again once removed', async () => {
    const id = await issued(ctx.store);
    expect(await ctx.store.getBadgeSettings(id)).toBeUndefined();
    expect(await ctx.store.setBadgeShownName(id, 'Ada Lovelace', audit('badge.shown-name-set', id))).toEqual({ credentialId: id, shownName: 'Ada Lovelace', updatedAt: '2026-04-01T10:00:00.000Z' });
    expect((await ctx.store.getBadgeSettings(id))?.shownName).toBe('Ada Lovelace');
    await ctx.store.setBadgeShownName(id, null, audit('badge.shown-name-removed', id));
    expect((await ctx.store.getBadgeSettings(id))?.shownName).toBeNull();
  });

  it('audits each change in the same transaction, without the name itself', async () => {
    const id = await issued(ctx.store);
    await ctx.store.setBadgeShownName(id, 'Ada Lovelace', { actor: 'candidate:cand-1', action: 'badge.shown-name-set', subject: id, data: { named: true } });
    const entries = await ctx.store.listAudit({ subject: id });
    expect(entries.at(-1)).toMatchObject({ action: 'badge.shown-name-set', data: { named: true } });
    expect(JSON.stringify(entries)).not.toContain('Ada');
    expect((await ctx.store.verifyAuditChain()).ok).toBe(true);
  });

  it('refuses a name for a credential that was never issued, and stores nothing', async () => {
    const before = (await ctx.store.listAudit({})).length;
    await expect(ctx.store.setBadgeShownName('urn:uuid:nope', 'Eve', audit('badge.shown-name-set', 'urn:uuid:nope'))).rejects.toBeInstanceOf(NotFoundError);
    expect((await ctx.store.listAudit({})).length).toBe(before);
  });

  it('applies a migration whose number is below one already applied (features land in any order)', () => {
    // A database that has 5 (badges) but lost 2: opening it must apply 2, not skip everything up to 5.
    ctx.store.close();
    const raw = new Database(join(ctx.dir, DATABASE_FILE));
    raw.exec('DROP TABLE sessions; DROP TABLE access_codes; DROP TABLE admin_tokens; DELETE FROM schema_migrations WHERE version = 2;');
    raw.close();
    const reopened = SqliteStore.open(ctx.dir);
    try {
      expect(reopened.appliedMigrations().map((m) => m.version).sort((a, b) => a - b)).toEqual(MIGRATIONS.map((m) => m.version));
      const check = new Database(join(ctx.dir, DATABASE_FILE), { readonly: true });
      expect(check.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sessions'").get()).toEqual({ name: 'sessions' });
      check.close();
    } finally {
      reopened.close();
    }
  });
});
