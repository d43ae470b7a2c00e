/**
 * Acceptance: 1,000 queued grading jobs for 100 attempts (each in its own sandbox account, replayed
 * from recorded evidence), delivered at least once by a simulated SQS queue to several concurrent
 * in-process workers, with duplicates (concurrent and late), redeliveries out of order, transient
 * failures, workers dying before they delete, and malformed messages. At the end every attempt is
 * graded exactly once and every passed one holds exactly one credential.
 *
 * The store is a parameter: each backend in STORES runs the same scenario.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { AttemptService } from '../../src/attempts/attempt-service';
import { replayEvidence } from '../../src/attempts/grading';
import { everyTaskMustPass, type Grade, type GradeResult } from '../../src/attempts/types';
import { loadCatalog } from '../../src/catalog/load';
import { regrade } from '../../src/engine/grade';
import { serialiseBundle } from '../../src/evidence/bundle';
import { issueCredential } from '../../src/credentials/issue';
import { initIssuer, loadIssuer } from '../../src/credentials/issuer-keys';
import type { GradingJob } from '../../src/service/jobs';
import { createWorkerHandler } from '../../src/service/worker/lambda';
import type { WorkerLog } from '../../src/service/worker/process-jobs';
import { sfnTaskCallbacks } from '../../src/service/worker/task-callbacks';
import { MemoryBlobStore } from '../../src/store/blobs/blob-store';
import { DynamoDbStore } from '../../src/store/dynamodb/dynamodb-store';
import { ensureTable } from '../../src/store/dynamodb/table';
import { SqliteStore } from '../../src/store/sqlite-store';
import type { Store } from '../../src/store/types';
import { listFixtureFiles } from '../../src/testing/scenarios';
import { startDynalite } from '../support/dynalite';
import { seededRandom, SqsSimulation } from './support/sqs-sim';

interface StoreUnderTest {
  name: string;
  open(): Promise<OpenedStore>;
  /** Attempts in the scenario, ten jobs each (five progress, five final), one attempt in ten failing. */
  attempts: number;
  /** The scenario's time limit, for a loaded machine. */
  timeoutMs: number;
}

interface OpenedStore {
  store: Store;
  /** Another handle on the same data, as a separate worker process (Lambda container) has. */
  another(): Store;
  cleanup(): Promise<void> | void;
  /** DynamoDB requests by command, and audit-entry commits tried and lost to another writer. */
  requests?: Map<string, number>;
}

/** Backends the scenario runs against. */
const STORES: StoreUnderTest[] = [
  {
    name: 'sqlite',
    // 300 jobs: the same logic on the embedded store, whose contract suite (tests/store/contract)
    // covers SQLite itself; the acceptance figure of 1,000 jobs for 100 accounts is DynamoDB's below.
    attempts: 30,
    timeoutMs: 60_000,
    open: async () => {
      // In memory where the machine has it: the store fsyncs every commit, and the scenario makes thousands.
      const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'skillproof-worker-store-'));
      const stores = [SqliteStore.open(dir)];
      return {
        store: stores[0]!,
        another: () => stores[stores.push(SqliteStore.open(dir)) - 1]!,
        cleanup: () => {
          for (const s of stores) s.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'dynamodb',
    // The acceptance scenario: 1,000 jobs for 100 attempts (accounts), ~15,000 requests to an in-process dynalite.
    attempts: 100,
    timeoutMs: 180_000,
    open: async () => {
      // dynalite in this process; evidence bundles in memory (S3 in the service), shared by every handle.
      const server = await startDynalite();
      const tableName = 'worker-acceptance';
      const blobs = new MemoryBlobStore();
      const requests = new Map<string, number>();
      const count = (name: string) => requests.set(name, (requests.get(name) ?? 0) + 1);
      const handle = () => {
        // SDK retries as deployed: dynalite shares a starved CPU with the test and may drop a connection.
        const client = server.client({ maxAttempts: 3 });
        client.middlewareStack.add(
          (next, context) => async (args) => {
            count(context.commandName!);
            const audit = (args.input as { Item?: { pk?: { S?: string } } }).Item?.pk?.S === 'AUDIT';
            if (audit) count('audit-commit-tries');
            try {
              return await next(args);
            } catch (e) {
              if (audit && (e as Error).name === 'ConditionalCheckFailedException') count('audit-commit-lost');
              throw e;
            }
          },
          { step: 'initialize', name: 'countRequests' },
        );
        return new DynamoDbStore({ client, tableName, blobs });
      };
      await ensureTable(server.client(), tableName, { pollMs: 5 });
      return { store: handle(), another: handle, requests, cleanup: () => server.close() };
    },
  },
];

/** Five tasks whose recorded passing runs replay quickly; one of them has a failing mutant too. */
const TASKS = ['agentic-multi-agent', 'agentic-order-agent', 'agentic-rag-guardrail', 'serverless-orders-api', 'serverless-safe-deploy'];
const FAILING = { task: 'serverless-orders-api', mutant: 'no-api' };
const WORKERS = 4;
const BATCH = 10;

describe.each(STORES)('the grading worker with the $name store, under at-least-once delivery', ({ name, open, attempts: ATTEMPTS, timeoutMs }) => {
  const FAILING_ATTEMPTS = ATTEMPTS / 10;
  /** Each fault's least count scales with the scenario (1 for the full 100 attempts). */
  const scale = ATTEMPTS / 100;
  const catalog = loadCatalog();
  let store: Store;
  let closeStore: () => Promise<void> | void;
  let another: () => Store;
  let requests: Map<string, number> | undefined;
  let home: string;

  beforeAll(async () => {
    ({ store, another, cleanup: closeStore, requests } = await open());
    home = mkdtempSync(join(tmpdir(), 'skillproof-worker-home-'));
  });
  afterAll(async () => {
    await closeStore();
    rmSync(home, { recursive: true, force: true });
  });

  /** A replay sandbox: one evidence file per task, the failing mutant for `failing` attempts. */
  function sandboxFolder(name: string, failing: boolean): string {
    const dir = join(home, name);
    mkdirSync(dir);
    for (const taskId of TASKS) {
      const files = listFixtureFiles(catalog.get(taskId));
      const file = failing && taskId === FAILING.task ? files.find((f) => f.kind === 'fail' && f.name === FAILING.mutant) : files.find((f) => f.kind === 'pass');
      copyFileSync(file!.file, join(dir, `${taskId}.json`));
    }
    return dir;
  }

  it('grades every attempt exactly once and issues no duplicate credential', async () => {
    const random = seededRandom(15);
    const sim = new SqsSimulation({
      visibilityTimeoutMs: 60_000,
      maxReceiveCount: 5,
      random,
      concurrentDuplicateRate: 0.05,
      lateDuplicateRate: 0.05,
      crashBeforeDeleteRate: 0.02,
      // At least a few crashes, however the interleaving of workers spends the random numbers.
      crashEveryNthBatch: Math.round(40 * scale),
    });
    const passFolder = sandboxFolder('pass', false);
    const failFolder = sandboxFolder('fail', true);
    await initIssuer(join(home, 'issuer-home'), store, { id: 'did:web:badges.skillproof.example' });
    const issuer = await loadIssuer(join(home, 'issuer-home'), store);

    // The lifecycle's part: final jobs wait in Step Functions, so they carry a task token.
    const tokens = new Map<string, { answers: number; accepted?: string }>();
    const enqueue = async (jobs: readonly GradingJob[]) => {
      for (const job of jobs) {
        const withToken = job.scope === 'final' ? { ...job, taskToken: `tok-${job.jobId}` } : job;
        if (withToken.taskToken) tokens.set(withToken.taskToken, { answers: 0 });
        sim.send(JSON.stringify(withToken));
      }
    };
    const api = new AttemptService({ store, grade: failingGrade(), freeze: async () => undefined, dispatcher: { kind: 'queue', enqueue } });

    // Step Functions: the first answer to a token closes its task; later ones are TaskTimedOut.
    const sfn = {
      send: async (command: SendTaskSuccessCommand | SendTaskFailureCommand | SendTaskHeartbeatCommand) => {
        const token = tokens.get(command.input.taskToken!);
        if (!token) throw Object.assign(new Error('Invalid token'), { name: 'InvalidToken' });
        // A heartbeat keeps an open task alive and answers nothing; a closed task's is TaskTimedOut.
        if (command instanceof SendTaskHeartbeatCommand) {
          if (token.accepted) throw new TaskTimedOut({ message: 'Task Timed Out: Provided task does not exist anymore', $metadata: {} });
          return {};
        }
        token.answers++;
        if (token.accepted) throw new TaskTimedOut({ message: 'Task Timed Out: Provided task does not exist anymore', $metadata: {} });
        token.accepted = command instanceof SendTaskSuccessCommand ? (JSON.parse(command.input.output!) as { status: string }).status : 'failure';
        return {};
      },
    };

    // Faults: some gradings throw once; some runs are committed but the store's answer is lost.
    // Grading is the engine's replay of each task's recorded evidence. Replay is deterministic (the
    // run's clock and nonce are in the evidence), so it runs once per sandbox, task and scope and every
    // job of that kind gets a copy of its outcome: what is under test is the worker, not the engine.
    const replays = new Map<string, Promise<GradeResult>>();
    const replay: Grade = async (req) => {
      const path = (req.sandbox as { path: string }).path;
      const { report, bundle } = await regrade(catalog.get(req.taskId), replayEvidence(path, req.taskId), { scope: req.scope });
      return { status: report.status, report, bundle: { sha256: bundle.sha256!, json: serialiseBundle(bundle) } };
    };
    const graded: Grade = async (req) => {
      const key = `${(req.sandbox as { path: string }).path}:${req.taskId}:${req.scope}`;
      if (!replays.has(key)) replays.set(key, replay(req));
      const result = await replays.get(key)!;
      return { ...result, report: structuredClone(result.report) };
    };
    const thrownOnce = new Set<string>();
    const grade: Grade = async (req) => {
      const key = `${req.attemptId}/${req.scope}/${req.taskId}`;
      if (random() < 0.03 && !thrownOnce.has(key)) {
        thrownOnce.add(key);
        throw new Error('ThrottlingException: Rate exceeded (injected)');
      }
      return graded(req);
    };
    let lostAnswers = 0;
    const flaky = (own: Store): Store =>
      Object.create(own, {
        recordGradingRun: {
          value: async (...args: Parameters<Store['recordGradingRun']>) => {
            const run = await own.recordGradingRun(...args);
            if (random() < 0.02) {
              lostAnswers++;
              throw new Error('socket hang up (injected after the commit)');
            }
            return run;
          },
        },
      }) as Store;

    // The candidates' side: each submits once the progress check's five runs are in.
    const progressed = new Map<string, Set<string>>();
    const submits: Array<Promise<unknown>> = [];
    const lines: Array<Record<string, unknown>> = [];
    const log: WorkerLog = (entry) => {
      lines.push(entry);
      const [attemptId, scope, , taskId] = String(entry.jobId ?? '').split('/');
      if (scope !== 'progress' || !(entry.event === 'job-graded' || entry.event === 'job-duplicate')) return;
      const tasks = progressed.get(attemptId!) ?? new Set<string>();
      progressed.set(attemptId!, tasks.add(taskId!));
      if (tasks.size === TASKS.length && !submitted.has(attemptId!)) {
        submitted.add(attemptId!);
        submits.push(api.submit(attemptId!).then(() => submitsDone++));
      }
    };
    const submitted = new Set<string>();
    let submitsDone = 0;
    // Each worker is its own process (a Lambda container) with its own handle on the store.
    const workerHandler = (own: Store) =>
      createWorkerHandler(() => ({
        store: flaky(own),
        grade,
        ruleFor: () => everyTaskMustPass,
        issue: async (attempt) => {
          await issueCredential({ store: own, issuer, achievement: () => ({ name: 'AWS Builder', description: 'Five tasks.', criteriaNarrative: 'Passed all five.' }) }, attempt.id);
        },
        callbacks: sfnTaskCallbacks(sfn, log),
        maxReceiveCount: 5,
        log,
      }));

    // 100 attempts, each checked once (5 progress jobs) and submitted once its progress runs are in (5 final jobs).
    const attempts: string[] = [];
    for (let i = 0; i < ATTEMPTS; i++) {
      const failing = i % (ATTEMPTS / FAILING_ATTEMPTS) === 0;
      const a = await api.create({ candidate: `cand-${i}`, target: { kind: 'assessment', assessmentId: 'five-tasks', taskIds: TASKS }, sandbox: { kind: 'replay', path: failing ? failFolder : passFolder } });
      await api.start(a.id);
      await api.check(a.id);
      attempts.push(a.id);
    }
    const malformed = [sim.send('{"v":1,"jobId":"truncated'), sim.send(JSON.stringify({ v: 1, jobId: 'x', taskToken: 'tok-secret-never-logged' })), sim.send('')];

    const startedAt = Date.now();
    const requestsBefore = new Map(requests ?? []);
    const entriesBefore = (await store.listAudit()).length;
    const consumer = async () => {
      const handler = workerHandler(another());
      for (;;) {
        if (await sim.poll(handler, BATCH)) continue;
        if (submitsDone === ATTEMPTS && sim.drained) return;
        sim.advance();
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, consumer));
    await Promise.all(submits);
    if (process.env.SKILLPROOF_TEST_FIGURES) {
      const changes = (await store.listAudit()).length - entriesBefore;
      const counts = Object.fromEntries([...(requests ?? [])].map(([k, v]) => [k, v - (requestsBefore.get(k) ?? 0)]));
      const total = Object.entries(counts)
        .filter(([k]) => k.endsWith('Command'))
        .reduce((a, [, v]) => a + v, 0);
      console.log(JSON.stringify({ store: name, seconds: (Date.now() - startedAt) / 1000, changes, requests: total, perChange: total / changes, counts }));
    }

    // The faults really happened.
    expect(sim.counts.sent).toBe(ATTEMPTS * TASKS.length * 2 + malformed.length);
    expect(sim.counts.concurrentDuplicates).toBeGreaterThan(10 * scale);
    expect(sim.counts.lateDuplicates).toBeGreaterThan(10 * scale);
    expect(sim.counts.crashes).toBeGreaterThan(0);
    expect(thrownOnce.size).toBeGreaterThan(5 * scale);
    expect(lostAnswers).toBeGreaterThan(5 * scale);
    const events = lines.map((l) => l.event);
    expect(events.filter((e) => e === 'job-duplicate').length).toBeGreaterThan(20 * scale);

    // Every attempt graded exactly once: one final run and one progress run per task, one grade transition.
    const credentials = await store.listCredentials();
    for (const [i, id] of attempts.entries()) {
      const attempt = (await store.getAttempt(id))!;
      const failing = i % (ATTEMPTS / FAILING_ATTEMPTS) === 0;
      expect({ id, state: attempt.state, result: attempt.result }).toEqual({ id, state: failing ? 'graded' : 'credentialed', result: failing ? 'failed' : 'passed' });
      const finals = await store.listGradingRuns(id, { scope: 'final', round: 1 });
      expect(finals.map((r) => r.taskId).sort()).toEqual([...TASKS].sort());
      const progress = await store.listGradingRuns(id, { scope: 'progress' });
      expect(progress.map((r) => r.taskId).sort()).toEqual([...TASKS].sort());
      const audit = (await store.listAudit({ subject: id })).map((e) => e.action);
      expect(audit.filter((a) => a === 'attempt.graded')).toHaveLength(1);
      expect(audit.filter((a) => a === 'grading.final-run')).toHaveLength(TASKS.length);
      expect(audit.filter((a) => a === 'grading.progress-run')).toHaveLength(TASKS.length);
    }
    expect(credentials).toHaveLength(ATTEMPTS - FAILING_ATTEMPTS);
    expect(new Set(credentials.map((c) => c.attemptId)).size).toBe(credentials.length);

    // Each waiting task was answered with its run's status, and the duplicates' answers were dropped.
    expect([...tokens.values()].every((t) => t.accepted === 'passed' || t.accepted === 'failed')).toBe(true);
    expect([...tokens.values()].filter((t) => t.accepted === 'failed')).toHaveLength(FAILING_ATTEMPTS);
    expect(events.filter((e) => e === 'task-token-gone').length).toBeGreaterThan(0);

    // Only the malformed messages reached the dead-letter queue, each logged by id, none with its content.
    expect(sim.dlq.map((m) => m.messageId).sort()).toEqual([...malformed].sort());
    for (const id of malformed) expect(lines.some((l) => l.event === 'job-rejected' && l.messageId === id)).toBe(true);
    expect(JSON.stringify(lines)).not.toContain('tok-secret-never-logged');
    expect(await store.integrityCheck()).toMatchObject({ ok: true });
  }, timeoutMs);
});

/** The API process never grades in service mode: a grade call there is a bug. */
function failingGrade(): Grade {
  return async (req) => {
    throw new Error(`the API process graded ${req.taskId} of ${req.attemptId}; in service mode only workers grade`);
  };
}
