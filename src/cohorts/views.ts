/**
 * What the cohort pages show, computed from the store (src/cohorts computes, src/server renders).
 * Nothing here is ranked: members are listed by the name they show (then pseudonym), groups by
 * name, and no view carries a score, a rank or a "top" anything.
 */
import type { CohortRecord, GroupRecord, Milestone } from '../store/cohort-types';

export type MemberStanding =
  /** Every milestone due by now is reached. */
  | 'on-track'
  /** At least one milestone due by now is not reached. */
  | 'behind'
  /** Holds a credential for their target assessment. */
  | 'completed';

export interface MilestoneProgress {
  milestoneId: string;
  title: string;
  dueAt: string;
  /** When the member first met it, or null. */
  reachedAt: string | null;
}

export interface EarnedBadge {
  credentialId: string;
  assessmentId: string;
  /** The assessment's title, as the badge shows it. */
  title: string;
  issuedAt: string;
  /** Path of the public badge page the portal serves: `badgePath()` of src/credentials/paths.ts, `/badges/<uuid>`. */
  badgePath: string;
}

export interface MemberProgress {
  candidateId: string;
  /** The chosen display name, or the pseudonymous candidate id when none is chosen. */
  shownAs: string;
  hidden: boolean;
  level: string;
  targetAssessmentId: string;
  milestones: MilestoneProgress[];
  /** Task ids with a passing run, sorted by id. */
  tasksPassed: string[];
  badges: EarnedBadge[];
  standing: MemberStanding;
}

export interface GroupView {
  cohort: Pick<CohortRecord, 'id' | 'name' | 'cadenceMonths' | 'startsAt' | 'endsAt' | 'targetAssessmentIds'>;
  group: GroupRecord;
  milestones: Milestone[];
  /** The instant the standings were computed for. */
  at: string;
  /**
   * Everyone in the group, by `shownAs` then candidate id. A member who hid their entry is left
   * out of what other members see, but included (with `hidden: true`) for the member and admins.
   */
  members: MemberProgress[];
}

export interface FunnelStep {
  milestoneId: string;
  title: string;
  dueAt: string;
  /** Members who reached it, of all members of the cohort. */
  reached: number;
  of: number;
}

export interface GroupSummary {
  group: GroupRecord;
  members: number;
  onTrack: number;
  behind: number;
  completed: number;
}

export interface BehindMember {
  candidateId: string;
  shownAs: string;
  groupId: string;
  /** Ids (`Milestone.id`) of the milestones due by now that the member has not reached; the pages show their titles. */
  missed: string[];
}

export interface CohortView {
  cohort: CohortRecord;
  at: string;
  funnel: FunnelStep[];
  /** By group name. */
  groups: GroupSummary[];
  /** By group, then `shownAs`: never by how far behind. */
  behind: BehindMember[];
}

/** Voucher and completion per member, for the closing ceremony. */
export interface CeremonyEntry {
  candidateId: string;
  shownAs: string;
  groupName: string;
  targetAssessmentId: string;
  completed: boolean;
  credentialIds: string[];
  voucherEligible: boolean;
  /** Why the organiser's rule gives (or withholds) a voucher, in one sentence. */
  voucherReason: string;
}

/** What the portal needs from src/cohorts; injected into the server so each side builds alone. */
export interface CohortViews {
  groupView(cohortId: string, groupId: string, viewer: { candidateId?: string; admin?: boolean }, at: string): Promise<GroupView | undefined>;
  cohortView(cohortId: string, at: string): Promise<CohortView | undefined>;
  ceremony(cohortId: string, at: string): Promise<CeremonyEntry[] | undefined>;
}
