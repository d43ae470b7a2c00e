/**
 * An in-memory CohortStore and a CohortViews over it, typed by the real interfaces, for the portal's
 * tests (src/cohorts computes the real views; these stand in so the server is tested alone).
 *
 * The views deliberately answer in *progress* order (most milestones first) — the order a
 * leaderboard would use — so a test can tell whether the portal lists members by name regardless.
 */
import type { CeremonyEntry, CohortView, CohortViews, GroupView, MemberProgress, MemberStanding } from '../../../src/cohorts/views';
import type { CohortRecord, CohortStore, GroupRecord, MemberPatch, MemberRecord } from '../../../src/store/cohort-types';
import type { AuditInput } from '../../../src/store/types';
import { gradingDone, type TestPortal } from './portal';

export interface FakeProgress {
  /** Milestone ids reached, with when. */
  reached: Record<string, string>;
  tasksPassed: string[];
  badges: MemberProgress['badges'];
  standing: MemberStanding;
  voucherEligible: boolean;
}

const T0 = '2026-01-05T09:00:00.000Z';

export class FakeCohortStore implements CohortStore {
  readonly cohortsById = new Map<string, CohortRecord>();
  readonly groupsById = new Map<string, GroupRecord>();
  readonly members = new Map<string, MemberRecord>();
  readonly audits: AuditInput[] = [];

  private static key(cohortId: string, candidateId: string) {
    return `${cohortId}\u0000${candidateId}`;
  }

  addCohort(cohort: CohortRecord): void {
    this.cohortsById.set(cohort.id, cohort);
  }

  addGroup(group: GroupRecord): void {
    this.groupsById.set(group.id, group);
  }

  addMember(member: Omit<MemberRecord, 'joinedAt' | 'updatedAt' | 'importRow' | 'level' | 'targetAssessmentId'> & Partial<MemberRecord>): void {
    this.members.set(FakeCohortStore.key(member.cohortId, member.candidateId), { level: 'foundation', targetAssessmentId: 'aws-serverless', importRow: null, joinedAt: T0, updatedAt: T0, ...member });
  }

  async getCohort(id: string) {
    return this.cohortsById.get(id);
  }
  async listCohorts() {
    return [...this.cohortsById.values()];
  }
  async getGroup(id: string) {
    return this.groupsById.get(id);
  }
  async listGroups(cohortId: string) {
    return [...this.groupsById.values()].filter((g) => g.cohortId === cohortId);
  }
  async getMember(cohortId: string, candidateId: string) {
    return this.members.get(FakeCohortStore.key(cohortId, candidateId));
  }
  async listMembers(filter: { cohortId?: string; groupId?: string; candidateId?: string }) {
    return [...this.members.values()].filter(
      (m) => (!filter.cohortId || m.cohortId === filter.cohortId) && (!filter.groupId || m.groupId === filter.groupId) && (!filter.candidateId || m.candidateId === filter.candidateId),
    );
  }
  async updateMember(cohortId: string, candidateId: string, patch: MemberPatch, audit: AuditInput) {
    const key = FakeCohortStore.key(cohortId, candidateId);
    const member = this.members.get(key);
    if (!member) throw new Error(`no member ${candidateId} in ${cohortId}`);
    const updated = { ...member, ...patch, updatedAt: '2026-03-01T12:00:00.000Z' };
    this.members.set(key, updated);
    this.audits.push(audit);
    return updated;
  }

  // Not used by the portal: the cohort helper's store and CLI cover them.
  createProgramme(): never {
    throw new Error('not part of the portal fake');
  }
  getProgramme(): never {
    throw new Error('not part of the portal fake');
  }
  listProgrammes(): never {
    throw new Error('not part of the portal fake');
  }
  createCohort(): never {
    throw new Error('not part of the portal fake');
  }
  updateCohort(): never {
    throw new Error('not part of the portal fake');
  }
  applyImport(): never {
    throw new Error('not part of the portal fake');
  }
  createBulkRun(): never {
    throw new Error('not part of the portal fake');
  }
  getBulkRun(): never {
    throw new Error('not part of the portal fake');
  }
  listBulkItems(): never {
    throw new Error('not part of the portal fake');
  }
  updateBulkItem(): never {
    throw new Error('not part of the portal fake');
  }
  finishBulkRun(): never {
    throw new Error('not part of the portal fake');
  }
}

/** Views over the fake store, following the CohortViews contract except for order (see above). */
export class FakeCohortViews implements CohortViews {
  readonly progress = new Map<string, FakeProgress>();
  /** When set, the group view also returns entries hidden from the viewer (a faulty implementation). */
  leakHidden = false;

  constructor(private readonly store: FakeCohortStore) {}

  private memberProgress(cohort: CohortRecord, m: MemberRecord): MemberProgress {
    const p = this.progress.get(m.candidateId) ?? { reached: {}, tasksPassed: [], badges: [], standing: 'on-track' as const, voucherEligible: false };
    return {
      candidateId: m.candidateId,
      shownAs: m.displayName ?? m.candidateId,
      hidden: m.hidden,
      level: m.level,
      targetAssessmentId: m.targetAssessmentId,
      milestones: cohort.milestones.map((ms) => ({ milestoneId: ms.id, title: ms.title, dueAt: ms.dueAt, reachedAt: p.reached[ms.id] ?? null })),
      tasksPassed: [...p.tasksPassed].sort(),
      badges: p.badges,
      standing: p.standing,
    };
  }

  private byProgress(a: MemberProgress, b: MemberProgress): number {
    return b.milestones.filter((m) => m.reachedAt).length - a.milestones.filter((m) => m.reachedAt).length;
  }

  async groupView(cohortId: string, groupId: string, viewer: { candidateId?: string; admin?: boolean }, at: string): Promise<GroupView | undefined> {
    const cohort = await this.store.getCohort(cohortId);
    const group = await this.store.getGroup(groupId);
    if (!cohort || !group || group.cohortId !== cohortId) return undefined;
    const members = (await this.store.listMembers({ cohortId, groupId }))
      .filter((m) => this.leakHidden || viewer.admin || !m.hidden || m.candidateId === viewer.candidateId)
      .map((m) => this.memberProgress(cohort, m))
      .sort((a, b) => this.byProgress(a, b));
    const { id, name, cadenceMonths, startsAt, endsAt, targetAssessmentIds } = cohort;
    return { cohort: { id, name, cadenceMonths, startsAt, endsAt, targetAssessmentIds }, group, milestones: cohort.milestones, at, members };
  }

  async cohortView(cohortId: string, at: string): Promise<CohortView | undefined> {
    const cohort = await this.store.getCohort(cohortId);
    if (!cohort) return undefined;
    const members = (await this.store.listMembers({ cohortId })).map((m) => ({ record: m, progress: this.memberProgress(cohort, m) }));
    const groups = await this.store.listGroups(cohortId);
    const due = (ms: { dueAt: string }) => Date.parse(ms.dueAt) <= Date.parse(at);
    return {
      cohort,
      at,
      funnel: cohort.milestones.map((ms) => ({ milestoneId: ms.id, title: ms.title, dueAt: ms.dueAt, reached: members.filter((m) => this.progress.get(m.record.candidateId)?.reached[ms.id]).length, of: members.length })),
      // Smallest group first, and the most-behind member first: orders the portal must not keep.
      groups: groups
        .map((group) => {
          const mine = members.filter((m) => m.record.groupId === group.id).map((m) => m.progress.standing);
          return { group, members: mine.length, onTrack: mine.filter((s) => s === 'on-track').length, behind: mine.filter((s) => s === 'behind').length, completed: mine.filter((s) => s === 'completed').length };
        })
        .sort((a, b) => a.members - b.members),
      behind: members
        .filter((m) => m.progress.standing === 'behind')
        .map((m) => ({ candidateId: m.record.candidateId, shownAs: m.progress.shownAs, groupId: m.record.groupId, missed: m.progress.milestones.filter((x) => !x.reachedAt && due(x)).map((x) => x.milestoneId) }))
        .sort((a, b) => b.missed.length - a.missed.length),
    };
  }

  async ceremony(cohortId: string): Promise<CeremonyEntry[] | undefined> {
    const cohort = await this.store.getCohort(cohortId);
    if (!cohort) return undefined;
    const entries = await Promise.all(
      (await this.store.listMembers({ cohortId })).map(async (m) => {
        const p = this.progress.get(m.candidateId);
        const completed = p?.standing === 'completed';
        return {
          candidateId: m.candidateId,
          shownAs: m.displayName ?? m.candidateId,
          groupName: (await this.store.getGroup(m.groupId))?.name ?? m.groupId,
          targetAssessmentId: m.targetAssessmentId,
          completed,
          credentialIds: p?.badges.map((b) => b.credentialId) ?? [],
          voucherEligible: p?.voucherEligible ?? false,
          voucherReason: p?.voucherEligible ? 'Holds the credential by the cohort’s end.' : 'No credential by the cohort’s end.',
        };
      }),
    );
    return entries.sort((a, b) => Number(b.completed) - Number(a.completed));
  }
}

export const COHORT: CohortRecord = {
  id: 'spring-2026',
  programmeId: 'level-up',
  name: 'Level Up · Spring 2026',
  cadenceMonths: 3,
  startsAt: '2026-01-05T09:00:00.000Z',
  endsAt: '2026-04-05T09:00:00.000Z',
  targetAssessmentIds: ['aws-serverless'],
  groupSize: 6,
  milestones: [
    { id: 'm1', title: 'Orders API', dueAt: '2026-01-26T09:00:00.000Z', requirement: { kind: 'tasks-passed', taskIds: ['serverless-orders-api'] } },
    { id: 'm2', title: 'Queue worker', dueAt: '2026-02-16T09:00:00.000Z', requirement: { kind: 'tasks-passed', taskIds: ['serverless-queue-worker'] } },
    { id: 'm3', title: 'Credential', dueAt: '2026-04-01T09:00:00.000Z', requirement: { kind: 'credential', assessmentId: 'aws-serverless' } },
  ],
  voucherRule: { kind: 'credential-by' },
  version: 1,
  createdAt: T0,
  updatedAt: T0,
};

export const GROUP_1: GroupRecord = { id: 'g-sls-1', cohortId: COHORT.id, name: 'Serverless · foundation · 1', level: 'foundation', targetAssessmentId: 'aws-serverless', createdAt: T0 };
export const GROUP_2: GroupRecord = { id: 'g-sls-2', cohortId: COHORT.id, name: 'Serverless · foundation · 2', level: 'foundation', targetAssessmentId: 'aws-serverless', createdAt: T0 };

/** The people of the fixture: by progress Zoë, Eli, Mia, Bea; by name Bea, Eli, Mia, Zoë. */
export interface CohortPeople {
  /** Signs in; completed (3 milestones) — first by progress, last by name. */
  zoe: string;
  /** Signs in; on track with 1 milestone, and hides her entry. */
  mia: string;
  /** Signs in; a member of the other group. */
  ana: string;
  /** Do not sign in. */
  eli: string;
  bea: string;
}

/**
 * A store and views for the fixture cohort, to give the portal at start-up; `populate` adds the
 * people once the ones who sign in have candidate ids (from real attempts).
 */
export function cohortFixture(): { store: FakeCohortStore; views: FakeCohortViews; populate(people: Pick<CohortPeople, 'zoe' | 'mia' | 'ana'>): CohortPeople } {
  const store = new FakeCohortStore();
  const views = new FakeCohortViews(store);
  store.addCohort(COHORT);
  store.addGroup(GROUP_1);
  store.addGroup(GROUP_2);
  const populate = (people: Pick<CohortPeople, 'zoe' | 'mia' | 'ana'>): CohortPeople => {
    const all: CohortPeople = { ...people, eli: 'cand-eli-0000', bea: 'cand-bea-0000' };
    store.addMember({ cohortId: COHORT.id, candidateId: all.zoe, groupId: GROUP_1.id, displayName: 'Zoë Adams', hidden: false });
    store.addMember({ cohortId: COHORT.id, candidateId: all.eli, groupId: GROUP_1.id, displayName: 'Eli Evans', hidden: false });
    store.addMember({ cohortId: COHORT.id, candidateId: all.mia, groupId: GROUP_1.id, displayName: 'Mia Clark', hidden: true });
    store.addMember({ cohortId: COHORT.id, candidateId: all.bea, groupId: GROUP_1.id, displayName: 'Bea Brown', hidden: false });
    store.addMember({ cohortId: COHORT.id, candidateId: all.ana, groupId: GROUP_2.id, displayName: '=HYPERLINK("http://evil.example","Ana")', hidden: false });
    const when = { m1: '2026-01-20T10:00:00.000Z', m2: '2026-02-10T10:00:00.000Z', m3: '2026-03-01T10:00:00.000Z' };
    views.progress.set(all.zoe, { reached: when, tasksPassed: ['serverless-orders-api', 'serverless-queue-worker'], badges: [], standing: 'completed', voucherEligible: true });
    views.progress.set(all.eli, { reached: { m1: when.m1, m2: when.m2 }, tasksPassed: ['serverless-orders-api', 'serverless-queue-worker'], badges: [], standing: 'on-track', voucherEligible: false });
    views.progress.set(all.mia, { reached: { m1: when.m1 }, tasksPassed: ['serverless-orders-api'], badges: [], standing: 'behind', voucherEligible: false });
    views.progress.set(all.bea, { reached: {}, tasksPassed: [], badges: [], standing: 'behind', voucherEligible: false });
    views.progress.set(all.ana, { reached: { m1: when.m1 }, tasksPassed: ['serverless-orders-api'], badges: [], standing: 'behind', voucherEligible: false });
    return all;
  };
  return { store, views, populate };
}

/** Creates attempts for the people who sign in; Zoë's passes and earns a credential, which becomes her badge. */
export async function seedCohortPeople(
  portal: TestPortal,
  fixture: ReturnType<typeof cohortFixture>,
): Promise<{ people: CohortPeople; codes: Record<'zoe' | 'mia' | 'ana', string>; zoeAttempt: string; credentialSlug: string }> {
  const made = await Promise.all((['zoe', 'mia', 'ana'] as const).map(async (who) => ({ who, ...(await portal.newAttempt(`${who}@example.com`)) })));
  const ids: Record<string, string> = {};
  const codes = {} as Record<'zoe' | 'mia' | 'ana', string>;
  for (const m of made) {
    ids[m.who] = (await portal.api('GET', `/api/admin/attempts/${m.attemptId}`, { token: portal.adminToken })).body.candidateId;
    codes[m.who] = m.code;
  }
  const people = fixture.populate({ zoe: ids.zoe as string, mia: ids.mia as string, ana: ids.ana as string });
  const zoeAttempt = made.find((m) => m.who === 'zoe')!.attemptId;
  const token = await portal.signIn(codes.zoe);
  await portal.api('POST', `/api/attempts/${zoeAttempt}/start`, { token });
  await portal.api('POST', `/api/attempts/${zoeAttempt}/submit`, { token, body: { confirm: true } });
  await gradingDone(portal, zoeAttempt, token);
  const credential = await portal.api('GET', `/api/attempts/${zoeAttempt}/credential`, { token });
  if (credential.status !== 200) throw new Error(`Zoë's credential was not issued: ${credential.status} ${credential.text}`);
  const credentialSlug = String(credential.body.id).replace('urn:uuid:', '');
  fixture.views.progress.get(people.zoe)!.badges = [
    { credentialId: credential.body.id, assessmentId: 'aws-serverless', title: 'AWS Serverless Builder', issuedAt: credential.body.issuedAt, badgePath: `/badges/${credentialSlug}` },
  ];
  return { people, codes, zoeAttempt, credentialSlug };
}
