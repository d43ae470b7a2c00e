import { NotFoundError } from '../../../src/store/errors';
import { describeEachBackend } from './backends';
import { audit, seedAttempt } from './seed';

const h = (c: string) => c.repeat(64);

describeEachBackend('AccessStore contract: admin tokens, access codes, sessions', (ctx) => {
  it('keeps admin tokens by hash, lists them, and revokes once', async () => {
    const { store } = ctx();
    const token = await store.createAdminToken({ id: 'tok-1', name: 'alice', tokenHash: h('a') }, audit('admin.token-created', 'tok-1'));
    expect(token).toMatchObject({ id: 'tok-1', name: 'alice', tokenHash: h('a'), revokedAt: null });
    await store.createAdminToken({ id: 'tok-2', name: 'bob', tokenHash: h('b') }, audit('admin.token-created', 'tok-2'));
    expect(await store.findAdminTokenByHash(h('a'))).toEqual(token);
    expect(await store.findAdminTokenByHash(h('c'))).toBeUndefined();
    expect((await store.listAdminTokens()).map((t) => t.id)).toEqual(['tok-1', 'tok-2']);
    await expect(store.createAdminToken({ id: 'tok-3', name: 'eve', tokenHash: h('a') }, audit('admin.token-created'))).rejects.toThrow();
    const revoked = await store.revokeAdminToken('tok-1', audit('admin.token-revoked', 'tok-1'));
    expect(revoked.revokedAt).not.toBeNull();
    expect(await store.revokeAdminToken('tok-1', audit('admin.token-revoked', 'tok-1'))).toEqual(revoked);
    expect(await store.getAdminToken('tok-1')).toEqual(revoked);
    await expect(store.revokeAdminToken('tok-x', audit('admin.token-revoked'))).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.listAudit({ subject: 'tok-1' })).toHaveLength(2);
  });

  it('keeps access codes per attempt, found by hash, and revokes once', async () => {
    const { store } = ctx();
    await seedAttempt(store);
    const code = await store.createAccessCode({ id: 'code-1', codeHash: h('1'), attemptId: 'att-1', expiresAt: '2026-04-01T00:00:00Z' }, audit('access.code-created'));
    expect(code).toMatchObject({ id: 'code-1', attemptId: 'att-1', expiresAt: '2026-04-01T00:00:00Z', revokedAt: null });
    await store.createAccessCode({ id: 'code-2', codeHash: h('2'), attemptId: 'att-1', expiresAt: null }, audit('access.code-created'));
    expect(await store.findAccessCodeByHash(h('1'))).toEqual(code);
    expect((await store.listAccessCodes('att-1')).map((c) => c.id)).toEqual(['code-1', 'code-2']);
    expect(await store.listAccessCodes('att-none')).toEqual([]);
    await expect(store.createAccessCode({ id: 'code-3', codeHash: h('3'), attemptId: 'att-none', expiresAt: null }, audit('x'))).rejects.toBeInstanceOf(NotFoundError);
    const revoked = await store.revokeAccessCode('code-1', audit('access.code-revoked'));
    expect(await store.revokeAccessCode('code-1', audit('access.code-revoked'))).toEqual(revoked);
    await expect(store.revokeAccessCode('code-x', audit('x'))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('finds a session until it expires or what opened it is revoked, and deletes expired ones', async () => {
    const { store } = ctx();
    await seedAttempt(store);
    await store.createAccessCode({ id: 'code-1', codeHash: h('1'), attemptId: 'att-1', expiresAt: null }, audit('access.code-created'));
    await store.createAdminToken({ id: 'tok-1', name: 'alice', tokenHash: h('a') }, audit('admin.token-created'));
    const candidate = await store.createSession(
      { tokenHash: h('s'), kind: 'candidate', candidateId: 'cand-1', accessCodeId: 'code-1', adminTokenId: null, expiresAt: '2026-03-01T10:00:00.000Z' },
      audit('session.created'),
    );
    const admin = await store.createSession(
      { tokenHash: h('t'), kind: 'admin', candidateId: null, accessCodeId: null, adminTokenId: 'tok-1', expiresAt: '2026-03-01T12:00:00.000Z' },
      audit('session.created'),
    );
    expect(await store.findActiveSession(h('s'), '2026-03-01T09:00:00.000Z')).toEqual(candidate);
    expect(await store.findActiveSession(h('s'), '2026-03-01T10:00:00.000Z')).toBeUndefined();
    expect(await store.findActiveSession(h('u'), '2026-03-01T09:00:00.000Z')).toBeUndefined();
    expect(await store.findActiveSession(h('t'), '2026-03-01T09:00:00.000Z')).toEqual(admin);
    await store.revokeAdminToken('tok-1', audit('admin.token-revoked'));
    expect(await store.findActiveSession(h('t'), '2026-03-01T09:00:00.000Z')).toBeUndefined();
    await store.revokeAccessCode('code-1', audit('access.code-revoked'));
    expect(await store.findActiveSession(h('s'), '2026-03-01T09:00:00.000Z')).toBeUndefined();

    expect(await store.deleteExpiredSessions('2026-03-01T10:00:00.000Z')).toBe(1);
    expect(await store.deleteExpiredSessions('2026-03-01T10:00:00.000Z')).toBe(0);
    await store.deleteSession(h('t'));
    expect(await store.deleteExpiredSessions('2027-01-01T00:00:00.000Z')).toBe(0);
  });

  it('refuses a candidate session without its access code', async () => {
    const { store } = ctx();
    await seedAttempt(store);
    await expect(
      store.createSession({ tokenHash: h('s'), kind: 'candidate', candidateId: 'cand-1', accessCodeId: null, adminTokenId: null, expiresAt: '2026-03-01T10:00:00.000Z' }, audit('x')),
    ).rejects.toThrow();
  });
});
