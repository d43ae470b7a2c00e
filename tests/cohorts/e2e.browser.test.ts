import type { Browser, Page } from 'playwright-core';
import { launchChromium, shot, sidewaysOverflow, viewers } from '../server/support/browser';
import { bulkStart } from '../../src/cohorts/bulk-start';
import { cohortCatalog } from '../../src/cohorts/catalog';
import { importMembers } from '../../src/cohorts/import';
import { createCohort } from '../../src/cohorts/setup';
import type { CohortRecord, GroupRecord, MemberRecord } from '../../src/store/cohort-types';
import { ASSESSMENT, ASSESSMENT_TASKS, gradingDone, startTestPortal, type TestPortal } from '../server/support/portal';
import { generateRosterCsv } from './support/roster';

/**
 * Issue 14's acceptance test, end to end on the real implementation: a 300-member CSV imported
 * into groups, one group's attempts started in bulk on recorded evidence (replay sandboxes),
 * graded through the portal's attempt service (one member passes and earns the credential, one
 * passes a single task and fails the assessment), a clock moved across the milestones, and the
 * group and cohort pages read in Debian's Chromium at 390 and 1280 px at each instant.
 *
 * The group's people are chosen so that alphabetical order and order of progress differ: the two
 * with progress are last by name. SKILLPROOF_SCREENSHOT_DIR keeps a screenshot of each page.
 */
const WIDTHS = [390, 1280] as const;
const MEMBERS = 300;

/** 300 distinct names whose alphabetical order is not the roster's order. */
const FIRST = ['Zoë', 'Ana', 'Mia', 'Bea', 'Eli', 'Noor', 'Kai', 'Ivo', 'Lena', 'Omar', 'Ravi', 'Sofia', 'Tariq', 'Uma', 'Yara', 'Chen', 'Dara', 'Femi', 'Gus', 'Hana'];
const LAST = ['Okafor', 'Adams', 'Nguyen', 'Brown', 'Silva', 'Kowalski', 'Evans', 'Haddad', 'Ito', 'Jensen', 'Clark', 'Moreau', 'Quinn', 'Rossi', 'Tanaka'];
const person = (i: number) => ({ name: `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}`, email: `member${i}@example.org` });

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });
const byName = (names: readonly string[]) => [...names].sort((a, b) => collator.compare(a, b));

class Clock {
  private t = Date.parse('2026-03-02T09:00:00.000Z');
  readonly now = () => new Date(this.t);
  set(iso: string): void {
    this.t = Date.parse(iso);
  }
}

const clock = new Clock();
let portal: TestPortal;
let browser: Browser;
let cohort: CohortRecord;
let groups: GroupRecord[];
let group: GroupRecord;
/** The group's members by name; the roles below are picked by that order. */
let people: MemberRecord[];
/** All 300. */
let everyone: MemberRecord[];
const role = {} as Record<'first' | 'hidden' | 'partial' | 'completer', MemberRecord>;
const attemptOf = new Map<string, string>();
const codeOf = new Map<string, string>();
let badgeHref: string;

const name = (m: MemberRecord) => m.displayName!;
const due = (id: string) => cohort.milestones.find((m) => m.id === id)!.dueAt;
const plusHours = (iso: string, h: number) => new Date(Date.parse(iso) + h * 3_600_000).toISOString();
const actor = 'admin:e2e';

beforeAll(async () => {
  const launching = launchChromium();
  // Sessions long enough to outlive the clock's moves, so each browser signs in once.
  portal = await startTestPortal({ now: clock.now, candidateSessionHours: 24 * 120, adminSessionHours: 24 * 120 });
  const catalog = cohortCatalog(portal.portal.catalog);
  const cohorts = portal.store.cohorts;

  cohort = await createCohort(
    { cohorts, catalog, actor },
    { programme: 'Level Up', name: 'Level Up · Spring 2026', cadenceMonths: 3, startsAt: '2026-03-02', targetAssessmentIds: [ASSESSMENT], groupSize: 10 },
  );
  const imported = await importMembers({ store: portal.store, cohorts, catalog, actor, lookup: cohorts }, cohort.id, generateRosterCsv(MEMBERS, { person, seed: 14 }), { source: 'members.csv' });
  expect(imported.result).toMatchObject({ membersAdded: MEMBERS, candidatesCreated: MEMBERS });
  groups = await cohorts.listGroups(cohort.id);
  expect(groups.length).toBeGreaterThanOrEqual(MEMBERS / 10);
  group = [...groups].sort((a, b) => collator.compare(a.name, b.name))[0]!;
  everyone = await cohorts.listMembers({ cohortId: cohort.id });
  people = everyone.filter((m) => m.groupId === group.id).sort((a, b) => collator.compare(name(a), name(b)));
  expect(people.length).toBeGreaterThanOrEqual(5);
  role.first = people[0]!;
  role.hidden = people[1]!;
  role.partial = people[people.length - 2]!;
  role.completer = people[people.length - 1]!;

  // One replay folder for the group (as `cohort start --replay` gives); the partial member's
  // evidence passes the orders API only.
  const shared = portal.evidence({});
  const partial = portal.evidence({ 'serverless-queue-worker': 'fail', 'serverless-order-workflow': 'fail', 'serverless-safe-deploy': 'fail' });
  const attempts = portal.portal.attempts;
  const summary = await bulkStart(
    {
      store: portal.store,
      cohorts,
      concurrency: 4,
      actor,
      startAttempt: async (member) => {
        const created = await attempts.create({
          candidate: member.candidateId,
          target: { kind: 'assessment', assessmentId: member.targetAssessmentId, taskIds: ASSESSMENT_TASKS },
          sandbox: { kind: 'replay', path: member.candidateId === role.partial.candidateId ? partial : shared },
          timeLimitMinutes: 360,
          actor,
        });
        return attempts.start(created.id, { actor });
      },
      resumeAttempt: (attempt) => attempts.start(attempt.id, { actor }),
    },
    cohort.id,
    group.id,
  );
  expect(summary).toMatchObject({ total: people.length, started: people.length, failed: [], finished: true });
  for (const item of await cohorts.listBulkItems(summary.runId)) attemptOf.set(item.candidateId, item.attemptId!);
  for (const m of [role.hidden, role.partial, role.completer]) {
    codeOf.set(m.candidateId, (await portal.portal.createAccessCode(attemptOf.get(m.candidateId)!, 24 * 120, actor)).code);
  }
  browser = await launching;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await portal?.shutdown();
});

/** Signs in through the API (sessions end as the clock moves, so each instant signs in afresh). */
const token = (m: MemberRecord) => portal.signIn(codeOf.get(m.candidateId)!);

/**
 * One signed-in page per viewer, kept for the whole test at the width each check sets (its session
 * outlives the clock's moves); its console errors and uncaught exceptions (a CSP violation shows up
 * there) are emptied by each check.
 */
const open = viewers<MemberRecord | 'admin'>(
  () => browser,
  async (page, as) => {
    if (as === 'admin') {
      await page.goto(`${portal.url}/admin/sign-in`);
      await page.getByLabel('Admin token').fill(portal.adminToken);
    } else {
      await page.goto(`${portal.url}/sign-in`);
      await page.getByLabel('Access code').fill(codeOf.get(as.candidateId)!);
    }
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/notice=signed-in/);
  },
);

/** The group page's members as shown: name and standing, in DOM order. */
const shownMembers = (page: Page) =>
  page.evaluate(
    "[...document.querySelectorAll('li.member')].map((li) => [li.querySelector('.member-name').textContent, li.querySelector('[data-standing]').dataset.standing, li.textContent.includes('hidden from the group')])",
  ) as Promise<Array<[string, string, boolean]>>;

type Standing = 'on-track' | 'behind' | 'completed';

interface Expected {
  label: string;
  /** Standings of the members named; everyone else in the cohort has `rest`. */
  standings: Array<[MemberRecord, Standing]>;
  rest: Standing;
  /** Milestone id → members of the cohort who reached it. */
  reached: Record<string, number>;
}

/** Reads the group page as the partial member and as the organiser, and the cohort page, at one width. */
async function checkPages(width: number, expected: Expected): Promise<void> {
  const standingOf = (m: MemberRecord) => expected.standings.find(([e]) => e.candidateId === m.candidateId)?.[1] ?? expected.rest;

  // The group as a member sees it: by name, the hidden member left out, standings as expected.
  const member = await open(width, role.partial);
  const groupUrl = `/cohorts/${cohort.id}/groups/${group.id}`;
  await member.page.goto(`${portal.url}${groupUrl}`);
  await shot(member.page, `e2e-${expected.label}-group-${width}`, { fullPage: true });
  const seen = await shownMembers(member.page);
  const others = people.filter((m) => m.candidateId !== role.hidden.candidateId);
  expect(seen).toEqual(byName(others.map(name)).map((n) => [n, standingOf(others.find((m) => name(m) === n)!), false]));
  expect(seen.map(([n]) => n)).not.toContain(name(role.hidden));
  // Nothing orders by progress: the two with progress are last by name, and the page keeps them last.
  const byProgress = [...others].sort((a, b) => rank(b) - rank(a) || collator.compare(name(a), name(b))).map(name);
  expect(seen.map(([n]) => n)).not.toEqual(byProgress);
  const badges = member.page.locator(`li.member[data-member="${role.completer.candidateId}"]`).getByRole('link', { name: 'AWS Serverless Builder' });
  expect(await badges.count()).toBe(standingOf(role.completer) === 'completed' ? 1 : 0);
  expect(await sidewaysOverflow(member.page)).toBe(0);
  expect(member.problems).toEqual([]);

  // The organiser sees the hidden member too, marked as hidden.
  const admin = await open(width, 'admin');
  await admin.page.goto(`${portal.url}/admin${groupUrl}`);
  const all = await shownMembers(admin.page);
  expect(all.map(([n]) => n)).toEqual(byName(people.map(name)));
  expect(all.find(([n]) => n === name(role.hidden))?.[2]).toBe(true);

  // The cohort page: funnel counts, the group's standings, who is behind (by group, then name).
  await admin.page.goto(`${portal.url}/admin/cohorts/${cohort.id}`);
  await shot(admin.page, `e2e-${expected.label}-cohort-${width}`, { fullPage: true });
  const shown = (await admin.page.evaluate(`(() => ({
    bars: [...document.querySelectorAll('table.funnel progress')].map((p) => p.getAttribute('aria-label')),
    groupRow: [...document.querySelectorAll('table.groups tr[data-group="${group.id}"] td')].slice(1).map((td) => td.textContent),
    groupNames: [...document.querySelectorAll('table.groups tbody tr td:first-child a')].map((a) => a.textContent),
    behind: [...document.querySelectorAll('table.behind tbody tr')].map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)),
  }))()`)) as { bars: string[]; groupRow: string[]; groupNames: string[]; behind: string[][] };
  expect(shown.bars).toEqual(cohort.milestones.map((m) => `${m.title}: ${expected.reached[m.id] ?? 0} of ${MEMBERS} reached`));
  const counts = (s: Standing) => people.filter((m) => standingOf(m) === s).length;
  expect(shown.groupRow).toEqual([String(people.length), String(counts('on-track')), String(counts('behind')), String(counts('completed'))]);
  expect(shown.groupNames).toEqual(byName(groups.map((g) => g.name)));
  // Everyone behind in the whole cohort, by group name then name, with the titles of what they missed.
  const groupName = new Map(groups.map((g) => [g.id, g.name]));
  const dueNow = cohort.milestones.filter((m) => Date.parse(m.dueAt) <= clock.now().getTime());
  const missed = (m: MemberRecord) => dueNow.filter((x) => !(rank(m) === 1 && x.id === 'm1')).map((x) => x.title).join(', ');
  const behind = everyone
    .filter((m) => standingOf(m) === 'behind')
    .sort((a, b) => collator.compare(groupName.get(a.groupId)!, groupName.get(b.groupId)!) || collator.compare(name(a), name(b)))
    .map((m) => [name(m), groupName.get(m.groupId)!, missed(m)]);
  expect(shown.behind).toEqual(behind);
  expect(await sidewaysOverflow(admin.page)).toBe(0);
  expect(admin.problems).toEqual([]);
}

/** How far a member got: what a leaderboard would sort by (this test's own data). */
function rank(m: MemberRecord): number {
  if (m.candidateId === role.completer.candidateId) return 2;
  if (m.candidateId === role.partial.candidateId) return 1;
  return 0;
}


describe('cohort pages on the real implementation (300 members, one group started and graded)', () => {
  it('hides a member who asks, for the other members only', async () => {
    clock.set('2026-03-02T10:00:00.000Z');
    const r = await portal.api('POST', `/api/cohorts/${cohort.id}/me`, { token: await token(role.hidden), body: { hidden: true } });
    expect(r.status).toBe(200);
    const seen = await portal.api('GET', `/api/cohorts/${cohort.id}/groups/${group.id}`, { token: await token(role.partial) });
    expect(seen.body.members.map((m: { candidateId: string }) => m.candidateId)).not.toContain(role.hidden.candidateId);
  });

  it('before anyone is graded: everyone on track, nothing reached', async () => {
    for (const width of WIDTHS) await checkPages(width, { label: 'start', standings: [], rest: 'on-track', reached: {} });
  });

  it('grades through the attempt service: one passes and earns the credential, one passes one task and fails', async () => {
    clock.set('2026-03-02T11:00:00.000Z');
    const completer = await token(role.completer);
    const attempt = attemptOf.get(role.completer.candidateId)!;
    expect((await portal.api('POST', `/api/attempts/${attempt}/check`, { token: completer })).status).toBe(200);
    expect((await portal.api('POST', `/api/attempts/${attempt}/submit`, { token: completer, body: { confirm: true } })).status).toBeLessThan(300);
    expect((await gradingDone(portal, attempt, completer)).body).toMatchObject({ state: 'credentialed', result: 'passed' });

    const partial = await token(role.partial);
    const partialAttempt = attemptOf.get(role.partial.candidateId)!;
    const checked = await portal.api('POST', `/api/attempts/${partialAttempt}/check`, { token: partial });
    expect(checked.status).toBe(200);
    expect((await portal.api('POST', `/api/attempts/${partialAttempt}/submit`, { token: partial, body: { confirm: true } })).status).toBeLessThan(300);
    expect((await gradingDone(portal, partialAttempt, partial)).body).toMatchObject({ state: 'graded', result: 'failed' });
    expect(await portal.store.listCredentials({ candidateId: role.partial.candidateId })).toEqual([]);
  });

  it('after grading: the completer completed with her badge, the rest on track', async () => {
    clock.set('2026-03-02T12:00:00.000Z');
    const expected = { standings: [[role.completer, 'completed']] as Expected['standings'], rest: 'on-track' as const, reached: { m1: 2, m2: 1, m3: 1, m4: 1, m5: 1 } };
    for (const width of WIDTHS) await checkPages(width, { label: 'graded', ...expected });
  });

  it('links the earned badge to its public badge page', async () => {
    const { page, problems } = await open(1280, role.partial);
    await page.goto(`${portal.url}/cohorts/${cohort.id}/groups/${group.id}`);
    const link = page.locator(`li.member[data-member="${role.completer.candidateId}"]`).getByRole('link', { name: 'AWS Serverless Builder' });
    badgeHref = (await link.getAttribute('href'))!;
    const [credential] = await portal.store.listCredentials({ candidateId: role.completer.candidateId });
    expect(badgeHref).toBe(`/badges/${credential!.id.replace(/^urn:uuid:/, '')}`);
    await link.click();
    await page.waitForURL(`${portal.url}${badgeHref}`);
    await page.locator('img.badge-image').waitFor();
    expect(await page.locator('meta[property="og:url"]').getAttribute('content')).toBe(`${portal.url}${badgeHref}`);
    expect(await page.locator('h1').textContent()).toContain('AWS Serverless Builder');
    expect(problems).toEqual([]);
  });

  it('past the first milestone: everyone who missed it is behind; the partial member is still on track', async () => {
    clock.set(plusHours(due('m1'), 1));
    const expected = { standings: [[role.completer, 'completed'], [role.partial, 'on-track']] as Expected['standings'], rest: 'behind' as const, reached: { m1: 2, m2: 1, m3: 1, m4: 1, m5: 1 } };
    for (const width of WIDTHS) await checkPages(width, { label: 'past-m1', ...expected });
  });

  it('past the second milestone: the partial member falls behind too; the completer stays completed', async () => {
    clock.set(plusHours(due('m2'), 1));
    const expected = { standings: [[role.completer, 'completed']] as Expected['standings'], rest: 'behind' as const, reached: { m1: 2, m2: 1, m3: 1, m4: 1, m5: 1 } };
    for (const width of WIDTHS) await checkPages(width, { label: 'past-m2', ...expected });
    const view = await portal.api('GET', `/api/admin/cohorts/${cohort.id}/view`, { token: portal.adminToken });
    expect(view.body.behind).toHaveLength(MEMBERS - 1);
  });
});
