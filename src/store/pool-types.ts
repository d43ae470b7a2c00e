/**
 * The sandbox account pool: which accounts SkillProof may lease to attempts, and where each one is
 * in its cycle. Like `Store`, every mutating method is one atomic change that appends its audit
 * entry; the rules (which transition is legal, what a clean-up outcome means) live in src/pool, and
 * the store guarantees atomicity, history that is never deleted, at most one account per attempt,
 * and compare-and-set on an account's state and `version`, so two processes never lease one account.
 */
import type { AuditInput } from './types';

/**
 * available → leased → frozen → cleaning → available (after a cooldown), or quarantined when a
 * clean-up fails or finds what it cannot remove. Retired accounts stay in the history.
 */
export const POOL_ACCOUNT_STATES = ['available', 'leased', 'frozen', 'cleaning', 'quarantined', 'retired'] as const;
export type PoolAccountState = (typeof POOL_ACCOUNT_STATES)[number];

/** An external effect requested and not yet confirmed; a restart finishes it before anything else. */
export type PoolPendingEffect = 'freeze' | 'release';

export type PoolAccountSource = 'organizations' | 'configured';

export interface PoolAccountRecord {
  accountId: string;
  /** As Organizations names it (null for an account from the configured list). */
  name: string | null;
  email: string | null;
  arn: string | null;
  source: PoolAccountSource;
  /** The OU it was found in (source `organizations`). */
  ouId: string | null;
  state: PoolAccountState;
  /** Raised by every change: the compare-and-set token. */
  version: number;
  /** The lease it is under (leased, frozen). */
  leaseId: string | null;
  attemptId: string | null;
  pending: PoolPendingEffect | null;
  /** The clean-up under way (cleaning; a quarantined account being checked again). */
  cleanupId: string | null;
  /** Not leased before this instant (available). */
  cooldownUntil: string | null;
  quarantineReason: string | null;
  quarantinedAt: string | null;
  /** When a clean-up last verified the account empty. */
  verifiedCleanAt: string | null;
  retiredAt: string | null;
  retiredReason: string | null;
  /** `sync` (it left the OU: it may come back) or `admin` (a decision: it stays retired). */
  retiredBy: 'sync' | 'admin' | null;
  joinedAt: string;
  updatedAt: string;
}

/** What a newly found account is recorded with; the rest of its record starts empty. */
export type NewPoolAccount = Pick<PoolAccountRecord, 'accountId' | 'name' | 'email' | 'arn' | 'source' | 'ouId'>;

/** Fields a transition may set; `undefined` leaves a field as it is, `null` clears it. */
export type PoolAccountPatch = Partial<
  Pick<
    PoolAccountRecord,
    | 'state'
    | 'name'
    | 'email'
    | 'arn'
    | 'source'
    | 'ouId'
    | 'leaseId'
    | 'attemptId'
    | 'pending'
    | 'cleanupId'
    | 'cooldownUntil'
    | 'quarantineReason'
    | 'quarantinedAt'
    | 'verifiedCleanAt'
    | 'retiredAt'
    | 'retiredReason'
    | 'retiredBy'
  >
>;

export interface PoolLeaseRecord {
  id: string;
  accountId: string;
  attemptId: string;
  /** The region the sandbox is deployed to. */
  region: string;
  /** Regions the clean-up after it covers (every region the candidate could use). */
  cleanupRegions: string[];
  leasedAt: string;
  frozenAt: string | null;
  /** When the lease ended (released for clean-up, quarantined, retired). */
  endedAt: string | null;
  endReason: string | null;
}

export type NewPoolLease = Omit<PoolLeaseRecord, 'frozenAt' | 'endedAt' | 'endReason'>;

export type PoolCleanupKind = 'lease' | 'join' | 'recheck';
export type PoolCleanupStatus = 'running' | 'clean' | 'dirty' | 'error';

export interface PoolCleanupRecord {
  /** For kind `lease`, the lease's id; otherwise its own. It keys the clean-up's journal. */
  id: string;
  accountId: string;
  kind: PoolCleanupKind;
  leaseId: string | null;
  regions: string[];
  startedAt: string;
  status: PoolCleanupStatus;
  finishedAt: string | null;
  removed: string[];
  remaining: Array<{ arn: string; reason: string }>;
  /** Why it did not finish (the cleaner threw, or the outcome could not be trusted). */
  error: string | null;
  /** When the cleaner verified the account empty (status `clean`). */
  verifiedAt: string | null;
}

export type NewPoolCleanup = Pick<PoolCleanupRecord, 'id' | 'accountId' | 'kind' | 'leaseId' | 'regions' | 'startedAt'>;

export interface PoolCleanupFinish {
  id: string;
  status: Exclude<PoolCleanupStatus, 'running'>;
  finishedAt: string;
  removed: string[];
  remaining: Array<{ arn: string; reason: string }>;
  error: string | null;
  verifiedAt: string | null;
}

/**
 * One change of one account: applied only if the account is still in `expected` (state and
 * version), together with the lease and clean-up records it starts or ends, and its audit entry.
 */
export interface PoolTransition {
  accountId: string;
  expected: { state: PoolAccountState; version: number };
  patch: PoolAccountPatch;
  lease?: { start: NewPoolLease } | { update: { id: string; frozenAt?: string; endedAt?: string; endReason?: string } };
  cleanup?: { start: NewPoolCleanup } | { finish: PoolCleanupFinish };
}

export interface PoolStore {
  getPoolAccount(accountId: string): Promise<PoolAccountRecord | undefined>;
  /** Accounts in the order they joined. */
  listPoolAccounts(filter?: { state?: PoolAccountState }): Promise<PoolAccountRecord[]>;
  /** Newest first. */
  listPoolLeases(filter: { accountId?: string; attemptId?: string }): Promise<PoolLeaseRecord[]>;
  getPoolCleanup(id: string): Promise<PoolCleanupRecord | undefined>;
  /** Newest first. */
  listPoolCleanups(accountId: string): Promise<PoolCleanupRecord[]>;
  /** Adds an account in state `cleaning` under its initial clean-up: it is leasable only once that verifies it empty. */
  addPoolAccount(account: NewPoolAccount, initialCleanup: NewPoolCleanup, audit: AuditInput): Promise<PoolAccountRecord>;
  /** Applies one transition; throws PoolConflictError when the account is no longer in `expected`. */
  transitionPoolAccount(transition: PoolTransition, audit: AuditInput): Promise<PoolAccountRecord>;
  /** A clean-up's journal: durable progress, committed before `put` returns. */
  getCleanupJournal(cleanupId: string, key: string): Promise<unknown>;
  putCleanupJournal(cleanupId: string, key: string, value: unknown): Promise<void>;
}
