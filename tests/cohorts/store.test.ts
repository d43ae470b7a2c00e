import { ConcurrentModificationError, ConstraintViolationError, NotFoundError } from '../../src/store/errors';
import { LATEST_SCHEMA_VERSION } from '../../src/store/migrations';
import { activeAttempt, cohortIn, world, type World } from './support/world';

let w: World;
beforeEach(() => {
  w = world();
});
afterEach(() => w.cleanup());
const audit = (action: string, subject = 'c') => ({ actor: 'admin:test', action, subject });

describe('SQLite cohort store', () => {
  it('is migration 3, applied with the rest', () => {
    expect(w.store.appliedMigrations().map((m) => [m.version, m.name])).toContainEqual([3, 'cohorts']);
    expect(LATEST_SCHEMA_VERSION).toBeGreaterThanOrEqual(3);
  });

  it('updates a cohort only from the version it read, and audits each change', async () => {
    const cohort = await cohortIn(w);
    const renamed = await w.store.cohorts.updateCohort(cohort.id, cohort.version, { name: 'Renamed' }, audit('cohort.updated', cohort.id));
    expect(renamed).toMatchObject({ name: 'Renamed', version: cohort.version + 1 });
    await expect(w.store.cohorts.updateCohort(cohort.id, cohort.version, { name: 'Lost update' }, audit('cohort.updated', cohort.id))).rejects.toThrow(ConcurrentModificationError);
    await expect(w.store.cohorts.updateCohort('nope', 1, { name: 'x' }, audit('cohort.updated'))).rejects.toThrow(NotFoundError);
    expect((await w.store.listAudit({ subject: cohort.id })).map((a) => a.action)).toEqual(['cohort.created', 'cohort.updated']);
    expect((await w.store.verifyAuditChain()).ok).toBe(true);
  });

  it('refuses a cohort that ends before it starts or has no target (database checks)', async () => {
    const cohort = await cohortIn(w);
    await expect(w.store.cohorts.updateCohort(cohort.id, cohort.version, { endsAt: '2025-01-01T00:00:00.000Z' }, audit('cohort.updated'))).rejects.toThrow(ConstraintViolationError);
    await expect(w.store.cohorts.createCohort({ ...cohort, id: 'other', targetAssessmentIds: [] }, audit('cohort.created'))).rejects.toThrow(ConstraintViolationError);
  });

  it('keeps a member in a group of their own cohort', async () => {
    const a = await cohortIn(w, { name: 'A' });
    const b = await cohortIn(w, { name: 'B' });
    await w.store.ensureCandidate({ id: 'cand-1', subjectId: 'urn:uuid:1', emailHash: null }, audit('candidate.created'));
    await w.store.cohorts.applyImport(
      { cohortId: a.id, newGroups: [{ id: 'g-a', cohortId: a.id, name: 'A1', level: 'l', targetAssessmentId: 'aws-serverless' }], members: [] },
      audit('cohort.members-imported', a.id),
    );
    const wrongGroup = { cohortId: b.id, candidateId: 'cand-1', groupId: 'g-a', level: 'l', targetAssessmentId: 'aws-serverless', displayName: null, hidden: false, importRow: 2 };
    await expect(w.store.cohorts.applyImport({ cohortId: b.id, newGroups: [], members: [wrongGroup] }, audit('cohort.members-imported', b.id))).rejects.toThrow(ConstraintViolationError);
    expect(await w.store.cohorts.listMembers({ cohortId: b.id })).toEqual([]);
  });

  it('creates a bulk run once per id, and an item keeps the attempt it started', async () => {
    const cohort = await cohortIn(w);
    await w.store.ensureCandidate({ id: 'cand-1', subjectId: 'urn:uuid:1', emailHash: null }, audit('candidate.created'));
    const run = await w.store.cohorts.createBulkRun({ id: 'bulk-1', cohortId: cohort.id, groupId: null }, ['cand-1', 'cand-1'], audit('cohort.bulk-start-created'));
    expect(await w.store.cohorts.createBulkRun({ id: 'bulk-1', cohortId: cohort.id, groupId: null }, [], audit('cohort.bulk-start-created'))).toEqual(run);
    expect((await w.store.cohorts.listBulkItems('bulk-1')).map((i) => [i.candidateId, i.state, i.attemptId])).toEqual([['cand-1', 'pending', null]]);

    const first = await activeAttempt(w, 'cand-1');
    const second = await activeAttempt(w, 'cand-1');
    await w.store.cohorts.updateBulkItem('bulk-1', 'cand-1', { state: 'started', attemptId: first.id });
    await expect(w.store.cohorts.updateBulkItem('bulk-1', 'cand-1', { state: 'started', attemptId: second.id })).rejects.toThrow(ConstraintViolationError);
    expect(await w.store.cohorts.updateBulkItem('bulk-1', 'cand-1', { state: 'failed', error: 'x' })).toMatchObject({ attemptId: first.id, state: 'failed', error: 'x' });
    const finished = await w.store.cohorts.finishBulkRun('bulk-1', audit('cohort.bulk-start-finished'));
    expect(finished.finishedAt).not.toBeNull();
    expect(await w.store.cohorts.finishBulkRun('bulk-1', audit('cohort.bulk-start-finished'))).toEqual(finished);
  });
});
