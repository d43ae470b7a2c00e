import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { gradeSimulated } from '../../src/engine/grade';
import { passFixtures } from '../reliability/support/pass-fixtures';
import { transcriptWorld } from '../reliability/support/transcript-world';
import { DynamoDbTokenBucket, rateBucketKey, type TokenBucketOptions } from '../../src/service/worker/token-bucket';
import { startDynalite, type Dynalite } from '../support/dynalite';
import { createRateTable } from './support/rate-table';

const TABLE = 'skillproof-service';
const T0 = Date.parse('2026-03-01T09:00:00Z');

/** The most slots that fall in any window (t - 1 s, t]. */
function busiestSecond(slots: number[]): number {
  const sorted = [...slots].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= 1000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe('the per-account token bucket in DynamoDB', () => {
  let db: Dynalite;
  let clock: number;
  const now = () => clock;

  beforeAll(async () => {
    db = await startDynalite();
    await createRateTable(db.client(), TABLE);
  });
  afterAll(() => db.close());
  beforeEach(() => {
    clock = T0;
  });

  const bucket = (options: Partial<TokenBucketOptions> = {}) =>
    new DynamoDbTokenBucket({ dynamodb: db.client(), tableName: TABLE, callsPerSecond: 10, now, sleep: async () => undefined, ...options });

  it('gives three workers taking slots at once for one account distinct slots, never more than the rate in a second', async () => {
    const workers = [bucket(), bucket(), bucket()];
    const slots: number[] = [];
    for (let round = 0; round < 4; round++) {
      const taken = await Promise.all(workers.flatMap((w) => Array.from({ length: 12 }, () => w.take('111111111111'))));
      slots.push(...taken);
      clock += 1500;
    }
    expect(new Set(slots).size).toBe(slots.length);
    const sorted = [...slots].sort((a, b) => a - b);
    expect(Math.min(...sorted.slice(1).map((s, i) => s - sorted[i]!))).toBeGreaterThanOrEqual(workers[0]!.intervalMs - 1e-6);
    expect(busiestSecond(slots)).toBeLessThanOrEqual(10);
    // And the bucket is not starved: 144 calls need at least 144 x 105 ms; they are given no more.
    expect(Math.max(...slots) - T0).toBeLessThan(144 * workers[0]!.intervalMs);
  });

  it('lets an account that fell idle send at once, and keeps accounts apart', async () => {
    const b = bucket();
    expect(await b.take('222222222222')).toBe(T0);
    expect(await b.take('222222222222')).toBe(T0 + b.intervalMs);
    expect(await b.take('333333333333')).toBe(T0);
    clock += 5000;
    expect(await b.take('222222222222')).toBe(clock);
  });

  it('shares one reservation among the calls waiting in one process', async () => {
    const b = bucket({ maxBatch: 10 });
    const slots = await Promise.all(Array.from({ length: 25 }, () => b.take('444444444444')));
    expect(slots).toEqual(Array.from({ length: 25 }, (_, i) => T0 + i * b.intervalMs));
    // 25 waiting calls: the first reserves alone, then 10 and 10, then the last 4.
    expect(b.stats.updates).toBeLessThanOrEqual(6);
  });

  it('stores one item per account under pk RATE#<account>', async () => {
    const b = bucket();
    await b.take('555555555555');
    const item = await db.client().send(new GetItemCommand({ TableName: TABLE, Key: rateBucketKey('555555555555'), ConsistentRead: true }));
    expect(item.Item).toMatchObject({ pk: { S: 'RATE#555555555555' }, sk: { S: '#' }, tat: { N: String(T0 + b.intervalMs) } });
  });

  it('waits rather than reserve past the horizon', async () => {
    const waits: number[] = [];
    const b = bucket({
      horizonMs: 1000,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    });
    const slots: number[] = [];
    for (let i = 0; i < 15; i++) slots.push(await b.take('666666666666'));
    expect(waits.length).toBeGreaterThan(0);
    expect(Math.max(...slots) - clock).toBeLessThanOrEqual(1000);
    expect(busiestSecond(slots)).toBeLessThanOrEqual(10);
  });

  it('runs each job in its slot, and takes a new slot when it woke too late for its own', async () => {
    let overshoot = 200;
    const sent: number[] = [];
    const b = bucket({
      lateToleranceMs: 50,
      sleep: async (ms) => {
        clock += ms + overshoot;
        overshoot = 0;
      },
    });
    const pace = b.limiter('777777777777');
    await pace(async () => sent.push(clock));
    await pace(async () => sent.push(clock));
    // The second call's slot was T0 + 105 ms; it woke 200 ms after it, so it was not sent then (it
    // would have bunched with later slots) but took the next free slot, at once since the bucket was idle.
    expect(b.stats.late).toBe(1);
    expect(sent).toEqual([T0, T0 + b.intervalMs + 200]);
  });
});

describe('pacing a grading session', () => {
  it('sends every AWS call of a run (each try), and no HTTP probe, through the pace limiter', async () => {
    const fx = passFixtures({ firstPerTask: true }).find((f) => f.entry.task.id === 'serverless-orders-api')!;
    let paced = 0;
    const { report, bundle } = await gradeSimulated(fx.entry, {
      responder: transcriptWorld(fx.bundle.transcript),
      region: fx.bundle.run.region,
      nonce: fx.bundle.run.nonce,
      startedAt: new Date(fx.bundle.run.startedAt),
      ...(fx.bundle.run.expectedAccount ? { expectedAccount: fx.bundle.run.expectedAccount } : {}),
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
