import type { CeremonyEntry, CohortView, CohortViews, GroupView, MemberProgress } from '../cohorts/views';
import type { CohortRecord, CohortStore, GroupRecord, MemberPatch, MemberRecord } from '../store/cohort-types';
import { ceremonyCsv as cohortCeremonyCsv } from '../cohorts/ceremony';
import { HttpError } from './http';
import { actorOf, type Principal } from './portal';

/** What the portal needs to show cohorts: the views src/cohorts computes and the store (membership, self-service). */
export interface CohortDeps {
  views: CohortViews;
  store: CohortStore;
}

/** Alphabetical by the shown name, then the candidate id: the one order members are ever listed in. */
const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });
export function byShownName<T extends { shownAs: string; candidateId: string }>(a: T, b: T): number {
  return collator.compare(a.shownAs, b.shownAs) || (a.candidateId < b.candidateId ? -1 : a.candidateId > b.candidateId ? 1 : 0);
}

export const groupPath = (cohortId: string, groupId: string, admin = false) =>
  `${admin ? '/admin' : ''}/cohorts/${encodeURIComponent(cohortId)}/groups/${encodeURIComponent(groupId)}`;

export interface Membership {
  cohort: Pick<CohortRecord, 'id' | 'name' | 'cadenceMonths' | 'startsAt' | 'endsAt'>;
  group: Pick<GroupRecord, 'id' | 'name'>;
  displayName: string | null;
  hidden: boolean;
  groupPath: string;
}

/**
 * Cohort pages and API, with the rules both enforce: a candidate sees only the group they were
 * placed in, never an entry another member hid, and only changes their own entry; organisers
 * (admins) see everything. Nothing is ranked: whatever order the views come in, members are
 * listed by name.
 */
export class CohortPortal {
  constructor(
    private readonly deps: CohortDeps | undefined,
    private readonly now: () => Date,
  ) {}

  get enabled(): boolean {
    return this.deps !== undefined;
  }

  private need(): CohortDeps {
    if (!this.deps) throw new HttpError(503, 'cohorts-unavailable', 'Cohorts are not set up on this server; an operator starts it with a cohort store.');
    return this.deps;
  }

  private at(): string {
    return this.now().toISOString();
  }

  async cohortRecord(cohortId: string): Promise<CohortRecord> {
    const cohort = await this.need().store.getCohort(cohortId);
    if (!cohort) throw new HttpError(404, 'cohort-not-found', `There is no cohort "${cohortId}".`);
    return cohort;
  }

  private async groupRecord(cohortId: string, groupId: string): Promise<GroupRecord> {
    await this.cohortRecord(cohortId);
    const group = await this.need().store.getGroup(groupId);
    if (!group || group.cohortId !== cohortId) throw new HttpError(404, 'group-not-found', `Cohort "${cohortId}" has no group "${groupId}".`);
    return group;
  }

  // ── candidates ──────────────────────────────────────────────────────────────────────────────

  /** The groups the signed-in candidate belongs to (one per cohort). */
  async memberships(principal: Principal): Promise<Membership[]> {
    if (principal.kind !== 'candidate') throw new HttpError(403, 'candidates-only', 'This is for candidates; admins use /api/admin/cohorts.');
    const { store } = this.need();
    const out: Membership[] = [];
    for (const member of await store.listMembers({ candidateId: principal.candidateId })) {
      const [cohort, group] = await Promise.all([store.getCohort(member.cohortId), store.getGroup(member.groupId)]);
      if (!cohort || !group) continue;
      out.push({
        cohort: { id: cohort.id, name: cohort.name, cadenceMonths: cohort.cadenceMonths, startsAt: cohort.startsAt, endsAt: cohort.endsAt },
        group: { id: group.id, name: group.name },
        displayName: member.displayName,
        hidden: member.hidden,
        groupPath: groupPath(cohort.id, group.id),
      });
    }
    return out.sort((a, b) => collator.compare(a.cohort.name, b.cohort.name) || collator.compare(a.group.name, b.group.name));
  }

  /** The candidate's own entry in a cohort (their group, name and visibility). */
  async ownEntry(principal: Principal, cohortId: string): Promise<MemberRecord> {
    if (principal.kind !== 'candidate') throw new HttpError(403, 'candidates-only', 'Only a member changes their own entry.');
    await this.cohortRecord(cohortId);
    const member = await this.need().store.getMember(cohortId, principal.candidateId);
    if (!member) throw new HttpError(404, 'not-a-member', `You are not a member of cohort "${cohortId}".`);
    return member;
  }

  /**
   * A group as its viewer may see it: members of the group and admins only (another candidate is
   * refused), entries hidden by others left out, members by name.
   */
  async groupView(principal: Principal, cohortId: string, groupId: string): Promise<GroupView> {
    const group = await this.groupRecord(cohortId, groupId);
    const viewer = principal.kind === 'admin' ? { admin: true } : { candidateId: principal.candidateId };
    if (principal.kind === 'candidate') {
      const member = await this.need().store.getMember(cohortId, principal.candidateId);
      if (!member || member.groupId !== group.id) {
        throw new HttpError(403, 'not-a-member', `You are not a member of group "${group.name}"; you can see only the group you were placed in.`);
      }
    }
    const view = await this.need().views.groupView(cohortId, group.id, viewer, this.at());
    if (!view) throw new HttpError(404, 'group-not-found', `Cohort "${cohortId}" has no group "${groupId}".`);
    const visible = (m: MemberProgress) => principal.kind === 'admin' || !m.hidden || m.candidateId === principal.candidateId;
    return { ...view, members: view.members.filter(visible).sort(byShownName) };
  }

  /** Changes the candidate's own entry: the name their group sees, and whether the group sees it at all. */
  async updateOwnEntry(principal: Principal, cohortId: string, change: { displayName?: string | null | undefined; hidden?: boolean | undefined }): Promise<MemberRecord> {
    const member = await this.ownEntry(principal, cohortId);
    const patch: MemberPatch = {};
    if (change.displayName !== undefined) patch.displayName = change.displayName;
    if (change.hidden !== undefined) patch.hidden = change.hidden;
    if (Object.keys(patch).length === 0) return member;
    // The audit log is append-only: it records that a name is shown, never the name.
    return this.need().store.updateMember(cohortId, member.candidateId, patch, {
      actor: actorOf(principal),
      action: 'cohort.member-self-updated',
      subject: cohortId,
      data: { candidateId: member.candidateId, ...(patch.hidden !== undefined ? { hidden: patch.hidden } : {}), ...(patch.displayName !== undefined ? { named: patch.displayName !== null } : {}) },
    });
  }

  // ── organisers ──────────────────────────────────────────────────────────────────────────────

  async cohorts(): Promise<CohortRecord[]> {
    return (await this.need().store.listCohorts()).sort((a, b) => collator.compare(a.name, b.name) || (a.id < b.id ? -1 : 1));
  }

  async cohortDetail(cohortId: string): Promise<{ cohort: CohortRecord; groups: GroupRecord[] }> {
    const cohort = await this.cohortRecord(cohortId);
    const groups = (await this.need().store.listGroups(cohortId)).sort((a, b) => collator.compare(a.name, b.name));
    return { cohort, groups };
  }

  async cohortView(cohortId: string): Promise<CohortView> {
    await this.cohortRecord(cohortId);
    const view = await this.need().views.cohortView(cohortId, this.at());
    if (!view) throw new HttpError(404, 'cohort-not-found', `There is no cohort "${cohortId}".`);
    const groupName = new Map(view.groups.map((g) => [g.group.id, g.group.name]));
    return {
      ...view,
      groups: [...view.groups].sort((a, b) => collator.compare(a.group.name, b.group.name)),
      behind: [...view.behind].sort((a, b) => collator.compare(groupName.get(a.groupId) ?? a.groupId, groupName.get(b.groupId) ?? b.groupId) || byShownName(a, b)),
    };
  }

  async ceremony(cohortId: string): Promise<{ cohortId: string; at: string; entries: CeremonyEntry[] }> {
    await this.cohortRecord(cohortId);
    const at = this.at();
    const entries = await this.need().views.ceremony(cohortId, at);
    if (!entries) throw new HttpError(404, 'cohort-not-found', `There is no cohort "${cohortId}".`);
    return { cohortId, at, entries: [...entries].sort((a, b) => collator.compare(a.groupName, b.groupName) || byShownName(a, b)) };
  }
}

/**
 * The closing ceremony's list as CSV: the columns `skillproof cohort export` writes (one definition,
 * src/cohorts/ceremony.ts), with a byte-order mark for spreadsheets.
 */
export function ceremonyCsv(entries: readonly CeremonyEntry[]): string {
  return cohortCeremonyCsv(entries, { bom: true });
}
