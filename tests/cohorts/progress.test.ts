import { ceremonyCsv } from '../../src/cohorts/ceremony';
import { importMembers } from '../../src/cohorts/import';
import { createCohortViews } from '../../src/cohorts/progress';
import type { CohortRecord, MemberRecord } from '../../src/store/cohort-types';
import { activeAttempt, cohortIn, earnCredential, progressRun, testCatalog, world, type World } from './support/world';

let w: World;
let cohort: CohortRecord;
let members: Record<string, MemberRecord>;
const views = () => createCohortViews({ store: w.store, cohorts: w.store.cohorts, catalog: testCatalog });
const plusDays = (iso: string, days: number) => new Date(Date.parse(iso) + days * 86_400_000).toISOString();
const due = (id: string) => cohort.milestones.find((m) => m.id === id)!.dueAt;

beforeEach(async () => {
  w = world();
  cohort = await cohortIn(w); // aws-serverless, 3 months from 2026-02-02, voucher: credential by the end
  // Alphabetical order is deliberately not the order of progress: Zoe is furthest ahead.
  await importMembers(
    { store: w.store, cohorts: w.store.cohorts, catalog: testCatalog, actor: 'admin:test' },
    cohort.id,
    'name,email,level\r\nZoe,zoe@example.org,foundation\r\nAbe,abe@example.org,foundation\r\nMia,mia@example.org,foundation\r\n',
  );
  const list = await w.store.cohorts.listMembers({ cohortId: cohort.id });
  members = Object.fromEntries(list.map((m) => [m.displayName!, m]));
});
afterEach(() => w.cleanup());

describe('cohort progress', () => {
  it('has default milestones: one per task evenly spaced, then the credential at the end', () => {
    expect(cohort.endsAt).toBe('2026-05-02T00:00:00.000Z');
    expect(cohort.milestones.map((m) => [m.id, m.dueAt.slice(0, 10), m.requirement])).toEqual([
      ['m1', '2026-02-20', { kind: 'tasks-passed', taskIds: ['t-api'] }],
      ['m2', '2026-03-10', { kind: 'tasks-passed', taskIds: ['t-queue'] }],
      ['m3', '2026-03-27', { kind: 'tasks-passed', taskIds: ['t-flow'] }],
      ['m4', '2026-04-14', { kind: 'tasks-passed', taskIds: ['t-deploy'] }],
      ['m5', '2026-05-02', { kind: 'credential', assessmentId: 'aws-serverless' }],
    ]);
  });

  it('moves standings as the clock passes milestones: behind when one due is missed, on track again once reached, completed with the credential', async () => {
    const zoe = await activeAttempt(w, members.Zoe!.candidateId);
    const abe = await activeAttempt(w, members.Abe!.candidateId);
    await progressRun(w, zoe, 't-api', plusDays(due('m1'), -3));
    await progressRun(w, abe, 't-api', plusDays(due('m1'), -10), 'failed');
    await progressRun(w, abe, 't-api', plusDays(due('m1'), 4)); // late
    for (const t of ['t-queue', 't-flow', 't-deploy']) await progressRun(w, zoe, t, plusDays(due('m2'), -1));
    const credential = await earnCredential(w, zoe, plusDays(due('m2'), 1));

    const standing = async (at: string) => {
      const view = (await views().groupView(cohort.id, members.Zoe!.groupId, { admin: true }, at))!;
      return Object.fromEntries(view.members.map((m) => [m.shownAs, m.standing]));
    };
    expect(await standing('2026-02-02T00:00:00Z')).toEqual({ Abe: 'on-track', Mia: 'on-track', Zoe: 'on-track' });
    expect(await standing(plusDays(due('m1'), 1))).toEqual({ Abe: 'behind', Mia: 'behind', Zoe: 'on-track' });
    expect(await standing(plusDays(due('m1'), 5))).toEqual({ Abe: 'on-track', Mia: 'behind', Zoe: 'on-track' });
    expect(await standing(plusDays(due('m2'), 2))).toEqual({ Abe: 'behind', Mia: 'behind', Zoe: 'completed' });

    const view = (await views().groupView(cohort.id, members.Zoe!.groupId, { admin: true }, plusDays(due('m2'), 2)))!;
    const zoeView = view.members.find((m) => m.shownAs === 'Zoe')!;
    expect(zoeView.milestones[0]).toEqual({ milestoneId: 'm1', title: 'Pass Task t-api', dueAt: due('m1'), reachedAt: plusDays(due('m1'), -3) });
    expect(zoeView.milestones[4]!.reachedAt).toBe(credential.issuedAt);
    expect(zoeView.tasksPassed).toEqual(['t-api', 't-deploy', 't-flow', 't-queue']);
    expect(zoeView.badges).toEqual([{ credentialId: credential.id, assessmentId: 'aws-serverless', title: 'AWS Serverless Builder', issuedAt: credential.issuedAt, badgePath: `/badges/${credential.id.replace(/^urn:uuid:/, '')}` }]);
    const abeView = view.members.find((m) => m.shownAs === 'Abe')!;
    expect(abeView.milestones[0]!.reachedAt).toBe(plusDays(due('m1'), 4));
  });

  it('lists people by the name they show, never by progress, and carries no score or rank', async () => {
    const zoe = await activeAttempt(w, members.Zoe!.candidateId);
    for (const t of ['t-api', 't-queue']) await progressRun(w, zoe, t, '2026-02-10T00:00:00Z');
    const at = plusDays(due('m2'), 1);
    const group = (await views().groupView(cohort.id, members.Zoe!.groupId, {}, at))!;
    expect(group.members.map((m) => m.shownAs)).toEqual(['Abe', 'Mia', 'Zoe']);
    const cohortView = (await views().cohortView(cohort.id, at))!;
    expect(cohortView.behind.map((b) => [b.shownAs, b.missed])).toEqual([
      ['Abe', ['m1', 'm2']],
      ['Mia', ['m1', 'm2']],
    ]);
    expect(cohortView.funnel.slice(0, 3).map((f) => [f.milestoneId, f.reached, f.of])).toEqual([
      ['m1', 1, 3],
      ['m2', 1, 3],
      ['m3', 0, 3],
    ]);
    expect(cohortView.groups).toEqual([{ group: expect.objectContaining({ id: members.Zoe!.groupId }), members: 3, onTrack: 1, behind: 2, completed: 0 }]);
    const text = JSON.stringify([group, cohortView, await views().ceremony(cohort.id, at)]);
    expect(text).not.toMatch(/"(score|rank|points|position|top)\w*"/i);
  });

  it('leaves a member who hid their entry out of what other members see, but shows it to them and to admins', async () => {
    const mia = members.Mia!;
    await w.store.cohorts.updateMember(cohort.id, mia.candidateId, { hidden: true, displayName: 'M.' }, { actor: `candidate:${mia.candidateId}`, action: 'cohort.member-updated', subject: cohort.id });
    const at = '2026-02-03T00:00:00Z';
    const shown = async (viewer: { candidateId?: string; admin?: boolean }) => (await views().groupView(cohort.id, mia.groupId, viewer, at))!.members.map((m) => m.shownAs);
    expect(await shown({ candidateId: members.Abe!.candidateId })).toEqual(['Abe', 'Zoe']);
    expect(await shown({ candidateId: mia.candidateId })).toEqual(['Abe', 'M.', 'Zoe']);
    expect(await shown({ admin: true })).toEqual(['Abe', 'M.', 'Zoe']);
    expect(await views().groupView(cohort.id, 'grp-elsewhere', { admin: true }, at)).toBeUndefined();
  });

  it('does not count a credential revoked by then, nor one issued after `at`', async () => {
    const zoe = await activeAttempt(w, members.Zoe!.candidateId);
    const credential = await earnCredential(w, zoe, '2026-03-01T00:00:00Z');
    w.clock.set('2026-03-05T00:00:00Z');
    await w.store.revokeCredential(credential.id, 'issued in error', { actor: 'admin:test', action: 'credential.revoked', subject: credential.id });
    const standingAt = async (at: string) => (await views().groupView(cohort.id, members.Zoe!.groupId, { admin: true }, at))!.members.find((m) => m.shownAs === 'Zoe')!;
    expect((await standingAt('2026-02-28T00:00:00Z')).badges).toEqual([]);
    expect((await standingAt('2026-03-02T00:00:00Z')).standing).toBe('completed');
    const after = await standingAt('2026-03-06T00:00:00Z');
    expect(after.standing).not.toBe('completed');
    expect(after.badges).toEqual([]);
  });
});

describe('closing ceremony and vouchers', () => {
  async function withCredentials() {
    const zoe = await earnCredential(w, await activeAttempt(w, members.Zoe!.candidateId), '2026-04-01T00:00:00Z');
    const abe = await earnCredential(w, await activeAttempt(w, members.Abe!.candidateId), '2026-05-10T00:00:00Z'); // after the end
    return { zoe, abe };
  }

  it('gives a voucher for a target credential earned by the cohort end, and says why for each member', async () => {
    const { zoe } = await withCredentials();
    const entries = (await views().ceremony(cohort.id, '2026-05-20T00:00:00Z'))!;
    expect(entries.map((e) => [e.shownAs, e.completed, e.voucherEligible, e.voucherReason])).toEqual([
      ['Abe', true, false, 'Earned aws-serverless on 2026-05-10, after the deadline 2026-05-02.'],
      ['Mia', false, false, 'No target credential by the deadline 2026-05-02.'],
      ['Zoe', true, true, 'Earned aws-serverless on 2026-04-01, by the deadline 2026-05-02.'],
    ]);
    expect(entries[2]!.credentialIds).toEqual([zoe.id]);
  });

  it('applies an explicit deadline, a milestone count, or no vouchers at all', async () => {
    await withCredentials();
    const setRule = async (voucherRule: CohortRecord['voucherRule']) => {
      const current = (await w.store.cohorts.getCohort(cohort.id))!;
      await w.store.cohorts.updateCohort(cohort.id, current.version, { voucherRule }, { actor: 'admin:test', action: 'cohort.updated', subject: cohort.id });
    };
    const eligible = async () => Object.fromEntries((await views().ceremony(cohort.id, '2026-06-01T00:00:00Z'))!.map((e) => [e.shownAs, e.voucherEligible]));

    await setRule({ kind: 'credential-by', deadline: '2026-05-31T00:00:00.000Z' });
    expect(await eligible()).toEqual({ Abe: true, Mia: false, Zoe: true });
    await setRule({ kind: 'milestones', count: 1 });
    expect(await eligible()).toEqual({ Abe: false, Mia: false, Zoe: true }); // Abe's passing runs came after the end
    const entry = (await views().ceremony(cohort.id, '2026-06-01T00:00:00Z'))!.find((e) => e.shownAs === 'Zoe')!;
    expect(entry.voucherReason).toBe("Reached 5 of 5 milestone(s) by the cohort's end (2026-05-02); the rule asks for 1.");
    await setRule({ kind: 'none' });
    expect(await eligible()).toEqual({ Abe: false, Mia: false, Zoe: false });
  });

  it('exports the ceremony as CSV by name, with formula-like names made inert', async () => {
    await w.store.cohorts.updateMember(cohort.id, members.Mia!.candidateId, { displayName: '=HYPERLINK("http://evil","win")' }, { actor: 'x', action: 'cohort.member-updated', subject: cohort.id });
    await withCredentials();
    const csv = ceremonyCsv((await views().ceremony(cohort.id, '2026-05-20T00:00:00Z'))!);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('name,candidate_id,group,target,completed,credential_ids,voucher,voucher_reason');
    expect(lines[1]).toBe(`"'=HYPERLINK(""http://evil"",""win"")",${members.Mia!.candidateId},AWS Serverless Builder · foundation · 1,aws-serverless,no,,no,No target credential by the deadline 2026-05-02.`);
    expect(lines.slice(2, 4).map((l) => l.split(',')[0])).toEqual(['Abe', 'Zoe']);
    // The portal's download is the same file behind a byte-order mark (for Excel).
    expect(ceremonyCsv((await views().ceremony(cohort.id, '2026-05-20T00:00:00Z'))!, { bom: true })).toBe(`\ufeff${csv}`);
  });
});
