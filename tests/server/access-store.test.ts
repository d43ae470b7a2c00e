import { readFileSync } from 'node:fs';
import { NotFoundError } from '../../src/store/errors';
import { DATABASE_FILE, SqliteStore } from '../../src/store/sqlite-store';
import type { AuditInput } from '../../src/store/types';
import { createAccessCode, createAdminToken } from '../../src/server/portal';
import { secretHash } from '../../src/server/secrets';
import { replaySandbox, tempStore } from '../attempts/support/fixtures';

const audit = (action: string, subject: string): AuditInput => ({ actor: 'system', action, subject });
const HOUR = 3_600_000;

async function seedAttempt(store: SqliteStore, id = 'att-1') {
  await store.ensureCandidate({ id: 'cand-1', subjectId: 'urn:uuid:00000000-0000-4000-8000-000000000001', emailHash: null }, audit('candidate.created', 'cand-1'));
  return store.createAttempt(
    { id, candidateId: 'cand-1', kind: 'practice', targetId: 'serverless-orders-api', taskIds: ['serverless-orders-api'], sandbox: replaySandbox, timeLimitSeconds: null },
    audit('attempt.created', id),
  );
}

describe('SqliteStore: portal access (migration 2)', () => {
  let ctx: ReturnType<typeof tempStore>;
  beforeEach(() => {
    ctx = tempStore();
  });
  afterEach(() => ctx.cleanup());

  it('adds the portal-access migration after the initial schema', () => {
    // Later features add their own migrations after these two.
    expect(ctx.store.appliedMigrations().map((m) => [m.version, m.name]).slice(0, 2)).toEqual([
      [1, 'initial-schema'],
      [2, 'portal-access'],
    ]);
  });

  it('keeps admin tokens and access codes only as hashes', async () => {
    await seedAttempt(ctx.store);
    const { token } = await createAdminToken(ctx.store, 'ops', 'system');
    const { code } = await createAccessCode(ctx.store, 'att-1', { actor: 'system' });
    ctx.store.close(); // checkpoints the WAL into the database file
    const bytes = readFileSync(`${ctx.dir}/${DATABASE_FILE}`).toString('latin1');
    expect(bytes).toContain(secretHash(token));
    expect(bytes).not.toContain(token);
    expect(bytes).not.toContain(code);
    expect(bytes).not.toContain(code.replace(/-/g, ''));
    ctx.store = SqliteStore.open(ctx.dir);
  });

  it('revokes an admin token once, and its sessions end with it', async () => {
    const { record } = await createAdminToken(ctx.store, 'ops', 'system');
    const now = new Date();
    await ctx.store.createSession(
      { tokenHash: 'a'.repeat(64), kind: 'admin', candidateId: null, accessCodeId: null, adminTokenId: record.id, expiresAt: new Date(now.getTime() + HOUR).toISOString() },
      audit('session.signed-in', record.id),
    );
    expect(await ctx.store.findActiveSession('a'.repeat(64), now.toISOString())).toMatchObject({ kind: 'admin', adminTokenId: record.id });
    const first = await ctx.store.revokeAdminToken(record.id, audit('admin-token.revoked', record.id));
    const second = await ctx.store.revokeAdminToken(record.id, audit('admin-token.revoked', record.id));
    expect(second.revokedAt).toBe(first.revokedAt);
    expect(await ctx.store.findActiveSession('a'.repeat(64), now.toISOString())).toBeUndefined();
    expect((await ctx.store.listAudit({ subject: record.id })).filter((e) => e.action === 'admin-token.revoked')).toHaveLength(1);
  });

  it('ends candidate sessions when their access code is revoked, and expires sessions by time', async () => {
    await seedAttempt(ctx.store);
    const { record } = await createAccessCode(ctx.store, 'att-1', { actor: 'system', expiresInHours: 2 });
    expect((await ctx.store.listAccessCodes('att-1')).map((c) => c.id)).toEqual([record.id]);
    const now = Date.now();
    const session = (hash: string, hours: number) =>
      ctx.store.createSession(
        { tokenHash: hash, kind: 'candidate', candidateId: 'cand-1', accessCodeId: record.id, adminTokenId: null, expiresAt: new Date(now + hours * HOUR).toISOString() },
        audit('session.signed-in', 'cand-1'),
      );
    await session('b'.repeat(64), 1);
    await session('c'.repeat(64), 3);
    const later = new Date(now + 2 * HOUR).toISOString();
    expect(await ctx.store.findActiveSession('b'.repeat(64), later)).toBeUndefined();
    expect(await ctx.store.findActiveSession('c'.repeat(64), later)).toMatchObject({ candidateId: 'cand-1' });
    expect(await ctx.store.deleteExpiredSessions(later)).toBe(1);
    await ctx.store.revokeAccessCode(record.id, audit('access-code.revoked', record.id));
    expect(await ctx.store.findActiveSession('c'.repeat(64), later)).toBeUndefined();
  });

  it('refuses an access code for an attempt that does not exist', async () => {
    await expect(createAccessCode(ctx.store, 'att-missing', { actor: 'system' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses a session of one kind carrying the other kind’s reference', async () => {
    const { record } = await createAdminToken(ctx.store, 'ops', 'system');
    await expect(
      ctx.store.createSession(
        { tokenHash: 'd'.repeat(64), kind: 'candidate', candidateId: null, accessCodeId: null, adminTokenId: record.id, expiresAt: new Date().toISOString() },
        audit('session.signed-in', record.id),
      ),
    ).rejects.toThrow(/refused/);
  });

  it('keeps the audit chain intact across the new tables', async () => {
    await seedAttempt(ctx.store);
    await createAdminToken(ctx.store, 'ops', 'system');
    await createAccessCode(ctx.store, 'att-1', { actor: 'system' });
    expect((await ctx.store.integrityCheck()).ok).toBe(true);
  });
});
