/**
 * Progress as the cohort pages show it, computed from the store at an instant `at` (so a page, a
 * test or a ceremony export can ask "as of when"): which milestones each member reached and when,
 * their standing, their badges, and the organiser's funnel. Nothing is ranked: lists are ordered
 * by the name shown, then the pseudonymous id, and no view carries a score.
 */
import { badgePath } from '../credentials/paths';
import type { CohortRecord, CohortStore, GroupRecord, MemberRecord, Milestone } from '../store/cohort-types';
import type { AttemptRecord, CredentialRecord, Store } from '../store/types';
import type { Catalog } from '../catalog/load';
import { cohortCatalog, type CohortCatalog } from './catalog';
import { milestoneApplies } from './schedule';
import type {
  BehindMember,
  CeremonyEntry,
  CohortView,
  CohortViews,
  EarnedBadge,
  FunnelStep,
  GroupSummary,
  GroupView,
  MemberProgress,
  MilestoneProgress,
} from './views';

export interface CohortViewDeps {
  store: Pick<Store, 'listAttempts' | 'listGradingRuns' | 'listCredentials'>;
  cohorts: Pick<CohortStore, 'getCohort' | 'getGroup' | 'listGroups' | 'listMembers'>;
  catalog: Pick<CohortCatalog, 'assessment'>;
}

/** What a member has done, read once from the store. */
interface MemberHistory {
  /** Task id → when a run of it first passed. */
  firstPass: Map<string, string>;
  /** Credentials held at `at` (issued by then, not revoked by then), with their assessment. */
  held: Array<{ credential: CredentialRecord; assessmentId: string }>;
}

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

/** By the name shown, then the pseudonymous id: the only order any list of people has. */
export function byShownAs<T extends { shownAs: string; candidateId: string }>(a: T, b: T): number {
  return collator.compare(a.shownAs, b.shownAs) || (a.candidateId < b.candidateId ? -1 : a.candidateId > b.candidateId ? 1 : 0);
}

const byGroupName = (a: GroupRecord, b: GroupRecord) => collator.compare(a.name, b.name) || (a.id < b.id ? -1 : 1);

export function shownAs(member: Pick<MemberRecord, 'displayName' | 'candidateId'>): string {
  return member.displayName?.trim() || member.candidateId;
}

function isoMin(a: string | undefined, b: string): string {
  return a === undefined || Date.parse(b) < Date.parse(a) ? b : a;
}

export class StoreCohortViews implements CohortViews {
  constructor(private readonly deps: CohortViewDeps) {}

  async groupView(cohortId: string, groupId: string, viewer: { candidateId?: string; admin?: boolean }, at: string): Promise<GroupView | undefined> {
    const cohort = await this.deps.cohorts.getCohort(cohortId);
    const group = await this.deps.cohorts.getGroup(groupId);
    if (!cohort || !group || group.cohortId !== cohortId) return undefined;
    const members = await this.deps.cohorts.listMembers({ cohortId, groupId });
    const visible = members.filter((m) => !m.hidden || viewer.admin || m.candidateId === viewer.candidateId);
    const progress = await Promise.all(visible.map((m) => this.memberProgress(cohort, m, at)));
    return {
      cohort: { id: cohort.id, name: cohort.name, cadenceMonths: cohort.cadenceMonths, startsAt: cohort.startsAt, endsAt: cohort.endsAt, targetAssessmentIds: cohort.targetAssessmentIds },
      group,
      milestones: cohort.milestones.filter((m) => milestoneApplies(m, group.targetAssessmentId, this.deps.catalog)),
      at,
      members: progress.sort(byShownAs),
    };
  }

  async cohortView(cohortId: string, at: string): Promise<CohortView | undefined> {
    const cohort = await this.deps.cohorts.getCohort(cohortId);
    if (!cohort) return undefined;
    const groups = (await this.deps.cohorts.listGroups(cohortId)).sort(byGroupName);
    const members = await this.deps.cohorts.listMembers({ cohortId });
    const progress = await Promise.all(members.map(async (m) => ({ member: m, progress: await this.memberProgress(cohort, m, at) })));

    const funnel: FunnelStep[] = cohort.milestones.map((milestone) => {
      let reached = 0;
      let of = 0;
      for (const { progress: p } of progress) {
        const step = p.milestones.find((x) => x.milestoneId === milestone.id);
        if (!step) continue;
        of += 1;
        if (step.reachedAt) reached += 1;
      }
      return { milestoneId: milestone.id, title: milestone.title, dueAt: milestone.dueAt, reached, of };
    });
    const summaries: GroupSummary[] = groups.map((group) => {
      const inGroup = progress.filter((p) => p.member.groupId === group.id);
      const count = (standing: MemberProgress['standing']) => inGroup.filter((p) => p.progress.standing === standing).length;
      return { group, members: inGroup.length, onTrack: count('on-track'), behind: count('behind'), completed: count('completed') };
    });
    const groupOrder = new Map(groups.map((g, i) => [g.id, i]));
    const behind: BehindMember[] = progress
      .filter((p) => p.progress.standing === 'behind')
      .map((p) => ({
        candidateId: p.member.candidateId,
        shownAs: p.progress.shownAs,
        groupId: p.member.groupId,
        missed: p.progress.milestones.filter((m) => Date.parse(m.dueAt) <= Date.parse(at) && !m.reachedAt).map((m) => m.milestoneId),
      }))
      .sort((a, b) => (groupOrder.get(a.groupId) ?? 0) - (groupOrder.get(b.groupId) ?? 0) || byShownAs(a, b));
    return { cohort, at, funnel, groups: summaries, behind };
  }

  async ceremony(cohortId: string, at: string): Promise<CeremonyEntry[] | undefined> {
    const cohort = await this.deps.cohorts.getCohort(cohortId);
    if (!cohort) return undefined;
    const groups = new Map((await this.deps.cohorts.listGroups(cohortId)).map((g) => [g.id, g]));
    const members = await this.deps.cohorts.listMembers({ cohortId });
    const entries = await Promise.all(
      members.map(async (member): Promise<CeremonyEntry> => {
        const history = await this.history(member.candidateId, at);
        const progress = this.progressFrom(cohort, member, history, at);
        const targetCredentials = history.held.filter((h) => cohort.targetAssessmentIds.includes(h.assessmentId));
        const voucher = voucherDecision(cohort, progress, targetCredentials, at);
        return {
          candidateId: member.candidateId,
          shownAs: progress.shownAs,
          groupName: groups.get(member.groupId)?.name ?? member.groupId,
          targetAssessmentId: member.targetAssessmentId,
          completed: progress.standing === 'completed',
          credentialIds: targetCredentials.map((h) => h.credential.id),
          voucherEligible: voucher.eligible,
          voucherReason: voucher.reason,
        };
      }),
    );
    return entries.sort(byShownAs);
  }

  /** One member's progress in the cohort at `at`. */
  async memberProgress(cohort: CohortRecord, member: MemberRecord, at: string): Promise<MemberProgress> {
    return this.progressFrom(cohort, member, await this.history(member.candidateId, at), at);
  }

  private progressFrom(cohort: CohortRecord, member: MemberRecord, history: MemberHistory, at: string): MemberProgress {
    const now = Date.parse(at);
    const milestones: MilestoneProgress[] = cohort.milestones
      .filter((m) => milestoneApplies(m, member.targetAssessmentId, this.deps.catalog))
      .map((m) => ({ milestoneId: m.id, title: m.title, dueAt: m.dueAt, reachedAt: reachedAt(m, history) }));
    const completed = history.held.some((h) => h.assessmentId === member.targetAssessmentId);
    const behind = milestones.some((m) => Date.parse(m.dueAt) <= now && !m.reachedAt);
    return {
      candidateId: member.candidateId,
      shownAs: shownAs(member),
      hidden: member.hidden,
      level: member.level,
      targetAssessmentId: member.targetAssessmentId,
      milestones,
      tasksPassed: [...history.firstPass.keys()].sort(),
      badges: history.held.map((h) => badge(h.credential, h.assessmentId, this.deps.catalog)),
      standing: completed ? 'completed' : behind ? 'behind' : 'on-track',
    };
  }

  private async history(candidateId: string, at: string): Promise<MemberHistory> {
    const now = Date.parse(at);
    const attempts = await this.deps.store.listAttempts({ candidateId });
    const firstPass = new Map<string, string>();
    for (const attempt of attempts) {
      for (const run of await this.deps.store.listGradingRuns(attempt.id)) {
        if (run.status !== 'passed' || Date.parse(run.finishedAt) > now) continue;
        firstPass.set(run.taskId, isoMin(firstPass.get(run.taskId), run.finishedAt));
      }
    }
    const attemptById = new Map<string, AttemptRecord>(attempts.map((a) => [a.id, a]));
    const held = (await this.deps.store.listCredentials({ candidateId }))
      .filter((c) => Date.parse(c.issuedAt) <= now && (c.revokedAt === null || Date.parse(c.revokedAt) > now))
      .flatMap((credential) => {
        const attempt = attemptById.get(credential.attemptId);
        return attempt ? [{ credential, assessmentId: attempt.targetId }] : [];
      });
    return { firstPass, held };
  }
}

/** When the requirement first held (within what happened by `at`), or null. */
function reachedAt(milestone: Milestone, history: MemberHistory): string | null {
  const r = milestone.requirement;
  if (r.kind === 'credential') {
    const issued = history.held.filter((h) => h.assessmentId === r.assessmentId).map((h) => h.credential.issuedAt);
    return issued.length ? issued.reduce((a, b) => isoMin(a, b)) : null;
  }
  let latest: string | null = null;
  for (const taskId of r.taskIds) {
    const passed = history.firstPass.get(taskId);
    if (!passed) return null;
    if (latest === null || Date.parse(passed) > Date.parse(latest)) latest = passed;
  }
  return latest;
}

function badge(credential: CredentialRecord, assessmentId: string, catalog: Pick<CohortCatalog, 'assessment'>): EarnedBadge {
  return {
    credentialId: credential.id,
    assessmentId,
    title: catalog.assessment(assessmentId)?.title ?? assessmentId,
    issuedAt: credential.issuedAt,
    badgePath: badgePath(credential.id),
  };
}

/** The organiser's voucher rule for one member, with the reason in one sentence. */
export function voucherDecision(
  cohort: Pick<CohortRecord, 'endsAt' | 'voucherRule'>,
  progress: Pick<MemberProgress, 'milestones'>,
  targetCredentials: ReadonlyArray<{ credential: Pick<CredentialRecord, 'issuedAt'>; assessmentId: string }>,
  at: string,
): { eligible: boolean; reason: string } {
  const rule = cohort.voucherRule;
  const day = (iso: string) => iso.slice(0, 10);
  if (rule.kind === 'none') return { eligible: false, reason: 'This cohort gives no vouchers.' };
  if (rule.kind === 'credential-by') {
    const deadline = rule.deadline ?? cohort.endsAt;
    const inTime = targetCredentials
      .filter((c) => Date.parse(c.credential.issuedAt) <= Date.parse(deadline))
      .sort((a, b) => Date.parse(a.credential.issuedAt) - Date.parse(b.credential.issuedAt))[0];
    if (inTime) return { eligible: true, reason: `Earned ${inTime.assessmentId} on ${day(inTime.credential.issuedAt)}, by the deadline ${day(deadline)}.` };
    const late = targetCredentials[0];
    if (late) return { eligible: false, reason: `Earned ${late.assessmentId} on ${day(late.credential.issuedAt)}, after the deadline ${day(deadline)}.` };
    const pending = Date.parse(at) < Date.parse(deadline);
    return { eligible: false, reason: pending ? `No target credential yet; the deadline is ${day(deadline)}.` : `No target credential by the deadline ${day(deadline)}.` };
  }
  const end = Date.parse(cohort.endsAt);
  const reached = progress.milestones.filter((m) => m.reachedAt && Date.parse(m.reachedAt) <= end).length;
  const eligible = reached >= rule.count;
  return {
    eligible,
    reason: `Reached ${reached} of ${progress.milestones.length} milestone(s) by the cohort's end (${day(cohort.endsAt)}); the rule asks for ${rule.count}.`,
  };
}

export function createCohortViews(deps: CohortViewDeps): StoreCohortViews {
  return new StoreCohortViews(deps);
}

/**
 * What the portal renders cohorts from (its `cohorts` option, src/server/cohorts.ts CohortDeps):
 * views over a store and that store's cohorts. Undefined for a store that keeps no cohorts. One
 * function for `skillproof serve` and the tests' portal, so both show what the CLI computes.
 */
export function portalCohorts(store: CohortViewDeps['store'] & Partial<{ cohorts: CohortStore }>, catalog: Catalog): { views: StoreCohortViews; store: CohortStore } | undefined {
  const cohorts = store.cohorts;
  if (!cohorts) return undefined;
  return { views: createCohortViews({ store, cohorts, catalog: cohortCatalog(catalog) }), store: cohorts };
}
