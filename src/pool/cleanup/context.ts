import { errorText, isGone, withRetry } from './aws-call';
import type { Ownership } from './ownership';
import type { CleanupClock, CleanupJournal, CleanupLogger, CleanupTarget, ClientClass, ClientFactory } from './types';

/** A journal failure: progress can no longer be recorded, so the run stops (it resumes from the journal later). */
export class JournalError extends Error {
  constructor(key: string, cause: unknown) {
    super(`clean-up journal: could not write ${key}: ${errorText(cause)}`);
    this.name = 'JournalError';
  }
}

export interface RemoveOptions {
  /** After the delete call: true once the resource no longer exists (for deletions AWS finishes asynchronously). */
  gone?: () => Promise<boolean>;
  /** Error codes meaning "a dependency is still going away": retried with backoff. */
  retryCodes?: readonly string[];
}

/**
 * What a phase works with: clients for its region, retrying calls, the journal and the run's record of
 * removed and undeletable resources. `region` is the home region for global services (IAM).
 */
export class PhaseContext {
  constructor(
    readonly run: CleanupRun,
    readonly region: string,
    private readonly phase: string,
  ) {}

  get target(): CleanupTarget {
    return this.run.target;
  }

  get ownership(): Ownership {
    return this.run.ownership;
  }

  /** Whether a SkillProof stack lists this resource (type and physical id as CloudFormation reports them). */
  isSkillProofs(type: string, physicalId: string): boolean {
    return this.run.ownership.isSkillProofs(type, physicalId, this.region);
  }

  client<C>(clientClass: ClientClass<C>): C {
    return this.run.client(clientClass, this.region);
  }

  clientIn<C>(clientClass: ClientClass<C>, region: string): C {
    return this.run.client(clientClass, region);
  }

  /** One AWS call with throttling retried. */
  call<T>(fn: () => Promise<T>, retryCodes?: readonly string[]): Promise<T> {
    return withRetry(fn, { clock: this.run.clock, maxTries: this.run.maxTries, ...(retryCodes ? { retryCodes } : {}) });
  }

  /** A regional ARN in this phase's region. */
  arn(service: string, resource: string, region: string = this.region): string {
    return `arn:${this.target.partition}:${service}:${region}:${this.target.accountId}:${resource}`;
  }

  /** An ARN of a global service (IAM, S3 buckets). */
  globalArn(service: string, resource: string, account: string = this.target.accountId): string {
    return `arn:${this.target.partition}:${service}::${account}:${resource}`;
  }

  /**
   * Deletes one resource once: skipped when the journal says it was removed already (a resumed run), NotFound
   * counts as removed, throttling is retried, and any other error is recorded as a resource that remains.
   * Returns whether the resource is gone.
   */
  async remove(arn: string, del: () => Promise<unknown>, options: RemoveOptions = {}): Promise<boolean> {
    const doneKey = this.run.key(`done/${arn}`);
    if ((await this.run.journalGet(doneKey)) !== 'removed') {
      try {
        await this.call(del, options.retryCodes);
      } catch (err) {
        if (!isGone(err)) {
          this.run.fail(arn, `delete failed: ${errorText(err)}`);
          return false;
        }
      }
      await this.run.journalPut(doneKey, 'removed');
    }
    if (options.gone && !(await this.waitUntil(options.gone))) {
      this.run.fail(arn, `deletion requested but it still exists after ${Math.round(this.run.deleteTimeoutMs / 60_000)} minutes`);
      return false;
    }
    await this.run.removed(this.phase, arn);
    return true;
  }

  /** Deletes several resources with one call (DeleteAlarms, DeleteDashboards), recording each like `remove`. */
  async removeBatch(arns: string[], del: () => Promise<unknown>): Promise<void> {
    const pending: string[] = [];
    for (const arn of arns) if ((await this.run.journalGet(this.run.key(`done/${arn}`))) !== 'removed') pending.push(arn);
    if (pending.length > 0) {
      try {
        await this.call(del);
      } catch (err) {
        if (!isGone(err)) {
          for (const arn of pending) this.run.fail(arn, `delete failed: ${errorText(err)}`);
          return;
        }
      }
      for (const arn of pending) await this.run.journalPut(this.run.key(`done/${arn}`), 'removed');
    }
    for (const arn of arns) await this.run.removed(this.phase, arn);
  }

  /**
   * A step that makes a resource deletable (detach, stop, empty, unprotect): not a removal of its own, so not
   * reported as one. NotFound is fine; any other error is recorded against `arn` and false returned.
   */
  async prepare(arn: string, what: string, step: () => Promise<unknown>, retryCodes?: readonly string[]): Promise<boolean> {
    try {
      await this.call(step, retryCodes);
      return true;
    } catch (err) {
      if (isGone(err)) return true;
      this.run.fail(arn, `${what} failed: ${errorText(err)}`);
      return false;
    }
  }

  /** Records a resource the cleaner cannot delete, with the reason. */
  fail(arn: string, reason: string): void {
    this.run.fail(arn, reason);
  }

  /** Polls `done` with backoff until it is true or the deletion timeout passes. */
  async waitUntil(done: () => Promise<boolean>, timeoutMs = this.run.deleteTimeoutMs): Promise<boolean> {
    const deadline = this.run.clock.now() + timeoutMs;
    for (let poll = 1; ; poll++) {
      if (await done()) return true;
      if (this.run.clock.now() >= deadline) return false;
      await this.run.clock.sleep(Math.min(15_000, 1_000 * poll));
    }
  }

  /** True when `probe` throws "not found": a describe call used to see whether an asynchronous deletion finished. */
  async notFound(probe: () => Promise<unknown>): Promise<boolean> {
    try {
      await this.call(probe);
      return false;
    } catch (err) {
      if (isGone(err)) return true;
      throw err;
    }
  }

  log(message: string): void {
    this.run.logger.info(`[${this.region}] ${this.phase}: ${message}`);
  }
}

export interface CleanupRunOptions {
  target: CleanupTarget;
  journal: CleanupJournal;
  ownership: Ownership;
  clients: ClientFactory;
  clock: CleanupClock;
  logger: CleanupLogger;
  maxTries: number;
  deleteTimeoutMs: number;
}

/** The state of one clean-up run: what was removed (this run and, from the journal, earlier ones) and what remains. */
export class CleanupRun {
  readonly target: CleanupTarget;
  readonly ownership: Ownership;
  readonly clock: CleanupClock;
  readonly logger: CleanupLogger;
  readonly maxTries: number;
  readonly deleteTimeoutMs: number;
  private readonly journal: CleanupJournal;
  private readonly clients: ClientFactory;
  private readonly clientCache = new Map<string, unknown>();
  private readonly removedByPhase = new Map<string, string[]>();
  readonly failures = new Map<string, string>();

  constructor(options: CleanupRunOptions) {
    this.target = options.target;
    this.journal = options.journal;
    this.ownership = options.ownership;
    this.clients = options.clients;
    this.clock = options.clock;
    this.logger = options.logger;
    this.maxTries = options.maxTries;
    this.deleteTimeoutMs = options.deleteTimeoutMs;
  }

  client<C>(clientClass: ClientClass<C>, region: string): C {
    const key = `${clientClass.name}@${region}`;
    let client = this.clientCache.get(key) as C | undefined;
    if (client === undefined) {
      client = this.clients(clientClass, region);
      this.clientCache.set(key, client);
    }
    return client;
  }

  destroyClients(): void {
    for (const client of this.clientCache.values()) (client as { destroy?: () => void }).destroy?.();
    this.clientCache.clear();
  }

  key(suffix: string): string {
    return `cleanup/${this.target.leaseId}/${suffix}`;
  }

  async journalGet(key: string): Promise<string | undefined> {
    try {
      return await this.journal.get(key);
    } catch (err) {
      throw new JournalError(key, err);
    }
  }

  async journalPut(key: string, value: string): Promise<void> {
    try {
      await this.journal.put(key, value);
    } catch (err) {
      throw new JournalError(key, err);
    }
  }

  private progressKey(phase: string): string {
    return this.key(`progress/${phase}`);
  }

  /** Records a removal in the phase's progress list (kept in the journal, so a resumed run still reports it). */
  async removed(phase: string, arn: string): Promise<void> {
    const list = this.removedByPhase.get(phase) ?? JSON.parse((await this.journalGet(this.progressKey(phase))) ?? '[]');
    if (!list.includes(arn)) {
      list.push(arn);
      await this.journalPut(this.progressKey(phase), JSON.stringify(list));
    }
    this.removedByPhase.set(phase, list);
  }

  fail(arn: string, reason: string): void {
    this.failures.set(arn, this.failures.has(arn) ? `${this.failures.get(arn)}; ${reason}` : reason);
    this.logger.warn(`${arn}: ${reason}`);
  }

  /** Whether a phase finished in an earlier run. */
  async phaseDone(phase: string): Promise<boolean> {
    return (await this.journalGet(this.key(`phase/${phase}`))) === 'done';
  }

  async markPhaseDone(phase: string): Promise<void> {
    await this.journalPut(this.key(`phase/${phase}`), 'done');
  }

  /** Every removal of the given phases, from this run and the journal. */
  async allRemoved(phases: string[]): Promise<string[]> {
    const all: string[] = [];
    for (const phase of phases) {
      const list = this.removedByPhase.get(phase) ?? JSON.parse((await this.journalGet(this.progressKey(phase))) ?? '[]');
      all.push(...(list as string[]));
    }
    return [...new Set(all)];
  }
}
