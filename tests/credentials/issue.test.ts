import { issueCredential, localStatusListResolver, normaliseCredentialId, revokeCredential } from '../../src/credentials/issue';
import { createVerifier } from '../../src/credentials/verify';
import { IllegalTransitionError } from '../../src/attempts/state-machine';
import { AttemptNotFoundError } from '../../src/attempts/errors';
import type { Store } from '../../src/store/types';
import { scriptedGrade } from '../attempts/support/fixtures';
import { issuingContext, type IssuingContext } from './support/issuing';

describe('issuing a credential', () => {
  let ctx: IssuingContext;
  beforeEach(async () => {
    ctx = await issuingContext();
  });
  afterEach(() => ctx.cleanup());

  it('credentials a passed assessment attempt', async () => {
    const attempt = await ctx.gradedAttempt();
    const { credential, created } = await issueCredential(ctx.options, attempt.id);
    expect(created).toBe(true);
    expect(credential).toMatchObject({ attemptId: attempt.id, candidateId: attempt.candidateId, kid: ctx.issuer.kid, revokedAt: null });
    expect((await ctx.store.getAttempt(attempt.id))?.state).toBe('credentialed');
    expect((await ctx.store.listAudit({ subject: credential.id })).map((e) => e.action)).toEqual(['credential.issued']);
  });

  it('returns the same credential when issued a second time', async () => {
    const attempt = await ctx.gradedAttempt();
    const first = await issueCredential(ctx.options, attempt.id);
    const second = await issueCredential(ctx.options, attempt.id);
    expect(second).toEqual({ credential: first.credential, created: false });
    expect(await ctx.store.listCredentials()).toHaveLength(1);
  });

  it('issues one credential when two issuers race for the same attempt', async () => {
    const attempt = await ctx.gradedAttempt();
    const results = await Promise.all([issueCredential(ctx.options, attempt.id), issueCredential(ctx.options, attempt.id)]);
    expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    expect(results[0]?.credential.id).toBe(results[1]?.credential.id);
    expect(await ctx.store.listCredentials()).toHaveLength(1);
  });

  it('after dying between reserving the status slot and storing the credential, resumes with the same id and slot', async () => {
    const attempt = await ctx.gradedAttempt();
    const crashing: Store = Object.create(ctx.store, {
      insertCredential: { value: async () => Promise.reject(new Error('SIGKILL')) },
    }) as Store;
    await expect(issueCredential({ ...ctx.options, store: crashing }, attempt.id)).rejects.toThrow('SIGKILL');
    const reserved = await ctx.store.getStatusAllocation(attempt.id);
    expect((await ctx.store.getAttempt(attempt.id))?.state).toBe('graded');

    const { credential, created } = await issueCredential(ctx.options, attempt.id);
    expect(created).toBe(true);
    expect(credential).toMatchObject({ id: reserved?.credentialId, statusListId: reserved?.listId, statusIndex: reserved?.index, validFrom: reserved?.validFrom });
    expect(await ctx.store.integrityCheck()).toMatchObject({ ok: true });
  });

  it.each([
    ['failed', { 'orders-api': 'failed' }, /graded \(failed\); cannot credential: only a passed attempt earns a credential/],
    ['incomplete', { 'orders-api': 'incomplete' }, /graded \(incomplete\); cannot credential/],
  ] as const)('refuses a %s attempt', async (_result, statuses, message) => {
    const attempt = await ctx.gradedAttempt(scriptedGrade(statuses));
    await expect(issueCredential(ctx.options, attempt.id)).rejects.toThrow(IllegalTransitionError);
    await expect(issueCredential(ctx.options, attempt.id)).rejects.toThrow(message);
    expect(await ctx.store.getStatusAllocation(attempt.id)).toBeUndefined();
  });

  it('refuses a practice attempt, even a passed one', async () => {
    const attempt = await ctx.gradedAttempt(scriptedGrade(), { kind: 'practice', taskId: 'orders-api' });
    expect(attempt.result).toBe('passed');
    await expect(issueCredential(ctx.options, attempt.id)).rejects.toThrow(/practice attempt never earns a credential/);
  });

  it('refuses an unknown attempt', async () => {
    await expect(issueCredential(ctx.options, 'att-000000000000')).rejects.toThrow(AttemptNotFoundError);
  });

  describe('revoking', () => {
    it('makes the credential fail verification as revoked, once, with the reason audited', async () => {
      const { credential } = await issueCredential(ctx.options, (await ctx.gradedAttempt()).id);
      const verify = createVerifier({ jwks: ctx.issuer.jwks, resolveStatusList: localStatusListResolver({ store: ctx.store, issuer: ctx.issuer }) });
      expect((await verify(credential.jwt)).valid).toBe(true);

      const uuid = credential.id.replace('urn:uuid:', '');
      const revoked = await revokeCredential({ store: ctx.store, actor: 'admin:grace' }, uuid, 'shared the solution');
      expect(revoked).toMatchObject({ id: credential.id, revocationReason: 'shared the solution' });
      await revokeCredential({ store: ctx.store, actor: 'admin:grace' }, credential.id, 'again');
      expect(await verify(credential.jwt)).toMatchObject({ valid: false, reason: 'revoked' });
      expect((await ctx.store.listAudit({ subject: credential.id })).map((e) => [e.action, e.actor, e.data.reason])).toEqual([
        ['credential.issued', 'system', undefined],
        ['credential.revoked', 'admin:grace', 'shared the solution'],
      ]);
    });

    it('needs a reason', async () => {
      const { credential } = await issueCredential(ctx.options, (await ctx.gradedAttempt()).id);
      await expect(revokeCredential({ store: ctx.store }, credential.id, '  ')).rejects.toThrow(/needs a reason/);
    });

    it('accepts a credential id with or without its urn:uuid: prefix', () => {
      expect(normaliseCredentialId('7F3C1A52-8A8E-4A0E-9D6E-0D1F4F7D1A10')).toBe('urn:uuid:7f3c1a52-8a8e-4a0e-9d6e-0d1f4f7d1a10');
      expect(normaliseCredentialId('urn:uuid:7f3c1a52-8a8e-4a0e-9d6e-0d1f4f7d1a10')).toBe('urn:uuid:7f3c1a52-8a8e-4a0e-9d6e-0d1f4f7d1a10');
    });
  });
});
