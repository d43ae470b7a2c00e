import { randomBytes } from 'node:crypto';
import type { AccountQuota } from '../model/task';
import { partitionOf } from '../sandbox/session';
import type {
  NewPoolAccount,
  PoolAccountRecord,
  PoolCleanupFinish,
  PoolCleanupRecord,
  PoolLeaseRecord,
  PoolStore,
  PoolTransition,
} from '../store/pool-types';
import type { AuditInput } from '../store/types';
import { checkAccountId, checkAction, leasable, PoolError } from './state-machine';
import type { AccountCleaner, CleanupJournal, CleanupOutcome } from './types';

/** Cuts the candidate off (the sandbox's deny-all policy on the candidate role). Must be idempotent. */
export type FreezeEffect = (lease: { accountId: string; attemptId: string; leaseId: string; region: string }) => Promise<void>;

/** Reads the account's value of each quota in `region` (src/sandbox/quotas.ts in production). */
export type QuotaReader = (target: { accountId: string; region: string }, quotas: readonly AccountQuota[]) => Promise<Array<{ quota: AccountQuota; value: number }>>;

/** How long a cleaned account rests before its next lease, by default: resources AWS deletes asynchronously finish, and credentials handed out before the freeze expire. */
export const DEFAULT_COOLDOWN_MS = 30 * 60_000;

export interface AccountPoolOptions {
  store: PoolStore;
  /** The clean-up engine; needed by every operation that cleans. */
  cleaner?: AccountCleaner;
  /** Default: nothing to freeze (accounts without a deployed sandbox). */
  freeze?: FreezeEffect;
  /** Default: quotas cannot be read, so a lease that needs quotas finds no account. */
  readQuotas?: QuotaReader;
  now?: () => Date;
  cooldownMs?: number;
  newId?: (prefix: 'lse' | 'cln') => string;
  /**
   * Called after each durable step (the step's effect done, or its record committed). The crash test
   * stops the process here; nothing else should need it.
   */
  onStep?: (step: string) => Promise<void> | void;
}

export interface LeaseRequest {
  attemptId: string;
  /** Where the sandbox will be deployed; quotas are read there. */
  region: string;
  /** Quotas the attempt's tasks need (their blueprints' `accountQuotas`, merged). */
  quotas?: readonly AccountQuota[];
  /** Regions the clean-up after the lease covers (default: `region`). */
  cleanupRegions?: string[];
}

/** An account a lease passed over, and why. */
export interface SkippedAccount {
  accountId: string;
  reason: 'quota-too-low' | 'quota-unreadable' | 'taken';
  quota?: { serviceCode: string; quotaCode: string; name: string };
  value?: number;
  required?: number;
  message: string;
}

export interface LeaseResult {
  lease: PoolLeaseRecord;
  account: PoolAccountRecord;
  /** True when the attempt already held this lease (a retried lease returns it). */
  resumed: boolean;
  skipped: SkippedAccount[];
}

export interface CleanResult {
  account: PoolAccountRecord;
  cleanup: PoolCleanupRecord;
}

export interface ResumeItem {
  accountId: string;
  did: 'freeze' | 'release' | 'clean';
  state: PoolAccountRecord['state'] | 'error';
  error?: string;
}

const ATTEMPT_ID = /^[A-Za-z0-9][\w.:-]{0,127}$/;

const defaultId = (prefix: string) => `${prefix}-${randomBytes(8).toString('hex')}`;

/**
 * The sandbox account pool: leases accounts to attempts, freezes and releases them, has them
 * cleaned, and quarantines any a clean-up did not verify empty. Every step is one compare-and-set
 * transition of the store with its audit entry; an effect outside the store (freezing, cleaning) is
 * recorded as intended before it runs and is idempotent, so `resume` after a crash finishes it.
 * An account is leasable only in `available`, which only a verified clean-up reaches.
 */
export class AccountPool {
  readonly store: PoolStore;
  private readonly options: AccountPoolOptions;
  private readonly now: () => Date;
  private readonly cooldownMs: number;
  private readonly newId: (prefix: 'lse' | 'cln') => string;
  private readonly background = new Map<string, Promise<void>>();

  constructor(options: AccountPoolOptions) {
    this.options = options;
    this.store = options.store;
    this.now = options.now ?? (() => new Date());
    this.cooldownMs = options.cooldownMs ?? DEFAULT_COOLDOWN_MS;
    this.newId = options.newId ?? defaultId;
  }

  async get(accountId: string): Promise<PoolAccountRecord> {
    checkAccountId(accountId);
    const account = await this.store.getPoolAccount(accountId);
    if (!account) throw new PoolError('not-found', `account ${accountId} is not in the sandbox pool; \`skillproof pool list\` shows the pool, \`skillproof pool sync\` adds accounts`);
    return account;
  }

  // ── joining ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Adds an account (or brings back one that left the OU) under an initial clean-up; it becomes
   * available only when that clean-up verifies it empty. Run `clean` (or `resume`) to do it.
   */
  async join(account: NewPoolAccount, regions: string[], actor: string): Promise<PoolAccountRecord> {
    checkAccountId(account.accountId);
    checkRegions(regions);
    const existing = await this.store.getPoolAccount(account.accountId);
    const cleanup = { id: this.newId('cln'), accountId: account.accountId, kind: 'join' as const, leaseId: null, regions, startedAt: this.stamp() };
    let joined: PoolAccountRecord;
    if (!existing) {
      joined = await this.store.addPoolAccount(account, cleanup, this.audit(actor, 'pool.account-joined', account.accountId, { cleanupId: cleanup.id, source: account.source, ouId: account.ouId, regions }));
    } else if (existing.state === 'retired' && existing.retiredBy === 'sync') {
      joined = await this.store.transitionPoolAccount(
        {
          accountId: account.accountId,
          expected: { state: 'retired', version: existing.version },
          patch: { ...account, state: 'cleaning', cleanupId: cleanup.id, retiredAt: null, retiredReason: null, retiredBy: null },
          cleanup: { start: cleanup },
        },
        this.audit(actor, 'pool.account-rejoined', account.accountId, { cleanupId: cleanup.id, ouId: account.ouId, regions }),
      );
    } else {
      throw new PoolError('refused', `account ${account.accountId} is in the pool already (${existing.state}${existing.retiredBy === 'admin' ? ', retired by an administrator' : ''})`);
    }
    await this.step('join:recorded');
    return joined;
  }

  // ── leasing ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Leases an available account to an attempt: the least recently cleaned first, skipping (not
   * quarantining) any below a quota the attempt's tasks need. A retried lease for the same attempt
   * returns the lease it already holds.
   */
  async lease(request: LeaseRequest, actor: string): Promise<LeaseResult> {
    if (!ATTEMPT_ID.test(request.attemptId)) throw new PoolError('bad-input', `"${request.attemptId}" is not an attempt id (letters, digits, . _ : -)`);
    checkRegions([request.region]);
    const cleanupRegions = [...new Set([request.region, ...(request.cleanupRegions ?? [])])];
    checkRegions(cleanupRegions);
    const held = (await this.store.listPoolLeases({ attemptId: request.attemptId })).find((l) => l.endedAt === null);
    if (held) return { lease: held, account: await this.get(held.accountId), resumed: true, skipped: [] };

    const now = this.now();
    const accounts = await this.store.listPoolAccounts();
    const candidates = accounts
      .filter((a) => leasable(a, now))
      .sort((a, b) => (a.verifiedCleanAt ?? '').localeCompare(b.verifiedCleanAt ?? '') || a.accountId.localeCompare(b.accountId));
    const quotas = request.quotas ?? [];
    const skipped: SkippedAccount[] = [];
    for (const candidate of candidates) {
      if (quotas.length > 0) {
        const low = await this.quotaProblems(candidate.accountId, request.region, quotas);
        if (low.length > 0) {
          skipped.push(...low);
          continue;
        }
      }
      const leaseId = this.newId('lse');
      try {
        const account = await this.store.transitionPoolAccount(
          {
            accountId: candidate.accountId,
            expected: { state: 'available', version: candidate.version },
            patch: { state: 'leased', leaseId, attemptId: request.attemptId, cooldownUntil: null },
            lease: { start: { id: leaseId, accountId: candidate.accountId, attemptId: request.attemptId, region: request.region, cleanupRegions, leasedAt: now.toISOString() } },
          },
          this.audit(actor, 'pool.leased', candidate.accountId, { leaseId, attemptId: request.attemptId, region: request.region, ...(skipped.length ? { skipped: skipped.map((s) => s.accountId) } : {}) }),
        );
        await this.step('lease:recorded');
        const lease = (await this.store.listPoolLeases({ attemptId: request.attemptId })).find((l) => l.id === leaseId) as PoolLeaseRecord;
        return { lease, account, resumed: false, skipped };
      } catch (e) {
        if (!isConflict(e)) throw e;
        // Another process leased it (or changed it) between our read and our write.
        const held = (await this.store.listPoolLeases({ attemptId: request.attemptId })).find((l) => l.endedAt === null);
        if (held) return { lease: held, account: await this.get(held.accountId), resumed: true, skipped };
        skipped.push({ accountId: candidate.accountId, reason: 'taken', message: `account ${candidate.accountId} was leased or changed by another process meanwhile` });
      }
    }
    throw new PoolError('no-account', noAccountMessage(request, accounts, skipped, now));
  }

  private async quotaProblems(accountId: string, region: string, quotas: readonly AccountQuota[]): Promise<SkippedAccount[]> {
    const reader = this.options.readQuotas;
    let readings: Array<{ quota: AccountQuota; value: number }>;
    try {
      if (!reader) throw new Error('this SkillProof has no way to read service quotas configured');
      readings = await reader({ accountId, region }, quotas);
    } catch (e) {
      return [{ accountId, reason: 'quota-unreadable', message: `account ${accountId}: could not read its service quotas in ${region}: ${(e as Error).message}` }];
    }
    return readings
      .filter((r) => r.value < r.quota.minimum)
      .map(({ quota, value }) => ({
        accountId,
        reason: 'quota-too-low' as const,
        quota: { serviceCode: quota.serviceCode, quotaCode: quota.quotaCode, name: quota.name },
        value,
        required: quota.minimum,
        message: `account ${accountId}: ${quota.serviceCode} "${quota.name}" (${quota.quotaCode}) is ${value} in ${region}, below the ${quota.minimum} needed for ${quota.why}`,
      }));
  }

  // ── the end of a lease ──────────────────────────────────────────────────────────────────────

  /** Cuts the candidate off: the freeze effect, then `frozen`. The intent is recorded first, so a restart finishes it. */
  async freeze(accountId: string, actor: string): Promise<PoolAccountRecord> {
    let account = await this.get(accountId);
    checkAction(account, 'freeze');
    if (account.state === 'frozen') return account;
    if (account.pending === 'release') throw new PoolError('refused', `pool account ${accountId} is being released; \`skillproof pool clean\` finishes that`);
    if (account.pending !== 'freeze') {
      account = await this.transition(account, { pending: 'freeze' }, this.audit(actor, 'pool.freeze-requested', accountId, { leaseId: account.leaseId }));
      await this.step('freeze:intent');
    }
    await this.freezeEffect(account);
    await this.step('freeze:effect');
    return this.transition(
      account,
      { state: 'frozen', pending: null },
      this.audit(actor, 'pool.frozen', accountId, { leaseId: account.leaseId, attemptId: account.attemptId }),
      { update: { id: account.leaseId as string, frozenAt: this.stamp() } },
    );
  }

  /**
   * Ends the lease and starts the clean-up: the candidate is frozen out first (a release while they
   * still work would let them create resources after the clean-up checked), then the account goes
   * to `cleaning` under a clean-up keyed by the lease. With `clean` (the default) the clean-up runs.
   */
  async release(accountId: string, actor: string, options: { clean?: boolean; reason?: string } = {}): Promise<PoolAccountRecord | CleanResult> {
    let account = await this.get(accountId);
    checkAction(account, 'release');
    if (account.state !== 'cleaning') {
      const leaseId = account.leaseId as string;
      const lease = await this.leaseOf(account);
      if (account.state === 'leased') {
        if (account.pending !== 'release') {
          account = await this.transition(account, { pending: 'release' }, this.audit(actor, 'pool.release-requested', accountId, { leaseId, ...(options.reason ? { reason: options.reason } : {}) }));
          await this.step('release:intent');
        }
        await this.freezeEffect(account);
        await this.step('release:frozen');
      }
      account = await this.transition(
        account,
        { state: 'cleaning', pending: null, leaseId: null, attemptId: null, cleanupId: leaseId },
        this.audit(actor, 'pool.released', accountId, { leaseId, attemptId: lease.attemptId, ...(options.reason ? { reason: options.reason } : {}) }),
        { update: { id: leaseId, endedAt: this.stamp(), endReason: options.reason ?? 'released', ...(lease.frozenAt ? {} : { frozenAt: this.stamp() }) } },
        { start: { id: leaseId, accountId, kind: 'lease', leaseId, regions: lease.cleanupRegions, startedAt: this.stamp() } },
      );
      await this.step('release:recorded');
    }
    return options.clean === false ? account : this.clean(accountId, actor);
  }

  // ── clean-up ────────────────────────────────────────────────────────────────────────────────

  /**
   * Runs (or resumes) the account's clean-up. From `cleaning`: a verified clean outcome makes it
   * available (after the cooldown, unless it just joined); anything else quarantines it with the
   * reason. From `quarantined`: a fresh clean-up whose outcome is recorded, which `unquarantine` needs.
   */
  async clean(accountId: string, actor: string, options: { regions?: string[] } = {}): Promise<CleanResult> {
    let account = await this.get(accountId);
    checkAction(account, 'clean');
    const cleaner = this.options.cleaner;
    if (!cleaner) throw new PoolError('failed', 'this SkillProof has no clean-up engine (src/pool/cleanup) to clean accounts with');
    let cleanup = account.cleanupId ? await this.store.getPoolCleanup(account.cleanupId) : undefined;
    if (!cleanup || cleanup.status !== 'running') {
      // A quarantined account with no clean-up under way: start a fresh one.
      const regions = options.regions ?? (await this.lastRegions(accountId));
      checkRegions(regions);
      const id = this.newId('cln');
      account = await this.transition(
        account,
        { cleanupId: id },
        this.audit(actor, 'pool.recheck-started', accountId, { cleanupId: id, regions }),
        undefined,
        { start: { id, accountId, kind: 'recheck', leaseId: null, regions, startedAt: this.stamp() } },
      );
      cleanup = (await this.store.getPoolCleanup(id)) as PoolCleanupRecord;
    }

    const journal: CleanupJournal = {
      get: (key) => this.store.getCleanupJournal(cleanup.id, key),
      put: (key, value) => this.store.putCleanupJournal(cleanup.id, key, value),
    };
    const target = { accountId, regions: cleanup.regions, partition: partitionOf(cleanup.regions[0] as string), leaseId: cleanup.id };
    let outcome: CleanupOutcome | undefined;
    let problem: string | undefined;
    try {
      outcome = await cleaner(target, journal);
      problem = untrustworthy(outcome, cleanup.startedAt);
    } catch (e) {
      problem = `the clean-up failed: ${e instanceof Error ? e.message : String(e)}`;
    }
    await this.step('clean:outcome');

    // Re-read: an administrator may have quarantined or retired it meanwhile; then that decision stands.
    account = await this.get(accountId);
    if (account.cleanupId !== cleanup.id) {
      throw new PoolError('refused', `pool account ${accountId} changed while it was being cleaned (now ${account.state}); the outcome of clean-up ${cleanup.id} was not applied`);
    }
    const finish = finishOf(cleanup.id, outcome, problem, this.stamp());
    const clean = finish.status === 'clean';
    const summary = { cleanupId: cleanup.id, kind: cleanup.kind, removed: finish.removed.length, remaining: finish.remaining.length, ...(finish.error ? { error: finish.error } : {}) };
    if (account.state === 'cleaning') {
      account = clean
        ? await this.transition(
            account,
            { state: 'available', cleanupId: null, verifiedCleanAt: finish.verifiedAt, cooldownUntil: cleanup.kind === 'join' ? null : new Date(this.now().getTime() + this.cooldownMs).toISOString() },
            this.audit(actor, 'pool.cleaned', accountId, summary),
            undefined,
            { finish },
          )
        : await this.transition(
            account,
            { state: 'quarantined', cleanupId: null, quarantineReason: quarantineReason(cleanup, finish), quarantinedAt: this.stamp() },
            this.audit(actor, 'pool.quarantined', accountId, { ...summary, reason: quarantineReason(cleanup, finish) }),
            undefined,
            { finish },
          );
    } else {
      account = await this.transition(
        account,
        { cleanupId: null, ...(clean ? { verifiedCleanAt: finish.verifiedAt } : { quarantineReason: quarantineReason(cleanup, finish) }) },
        this.audit(actor, 'pool.rechecked', accountId, { ...summary, status: finish.status }),
        undefined,
        { finish },
      );
    }
    await this.step('clean:recorded');
    return { account, cleanup: (await this.store.getPoolCleanup(cleanup.id)) as PoolCleanupRecord };
  }

  /** Runs `clean` in the background (the portal): one at a time per account; failures end up in the account's state. */
  cleanInBackground(accountId: string, actor: string, log: (line: string) => void = () => undefined): void {
    if (this.background.has(accountId)) return;
    const job = this.clean(accountId, actor)
      .then(() => undefined)
      .catch((e: unknown) => log(`clean-up of pool account ${accountId} stopped: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => this.background.delete(accountId));
    this.background.set(accountId, job);
  }

  /** Whether a background clean-up of the account runs in this process. */
  cleaning(accountId: string): boolean {
    return this.background.has(accountId);
  }

  /** Waits for the background clean-ups (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background.values()]);
  }

  // ── administrative decisions ────────────────────────────────────────────────────────────────

  /** Takes an account out of use with the reason; a lease it is under ends. */
  async quarantine(accountId: string, reason: string, actor: string): Promise<PoolAccountRecord> {
    const why = checkReason(reason);
    const account = await this.get(accountId);
    checkAction(account, 'quarantine');
    const lease = account.leaseId ? await this.leaseOf(account) : undefined;
    const running = account.cleanupId ? await this.store.getPoolCleanup(account.cleanupId) : undefined;
    return this.transition(
      account,
      { state: 'quarantined', quarantineReason: why, quarantinedAt: account.quarantinedAt ?? this.stamp(), leaseId: null, attemptId: null, pending: null, cleanupId: null, cooldownUntil: null },
      this.audit(actor, 'pool.quarantined', accountId, { reason: why, ...(lease ? { leaseId: lease.id, attemptId: lease.attemptId } : {}), ...(running ? { cleanupId: running.id } : {}) }),
      lease ? { update: { id: lease.id, endedAt: this.stamp(), endReason: `quarantined: ${why}` } } : undefined,
      running?.status === 'running' ? { finish: { ...finishOf(running.id, undefined, `stopped: the account was quarantined (${why})`, this.stamp()) } } : undefined,
    );
  }

  /** Returns a quarantined account to the pool, only after a clean-up started since the quarantine verified it empty. */
  async unquarantine(accountId: string, actor: string): Promise<PoolAccountRecord> {
    const account = await this.get(accountId);
    checkAction(account, 'unquarantine');
    if (account.cleanupId) throw new PoolError('refused', `pool account ${accountId} is being checked (clean-up ${account.cleanupId}); wait for it to finish`);
    const since = account.quarantinedAt as string;
    // Only a check started in quarantine counts, never the clean-up whose finding quarantined it.
    const latest = (await this.store.listPoolCleanups(accountId)).find((c) => c.kind === 'recheck' && c.status !== 'running' && c.startedAt >= since);
    if (!latest || latest.status !== 'clean') {
      const last = latest ? ` The last one (${latest.id}) ended ${latest.status}: ${latest.error ?? latest.remaining.map((r) => `${r.arn} (${r.reason})`).join(', ')}.` : '';
      throw new PoolError('refused', `pool account ${accountId} was quarantined at ${since} (${account.quarantineReason}); it returns to the pool only after a clean-up started since then verifies it empty: run \`skillproof pool clean ${accountId}\` first.${last}`);
    }
    return this.transition(
      account,
      { state: 'available', quarantineReason: null, quarantinedAt: null, verifiedCleanAt: latest.verifiedAt, cooldownUntil: new Date(this.now().getTime() + this.cooldownMs).toISOString() },
      this.audit(actor, 'pool.unquarantined', accountId, { cleanupId: latest.id, verifiedAt: latest.verifiedAt, reasonWas: account.quarantineReason }),
    );
  }

  /**
   * Takes an account out of the pool for good; it stays in the history. An administrator cannot
   * retire a leased account (release it first); `sync` retires whatever left the OU, lease or not.
   */
  async retire(accountId: string, reason: string, actor: string, by: 'admin' | 'sync' = 'admin'): Promise<PoolAccountRecord> {
    const why = checkReason(reason);
    const account = await this.get(accountId);
    if (by === 'admin') checkAction(account, 'retire');
    else if (account.state === 'retired') return account;
    const lease = account.leaseId ? await this.leaseOf(account) : undefined;
    const running = account.cleanupId ? await this.store.getPoolCleanup(account.cleanupId) : undefined;
    return this.transition(
      account,
      {
        state: 'retired',
        retiredAt: this.stamp(),
        retiredReason: why,
        retiredBy: by,
        leaseId: null,
        attemptId: null,
        pending: null,
        cleanupId: null,
        cooldownUntil: null,
        quarantineReason: null,
        quarantinedAt: null,
      },
      this.audit(actor, 'pool.retired', accountId, { reason: why, by, previousState: account.state, ...(lease ? { leaseId: lease.id, attemptId: lease.attemptId } : {}) }),
      lease ? { update: { id: lease.id, endedAt: this.stamp(), endReason: `retired: ${why}` } } : undefined,
      running?.status === 'running' ? { finish: finishOf(running.id, undefined, `stopped: the account was retired (${why})`, this.stamp()) } : undefined,
    );
  }

  /** Updates what Organizations says about an account (its name, e-mail, OU), without changing its state. */
  async describe(account: PoolAccountRecord, facts: Pick<NewPoolAccount, 'name' | 'email' | 'arn' | 'ouId' | 'source'>, actor: string): Promise<PoolAccountRecord> {
    return this.transition(account, facts, this.audit(actor, 'pool.account-updated', account.accountId, { ...facts }));
  }

  // ── after a crash ───────────────────────────────────────────────────────────────────────────

  /**
   * Finishes whatever a stopped process left: a requested freeze or release, and every clean-up under
   * way (accounts in `cleaning`). Safe to run any time, in any number of processes.
   */
  async resume(actor: string): Promise<ResumeItem[]> {
    const done: ResumeItem[] = [];
    for (const account of await this.store.listPoolAccounts()) {
      const did = account.pending === 'freeze' ? 'freeze' : account.pending === 'release' || account.state === 'cleaning' ? (account.pending ? 'release' : 'clean') : undefined;
      if (!did) continue;
      try {
        const result = did === 'freeze' ? await this.freeze(account.accountId, actor) : did === 'release' ? await this.release(account.accountId, actor) : await this.clean(account.accountId, actor);
        done.push({ accountId: account.accountId, did, state: ('account' in result ? result.account : result).state });
      } catch (e) {
        done.push({ accountId: account.accountId, did, state: 'error', error: e instanceof Error ? e.message : String(e) });
      }
    }
    return done;
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────

  private async transition(
    account: PoolAccountRecord,
    patch: PoolTransition['patch'],
    audit: AuditInput,
    lease?: PoolTransition['lease'],
    cleanup?: PoolTransition['cleanup'],
  ): Promise<PoolAccountRecord> {
    try {
      return await this.store.transitionPoolAccount(
        { accountId: account.accountId, expected: { state: account.state, version: account.version }, patch, ...(lease ? { lease } : {}), ...(cleanup ? { cleanup } : {}) },
        audit,
      );
    } catch (e) {
      if (isConflict(e)) throw new PoolError('refused', (e as Error).message);
      throw e;
    }
  }

  private async freezeEffect(account: PoolAccountRecord): Promise<void> {
    const lease = await this.leaseOf(account);
    if (!this.options.freeze) return;
    try {
      await this.options.freeze({ accountId: account.accountId, attemptId: lease.attemptId, leaseId: lease.id, region: lease.region });
    } catch (e) {
      throw new PoolError('failed', `could not freeze the sandbox of attempt ${lease.attemptId} in account ${account.accountId}: ${e instanceof Error ? e.message : String(e)}. The request is recorded; run the command again (or \`skillproof pool clean\`) once the cause is fixed.`);
    }
  }

  private async leaseOf(account: PoolAccountRecord): Promise<PoolLeaseRecord> {
    const lease = (await this.store.listPoolLeases({ accountId: account.accountId })).find((l) => l.id === account.leaseId);
    if (!lease) throw new PoolError('failed', `pool account ${account.accountId} names lease ${account.leaseId}, which the store does not hold`);
    return lease;
  }

  /** The regions of the account's last clean-up (a recheck covers what the last one did). */
  private async lastRegions(accountId: string): Promise<string[]> {
    const last = (await this.store.listPoolCleanups(accountId))[0];
    if (!last) throw new PoolError('bad-input', `pool account ${accountId} has never been cleaned: name the regions to clean (--regions)`);
    return last.regions;
  }

  private audit(actor: string, action: string, subject: string, data: Record<string, unknown>): AuditInput {
    return { actor, action, subject, data };
  }

  private stamp(): string {
    return this.now().toISOString();
  }

  private async step(name: string): Promise<void> {
    await this.options.onStep?.(name);
  }
}

const isConflict = (e: unknown) => e instanceof Error && e.name === 'PoolConflictError';

function checkRegions(regions: readonly string[]): void {
  if (regions.length === 0) throw new PoolError('bad-input', 'name at least one region');
  const bad = regions.filter((r) => !/^[a-z]{2}(-[a-z]+)+-\d$/.test(r));
  if (bad.length > 0) throw new PoolError('bad-input', `not AWS regions: ${bad.join(', ')}`);
  const partitions = new Set(regions.map(partitionOf));
  if (partitions.size > 1) throw new PoolError('bad-input', `regions of one clean-up must share a partition: ${regions.join(', ')}`);
}

function checkReason(reason: string): string {
  const why = reason.trim();
  if (why.length < 3 || why.length > 500) throw new PoolError('bad-input', 'give a reason of 3 to 500 characters (--reason)');
  return why;
}

/** Why a cleaner's outcome cannot be trusted to return the account, or undefined when it can. */
function untrustworthy(outcome: CleanupOutcome, startedAt: string): string | undefined {
  const o = outcome as { status?: unknown; removed?: unknown; verifiedAt?: string } | undefined;
  if (!o || (o.status !== 'clean' && o.status !== 'dirty') || !Array.isArray(o.removed)) return 'the clean-up engine returned an outcome SkillProof cannot read';
  if (o.status === 'dirty') return undefined;
  const verified = Date.parse(o.verifiedAt ?? '');
  if (Number.isNaN(verified)) return 'the clean-up reported the account clean without a verification time';
  // A verification older than this clean-up says nothing about what the candidate left.
  if (verified < Date.parse(startedAt)) return `the clean-up's verification (${o.verifiedAt}) predates the clean-up itself (${startedAt})`;
  return undefined;
}

function finishOf(id: string, outcome: CleanupOutcome | undefined, problem: string | undefined, at: string): PoolCleanupFinish {
  const removed = outcome && Array.isArray(outcome.removed) ? outcome.removed.map(String) : [];
  if (problem || !outcome) return { id, status: 'error', finishedAt: at, removed, remaining: outcome?.status === 'dirty' ? outcome.remaining : [], error: problem ?? 'no outcome', verifiedAt: null };
  if (outcome.status === 'dirty') return { id, status: 'dirty', finishedAt: at, removed, remaining: Array.isArray(outcome.remaining) ? outcome.remaining : [], error: null, verifiedAt: null };
  return { id, status: 'clean', finishedAt: at, removed, remaining: [], error: null, verifiedAt: new Date(outcome.verifiedAt).toISOString() };
}

function quarantineReason(cleanup: Pick<PoolCleanupRecord, 'id' | 'kind'>, finish: PoolCleanupFinish): string {
  const what = `${cleanup.kind === 'join' ? 'initial clean-up' : cleanup.kind === 'recheck' ? 'check' : 'clean-up'} ${cleanup.id}`;
  if (finish.status === 'error') return `${what} did not finish: ${finish.error}`;
  const shown = finish.remaining.slice(0, 5).map((r) => `${r.arn} (${r.reason})`);
  const more = finish.remaining.length > 5 ? ` and ${finish.remaining.length - 5} more` : '';
  return finish.remaining.length > 0
    ? `${what} could not remove ${finish.remaining.length} resource${finish.remaining.length === 1 ? '' : 's'}: ${shown.join('; ')}${more}`
    : `${what} reported the account dirty without naming what remains`;
}

function noAccountMessage(request: LeaseRequest, accounts: PoolAccountRecord[], skipped: SkippedAccount[], now: Date): string {
  if (accounts.length === 0) return 'the sandbox pool is empty: add accounts with `skillproof pool sync --ou <ou-id>`';
  const counts = new Map<string, number>();
  for (const a of accounts) {
    const key = a.state === 'available' && !leasable(a, now) ? 'cooling down' : a.state;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const states = [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
  const soonest = accounts
    .filter((a) => a.state === 'available' && a.cooldownUntil && Date.parse(a.cooldownUntil) > now.getTime())
    .map((a) => a.cooldownUntil as string)
    .sort()[0];
  const why = skipped.length > 0 ? ` Passed over: ${skipped.map((s) => s.message).join('; ')}.` : '';
  return `no pool account can be leased for attempt ${request.attemptId} in ${request.region} (${states}).${why}${soonest ? ` The next account leaves its cooldown at ${soonest}.` : ''}`;
}

