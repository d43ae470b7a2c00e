/**
 * The sandbox account pool: leases, freezes, releases, verified clean-up and quarantine, and the pool
 * from AWS Organizations. The CLI imports the modules it needs inside its actions.
 */
export { AccountPool, DEFAULT_COOLDOWN_MS, type AccountPoolOptions, type CleanResult, type FreezeEffect, type LeaseRequest, type LeaseResult, type QuotaReader, type ResumeItem, type SkippedAccount } from './pool';
export { checkOuId, listOuAccounts, ORGANIZATIONS_REGION, syncPool, type OuAccount, type SyncOptions, type SyncReport } from './organizations';
export { allowedActions, checkAction, leasable, POOL_ACTIONS, PoolError, type PoolAction, type PoolErrorCode } from './state-machine';
export type { AccountCleaner, CleanupJournal, CleanupOutcome, CleanupTarget } from './types';
