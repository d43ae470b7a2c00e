/**
 * The seam between the account pool and the clean-up engine (src/pool/cleanup/). The pool decides
 * when an account is cleaned and what the outcome means; the cleaner removes what a candidate left
 * and independently verifies the account is empty. Only a `clean` outcome returns an account to the
 * pool; `dirty`, or a thrown error, quarantines it with the reason.
 */

/** Where a clean-up runs. */
export interface CleanupTarget {
  accountId: string;
  /** Every region the candidate could use (the sandbox's allowed regions), each of which is cleaned and verified. */
  regions: string[];
  /** ARN partition of the regions: aws, aws-cn, aws-us-gov. */
  partition: string;
  /**
   * The clean-up cycle's id, the key of its journal: the lease being cleaned up after, or, for a
   * clean-up outside a lease (an account joining the pool, a quarantined account checked again),
   * that clean-up's own id. A resumed clean-up gets the same id, so it reads back its own progress.
   */
  leaseId: string;
}

/**
 * Durable per-cycle progress the cleaner may record and read back, so an interrupted clean-up
 * resumes instead of starting over. Each `put` is committed before it returns (it survives SIGKILL).
 * Values are JSON-serialisable.
 */
export interface CleanupJournal {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
}

export type CleanupOutcome =
  /** Everything the candidate left is gone, and an independent read found nothing left (at `verifiedAt`). */
  | { status: 'clean'; removed: string[]; verifiedAt: string }
  /** Something remains: what, and why it could not be removed. */
  | { status: 'dirty'; removed: string[]; remaining: Array<{ arn: string; reason: string }> };

/** Removes what a candidate left in `target` and verifies, independently, that nothing is left. */
export type AccountCleaner = (target: CleanupTarget, journal: CleanupJournal) => Promise<CleanupOutcome>;
