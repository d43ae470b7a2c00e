/**
 * Cohorts: programme → cohort → group → member. A programme (a bank's "Level Up") runs cohorts on
 * a fixed cadence (3, 6 or 9 months) with dated milestones; on import each member is placed in a
 * learning group matched to their level and target assessment. Members are pseudonymous candidate
 * ids, as everywhere else (an e-mail only ever as the installation-salted hash on the candidate).
 *
 * Like `Store`, every mutating method is one atomic change that appends its audit entry; the
 * placement rules (group size, matching by level and target) live in src/cohorts, and the store
 * only guarantees atomicity (an import is all or nothing), uniqueness and compare-and-set on a
 * cohort's `version`.
 */
import type { AuditInput, CandidateRecord } from './types';

export const COHORT_CADENCES = [3, 6, 9] as const;
export type CohortCadenceMonths = (typeof COHORT_CADENCES)[number];

export interface ProgrammeRecord {
  id: string;
  name: string;
  createdAt: string;
}

/** What reaching a milestone means for a member. */
export type MilestoneRequirement =
  /** Each of these tasks has a passing run (progress or final) in one of the member's attempts. */
  | { kind: 'tasks-passed'; taskIds: string[] }
  /** The member holds an unrevoked credential for this assessment. */
  | { kind: 'credential'; assessmentId: string };

export interface Milestone {
  /** Unique within the cohort, e.g. `m1`. */
  id: string;
  title: string;
  /** ISO instant by which a member on track has reached it. */
  dueAt: string;
  requirement: MilestoneRequirement;
}

/** Who gets a voucher at the closing ceremony: the organiser's rule, evaluated per member. */
export type VoucherRule =
  | { kind: 'none' }
  /** Holds a credential for one of the target assessments, issued by `deadline` (default: the cohort's end). */
  | { kind: 'credential-by'; deadline?: string }
  /** Reached at least `count` milestones by the cohort's end. */
  | { kind: 'milestones'; count: number };

export interface CohortRecord {
  id: string;
  programmeId: string;
  name: string;
  cadenceMonths: CohortCadenceMonths;
  startsAt: string;
  /** `startsAt` plus the cadence. */
  endsAt: string;
  /** Assessments members may target; every member's target is one of them. */
  targetAssessmentIds: string[];
  /** Largest group the import makes. */
  groupSize: number;
  milestones: Milestone[];
  voucherRule: VoucherRule;
  /** Incremented by every update; updates must name the version they read. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export type NewCohort = Omit<CohortRecord, 'version' | 'createdAt' | 'updatedAt'>;

export type CohortPatch = Partial<Pick<CohortRecord, 'name' | 'milestones' | 'voucherRule' | 'groupSize' | 'startsAt' | 'endsAt'>>;

export interface GroupRecord {
  id: string;
  cohortId: string;
  /** Shown to members, e.g. "Serverless · foundation · 3". */
  name: string;
  level: string;
  targetAssessmentId: string;
  createdAt: string;
}

export interface MemberRecord {
  cohortId: string;
  candidateId: string;
  groupId: string;
  level: string;
  targetAssessmentId: string;
  /** What the group page and badge show; chosen by the member (initially the imported name, if any). */
  displayName: string | null;
  /** The member hid their entry from the group page. */
  hidden: boolean;
  /** 1-based row of the CSV that last placed this member (for error messages and re-import). */
  importRow: number | null;
  joinedAt: string;
  updatedAt: string;
}

/**
 * One import, decided by src/cohorts before the store is touched: groups to create and members to
 * add or update. Applied atomically; re-applying the same plan changes nothing.
 */
export interface ImportPlan {
  cohortId: string;
  /**
   * The cohort's version the plan was computed from. When given, the import is refused with
   * ConcurrentModificationError if the cohort changed since (another import, a new group size).
   * Every import that changes something increments the version.
   */
  expectedVersion?: number;
  /** Candidates the import creates (absent ones only), in the same transaction as the members. */
  candidates?: Array<Omit<CandidateRecord, 'createdAt'>>;
  newGroups: Array<Omit<GroupRecord, 'createdAt'>>;
  /** Members to insert, or to update when (cohortId, candidateId) exists. */
  members: Array<Omit<MemberRecord, 'joinedAt' | 'updatedAt'>>;
}

export interface ImportResult {
  /** Candidates of `plan.candidates` that did not exist yet (absent when the plan had none). */
  candidatesCreated?: number;
  groupsCreated: number;
  membersAdded: number;
  membersUpdated: number;
  membersUnchanged: number;
}

export type MemberPatch = Partial<Pick<MemberRecord, 'displayName' | 'hidden' | 'groupId'>>;

/** State of a bulk "start attempts for a group or cohort" run, so an interrupted run resumes. */
export type BulkItemState = 'pending' | 'started' | 'failed';

export interface BulkRunRecord {
  id: string;
  cohortId: string;
  /** The group it covers, or null for the whole cohort. */
  groupId: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface BulkItemRecord {
  runId: string;
  candidateId: string;
  state: BulkItemState;
  /** The attempt it started (set once; a resumed run reuses it rather than starting another). */
  attemptId: string | null;
  error: string | null;
  updatedAt: string;
}

export interface CohortStore {
  createProgramme(programme: Omit<ProgrammeRecord, 'createdAt'>, audit: AuditInput): Promise<ProgrammeRecord>;
  getProgramme(id: string): Promise<ProgrammeRecord | undefined>;
  listProgrammes(): Promise<ProgrammeRecord[]>;

  createCohort(cohort: NewCohort, audit: AuditInput): Promise<CohortRecord>;
  getCohort(id: string): Promise<CohortRecord | undefined>;
  listCohorts(filter?: { programmeId?: string }): Promise<CohortRecord[]>;
  /** Throws ConcurrentModificationError when the cohort's version is no longer `expectedVersion`. */
  updateCohort(cohortId: string, expectedVersion: number, patch: CohortPatch, audit: AuditInput): Promise<CohortRecord>;

  /** All or nothing: on any error nothing of the plan is stored. */
  applyImport(plan: ImportPlan, audit: AuditInput): Promise<ImportResult>;
  getGroup(id: string): Promise<GroupRecord | undefined>;
  listGroups(cohortId: string): Promise<GroupRecord[]>;
  getMember(cohortId: string, candidateId: string): Promise<MemberRecord | undefined>;
  listMembers(filter: { cohortId?: string; groupId?: string; candidateId?: string }): Promise<MemberRecord[]>;
  updateMember(cohortId: string, candidateId: string, patch: MemberPatch, audit: AuditInput): Promise<MemberRecord>;

  /** Creates the run with one `pending` item per candidate; idempotent per run id. */
  createBulkRun(run: Omit<BulkRunRecord, 'createdAt' | 'finishedAt'>, candidateIds: string[], audit: AuditInput): Promise<BulkRunRecord>;
  getBulkRun(id: string): Promise<BulkRunRecord | undefined>;
  listBulkItems(runId: string): Promise<BulkItemRecord[]>;
  /** Sets an item's state; `attemptId`, once set, never changes (ConstraintViolationError). */
  updateBulkItem(runId: string, candidateId: string, change: { state: BulkItemState; attemptId?: string | null; error?: string | null }): Promise<BulkItemRecord>;
  finishBulkRun(id: string, audit: AuditInput): Promise<BulkRunRecord>;
}
