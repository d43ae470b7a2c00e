/**
 * The per-account rate bound shared by every grading worker: at most `callsPerSecond` AWS calls
 * into one sandbox account in any one-second window, however many workers grade it at once.
 *
 * It is a token bucket of capacity one kept in DynamoDB in its "theoretical arrival time" form
 * (GCRA): the account's item (pk `RATE#<accountId>`, sk `#`, in the service's single table) holds
 * `tat`, the instant from which the next call slot is free. Taking n tokens is one conditional
 * UpdateItem, never a read-modify-write:
 *
 *   idle    SET tat = :from + n·I                IF attribute_not_exists(tat) OR tat <= :from
 *   busy    SET tat = tat + n·I  (UPDATED_NEW)   IF tat > :from AND tat <= :now + horizon
 *
 * where :from = now + a lead of about two reservation round trips (so a slot is still ahead when the
 * answer arrives), and grants the n slots starting at :from (idle) or at the old `tat` (busy), I
 * apart. Slots never overlap, whichever worker took them, so the bound holds across workers; a
 * reserved slot that is not used (its worker died) is simply lost, which errs on the safe side. A
 * call must be sent within `lateToleranceMs` of its slot, or it waits for a later one (an event loop
 * stalled by grading must not bunch calls), so I = (1000 + tolerance) / callsPerSecond keeps any
 * one-second window at `callsPerSecond` calls or fewer. Workers' clocks are assumed to agree to well
 * within the tolerance (Lambda hosts keep NTP time).
 *
 * Within one process, an account has one lane: the slots the process holds (reserved, not yet used)
 * and the calls waiting, first come first served. A call is sent at the lane's next held slot; the
 * lane reserves only when it holds fewer slots than it has calls waiting, all of them in one write,
 * and, while its calls keep every slot it holds busy (a grade wants more calls than the account
 * admits), a whole `maxBatch` at a time. So a busy account costs about one write per `maxBatch`
 * calls, and an event loop that woke too late for a slot moves the call to the lane's next slot
 * without a write; it does not make one write per late call, which under CPU pressure would feed on
 * itself. When a slot passes with no call waiting (the grade ended), the lane gives the slots it
 * still holds back (`SET tat = :first IF tat = :its own last tat`), so the next grade on the account
 * need not wait behind them; if another worker reserved since, they pass unused instead.
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
  /** Most slots one reservation takes for an account's calls waiting in this process (default 5). */
  maxBatch?: number;
  /** Slots are reserved at most this far ahead; past it a caller waits before reserving (default 30 s). */
  horizonMs?: number;
  /** The least lead a reservation gives itself (default 10 ms; see `leadMs`). */
  minLeadMs?: number;
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
  /** Slots reserved; slots a call was sent in. */
  reserved: number;
  slots: number;
  /** Slots that passed while a call waited for them (its event loop woke more than the tolerance late). */
  late: number;
  /** Slots that passed with no call waiting (the grade ended, or its next call was not yet ready). */
  unused: number;
  /** Held slots given back to the account when the lane fell idle. */
  returned: number;
}

interface Waiter {
  since: number;
  run: () => void;
  fail: (e: unknown) => void;
}

interface Lane {
  /** Calls waiting for a slot, first come first served. */
  waiting: Waiter[];
  /** Slots this process holds for the account and has not used, ascending. */
  owned: number[];
  reserving: boolean;
  /** The last reservation found the bucket busy: try the busy update first next time. */
  busy: boolean;
  /** Calls outran the slots held: reserve a whole batch next time. */
  hot: boolean;
  /** The item's `tat` as this lane's last reservation left it (exact, as DynamoDB wrote it), while no other reservation may have followed. */
  tail: string | undefined;
  /** Held slots are being given back: none may be used until DynamoDB answers. */
  returning: boolean;
  /** When a pending wake-up will drive the lane. */
  wakeAt: number | undefined;
  driving: boolean;
  again: boolean;
}

/** A reservation never looks further ahead than this for its first slot. */
const MAX_LEAD_MS = 1000;

export const rateBucketKey = (accountId: string): Record<string, AttributeValue> => ({ pk: { S: `RATE#${accountId}` }, sk: { S: '#' } });

export class DynamoDbTokenBucket {
  /** Milliseconds between two slots of one account. */
  readonly intervalMs: number;
  readonly stats: TokenBucketStats = { updates: 0, reads: 0, conditionFailures: 0, reserved: 0, slots: 0, late: 0, unused: 0, returned: 0 };
  private readonly tolerance: number;
  private readonly maxBatch: number;
  private readonly horizon: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly key: (accountId: string) => Record<string, AttributeValue>;
  private readonly lanes = new Map<string, Lane>();
  private readonly minLead: number;
  /** A reservation's recent round trip (ms): the latest if it was longer, else a moving average. */
  private roundTripMs = 0;

  constructor(private readonly options: TokenBucketOptions) {
    if (!(options.callsPerSecond > 0)) throw new Error(`calls per second must be above 0; got ${options.callsPerSecond}`);
    this.tolerance = options.lateToleranceMs ?? 50;
    this.intervalMs = (1000 + this.tolerance) / options.callsPerSecond;
    this.maxBatch = Math.max(1, options.maxBatch ?? 5);
    this.horizon = options.horizonMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    this.key = options.key ?? rateBucketKey;
    this.minLead = options.minLeadMs ?? 10;
  }

  /** The account's pace: runs each job in a slot of its own (for SessionConfig.pace). */
  limiter(accountId: string): Limiter {
    return <T>(job: () => Promise<T>) =>
      new Promise<T>((resolve, reject) => {
        this.enqueue(accountId, {
          since: this.now(),
          run: () => {
            // A job that throws before it returns its promise must not stop the lane.
            try {
              job().then(resolve, reject);
            } catch (e) {
              reject(e);
            }
          },
          fail: reject,
        });
      });
  }

  private enqueue(accountId: string, waiter: Waiter): void {
    let lane = this.lanes.get(accountId);
    if (!lane) {
      lane = { waiting: [], owned: [], reserving: false, busy: false, hot: false, tail: undefined, returning: false, wakeAt: undefined, driving: false, again: false };
      this.lanes.set(accountId, lane);
    }
    lane.waiting.push(waiter);
    this.drive(accountId, lane);
  }

  /** Sends what is due, gives up what has passed, reserves what is missing, and sleeps until the next slot. */
  private drive(accountId: string, lane: Lane): void {
    if (lane.driving) {
      lane.again = true;
      return;
    }
    lane.driving = true;
    try {
      do {
        lane.again = false;
        this.step(accountId, lane);
      } while (lane.again);
    } finally {
      lane.driving = false;
    }
  }

  private step(accountId: string, lane: Lane): void {
    if (lane.returning) return;
    let idle = false;
    for (;;) {
      const now = this.now();
      while (lane.owned.length > 0 && lane.owned[0]! + this.tolerance < now) {
        const slot = lane.owned.shift()!;
        if (lane.waiting.length > 0 && lane.waiting[0]!.since <= slot) this.stats.late++;
        else {
          this.stats.unused++;
          lane.hot = false;
          idle = true;
        }
      }
      if (lane.waiting.length === 0 || lane.owned.length === 0 || lane.owned[0]! > now) break;
      lane.owned.shift();
      this.stats.slots++;
      // Every slot held went to a call: the grade keeps the account busy, so reserve whole batches.
      if (lane.owned.length === 0) lane.hot = true;
      lane.waiting.shift()!.run();
    }
    if (lane.waiting.length === 0) {
      // A slot passed with no call for it: the grade has ended (or paused). Give the slots still held
      // back to the account, if no reservation has followed this lane's, so that another worker's
      // grade need not wait behind them; else let them pass.
      if (idle && lane.owned.length > 0 && lane.tail !== undefined && !lane.reserving) this.giveBack(accountId, lane);
      else if (lane.owned.length > 0 && lane.tail !== undefined && !lane.reserving) this.wakeAt(accountId, lane, lane.owned[0]! + this.tolerance + 1);
      return;
    }
    if (lane.waiting.length > lane.owned.length && !lane.reserving) {
      lane.reserving = true;
      // After the calls made in this same tick have joined the queue, so that they share the write.
      let n = 0;
      Promise.resolve()
        .then(() => {
          const need = Math.max(1, lane.waiting.length - lane.owned.length);
          n = Math.min(this.maxBatch, lane.hot ? Math.max(need, this.maxBatch) : need);
          return this.reserveSpan(accountId, n, lane);
        })
        .then(
        ({ first, tat }) => {
          for (let i = 0; i < n; i++) lane.owned.push(first + i * this.intervalMs);
          lane.owned.sort((a, b) => a - b);
          lane.tail = tat;
        },
        (e: unknown) => {
          // DynamoDB refused (after the SDK's retries): the calls waiting fail, as their AWS call would.
          for (const w of lane.waiting.splice(0)) w.fail(e);
        },
      ).finally(() => {
        lane.reserving = false;
        this.drive(accountId, lane);
      });
    }
    if (lane.owned.length > 0) this.wakeAt(accountId, lane, lane.owned[0]!);
  }

  /** Drives the lane again at `at`, unless a wake-up no later than that is pending. */
  private wakeAt(accountId: string, lane: Lane, at: number): void {
    if (lane.wakeAt !== undefined && lane.wakeAt <= at) return;
    lane.wakeAt = at;
    void this.sleep(Math.max(0, at - this.now())).then(() => {
      if (lane.wakeAt === at) lane.wakeAt = undefined;
      this.drive(accountId, lane);
    });
  }

  /**
   * Returns the lane's held slots to the account: `tat` goes back to the first of them, on condition
   * that it is still where this lane's reservation left it. Every call this lane sent had an earlier
   * slot, so the next reservation, from the first returned slot on, cannot bunch with them.
   */
  private giveBack(accountId: string, lane: Lane): void {
    const first = lane.owned[0]!;
    const tail = lane.tail!;
    lane.tail = undefined;
    lane.returning = true;
    this.update(accountId, {
      UpdateExpression: 'SET tat = :first',
      ConditionExpression: 'tat = :tail',
      ExpressionAttributeValues: { ':first': { N: String(first) }, ':tail': { N: tail } },
    })
      .then(
        (out) => {
          if (!out) return;
          this.stats.returned += lane.owned.length;
          lane.owned = [];
        },
        // Not given back (DynamoDB failed): the slots stay held, which errs on the safe side.
        () => undefined,
      )
      .finally(() => {
        lane.returning = false;
        this.drive(accountId, lane);
      });
  }

  /** Reserves `n` consecutive slots of the account in the shared table; returns the first. */
  async reserve(accountId: string, n: number): Promise<number> {
    return (await this.reserveSpan(accountId, n)).first;
  }

  /** Reserves `n` consecutive slots: the first, and `tat` after them as DynamoDB wrote it. */
  private async reserveSpan(accountId: string, n: number, lane?: Pick<Lane, 'busy'>): Promise<{ first: number; tat: string }> {
    const span = n * this.intervalMs;
    for (;;) {
      const now = this.now();
      const attempts = lane?.busy ? [this.takeBusy, this.takeIdle] : [this.takeIdle, this.takeBusy];
      for (const attempt of attempts) {
        const taken = await attempt.call(this, accountId, now, span);
        if (taken !== undefined) {
          if (lane) lane.busy = attempt === this.takeBusy;
          this.stats.reserved += n;
          return taken;
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

  /**
   * The earliest slot a reservation made now may hand out: now plus the lead, twice the recent
   * round trip of a reservation, so that a slot is still ahead when its reservation's answer
   * arrives (a slot given out at the request's "now" would already be late under load).
   */
  get leadMs(): number {
    return Math.min(MAX_LEAD_MS, Math.max(this.minLead, 2 * this.roundTripMs));
  }

  private async takeIdle(accountId: string, now: number, span: number): Promise<{ first: number; tat: string } | undefined> {
    const from = now + this.leadMs;
    const next = String(from + span);
    return this.update(accountId, {
      UpdateExpression: 'SET tat = :next',
      ConditionExpression: 'attribute_not_exists(tat) OR tat <= :from',
      ExpressionAttributeValues: { ':next': { N: next }, ':from': { N: String(from) } },
    }).then((out) => (out ? { first: from, tat: next } : undefined));
  }

  private async takeBusy(accountId: string, now: number, span: number): Promise<{ first: number; tat: string } | undefined> {
    const out = await this.update(accountId, {
      UpdateExpression: 'SET tat = tat + :span',
      ConditionExpression: 'tat > :from AND tat <= :latest',
      ExpressionAttributeValues: { ':span': { N: String(span) }, ':from': { N: String(now + this.leadMs) }, ':latest': { N: String(now + this.horizon) } },
      ReturnValues: 'UPDATED_NEW',
    });
    return out?.tat?.N ? { first: Number(out.tat.N) - span, tat: out.tat.N } : undefined;
  }

  /** The updated attributes, or undefined when the condition did not hold. */
  private async update(
    accountId: string,
    expression: { UpdateExpression: string; ConditionExpression: string; ExpressionAttributeValues: Record<string, AttributeValue>; ReturnValues?: 'UPDATED_NEW' },
  ): Promise<Record<string, AttributeValue> | undefined> {
    this.stats.updates++;
    const sent = this.now();
    const measure = () => {
      // Up at once, down slowly: a slot handed out too early is lost, one handed out late only waits.
      const took = Math.max(0, this.now() - sent);
      this.roundTripMs = took > this.roundTripMs ? took : this.roundTripMs + (took - this.roundTripMs) / 8;
    };
    try {
      const out = await this.options.dynamodb.send(new UpdateItemCommand({ TableName: this.options.tableName, Key: this.key(accountId), ...expression }));
      measure();
      return out.Attributes ?? {};
    } catch (e) {
      measure();
      if (e instanceof ConditionalCheckFailedException || (e as Error).name === 'ConditionalCheckFailedException') {
        this.stats.conditionFailures++;
        return undefined;
      }
      throw e;
    }
  }
}
