import { MIN_STATUS_LIST_BITS } from '../../../src/store/types';
import { NotFoundError, StoreError } from '../../../src/store/errors';
import { describeEachBackend } from './backends';
import { allocationRequest, audit, gradedAttempt, ISSUER_KEY, issueCredential, seedAttempt } from './seed';

describeEachBackend('Store contract: status lists and credentials', (ctx) => {
  describe('status-list allocation', () => {
    it('returns the same slot when asked twice for one attempt, in a list of at least 131,072 bits', async () => {
      const { store } = ctx();
      await gradedAttempt(store);
      const first = await store.allocateStatusIndex(allocationRequest('att-1'), audit('credential.status-allocated'));
      const second = await store.allocateStatusIndex(allocationRequest('att-1', 'urn:uuid:other'), audit('credential.status-allocated'));
      expect(second).toEqual(first);
      expect(await store.getStatusAllocation('att-1')).toEqual(first);
      expect(first).toMatchObject({ listId: 1, listUrl: 'https://badges.example.com/status/1', attemptId: 'att-1', credentialId: 'urn:uuid:cred-att-1' });
      const list = await store.getStatusList(first.listId);
      expect(list).toMatchObject({ id: 1, url: first.listUrl, purpose: 'revocation', sizeBits: MIN_STATUS_LIST_BITS });
      expect(await store.getStatusListByUrl(first.listUrl)).toEqual(list);
      expect(await store.listStatusLists()).toEqual([list]);
      expect(first.index).toBeGreaterThanOrEqual(0);
      expect(first.index).toBeLessThan(MIN_STATUS_LIST_BITS);
      const entries = (await store.listAudit({ subject: 'att-1' })).filter((e) => e.action === 'credential.status-allocated');
      expect(entries).toHaveLength(1);
      expect(entries[0]?.data).toEqual({ statusList: first.listUrl, statusIndex: first.index });
    });

    it('refuses a list smaller than 131,072 bits or not in whole bytes', async () => {
      const { store } = ctx();
      await seedAttempt(store);
      await expect(store.allocateStatusIndex({ ...allocationRequest('att-1'), sizeBits: 1024 }, audit('x'))).rejects.toThrow(/at least 131072 bits/);
      await expect(store.allocateStatusIndex({ ...allocationRequest('att-1'), sizeBits: MIN_STATUS_LIST_BITS + 1 }, audit('x'))).rejects.toBeInstanceOf(StoreError);
    });

    // Rounds of one allocation per handle at once: every round races all handles for the list's
    // counter and the next log entry, as many parallel allocations did, in half the commits.
    it('never hands out one index twice when allocations race from several handles, round after round', async () => {
      const { store, another } = ctx();
      const handles = [store, another(), another()];
      const rounds = 4;
      const allocations = [];
      for (let round = 0; round < rounds; round += 1) {
        const ids = handles.map((_, h) => `att-${round}-${h}`);
        for (const id of ids) await seedAttempt(store, id);
        allocations.push(...(await Promise.all(handles.map((h, i) => h.allocateStatusIndex(allocationRequest(ids[i]!), audit('credential.status-allocated', ids[i]))))));
      }
      expect(new Set(allocations.map((a) => `${a.listId}:${a.index}`)).size).toBe(rounds * handles.length);
      expect(new Set(allocations.map((a) => a.attemptId)).size).toBe(rounds * handles.length);
      // And an attempt asked for concurrently from every handle still gets one slot.
      await seedAttempt(store, 'att-race');
      const racing = await Promise.all(handles.map((h) => h.allocateStatusIndex(allocationRequest('att-race'), audit('credential.status-allocated', 'att-race'))));
      expect(new Set(racing.map((a) => a.index)).size).toBe(1);
      expect(allocations.map((a) => a.index)).not.toContain(racing[0]!.index);
      expect((await store.listAudit({ subject: 'att-race' })).filter((e) => e.action === 'credential.status-allocated')).toHaveLength(1);
    }, 30_000);
  });

  describe('credentials', () => {
    it('keeps one credential per attempt: a second insert returns the first with created false', async () => {
      const { store } = ctx();
      await gradedAttempt(store);
      const first = await issueCredential(store);
      const second = await issueCredential(store);
      expect(first.created).toBe(true);
      expect(second).toEqual({ credential: first.credential, created: false });
      expect(first.credential).toMatchObject({ attemptId: 'att-1', candidateId: 'cand-1', kid: ISSUER_KEY.kid, revokedAt: null, revocationReason: null, validUntil: null });
      expect(await store.getCredential(first.credential.id)).toEqual(first.credential);
      expect(await store.getCredentialByAttempt('att-1')).toEqual(first.credential);
      expect(await store.listCredentials()).toEqual([first.credential]);
      expect(await store.listCredentials({ candidateId: 'cand-1' })).toEqual([first.credential]);
      expect(await store.listCredentials({ candidateId: 'cand-other' })).toEqual([]);
      expect((await store.getAttempt('att-1'))?.state).toBe('credentialed');
      expect((await store.listAudit()).filter((e) => e.action === 'credential.issued')).toHaveLength(1);
    });

    it('issues one credential when two handles insert it at once', async () => {
      const { store, another } = ctx();
      await gradedAttempt(store);
      const results = await Promise.allSettled([issueCredential(store), issueCredential(another())]);
      const created = results.filter((r) => r.status === 'fulfilled' && r.value.created);
      expect(created).toHaveLength(1);
      expect(await store.listCredentials()).toHaveLength(1);
    });

    it('refuses a credential that does not match the attempt’s allocation', async () => {
      const { store } = ctx();
      await gradedAttempt(store);
      await store.putIssuerKey(ISSUER_KEY, audit('issuer.key-registered'));
      await expect(
        store.insertCredential(
          { id: 'urn:uuid:stray', attemptId: 'att-1', statusListId: 1, statusIndex: 0, kid: ISSUER_KEY.kid, jwt: 'j', credential: {}, validFrom: 'v', validUntil: null },
          { attemptId: 'att-1', expectedVersion: 5, patch: { state: 'credentialed' } },
          audit('credential.issued'),
        ),
      ).rejects.toThrow(/does not match the status-list allocation/);
      expect(await store.getCredentialByAttempt('att-1')).toBeUndefined();
    });

    it('revokes once, keeping the first reason and time, and lists the revoked index', async () => {
      const { store } = ctx();
      await gradedAttempt(store);
      const { credential } = await issueCredential(store);
      expect(await store.revokedIndices(credential.statusListId)).toEqual([]);
      const revoked = await store.revokeCredential(credential.id, 'exam misconduct', audit('credential.revoked', credential.id));
      const again = await store.revokeCredential(credential.id, 'another reason', audit('credential.revoked', credential.id));
      expect(revoked.revokedAt).not.toBeNull();
      expect(again).toMatchObject({ revocationReason: 'exam misconduct', revokedAt: revoked.revokedAt });
      expect(await store.revokedIndices(credential.statusListId)).toEqual([credential.statusIndex]);
      expect((await store.listAudit({ subject: credential.id })).filter((e) => e.action === 'credential.revoked')).toHaveLength(1);
      await expect(store.revokeCredential(credential.id, '  ', audit('credential.revoked'))).rejects.toThrow(/needs a reason/);
      await expect(store.revokeCredential('urn:uuid:none', 'x', audit('credential.revoked'))).rejects.toBeInstanceOf(NotFoundError);
    });
  });
});
