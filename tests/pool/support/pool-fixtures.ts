import { AccountPool, type AccountPoolOptions } from '../../../src/pool/pool';
import type { AccountCleaner, CleanupOutcome } from '../../../src/pool/types';
import type { AccountQuota } from '../../../src/model/task';
import { Clock, tempStore } from '../../attempts/support/fixtures';

export const ACTOR = 'admin:test';
export const REGION = 'eu-west-1';
export const A1 = '111111111111';
export const A2 = '222222222222';
export const A3 = '333333333333';

export const LAMBDA_CONCURRENCY: AccountQuota = {
  serviceCode: 'lambda',
  quotaCode: 'L-B99A9384',
  name: 'Concurrent executions',
  minimum: 110,
  why: 'reserved concurrency for pricing-service',
};

/**
 * Accounts held in memory: what each holds, what can be removed, and a switch to make the cleaner
 * throw. The cleaner removes what it can and reports what is left, like the real one.
 */
export class MemoryAccounts {
  readonly resources = new Map<string, Array<{ arn: string; removable: boolean }>>();
  readonly frozen: string[] = [];
  failWith: string | undefined;
  /** Overrides the cleaner's answer (an engine that misbehaves). */
  answer: ((accountId: string) => CleanupOutcome) | undefined;

  constructor(private readonly clock: { now: () => Date }) {}

  put(accountId: string, arn: string, removable = true): void {
    this.resources.set(accountId, [...(this.resources.get(accountId) ?? []), { arn, removable }]);
  }

  readonly cleaner: AccountCleaner = async (target) => {
    if (this.failWith) throw new Error(this.failWith);
    if (this.answer) return this.answer(target.accountId);
    const held = this.resources.get(target.accountId) ?? [];
    const removed = held.filter((r) => r.removable).map((r) => r.arn);
    const left = held.filter((r) => !r.removable);
    this.resources.set(target.accountId, left);
    if (left.length > 0) return { status: 'dirty', removed, remaining: left.map((r) => ({ arn: r.arn, reason: 'deletion protection is on' })) };
    return { status: 'clean', removed, verifiedAt: this.clock.now().toISOString() };
  };
}

let ids = 0;

/** A pool over a fresh data directory, a settable clock and in-memory accounts. */
export function testPool(options: Partial<AccountPoolOptions> = {}) {
  const clock = new Clock();
  const ctx = tempStore(clock.now);
  const accounts = new MemoryAccounts(clock);
  const pool = new AccountPool({
    store: ctx.store.pool,
    cleaner: accounts.cleaner,
    freeze: async ({ attemptId }) => void accounts.frozen.push(attemptId),
    now: clock.now,
    cooldownMs: 10 * 60_000,
    newId: (prefix) => `${prefix}-${(ids += 1)}`,
    ...options,
  });
  /** Joins accounts and runs their initial clean-ups: they end available. */
  const seed = async (...accountIds: string[]) => {
    for (const accountId of accountIds) {
      await pool.join({ accountId, name: `sandbox-${accountId.slice(0, 2)}`, email: null, arn: null, source: 'configured', ouId: null }, [REGION], ACTOR);
      await pool.clean(accountId, ACTOR);
    }
  };
  return { ...ctx, clock, accounts, pool, seed };
}
