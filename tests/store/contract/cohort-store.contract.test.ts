/**
 * CohortStore contract, written against the interface: it runs on every backend whose store class
 * implements CohortStore (feature-detected), so SQLite joins once its cohort store is merged.
 */
import type { ImportPlan, NewCohort } from '../../../src/store/cohort-types';
import { ConcurrentModificationError, ConstraintViolationError, NotFoundError, StoreError } from '../../../src/store/errors';
import { cohortStoreOf, describeEachBackend, type AnyStore } from './backends';
import { audit, seedAttempt, seedCandidate } from './seed';

const cohortOf = (store: AnyStore) => {
  const cohorts = cohortStoreOf(store);
  if (!cohorts) throw new Error('not a CohortStore');
  return cohorts;
};

const newCohort = (id = 'coh-1'): NewCohort => ({
  id,
  programmeId: 'prog-1',
  name: 'Level Up 2026 Q2',
  cadenceMonths: 3,
  startsAt: '2026-04-01T00:00:00.000Z',
  endsAt: '2026-07-01T00:00:00.000Z',
  targetAssessmentIds: ['aws-serverless'],
  groupSize: 2,
  milestones: [{ id: 'm1', title: 'First task', dueAt: '2026-05-01T00:00:00.000Z', requirement: { kind: 'tasks-passed', taskIds: ['task-a'] } }],
  voucherRule: { kind: 'credential-by' },
});

const group = (id: string) => ({ id, cohortId: 'coh-1', name: `Serverless · foundation · ${id}`, level: 'foundation', targetAssessmentId: 'aws-serverless' });
const member = (candidateId: string, groupId: string, importRow: number) => ({
  cohortId: 'coh-1',
  candidateId,
  groupId,
  level: 'foundation',
  targetAssessmentId: 'aws-serverless',
  displayName: `Name ${candidateId}`,
  hidden: false,
  importRow,
});

const plan = (): ImportPlan => ({
  cohortId: 'coh-1',
  newGroups: [group('g1'), group('g2')],
  members: [member('cand-1', 'g1', 2), member('cand-2', 'g1', 3), member('cand-3', 'g2', 4)],
});

describeEachBackend(
  'CohortStore contract',
  (ctx) => {
    async function seedCohort() {
      const store = cohortOf(ctx().store);
      await store.createProgramme({ id: 'prog-1', name: 'Level Up' }, audit('programme.created', 'prog-1'));
      await store.createCohort(newCohort(), audit('cohort.created', 'coh-1'));
      for (const c of ['cand-1', 'cand-2', 'cand-3']) await seedCandidate(store, c);
      return store;
    }

    it('creates programmes and cohorts, and lists them', async () => {
      const store = await seedCohort();
      expect(await store.getProgramme('prog-1')).toMatchObject({ id: 'prog-1', name: 'Level Up' });
      expect((await store.listProgrammes()).map((p) => p.id)).toEqual(['prog-1']);
      const cohort = await store.getCohort('coh-1');
      expect(cohort).toMatchObject({ ...newCohort(), version: 1 });
      expect((await store.listCohorts()).map((c) => c.id)).toEqual(['coh-1']);
      expect((await store.listCohorts({ programmeId: 'prog-1' })).map((c) => c.id)).toEqual(['coh-1']);
      expect(await store.listCohorts({ programmeId: 'prog-none' })).toEqual([]);
      await expect(store.createCohort({ ...newCohort('coh-2'), programmeId: 'prog-none' }, audit('cohort.created'))).rejects.toBeInstanceOf(StoreError);
    });

    it('updates a cohort only against the version it was read at', async () => {
      const store = await seedCohort();
      const updated = await store.updateCohort('coh-1', 1, { name: 'Renamed', groupSize: 3 }, audit('cohort.updated', 'coh-1'));
      expect(updated).toMatchObject({ name: 'Renamed', groupSize: 3, version: 2 });
      await expect(store.updateCohort('coh-1', 1, { name: 'Stale' }, audit('cohort.updated'))).rejects.toBeInstanceOf(ConcurrentModificationError);
      expect((await store.getCohort('coh-1'))?.name).toBe('Renamed');
      await expect(store.updateCohort('coh-none', 1, {}, audit('cohort.updated'))).rejects.toBeInstanceOf(NotFoundError);
    });

    it('applies an import: groups and members, found by cohort, group and candidate', async () => {
      const store = await seedCohort();
      expect(await store.applyImport(plan(), audit('cohort.imported', 'coh-1'))).toMatchObject({ groupsCreated: 2, membersAdded: 3, membersUpdated: 0, membersUnchanged: 0 });
      expect((await store.listGroups('coh-1')).map((g) => g.id).sort()).toEqual(['g1', 'g2']);
      expect(await store.getGroup('g2')).toMatchObject({ ...group('g2') });
      expect(await store.getGroup('g-none')).toBeUndefined();
      expect(await store.getMember('coh-1', 'cand-2')).toMatchObject({ ...member('cand-2', 'g1', 3) });
      expect((await store.listMembers({ cohortId: 'coh-1' })).map((m) => m.candidateId).sort()).toEqual(['cand-1', 'cand-2', 'cand-3']);
      expect((await store.listMembers({ groupId: 'g1' })).map((m) => m.candidateId).sort()).toEqual(['cand-1', 'cand-2']);
      expect((await store.listMembers({ candidateId: 'cand-3' })).map((m) => m.groupId)).toEqual(['g2']);
      expect((await store.getCohort('coh-1'))!.version).toBeGreaterThan(1);
    });

    it('re-applying the same import changes nothing; a changed member is updated', async () => {
      const store = await seedCohort();
      await store.applyImport(plan(), audit('cohort.imported', 'coh-1'));
      const before = await store.listMembers({ cohortId: 'coh-1' });
      expect(await store.applyImport(plan(), audit('cohort.imported', 'coh-1'))).toMatchObject({ groupsCreated: 0, membersAdded: 0, membersUpdated: 0, membersUnchanged: 3 });
      expect(await store.listMembers({ cohortId: 'coh-1' })).toEqual(before);
      const moved = { ...plan(), newGroups: [], members: [member('cand-3', 'g1', 4)] };
      expect(await store.applyImport(moved, audit('cohort.imported', 'coh-1'))).toMatchObject({ membersUpdated: 1, membersAdded: 0 });
      expect((await store.getMember('coh-1', 'cand-3'))?.groupId).toBe('g1');
    });

    it('is all or nothing: an import with one bad member stores none of it', async () => {
      const store = await seedCohort();
      const bad = { ...plan(), members: [...plan().members, member('cand-1b', 'g-missing', 5)] };
      await expect(store.applyImport(bad, audit('cohort.imported', 'coh-1'))).rejects.toBeInstanceOf(StoreError);
      expect(await store.listGroups('coh-1')).toEqual([]);
      expect(await store.listMembers({ cohortId: 'coh-1' })).toEqual([]);
      expect((await store.getCohort('coh-1'))?.version).toBe(1);
    });

    it('refuses an import planned from a cohort version that has moved on', async () => {
      const store = await seedCohort();
      await store.updateCohort('coh-1', 1, { groupSize: 4 }, audit('cohort.updated'));
      await expect(store.applyImport({ ...plan(), expectedVersion: 1 }, audit('cohort.imported'))).rejects.toBeInstanceOf(ConcurrentModificationError);
      expect(await store.listMembers({ cohortId: 'coh-1' })).toEqual([]);
    });

    it('creates the candidates an import brings, once', async () => {
      const store = await seedCohort();
      const withNew: ImportPlan = {
        ...plan(),
        candidates: [{ id: 'cand-new', subjectId: 'urn:uuid:subject-new', emailHash: 'sha256$new' }, { id: 'cand-1', subjectId: 'urn:uuid:subject-cand-1', emailHash: null }],
        members: [...plan().members, member('cand-new', 'g2', 5)],
      };
      expect(await store.applyImport(withNew, audit('cohort.imported'))).toMatchObject({ candidatesCreated: 1, membersAdded: 4 });
      expect(await store.findCandidateByEmailHash('sha256$new')).toMatchObject({ id: 'cand-new' });
      expect(await store.applyImport(withNew, audit('cohort.imported'))).toMatchObject({ candidatesCreated: 0, membersUnchanged: 4 });
    });

    it('updates a member’s display name, visibility and group', async () => {
      const store = await seedCohort();
      await store.applyImport(plan(), audit('cohort.imported'));
      const updated = await store.updateMember('coh-1', 'cand-1', { displayName: 'Ada', hidden: true, groupId: 'g2' }, audit('cohort.member-updated', 'cand-1'));
      expect(updated).toMatchObject({ displayName: 'Ada', hidden: true, groupId: 'g2' });
      expect(await store.getMember('coh-1', 'cand-1')).toEqual(updated);
      await expect(store.updateMember('coh-1', 'cand-none', { hidden: true }, audit('x'))).rejects.toBeInstanceOf(NotFoundError);
    });

    it('keeps a bulk run’s items, resumable: an item’s attempt, once set, never changes', async () => {
      const store = await seedCohort();
      await store.applyImport(plan(), audit('cohort.imported'));
      const run = await store.createBulkRun({ id: 'bulk-1', cohortId: 'coh-1', groupId: 'g1' }, ['cand-1', 'cand-2'], audit('cohort.bulk-started', 'bulk-1'));
      expect(run).toMatchObject({ id: 'bulk-1', cohortId: 'coh-1', groupId: 'g1', finishedAt: null });
      expect(await store.createBulkRun({ id: 'bulk-1', cohortId: 'coh-1', groupId: 'g1' }, ['cand-3'], audit('cohort.bulk-started', 'bulk-1'))).toEqual(run);
      const items = await store.listBulkItems('bulk-1');
      expect(items.map((i) => [i.candidateId, i.state, i.attemptId]).sort()).toEqual([
        ['cand-1', 'pending', null],
        ['cand-2', 'pending', null],
      ]);
      // The attempts an item names are real ones (SQLite holds the reference; DynamoDB trusts the caller).
      await seedAttempt(store, 'att-9', 'cand-1');
      await seedAttempt(store, 'att-10', 'cand-1');
      expect(await store.updateBulkItem('bulk-1', 'cand-1', { state: 'started', attemptId: 'att-9' })).toMatchObject({ state: 'started', attemptId: 'att-9' });
      await expect(store.updateBulkItem('bulk-1', 'cand-1', { state: 'started', attemptId: 'att-10' })).rejects.toBeInstanceOf(ConstraintViolationError);
      expect(await store.updateBulkItem('bulk-1', 'cand-2', { state: 'failed', error: 'no sandbox' })).toMatchObject({ state: 'failed', error: 'no sandbox', attemptId: null });
      const finished = await store.finishBulkRun('bulk-1', audit('cohort.bulk-finished', 'bulk-1'));
      expect(finished.finishedAt).not.toBeNull();
      expect(await store.getBulkRun('bulk-1')).toEqual(finished);
    });
  },
  { when: (backend) => backend.implementsCohorts },
);
