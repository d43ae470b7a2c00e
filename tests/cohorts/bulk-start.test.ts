import { bulkStart, type BulkProgress, type BulkStartDeps } from '../../src/cohorts/bulk-start';
import { importMembers } from '../../src/cohorts/import';
import type { CohortStore, MemberRecord } from '../../src/store/cohort-types';
import type { AttemptRecord } from '../../src/store/types';
import { generateRosterCsv } from './support/roster';
import { cohortIn, testCatalog, world, type World } from './support/world';

let w: World;
let cohortId: string;
let seq = 0;
beforeEach(async () => {
  w = world();
  cohortId = (await cohortIn(w, { groupSize: 5 })).id;
  await importMembers({ store: w.store, cohorts: w.store.cohorts, catalog: testCatalog, actor: 'admin:test' }, cohortId, generateRosterCsv(12, { levels: ['foundation'] }));
});
afterEach(() => w.cleanup());

const audit = (action: string, subject: string) => ({ actor: 'admin:test', action, subject });

async function create(member: MemberRecord): Promise<AttemptRecord> {
  const id = `att-b${++seq}`;
  return w.store.createAttempt(
    { id, candidateId: member.candidateId, kind: 'assessment', targetId: member.targetAssessmentId, taskIds: ['t-api'], sandbox: { kind: 'replay', path: '/x' }, timeLimitSeconds: null },
    audit('attempt.created', id),
  );
}
async function startIt(attempt: AttemptRecord): Promise<AttemptRecord> {
  return w.store.updateAttempt({ attemptId: attempt.id, expectedVersion: attempt.version, patch: { state: 'active', startedAt: '2026-02-02T00:00:00Z' } }, audit('attempt.started', attempt.id));
}

function deps(overrides: Partial<BulkStartDeps> = {}): BulkStartDeps & { lines: BulkProgress[]; inFlight: { now: number; max: number } } {
  const lines: BulkProgress[] = [];
  const inFlight = { now: 0, max: 0 };
  return {
    store: w.store,
    cohorts: w.store.cohorts,
    concurrency: 3,
    actor: 'admin:test',
    startAttempt: async (member) => {
      inFlight.max = Math.max(inFlight.max, ++inFlight.now);
      try {
        await new Promise((r) => setImmediate(r));
        return await startIt(await create(member));
      } finally {
        inFlight.now -= 1;
      }
    },
    resumeAttempt: startIt,
    onProgress: (p) => lines.push(p),
    lines,
    inFlight,
    ...overrides,
  };
}

const attemptsPerMember = async () => {
  const counts = new Map<string, number>();
  for (const a of await w.store.listAttempts()) counts.set(a.candidateId, (counts.get(a.candidateId) ?? 0) + 1);
  return counts;
};

describe('bulk start', () => {
  it('starts one attempt per member with at most `concurrency` in flight, with a progress line for each', async () => {
    const d = deps();
    const summary = await bulkStart(d, cohortId);
    expect(summary).toMatchObject({ runId: `bulk-${cohortId}-all-1`, resumed: false, total: 12, started: 12, failed: [], finished: true });
    expect(d.inFlight.max).toBe(3);
    expect(d.lines.map((l) => l.done)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect([...(await attemptsPerMember()).values()]).toEqual(Array(12).fill(1));
  });

  it('covers one group only when asked', async () => {
    const [group] = await w.store.cohorts.listGroups(cohortId);
    const summary = await bulkStart(deps(), cohortId, group!.id);
    expect(summary.total).toBe((await w.store.cohorts.listMembers({ cohortId, groupId: group!.id })).length);
    expect(summary.runId).toBe(`bulk-${cohortId}-${group!.id}-1`);
  });

  it('resumes after a crash between starting an attempt and recording it, without a second attempt for anyone', async () => {
    // The store fails (as if the process died) when recording the 5th started item, after its attempt started.
    let recorded = 0;
    const crashing: CohortStore = Object.create(w.store.cohorts, {
      updateBulkItem: {
        value: async (...args: Parameters<CohortStore['updateBulkItem']>) => {
          if (args[2].state === 'started' && ++recorded === 5) throw new Error('SQLITE_IOERR: disk I/O error');
          return w.store.cohorts.updateBulkItem(...args);
        },
      },
    });
    await expect(bulkStart(deps({ cohorts: crashing }), cohortId)).rejects.toThrow('disk I/O error');
    const run = (await w.store.cohorts.getBulkRun(`bulk-${cohortId}-all-1`))!;
    expect(run.finishedAt).toBeNull();
    const startedBefore = (await w.store.listAttempts()).length;
    expect(startedBefore).toBeGreaterThanOrEqual(5);
    expect(startedBefore).toBeLessThan(12); // the run stopped taking members

    const d = deps();
    const summary = await bulkStart(d, cohortId);
    expect(summary).toMatchObject({ runId: run.id, resumed: true, total: 12, failed: [], finished: true });
    expect(summary.adopted).toBeGreaterThanOrEqual(1); // the attempt whose recording failed, and any in flight then
    expect(summary.alreadyStarted + summary.adopted + summary.started).toBe(12);
    expect([...(await attemptsPerMember()).values()]).toEqual(Array(12).fill(1));
    expect((await w.store.listAttempts()).every((a) => a.state === 'active')).toBe(true);
  });

  it('starts an attempt that was created but never started (interrupted in between) instead of creating another', async () => {
    const [member] = await w.store.cohorts.listMembers({ cohortId });
    const orphan = await create(member!);
    const summary = await bulkStart(deps(), cohortId);
    expect(summary.adopted).toBe(1);
    expect((await w.store.getAttempt(orphan.id))!.state).toBe('active');
    expect((await attemptsPerMember()).get(member!.candidateId)).toBe(1);
  });

  it('records a member whose attempt could not start, leaves the run open, and retries only them on the next run', async () => {
    const members = await w.store.cohorts.listMembers({ cohortId });
    const unlucky = members[3]!.candidateId;
    const failing = deps();
    const first = await bulkStart({ ...failing, startAttempt: async (m) => (m.candidateId === unlucky ? Promise.reject(new Error('no sandbox for this member')) : failing.startAttempt(m)) }, cohortId);
    expect(first).toMatchObject({ started: 11, failed: [{ candidateId: unlucky, error: 'no sandbox for this member' }], finished: false });
    expect(failing.lines.find((l) => l.candidateId === unlucky)).toMatchObject({ outcome: 'failed' });

    const second = await bulkStart(deps(), cohortId);
    expect(second).toMatchObject({ resumed: true, started: 1, alreadyStarted: 11, finished: true });
    const third = await bulkStart(deps(), cohortId);
    expect(third).toMatchObject({ runId: `bulk-${cohortId}-all-2`, resumed: false, started: 0, adopted: 12 });
    expect([...(await attemptsPerMember()).values()]).toEqual(Array(12).fill(1));
  });

  it('refuses a bad concurrency, an unknown group and an empty cohort', async () => {
    await expect(bulkStart(deps({ concurrency: 0 }), cohortId)).rejects.toThrow('concurrency must be a whole number from 1 to 64');
    await expect(bulkStart(deps(), cohortId, 'grp-none')).rejects.toThrow('has no group "grp-none"');
    const empty = (await cohortIn(w, { name: 'Empty' })).id;
    await expect(bulkStart(deps(), empty)).rejects.toThrow('has no members');
  });
});
