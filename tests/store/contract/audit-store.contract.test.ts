import { canonicalJson, sha256Hex } from '../../../src/store/canonical-json';
import { describeEachBackend } from './backends';
import { audit, gradedAttempt, issueCredential } from './seed';

describeEachBackend('Store contract: audit log and integrity', (ctx) => {
  async function fiveEntries() {
    const { store } = ctx();
    for (let i = 1; i <= 5; i += 1) await store.appendAudit({ actor: 'admin:alice', action: 'credential.revoked', subject: `urn:uuid:${i}`, data: { reason: `reason ${i}` } });
    return store;
  }

  it('chains each entry to the previous one by the sha256 of its canonical JSON', async () => {
    const store = await fiveEntries();
    const entries = await store.listAudit();
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(entries[0]?.prevHash).toBe('0'.repeat(64));
    entries.forEach((entry, i) => {
      if (i > 0) expect(entry.prevHash).toBe(entries[i - 1]?.hash);
      const { hash, ...rest } = entry;
      expect(sha256Hex(canonicalJson(rest))).toBe(hash);
    });
    expect(entries[2]).toMatchObject({ actor: 'admin:alice', action: 'credential.revoked', subject: 'urn:uuid:3', data: { reason: 'reason 3' } });
    expect((await store.listAudit({ subject: 'urn:uuid:4' })).map((e) => e.seq)).toEqual([4]);
    expect(await store.verifyAuditChain()).toEqual({ ok: true, entries: 5 });
  });

  it('keeps one unbroken chain when many entries are appended at once from several handles', async () => {
    const { store, another } = ctx();
    const handles = [store, another(), another()];
    const appended = await Promise.all(Array.from({ length: 30 }, (_, i) => handles[i % 3]!.appendAudit(audit('test.concurrent', `s-${i}`, { i }))));
    expect(new Set(appended.map((e) => e.seq)).size).toBe(30);
    expect(await store.verifyAuditChain()).toEqual({ ok: true, entries: 30 });
    expect((await store.listAudit()).map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('detects an altered entry', async () => {
    const { tamper } = ctx();
    const store = await fiveEntries();
    await tamper.auditEntry(3, 'actor', 'mallory');
    expect(await store.verifyAuditChain()).toMatchObject({ ok: false, brokenAt: { seq: 3, problem: expect.stringMatching(/altered/) } });
    const report = await store.integrityCheck();
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.stringMatching(/^audit log: entry 3: .*altered/)]);
  });

  it('detects an entry removed from the middle, and entries removed from the end', async () => {
    const { tamper } = ctx();
    const store = await fiveEntries();
    await tamper.removeAuditEntry(2);
    expect(await store.verifyAuditChain()).toMatchObject({ ok: false, brokenAt: { seq: 3, problem: expect.stringMatching(/removed/) } });
    await tamper.removeAuditEntry(5);
    await tamper.removeAuditEntry(4);
    expect(await store.verifyAuditChain()).toMatchObject({ ok: false, brokenAt: { problem: expect.stringMatching(/removed/) } });
  });

  it('detects entries removed from the end alone', async () => {
    const { tamper } = ctx();
    const store = await fiveEntries();
    await tamper.removeAuditEntry(5);
    expect(await store.verifyAuditChain()).toMatchObject({ ok: false, brokenAt: { problem: expect.stringMatching(/removed/) } });
  });

  describe('integrityCheck', () => {
    it('passes on a consistent store with a credential', async () => {
      const { store } = ctx();
      await gradedAttempt(store);
      await issueCredential(store);
      expect(await store.integrityCheck()).toMatchObject({ ok: true, problems: [], auditChain: { ok: true } });
    });

    it('reports an attempt marked credentialed without a credential', async () => {
      const { store, tamper } = ctx();
      await gradedAttempt(store);
      await tamper.setAttemptState('att-1', 'credentialed');
      const report = await store.integrityCheck();
      expect(report.ok).toBe(false);
      expect(report.problems).toContain('attempt att-1 is credentialed but has no credential');
    });

    it('reports an active attempt that was never started', async () => {
      const { store, tamper } = ctx();
      await gradedAttempt(store, 'att-2');
      await store.ensureCandidate({ id: 'cand-9', subjectId: 'urn:uuid:9', emailHash: null }, audit('candidate.created', 'cand-9'));
      await store.createAttempt(
        { id: 'att-9', candidateId: 'cand-9', kind: 'practice', targetId: 'task-a', taskIds: ['task-a'], sandbox: { kind: 'replay', path: 'x' }, timeLimitSeconds: null },
        audit('attempt.created', 'att-9'),
      );
      await tamper.setAttemptState('att-9', 'active');
      expect((await store.integrityCheck()).problems).toEqual(['attempt att-9 is active but was never started']);
    });
  });
});
