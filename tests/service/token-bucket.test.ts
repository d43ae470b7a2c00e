import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { gradeSimulated } from '../../src/engine/grade';
import { passFixtures, recordedRun } from '../reliability/support/pass-fixtures';
import { transcriptWorld } from '../reliability/support/transcript-world';
import { DynamoDbTokenBucket, rateBucketKey, type TokenBucketOptions } from '../../src/service/worker/token-bucket';
import { startDynalite, type Dynalite } from '../support/dynalite';
import { seededRandom } from './support/sqs-sim';
import { createRateTable } from './support/rate-table';

const TABLE = 'skillproof-service';
const T0 = Date.parse('2026-03-01T09:00:00Z');

/** The most send times that fall in any window (t - 1 s, t]. */
function busiestSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= 1000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/**
 * A virtual clock for the buckets: `sleep` registers a timer, and `run` lets real I/O (dynalite)
 * finish, then moves the clock to the next timer, until the promise it was given settles. A timer
 * may fire late (`overshoot`), as a busy event loop would.
 */
class VirtualTime {
  clock = T0;
  private timers: Array<{ at: number; resolve: () => void }> = [];
  private inflight = 0;
  /** Extra lateness for the next timer(s) to fire, by the caller's choice. */
  overshoot: (at: number) => number = () => 0;

  readonly now = () => this.clock;
  readonly sleep = (ms: number) => new Promise<void>((resolve) => this.timers.push({ at: this.clock + Math.max(0, ms), resolve }));

  /** The client, counting requests in flight so the clock never moves while one is. */
  dynamodb(client: DynamoDBClient): Pick<DynamoDBClient, 'send'> {
    return {
      send: ((command: Parameters<DynamoDBClient['send']>[0]) => {
        this.inflight++;
        return (client.send(command as never) as Promise<unknown>).finally(() => this.inflight--);
      }) as DynamoDBClient['send'],
    };
  }

  /** Fires every timer due by `at`, in order, letting I/O finish between them; then the clock is `at`. */
  async until(at: number): Promise<void> {
    for (;;) {
      await this.settle();
      this.timers.sort((a, b) => a.at - b.at);
      if (!this.timers.length || this.timers[0]!.at > at) break;
      const timer = this.timers.shift()!;
      this.clock = Math.max(this.clock, timer.at);
      timer.resolve();
    }
    this.clock = Math.max(this.clock, at);
    await this.settle();
  }

  private async settle(): Promise<void> {
    for (let idle = 0; idle < 3; ) {
      await new Promise((r) => setImmediate(r));
      if (this.inflight > 0) {
        await new Promise((r) => setTimeout(r, 1));
        idle = 0;
      } else idle++;
    }
  }

  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    work.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let idle = 0; !settled; ) {
      await new Promise((r) => setImmediate(r));
      if (this.inflight > 0) {
        await new Promise((r) => setTimeout(r, 1));
        idle = 0;
        continue;
      }
      // Let promise chains run out before the clock moves.
      if (++idle < 3) continue;
      idle = 0;
      this.timers.sort((a, b) => a.at - b.at);
      const timer = this.timers.shift();
      if (!timer) throw new Error('nothing is pending, yet the work has not settled');
      this.clock = Math.max(this.clock, timer.at + this.overshoot(timer.at));
      timer.resolve();
    }
    return work;
  }
}

describe('the per-account token bucket in DynamoDB', () => {
  let db: Dynalite;
  let time: VirtualTime;
  let account = 100_000_000_000;
  const nextAccount = () => String(++account);

  beforeAll(async () => {
    db = await startDynalite();
    await createRateTable(db.client(), TABLE);
  });
  afterAll(() => db.close());
  beforeEach(() => {
    time = new VirtualTime();
  });

  const bucket = (options: Partial<TokenBucketOptions> = {}) =>
    new DynamoDbTokenBucket({ dynamodb: time.dynamodb(db.client()), tableName: TABLE, callsPerSecond: 10, now: time.now, sleep: time.sleep, ...options });

  /** Sends `n` calls through the bucket's pace for the account at once; their send times. */
  const sendAll = (b: DynamoDbTokenBucket, accountId: string, n: number, sent: number[] = []) =>
    Promise.all(Array.from({ length: n }, () => b.limiter(accountId)(async () => sent.push(time.clock)))).then(() => sent);

  /** Sends `n` calls one after another (a dependent chain, as a grade's); their send times. */
  const sendChain = async (b: DynamoDbTokenBucket, accountId: string, n: number) => {
    const sent: number[] = [];
    for (let i = 0; i < n; i++) await b.limiter(accountId)(async () => sent.push(time.clock));
    return sent;
  };

  it('gives three workers sending for one account at once distinct slots, never more than the rate in a second', async () => {
    const id = nextAccount();
    const workers = [bucket(), bucket(), bucket()];
    const sent: number[] = [];
    for (let round = 0; round < 3; round++) {
      await time.run(Promise.all(workers.map((w) => sendAll(w, id, 12, sent))));
      time.clock += 1500;
    }
    expect(sent).toHaveLength(108);
    const sorted = [...sent].sort((a, b) => a - b);
    expect(Math.min(...sorted.slice(1).map((s, i) => s - sorted[i]!))).toBeGreaterThanOrEqual(workers[0]!.intervalMs - 1e-6);
    expect(busiestSecond(sent)).toBeLessThanOrEqual(10);
    // Slots are not wasted: each round of 36 calls takes little more than 36 slots.
    expect(Math.max(...sent) - T0).toBeLessThan(3 * (36 * workers[0]!.intervalMs + 1500));
  });

  it('lets an account that fell idle send after the lead, and keeps accounts apart', async () => {
    const b = bucket();
    const [a, c] = [nextAccount(), nextAccount()];
    const sent = await time.run(sendAll(b, a, 2));
    expect(sent).toEqual([T0 + b.leadMs, T0 + b.leadMs + b.intervalMs]);
    const at = time.clock;
    expect(await time.run(sendAll(b, c, 1))).toEqual([at + b.leadMs]);
    time.clock += 5000;
    const later = time.clock;
    expect(await time.run(sendAll(b, a, 1))).toEqual([later + b.leadMs]);
  });

  it('shares one reservation among the calls waiting in one process: one write for a batch of calls', async () => {
    const b = bucket({ maxBatch: 10 });
    const sent = await time.run(sendAll(b, nextAccount(), 25));
    expect(sent).toEqual(Array.from({ length: 25 }, (_, i) => T0 + b.leadMs + i * b.intervalMs));
    // 25 calls waiting: all 10 of the first batch, then 10 and the last 5 (a batch of 10 is the most).
    expect(b.stats.updates - b.stats.conditionFailures).toBe(3);
  });

  it('stores one item per account under pk RATE#<account>', async () => {
    const b = bucket();
    const id = nextAccount();
    await time.run(sendAll(b, id, 1));
    const item = await db.client().send(new GetItemCommand({ TableName: TABLE, Key: rateBucketKey(id), ConsistentRead: true }));
    expect(item.Item).toMatchObject({ pk: { S: `RATE#${id}` }, sk: { S: '#' }, tat: { N: String(T0 + b.leadMs + b.intervalMs) } });
  });

  it('waits rather than reserve past the horizon', async () => {
    const id = nextAccount();
    const [a, c] = [bucket({ horizonMs: 1000, maxBatch: 10 }), bucket({ horizonMs: 1000, maxBatch: 10 })];
    const sent = await time.run(Promise.all([sendAll(a, id, 15), sendAll(c, id, 15)]).then((x) => x.flat()));
    expect(a.stats.reads + c.stats.reads).toBeGreaterThan(0);
    expect(busiestSecond(sent)).toBeLessThanOrEqual(10);
  });

  it('moves a call whose wake-up came too late to the next slot it holds, without a write', async () => {
    const b = bucket({ maxBatch: 5, lateToleranceMs: 50 });
    const id = nextAccount();
    let late = true;
    // The second slot's wake-up comes 80 ms late (past the 50 ms tolerance): its call goes at the third.
    time.overshoot = (at) => (late && at >= T0 + b.leadMs + b.intervalMs - 1 ? ((late = false), 80) : 0);
    const sent = await time.run(sendAll(b, id, 5));
    const writes = b.stats.updates;
    expect(b.stats.late).toBe(1);
    const first = T0 + b.leadMs;
    expect(sent.slice(0, 2)).toEqual([first, first + 2 * b.intervalMs]);
    expect(busiestSecond(sent)).toBeLessThanOrEqual(10);
    // One slot was lost, so the five calls needed six slots: the first batch of five and one more.
    expect(writes - b.stats.conditionFailures).toBe(2);
  });

  it('gives the slots it still holds back when its grade ends, so another worker need not wait behind them', async () => {
    const id = nextAccount();
    const a = bucket({ maxBatch: 10 });
    const c = bucket({ maxBatch: 10 });
    // Worker A's grade sends 12 calls one after another (a dependent chain): one slot, a batch of
    // 10, then a second batch of 10 of which it uses 1 before its grade ends.
    const chain = await time.run(sendChain(a, id, 12));
    // A notices when the next slot passes with no call for it, and gives the other 8 back.
    await time.until(chain.at(-1)! + a.intervalMs + 60);
    expect(a.stats.unused).toBe(1);
    expect(a.stats.returned).toBe(8);
    // Worker B's first call comes at the first slot A gave back (the one after the slot that passed
    // unused), not after A's whole batch (10 slots after A's last call).
    const [first] = await time.run(sendAll(c, id, 1));
    expect(first! - chain.at(-1)!).toBeCloseTo(2 * a.intervalMs, 6);
    expect(busiestSecond([...chain, first!])).toBeLessThanOrEqual(10);
  });

  it('keeps the slots once another worker has reserved after them: they pass unused, never reused', async () => {
    const id = nextAccount();
    const a = bucket({ maxBatch: 10 });
    const c = bucket({ maxBatch: 10 });
    // A's chain of 3 calls: one slot, then a batch of 10 of which it uses 2.
    const chain = await time.run(sendChain(a, id, 3));
    // B reserves now, behind A's 8 held slots. When A falls idle (its next slot passes unused) its
    // give-back is refused, so a third worker reserving just after that still queues behind B.
    const d = bucket({ maxBatch: 10 });
    const bSent: number[] = [];
    const dSent: number[] = [];
    const idleAt = chain.at(-1)! + 2 * a.intervalMs + 60;
    await time.run(
      Promise.all([
        sendAll(c, id, 1, bSent),
        time.sleep(idleAt - time.clock).then(() => sendAll(d, id, 10, dSent)),
      ]),
    );
    expect(a.stats.unused).toBeGreaterThan(0);
    expect(a.stats.returned).toBe(0);
    expect(bSent[0]! - chain.at(-1)!).toBeGreaterThanOrEqual(9 * a.intervalMs - 1e-6);
    expect(Math.min(...dSent)).toBeGreaterThan(bSent[0]!);
    const all = [...chain, ...bSent, ...dSent].sort((x, y) => x - y);
    expect(Math.min(...all.slice(1).map((t, i) => t - all[i]!))).toBeGreaterThanOrEqual(a.intervalMs - 1e-6);
    expect(busiestSecond(all)).toBeLessThanOrEqual(10);
  });

  it('keeps any one-second window at the rate, whatever workers, batches and late wake-ups (seeded)', async () => {
    const random = seededRandom(42);
    for (let trial = 0; trial < 6; trial++) {
      const id = nextAccount();
      const workers = Array.from({ length: 2 + Math.floor(random() * 3) }, () => bucket({ maxBatch: 1 + Math.floor(random() * 10) }));
      time.overshoot = () => (random() < 0.2 ? Math.floor(random() * 300) : 0);
      const sent: number[] = [];
      await time.run(
        Promise.all(
          workers.map(async (w) => {
            // Bursts of calls with pauses between them, as grades that start and end.
            for (let burst = 0; burst < 3; burst++) {
              await sendAll(w, id, 1 + Math.floor(random() * 12), sent);
              await time.sleep(Math.floor(random() * 800));
            }
          }),
        ),
      );
      expect(busiestSecond(sent)).toBeLessThanOrEqual(10);
    }
  });
});

describe('pacing a grading session', () => {
  it('sends every AWS call of a run (each try), and no HTTP probe, through the pace limiter', async () => {
    const fx = passFixtures({ firstPerTask: true }).find((f) => f.entry.task.id === 'serverless-orders-api')!;
    let paced = 0;
    const { report, bundle } = await gradeSimulated(fx.entry, {
      responder: transcriptWorld(fx.bundle.transcript),
      ...recordedRun(fx),
      pace: async (job) => {
        paced++;
        return job();
      },
    });
    expect(report.status).toBe('passed');
    const awsCalls = bundle.transcript.filter((c) => c.service !== 'HTTP');
    expect(bundle.transcript.length).toBeGreaterThan(awsCalls.length);
    expect(paced).toBe(awsCalls.length);
  });
});
