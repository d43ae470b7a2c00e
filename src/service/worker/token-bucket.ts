/**
 * The per-account rate bound shared by every grading worker: at most `callsPerSecond` AWS calls
 * into one sandbox account in any one-second window, however many workers grade it at once.
 *
 * It is a token bucket of capacity one kept in DynamoDB in its "theoretical arrival time" form
 * (GCRA): the account's item (pk `RATE#<accountId>`, sk `#`, in the service's single table) holds
 * `tat`, the instant from which the next call slot is free. Taking n tokens is one conditional
 * UpdateItem, never a read-modify-write:
 *
 *   idle    SET tat = :now + n·I                 IF attribute_not_exists(tat) OR tat <= :now
 *   busy    SET tat = tat + n·I  (UPDATED_NEW)   IF tat > :now AND tat <= :now + horizon
 *
 * and grants the n slots starting at `now` (idle) or at the old `tat` (busy), I apart; the caller
 * sleeps until its slot. Slots never overlap, whichever worker took them, so the bound holds across
 * workers; a reserved slot that is not used (its worker died) is simply lost, which errs on the safe
 * side. A call must be sent within `lateToleranceMs` of its slot or it takes a new slot (an event
 * loop stalled by grading must not bunch calls), so I = (1000 + tolerance) / callsPerSecond keeps
 * any one-second window at `callsPerSecond` calls or fewer. Workers' clocks are assumed to agree to
 * well within the tolerance (Lambda hosts keep NTP time).
 *
 * Within one process, calls waiting for the same account share one reservation of up to `maxBatch`
 * slots, so a busy account costs far fewer than one write per call.
 */
import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Limiter } from '../../engine/limit';

export interface TokenBucketOptions {
  dynamodb: Pick<DynamoDBClient, 'send'>;
  tableName: string;
  /** SKILLPROOF_ACCOUNT_CALLS_PER_SECOND. */
  callsPerSecond: number;
  /** A call sent later than this after its slot takes a new one instead (default 50 ms). */
  lateToleranceMs?: number;
  /** Most slots one reservation takes for the calls waiting in this process (default 10). */
  maxBatch?: number;
  /** Slots are reserved at most this far ahead; past it a caller waits before reserving (default 30 s). */
  horizonMs?: number;
  /** Epoch milliseconds (default Date.now). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** The account's item key (default `{ pk: RATE#<accountId>, sk: '#' }`). */
  key?: (accountId: string) => Record<string, AttributeValue>;
}

export interface TokenBucketStats {
  /** UpdateItem calls, GetItem calls, and updates refused by their condition (another worker moved `tat`). */
  updates: number;
  reads: number;
  conditionFailures: number;
  /** Slots given out, and slots given up because the call was too late for them. */
  slots: number;
  late: number;
}

interface AccountQueue {
  waiting: Array<{ resolve: (slot: number) => void; reject: (e: unknown) => void }>;
  reserving: boolean;
  /** The last reservation found the bucket busy: try the busy update first next time. */
  busy: boolean;
}

export const rateBucketKey = (accountId: string): Record<string, AttributeValue> => ({ pk: { S: `RATE#${accountId}` }, sk: { S: '#' } });

export class DynamoDbTokenBucket {
  /** Milliseconds between two slots of one account. */
  readonly intervalMs: number;
  readonly stats: TokenBucketStats = { updates: 0, reads: 0, conditionFailures: 0, slots: 0, late: 0 };
  private readonly tolerance: number;
  private readonly maxBatch: number;
  private readonly horizon: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly key: (accountId: string) => Record<string, AttributeValue>;
  private readonly queues = new Map<string, AccountQueue>();

  constructor(private readonly options: TokenBucketOptions) {
    if (!(options.callsPerSecond > 0)) throw new Error(`calls per second must be above 0; got ${options.callsPerSecond}`);
    this.tolerance = options.lateToleranceMs ?? 50;
    this.intervalMs = (1000 + this.tolerance) / options.callsPerSecond;
    this.maxBatch = options.maxBatch ?? 10;
    this.horizon = options.horizonMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    this.key = options.key ?? rateBucketKey;
  }

  /** The account's pace: runs each job in a slot of its own (for SessionConfig.pace). */
  limiter(accountId: string): Limiter {
    return async (job) => {
      for (;;) {
        const slot = await this.take(accountId);
        let now = this.now();
        while (now < slot) {
          await this.sleep(slot - now);
          now = this.now();
        }
        if (now - slot <= this.tolerance) return job();
        this.stats.late++;
      }
    };
  }

  /** One slot of the account (epoch ms): shares a reservation with the other calls waiting in this process. */
  take(accountId: string): Promise<number> {
    let queue = this.queues.get(accountId);
    if (!queue) {
      queue = { waiting: [], reserving: false, busy: false };
      this.queues.set(accountId, queue);
    }
    const q = queue;
    return new Promise<number>((resolve, reject) => {
      q.waiting.push({ resolve, reject });
      this.pump(accountId, q);
    });
  }

  private pump(accountId: string, q: AccountQueue): void {
    if (q.reserving || q.waiting.length === 0) return;
    q.reserving = true;
    const batch = q.waiting.splice(0, this.maxBatch);
    this.reserve(accountId, batch.length, q).then(
      (first) => batch.forEach((w, i) => w.resolve(first + i * this.intervalMs)),
      (e: unknown) => batch.forEach((w) => w.reject(e)),
    ).finally(() => {
      q.reserving = false;
      this.pump(accountId, q);
    });
  }

  /** Reserves `n` consecutive slots; returns the first. */
  async reserve(accountId: string, n: number, q?: AccountQueue): Promise<number> {
    const span = n * this.intervalMs;
    for (;;) {
      const now = this.now();
      const attempts = q?.busy ? [this.takeBusy, this.takeIdle] : [this.takeIdle, this.takeBusy];
      for (const attempt of attempts) {
        const slot = await attempt.call(this, accountId, now, span);
        if (slot !== undefined) {
          if (q) q.busy = attempt === this.takeBusy;
          this.stats.slots += n;
          return slot;
        }
      }
      // Neither held: the bucket went idle between the two writes (try again now), or its slots are
      // reserved past the horizon (wait until they are not).
      this.stats.reads++;
      const item = await this.options.dynamodb.send(new GetItemCommand({ TableName: this.options.tableName, Key: this.key(accountId), ConsistentRead: true }));
      const tat = Number(item.Item?.tat?.N ?? 0);
      const wait = tat - this.horizon - this.now();
      if (wait > 0) await this.sleep(wait);
    }
  }

  private async takeIdle(accountId: string, now: number, span: number): Promise<number | undefined> {
    return this.update(accountId, {
      UpdateExpression: 'SET tat = :next',
      ConditionExpression: 'attribute_not_exists(tat) OR tat <= :now',
      ExpressionAttributeValues: { ':next': { N: String(now + span) }, ':now': { N: String(now) } },
    }).then((out) => (out ? now : undefined));
  }

  private async takeBusy(accountId: string, now: number, span: number): Promise<number | undefined> {
    const out = await this.update(accountId, {
      UpdateExpression: 'SET tat = tat + :span',
      ConditionExpression: 'tat > :now AND tat <= :latest',
      ExpressionAttributeValues: { ':span': { N: String(span) }, ':now': { N: String(now) }, ':latest': { N: String(now + this.horizon) } },
      ReturnValues: 'UPDATED_NEW',
    });
    return out ? Number(out.tat?.N) - span : undefined;
  }

  /** The updated attributes, or undefined when the condition did not hold. */
  private async update(
    accountId: string,
    expression: { UpdateExpression: string; ConditionExpression: string; ExpressionAttributeValues: Record<string, AttributeValue>; ReturnValues?: 'UPDATED_NEW' },
  ): Promise<Record<string, AttributeValue> | undefined> {
    this.stats.updates++;
    try {
      const out = await this.options.dynamodb.send(new UpdateItemCommand({ TableName: this.options.tableName, Key: this.key(accountId), ...expression }));
      return out.Attributes ?? {};
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException || (e as Error).name === 'ConditionalCheckFailedException') {
        this.stats.conditionFailures++;
        return undefined;
      }
      throw e;
    }
  }
}
