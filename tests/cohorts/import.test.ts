import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashIdentity, resolveCandidate } from '../../src/attempts/candidate';
import { CohortImportError } from '../../src/cohorts/errors';
import { importMembers, nameCandidateId, type ImportDeps } from '../../src/cohorts/import';
import { ConcurrentModificationError } from '../../src/store/errors';
import { generateRosterCsv } from './support/roster';
import { cohortIn, testCatalog, world, type World } from './support/world';

let w: World;
let deps: ImportDeps;
beforeEach(() => {
  w = world();
  // Batched candidate lookup, as the CLI uses; the name-only test below goes row by row (other stores).
  deps = { store: w.store, cohorts: w.store.cohorts, lookup: w.store.cohorts, catalog: testCatalog, actor: 'admin:test' };
});
afterEach(() => w.cleanup());

const importing = (cohortId: string, csv: string) => importMembers(deps, cohortId, csv, { source: 'members.csv' });

async function importError(cohortId: string, csv: string): Promise<CohortImportError> {
  const e = await importing(cohortId, csv).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(CohortImportError);
  return e as CohortImportError;
}

describe('cohort import', () => {
  it('places 23 people in groups of 8, 8 and 7 and keeps each e-mail only as the salted hash of a pseudonymous candidate', async () => {
    const cohort = await cohortIn(w);
    const outcome = await importing(cohort.id, generateRosterCsv(23, { levels: ['foundation'], emailShare: 1 }));
    expect(outcome.result).toEqual({ candidatesCreated: 23, groupsCreated: 3, membersAdded: 23, membersUpdated: 0, membersUnchanged: 0 });
    const groups = await w.store.cohorts.listGroups(cohort.id);
    const members = await w.store.cohorts.listMembers({ cohortId: cohort.id });
    expect(groups.map((g) => members.filter((m) => m.groupId === g.id).length)).toEqual([8, 8, 7]);
    expect(groups.map((g) => g.name)).toEqual(['AWS Serverless Builder · foundation · 1', 'AWS Serverless Builder · foundation · 2', 'AWS Serverless Builder · foundation · 3']);

    // The same candidate `attempt start --candidate <e-mail>` finds: one identity, however the person arrives.
    const member7 = members.find((m) => m.displayName === 'Member 7')!;
    expect((await resolveCandidate(w.store, 'Member7@Example.org '))?.id).toBe(member7.candidateId);
    expect(member7.candidateId).toMatch(/^cand-[0-9a-f]{12}$/);
    w.store.close();
    const bytes = ['skillproof.db', 'skillproof.db-wal'].map((f) => { try { return readFileSync(join(w.dir, f)).toString('latin1'); } catch { return ''; } }).join('');
    expect(bytes).not.toContain('example.org');
  });

  it('finds the candidate an earlier `attempt start --candidate <e-mail>` made, rather than making a second', async () => {
    const earlier = await resolveCandidate(w.store, 'ana@example.org');
    const cohort = await cohortIn(w);
    const outcome = await importing(cohort.id, 'email,level\r\nANA@example.org,foundation\r\n');
    expect(outcome.result.candidatesCreated).toBe(0);
    expect((await w.store.cohorts.listMembers({ cohortId: cohort.id }))[0]!.candidateId).toBe(earlier.id);
  });

  it('finds a name-only member again on re-import by a candidate id derived from the cohort, the name and the installation salt', async () => {
    const cohort = await cohortIn(w);
    delete deps.lookup;
    await importing(cohort.id, 'name,level\r\nAna  Lima,foundation\r\n');
    const [member] = await w.store.cohorts.listMembers({ cohortId: cohort.id });
    expect(member!.candidateId).toBe(nameCandidateId(cohort.id, 'ana lima', await w.store.installationSalt()));
    expect(member!.displayName).toBe('Ana  Lima');
    expect((await w.store.getCandidate(member!.candidateId))!.emailHash).toBeNull();
    const again = await importing(cohort.id, 'name,level\r\nANA LIMA,Foundation\r\n');
    expect(again.result).toMatchObject({ candidatesCreated: 0, membersAdded: 0 });
  });

  it('changes nothing when the same file is imported twice: no new version, no audit entry', async () => {
    const cohort = await cohortIn(w);
    const csv = generateRosterCsv(40, { seed: 7 });
    await importing(cohort.id, csv);
    const before = { cohort: await w.store.cohorts.getCohort(cohort.id), audit: (await w.store.listAudit()).length, members: await w.store.cohorts.listMembers({ cohortId: cohort.id }) };
    w.clock.set('2026-01-20T00:00:00Z');
    const again = await importing(cohort.id, csv);
    expect(again.result).toEqual({ candidatesCreated: 0, groupsCreated: 0, membersAdded: 0, membersUpdated: 0, membersUnchanged: 40 });
    expect(await w.store.cohorts.getCohort(cohort.id)).toEqual(before.cohort);
    expect((await w.store.listAudit()).length).toBe(before.audit);
    expect(await w.store.cohorts.listMembers({ cohortId: cohort.id })).toEqual(before.members);
  });

  it('keeps existing members in their groups when a longer list arrives, and puts newcomers where there is room', async () => {
    const cohort = await cohortIn(w);
    await importing(cohort.id, generateRosterCsv(23, { levels: ['foundation'] }));
    const first = new Map((await w.store.cohorts.listMembers({ cohortId: cohort.id })).map((m) => [m.candidateId, m.groupId]));
    const outcome = await importing(cohort.id, generateRosterCsv(27, { levels: ['foundation'] }));
    expect(outcome.result).toMatchObject({ groupsCreated: 0, membersAdded: 4, membersUnchanged: 23 });
    const after = await w.store.cohorts.listMembers({ cohortId: cohort.id });
    for (const [candidateId, groupId] of first) expect(after.find((m) => m.candidateId === candidateId)!.groupId).toBe(groupId);
    const groups = await w.store.cohorts.listGroups(cohort.id);
    expect(groups.map((g) => after.filter((m) => m.groupId === g.id).length)).toEqual([9, 9, 9]);
  });

  it('refuses a file with bad rows whole, listing every bad row with its number and what is wrong', async () => {
    const cohort = await cohortIn(w, { targetAssessmentIds: ['aws-serverless'] });
    const csv = [
      'name,email,level,target',
      'Ana,ana@example.org,foundation,aws-serverless',
      'Bo,bo@,foundation,aws-serverless',
      ',,foundation,aws-serverless',
      'Cy,cy@example.org,,aws-agentic-ai',
      'Di,di@example.org,foundation,aws-nothing',
      'Ed,ANA@example.org,foundation,aws-serverless',
      '"Fa, Jr",fa@example.org,foundation,aws-serverless,extra',
    ].join('\r\n');
    const e = await importError(cohort.id, csv);
    expect(e.rows).toEqual([
      { row: 3, problems: ['e-mail "bo@" is not an e-mail address'] },
      { row: 4, problems: ['needs a name or an e-mail address'] },
      { row: 5, problems: ['level is empty', `target "aws-agentic-ai" is not one of this cohort's target assessments (aws-serverless)`] },
      { row: 6, problems: ['target "aws-nothing" is not an assessment in the catalog (this cohort\'s targets: aws-serverless)'] },
      { row: 7, problems: ['is the same person as row 2 (same e-mail address)'] },
      { row: 8, problems: ['has 5 fields but the header has 4 (a comma inside a value needs quotes)'] },
    ]);
    expect(e.message).toContain('members.csv: 6 rows cannot be imported, so nothing was imported:');
    expect(e.message).toContain('  row 5: level is empty; target');
    expect(await w.store.cohorts.listMembers({ cohortId: cohort.id })).toEqual([]);
    expect(await w.store.cohorts.listGroups(cohort.id)).toEqual([]);
    expect((await w.store.listAudit()).filter((a) => a.action.startsWith('candidate') || a.action === 'cohort.members-imported')).toEqual([]);
  });

  it('names a header without the columns it needs, and an empty file', async () => {
    const cohort = await cohortIn(w, { targetAssessmentIds: ['aws-serverless', 'aws-agentic-ai'] });
    expect((await importError(cohort.id, 'who,department\r\nAna,IT\r\n')).rows).toEqual([
      { row: 1, problems: ['the header needs a "name" or an "email" column (or both)', 'the header needs a "level" column', expect.stringContaining('needs a "target" column')] },
    ]);
    expect((await importError(cohort.id, '')).rows[0]!.problems[0]).toContain('the file is empty');
    expect((await importError(cohort.id, 'name,level,target\r\n')).rows[0]!.problems[0]).toContain('no members');
  });

  it('stores nothing at all, not even the new candidates, when the store refuses the plan', async () => {
    const cohort = await cohortIn(w);
    const failing = { ...deps, newGroupId: () => 'grp-same' }; // two new groups with one id: the second insert fails
    const csv = 'email,level\r\na@example.org,foundation\r\nb@example.org,advanced\r\n';
    await expect(importMembers(failing, cohort.id, csv)).rejects.toThrow(/refused the change/);
    expect(await w.store.cohorts.listMembers({ cohortId: cohort.id })).toEqual([]);
    const salt = await w.store.installationSalt();
    for (const email of ['a@example.org', 'b@example.org']) expect(await w.store.findCandidateByEmailHash(hashIdentity(email, salt))).toBeUndefined();
    expect((await w.store.listAudit()).map((a) => a.action)).toEqual(['programme.created', 'cohort.created']);
  });

  it('refuses a plan made before the cohort changed (compare-and-set on its version)', async () => {
    const cohort = await cohortIn(w);
    await w.store.cohorts.updateCohort(cohort.id, cohort.version, { groupSize: 4 }, { actor: 'admin:test', action: 'cohort.updated', subject: cohort.id });
    const stale = { cohortId: cohort.id, expectedVersion: cohort.version, newGroups: [], members: [] };
    await expect(w.store.cohorts.applyImport(stale, { actor: 'admin:test', action: 'cohort.members-imported', subject: cohort.id })).rejects.toThrow(ConcurrentModificationError);
    await expect(w.store.cohorts.applyImport(stale, { actor: 'a', action: 'b', subject: 'c' })).rejects.toThrow(`Cohort ${cohort.id} changed while this operation ran`);
  });

  it('dry run reports the placement and stores nothing', async () => {
    const cohort = await cohortIn(w);
    const outcome = await importMembers(deps, cohort.id, generateRosterCsv(12, { levels: ['foundation'] }), { dryRun: true });
    expect(outcome.result).toMatchObject({ groupsCreated: 2, membersAdded: 12 });
    expect(await w.store.cohorts.listMembers({ cohortId: cohort.id })).toEqual([]);
  });
});
