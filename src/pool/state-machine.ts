import type { PoolAccountRecord, PoolAccountState } from '../store/pool-types';

/** Why a pool operation stopped; the CLI and the portal turn each into a message and a status. */
export type PoolErrorCode =
  /** Input that cannot be right (an account id that is not 12 digits, an empty reason). */
  | 'bad-input'
  | 'not-found'
  /** The account's state does not allow the action (the message says what does). */
  | 'refused'
  /** No pool account qualifies for a lease (the message says why each one did not). */
  | 'no-account'
  /** A clean-up did not verify the account empty: it is quarantined. */
  | 'quarantined'
  /** Something SkillProof depends on failed (Organizations, the freeze, the store). */
  | 'failed';

/** An error a person will read: what happened, to which account, and what to do. */
export class PoolError extends Error {
  constructor(
    readonly code: PoolErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PoolError';
  }
}

export const POOL_ACTIONS = ['lease', 'freeze', 'release', 'clean', 'quarantine', 'unquarantine', 'retire'] as const;
export type PoolAction = (typeof POOL_ACTIONS)[number];

/** The states each administrative action starts from (lease, and the ends of a clean-up, have their own checks). */
const FROM: Record<PoolAction, readonly PoolAccountState[]> = {
  lease: ['available'],
  freeze: ['leased', 'frozen'],
  release: ['leased', 'frozen', 'cleaning'],
  clean: ['cleaning', 'quarantined'],
  quarantine: ['available', 'leased', 'frozen', 'cleaning', 'quarantined'],
  unquarantine: ['quarantined'],
  // A leased account is in a candidate's hands: release it first (or quarantine it), then retire it.
  retire: ['available', 'cleaning', 'quarantined'],
};

const WHAT_TO_DO: Partial<Record<PoolAccountState, string>> = {
  leased: 'it is leased to an attempt: release it first (skillproof pool release)',
  frozen: 'it is frozen after an attempt: release it first (skillproof pool release)',
  cleaning: 'it is being cleaned: finish the clean-up first (skillproof pool clean)',
  quarantined: 'it is quarantined: clean it and unquarantine it first',
  retired: 'it is retired and stays out of the pool',
  available: 'it is available, with nothing to clean or release',
};

/** The actions an account's state allows, for the pages and `pool show`. */
export function allowedActions(account: Pick<PoolAccountRecord, 'state'>): PoolAction[] {
  return POOL_ACTIONS.filter((action) => action !== 'lease' && FROM[action].includes(account.state));
}

/** Refuses an action the account's state does not allow, saying what would. */
export function checkAction(account: Pick<PoolAccountRecord, 'accountId' | 'state'>, action: PoolAction): void {
  if (FROM[action].includes(account.state)) return;
  const hint = WHAT_TO_DO[account.state] ?? `it is ${account.state}`;
  throw new PoolError('refused', `cannot ${action} pool account ${account.accountId}: ${hint}`);
}

/** Whether the account may be leased at `now`: available and past its cooldown. */
export function leasable(account: Pick<PoolAccountRecord, 'state' | 'cooldownUntil'>, now: Date): boolean {
  return account.state === 'available' && (!account.cooldownUntil || Date.parse(account.cooldownUntil) <= now.getTime());
}

const ACCOUNT_ID = /^\d{12}$/;

export function checkAccountId(accountId: string): void {
  if (!ACCOUNT_ID.test(accountId)) throw new PoolError('bad-input', `"${accountId}" is not an AWS account id (12 digits)`);
}
