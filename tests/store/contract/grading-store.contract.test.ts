import { ConcurrentModificationError, ConstraintViolationError, DuplicateFinalRunError, DuplicateRunIdError, EvidenceHashMismatchError, NotFoundError } from '../../../src/store/errors';
import { canonicalJson } from '../../../src/store/canonical-json';
import { bundleOf } from '../../attempts/support/fixtures';
import { describeEachBackend } from './backends';
import { audit, finalRun, gradedAttempt, seedAttempt, seedCandidate } from './seed';

describeEachBackend('Store contract: candidates, attempts, grading runs, evidence', (ctx) => {
  describe('candidates', () => {
    it('creates a candidate once: a second ensure returns the first record and writes no audit entry', async () => {
      const { store } = ctx();
      const first = await seedCandidate(store, 'cand-1', 'sha256$abc');
      const again = await store.ensureCandidate({ id: 'cand-1', subjectId: 'urn:uuid:other', emailHash: null }, audit('candidate.created', 'cand-1'));
      expect(again).toEqual(first);
      expect(await store.getCandidate('cand-1')).toEqual(first);
      expect(await store.findCandidateByEmailHash('sha256$abc')).toEqual(first);
      expect(await store.findCandidateByEmailHash('sha256$nobody')).toBeUndefined();
      expect(await store.listAudit({ subject: 'cand-1' })).toHaveLength(1);
    });

    it('refuses a second candidate with the same e-mail hash', async () => {
      const { store } = ctx();
      await seedCandidate(store, 'cand-1', 'sha256$abc');
      await expect(seedCandidate(store, 'cand-2', 'sha256$abc')).rejects.toBeInstanceOf(ConstraintViolationError);
      expect(await store.getCandidate('cand-2')).toBeUndefined();
    });

    it('keeps one installation salt', async () => {
      const { store, another } = ctx();
      const salt = await store.installationSalt();
      expect(salt).toMatch(/^[0-9a-f]{32}$/);
      expect(await another().installationSalt()).toBe(salt);
    });
  });

  describe('attempts', () => {
    it('creates an attempt in state created at version 1 and lists it by candidate and state', async () => {
      const { store } = ctx();
      const attempt = await seedAttempt(store);
      expect(attempt).toMatchObject({ id: 'att-1', state: 'created', version: 1, finalRound: 0, result: null, taskIds: ['task-a', 'task-b'] });
      await seedAttempt(store, 'att-2', 'cand-2');
      expect((await store.listAttempts()).map((a) => a.id)).toEqual(['att-1', 'att-2']);
      expect((await store.listAttempts({ candidateId: 'cand-2' })).map((a) => a.id)).toEqual(['att-2']);
      expect(await store.listAttempts({ state: 'active' })).toEqual([]);
      expect(await store.getAttempt('att-1')).toEqual(attempt);
    });

    it('refuses an attempt for a candidate that does not exist, or an id taken', async () => {
      const { store } = ctx();
      await expect(
        store.createAttempt({ id: 'att-x', candidateId: 'nobody', kind: 'practice', targetId: 't', taskIds: ['t'], sandbox: { kind: 'replay', path: 'p' }, timeLimitSeconds: null }, audit('attempt.created')),
      ).rejects.toBeInstanceOf(ConstraintViolationError);
      await seedAttempt(store);
      await expect(seedAttempt(store)).rejects.toBeInstanceOf(ConstraintViolationError);
    });

    it('applies an update only against the version it was read at, and increments the version', async () => {
      const { store } = ctx();
      const attempt = await seedAttempt(store);
      const started = await store.updateAttempt({ attemptId: attempt.id, expectedVersion: 1, patch: { state: 'active', startedAt: '2026-03-01T09:00:00Z' } }, audit('attempt.started'));
      expect(started).toMatchObject({ state: 'active', version: 2, startedAt: '2026-03-01T09:00:00Z' });
      const stale = store.updateAttempt({ attemptId: attempt.id, expectedVersion: 1, patch: { state: 'cancelled' } }, audit('attempt.cancelled'));
      await expect(stale).rejects.toBeInstanceOf(ConcurrentModificationError);
      await expect(stale).rejects.toMatchObject({ expectedVersion: 1, actualVersion: 2 });
      expect((await store.getAttempt(attempt.id))?.state).toBe('active');
      await expect(store.updateAttempt({ attemptId: 'att-none', expectedVersion: 1, patch: {} }, audit('x'))).rejects.toBeInstanceOf(NotFoundError);
    });

    it('lets exactly one of two concurrent updates from the same version win, from separate handles', async () => {
      const { store, another } = ctx();
      await seedAttempt(store);
      const other = another();
      const results = await Promise.allSettled([
        store.updateAttempt({ attemptId: 'att-1', expectedVersion: 1, patch: { state: 'active', startedAt: 'a' } }, audit('attempt.started')),
        other.updateAttempt({ attemptId: 'att-1', expectedVersion: 1, patch: { state: 'cancelled' } }, audit('attempt.cancelled')),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(ConcurrentModificationError);
      expect((await store.getAttempt('att-1'))?.version).toBe(2);
    });

    it('refuses a graded attempt without a result, and leaves no audit entry for a refused change', async () => {
      const { store } = ctx();
      const attempt = await seedAttempt(store);
      const before = (await store.listAudit()).length;
      await expect(store.updateAttempt({ attemptId: attempt.id, expectedVersion: 99, patch: { state: 'active' } }, audit('attempt.started'))).rejects.toThrow();
      await expect(store.updateAttempt({ attemptId: attempt.id, expectedVersion: 1, patch: { state: 'graded' } }, audit('attempt.graded'))).rejects.toBeInstanceOf(ConstraintViolationError);
      expect(await store.listAudit()).toHaveLength(before);
      expect((await store.getAttempt(attempt.id))?.version).toBe(1);
    });
  });

  describe('grading runs and evidence', () => {
    it('stores each bundle by its sha256 and lists runs in the order recorded, by scope and round', async () => {
      const { store } = ctx();
      await gradedAttempt(store);
      await store.recordGradingRun(finalRun({ id: 'run-p', scope: 'progress', round: 0, taskId: 'task-a', bundle: bundleOf({ p: 1 }) }), audit('grading.progress-run'));
      const runs = await store.listGradingRuns('att-1');
      expect(runs.map((r) => r.id)).toEqual(['run-att-1-task-a', 'run-att-1-task-b', 'run-p']);
      expect((await store.listGradingRuns('att-1', { scope: 'final', round: 1 })).map((r) => r.taskId)).toEqual(['task-a', 'task-b']);
      expect(await store.listGradingRuns('att-1', { scope: 'progress' })).toHaveLength(1);
      expect(await store.listGradingRuns('att-1', { round: 2 })).toEqual([]);
      expect(runs[0]).toMatchObject({ attemptId: 'att-1', scope: 'final', round: 1, status: 'passed', report: { ok: true, checks: [{ id: 'table-exists', outcome: 'PASS' }] } });
      for (const run of runs) expect((await store.getEvidenceBundle(run.bundleSha256))?.sha256).toBe(run.bundleSha256);
      expect(await store.getEvidenceBundle('0'.repeat(64))).toBeUndefined();
    });

    it('applies the attempt update that comes with a run, atomically with it', async () => {
      const { store } = ctx();
      const attempt = await seedAttempt(store);
      await store.recordGradingRun(finalRun({ scope: 'progress', round: 0 }), audit('grading.progress-run'), {
        attemptId: 'att-1',
        expectedVersion: attempt.version,
        patch: { lastCheckAt: '2026-03-01T09:05:00Z' },
      });
      expect(await store.getAttempt('att-1')).toMatchObject({ lastCheckAt: '2026-03-01T09:05:00Z', version: 2 });
      const stale = store.recordGradingRun(finalRun({ id: 'run-2', scope: 'progress', round: 0 }), audit('grading.progress-run'), {
        attemptId: 'att-1',
        expectedVersion: attempt.version,
        patch: { lastCheckAt: 'later' },
      });
      await expect(stale).rejects.toBeInstanceOf(ConcurrentModificationError);
      expect((await store.listGradingRuns('att-1')).map((r) => r.id)).toEqual(['run-1']);
    });

    it('refuses a bundle whose content does not match its hash, and stores nothing', async () => {
      const { store } = ctx();
      await seedAttempt(store);
      const bundle = bundleOf({ task: 'task-a' });
      await expect(
        store.recordGradingRun(finalRun({ bundle: { sha256: bundle.sha256, json: bundle.json.replace('task-a', 'task-b') } }), audit('grading.final-run')),
      ).rejects.toBeInstanceOf(EvidenceHashMismatchError);
      expect(await store.getEvidenceBundle(bundle.sha256)).toBeUndefined();
      expect(await store.listGradingRuns('att-1')).toEqual([]);
    });

    it('accepts a pretty-printed bundle whose hash is over its canonical JSON', async () => {
      const { store } = ctx();
      await seedAttempt(store);
      const { sha256 } = bundleOf({ b: 1, a: [1, 2] });
      await store.recordGradingRun(finalRun({ bundle: { sha256, json: JSON.stringify({ b: 1, a: [1, 2] }, null, 2) } }), audit('grading.final-run'));
      expect(canonicalJson(JSON.parse((await store.getEvidenceBundle(sha256))?.json ?? 'null'))).toBe('{"a":[1,2],"b":1}');
    });

    it('keeps one final run per attempt, round and task, and any number of progress runs', async () => {
      const { store } = ctx();
      await seedAttempt(store);
      await store.recordGradingRun(finalRun(), audit('grading.final-run'));
      await expect(store.recordGradingRun(finalRun(), audit('grading.final-run'))).rejects.toBeInstanceOf(DuplicateFinalRunError);
      const duplicate = store.recordGradingRun(finalRun({ id: 'run-2' }), audit('grading.final-run'));
      await expect(duplicate).rejects.toBeInstanceOf(DuplicateFinalRunError);
      await expect(duplicate).rejects.toMatchObject({ attemptId: 'att-1', round: 1, taskId: 'task-a' });
      await store.recordGradingRun(finalRun({ id: 'run-3', round: 2 }), audit('grading.final-run'));
      await store.recordGradingRun(finalRun({ id: 'run-4', scope: 'progress', round: 0 }), audit('grading.progress-run'));
      await store.recordGradingRun(finalRun({ id: 'run-5', scope: 'progress', round: 0 }), audit('grading.progress-run'));
      expect((await store.listGradingRuns('att-1')).map((r) => r.id)).toEqual(['run-1', 'run-3', 'run-4', 'run-5']);
    });

    it('records one of several concurrent final runs for the same task from separate handles', async () => {
      const { store, another } = ctx();
      await seedAttempt(store);
      const handles = [store, another(), another()];
      const results = await Promise.allSettled(handles.map((h, i) => h.recordGradingRun(finalRun({ id: `run-c${i}` }), audit('grading.final-run'))));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DuplicateFinalRunError);
      expect(await store.listGradingRuns('att-1', { scope: 'final' })).toHaveLength(1);
    });

    // Queued progress jobs are deduplicated by their run id (derived from the job id): the store must hold it.
    it('refuses a second run with an id already recorded, whatever its scope or task, and records nothing for it', async () => {
      const { store } = ctx();
      await seedAttempt(store);
      await store.recordGradingRun(finalRun({ id: 'run-p', scope: 'progress', round: 0 }), audit('grading.progress-run'));
      const entries = (await store.listAudit()).length;
      const again = store.recordGradingRun(finalRun({ id: 'run-p', scope: 'progress', round: 0, bundle: bundleOf({ again: 1 }) }), audit('grading.progress-run'));
      await expect(again).rejects.toBeInstanceOf(DuplicateRunIdError);
      await expect(again).rejects.toMatchObject({ runId: 'run-p' });
      await expect(store.recordGradingRun(finalRun({ id: 'run-p', scope: 'progress', round: 0, taskId: 'task-b' }), audit('grading.progress-run'))).rejects.toBeInstanceOf(DuplicateRunIdError);
      await expect(store.recordGradingRun(finalRun({ id: 'run-p', scope: 'final', round: 1, taskId: 'task-b' }), audit('grading.final-run'))).rejects.toBeInstanceOf(DuplicateRunIdError);
      expect((await store.listGradingRuns('att-1')).map((r) => `${r.id}:${r.scope}:${r.taskId}`)).toEqual(['run-p:progress:task-a']);
      expect(await store.listAudit()).toHaveLength(entries);
    });

    it('records one of several concurrent progress runs with the same id from separate handles', async () => {
      const { store, another } = ctx();
      await seedAttempt(store);
      const handles = [store, another(), another()];
      const results = await Promise.allSettled(handles.map((h) => h.recordGradingRun(finalRun({ id: 'run-dup', scope: 'progress', round: 0 }), audit('grading.progress-run'))));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DuplicateRunIdError);
      expect(await store.listGradingRuns('att-1')).toHaveLength(1);
      expect((await store.listAudit()).filter((e) => e.action === 'grading.progress-run')).toHaveLength(1);
    });

    it('refuses a run for an attempt that does not exist', async () => {
      const { store } = ctx();
      await expect(store.recordGradingRun(finalRun({ attemptId: 'att-missing' }), audit('grading.final-run'))).rejects.toBeInstanceOf(ConstraintViolationError);
    });
  });

  describe('issuer keys', () => {
    it('registers a key once per kid and lists keys', async () => {
      const { store } = ctx();
      const key = { kid: 'did:web:x.example#k1', issuerId: 'did:web:x.example', alg: 'ES256' as const, publicJwk: { kty: 'EC', x: 'a' } };
      const first = await store.putIssuerKey(key, audit('issuer.key-registered', key.kid));
      const again = await store.putIssuerKey({ ...key, publicJwk: { kty: 'EC', x: 'other' } }, audit('issuer.key-registered', key.kid));
      expect(again).toEqual(first);
      expect(first).toMatchObject({ ...key, retiredAt: null });
      await store.putIssuerKey({ ...key, kid: 'did:web:x.example#k2', alg: 'EdDSA' }, audit('issuer.key-registered', 'k2'));
      expect((await store.listIssuerKeys()).map((k) => k.kid)).toEqual(['did:web:x.example#k1', 'did:web:x.example#k2']);
      expect(await store.getIssuerKey('nope')).toBeUndefined();
      expect(await store.listAudit({ subject: key.kid })).toHaveLength(1);
    });
  });
});
