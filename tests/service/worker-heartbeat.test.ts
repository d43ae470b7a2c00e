import { SendTaskHeartbeatCommand, SendTaskSuccessCommand, SFNClient, TaskTimedOut, type SendTaskHeartbeatCommandOutput } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { AttemptService } from '../../src/attempts/attempt-service';
import { everyTaskMustPass, type Grade } from '../../src/attempts/types';
import type { GradingJob } from '../../src/service/jobs';
import { GRADING_HEARTBEAT_SECONDS, WORKER_HEARTBEAT_INTERVAL_SECONDS } from '../../src/service/stack-contract';
import { processJobs, type Every, type WorkerLog } from '../../src/service/worker/process-jobs';
import { sfnTaskCallbacks } from '../../src/service/worker/task-callbacks';
import { replaySandbox, scriptedGrade, tempStore } from '../attempts/support/fixtures';

const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAc3Ia1heartbeat-token';

/** A timer driven by hand: `tick()` is one interval passing. */
function handTimer() {
  const timer = { ms: [] as number[], running: 0, tick: () => undefined as void };
  const every: Every = (ms, tick) => {
    timer.ms.push(ms);
    timer.running++;
    timer.tick = tick;
    return () => {
      timer.running--;
      timer.tick = () => undefined;
    };
  };
  return { timer, every };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('the worker’s heartbeat while it grades a job the lifecycle waits for', () => {
  const sfn = mockClient(SFNClient);
  let ctx: ReturnType<typeof tempStore>;
  let lines: Array<Record<string, unknown>>;
  const log: WorkerLog = (entry) => lines.push(entry);

  beforeEach(() => {
    sfn.reset();
    sfn.on(SendTaskHeartbeatCommand).resolves({ $metadata: {} } satisfies SendTaskHeartbeatCommandOutput);
    sfn.on(SendTaskSuccessCommand).resolves({ $metadata: {} });
    ctx = tempStore();
    lines = [];
  });
  afterEach(() => ctx.cleanup());

  /** A submitted attempt's final job, carrying the lifecycle's task token. */
  async function finalJob(): Promise<GradingJob> {
    const queued: GradingJob[] = [];
    const svc = new AttemptService({ store: ctx.store, grade: scriptedGrade(), freeze: async () => undefined, dispatcher: { kind: 'queue', enqueue: async (jobs) => void queued.push(...jobs) } });
    const a = await svc.create({ candidate: 'cand-ada', target: { kind: 'practice', taskId: 'orders-api' }, sandbox: replaySandbox });
    await svc.start(a.id);
    await svc.submit(a.id);
    return { ...queued[0]!, taskToken: TOKEN };
  }

  /** A grade that finishes when the test says so. */
  function heldGrade(): { grade: Grade; release: () => void } {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const inner = scriptedGrade();
    return { grade: async (req) => (await held, inner(req)), release };
  }

  it('beats at once and every interval while grading, below HeartbeatSeconds, and stops when the job is answered', async () => {
    expect(WORKER_HEARTBEAT_INTERVAL_SECONDS).toBeLessThan(GRADING_HEARTBEAT_SECONDS);
    const job = await finalJob();
    const { timer, every } = handTimer();
    const { grade, release } = heldGrade();
    const running = processJobs([{ messageId: 'm-1', body: JSON.stringify(job), receiveCount: 1 }], {
      store: ctx.store,
      grade,
      ruleFor: () => everyTaskMustPass,
      callbacks: sfnTaskCallbacks(new SFNClient({}), log),
      log,
      every,
    });
    await flush();
    expect(timer.ms).toEqual([WORKER_HEARTBEAT_INTERVAL_SECONDS * 1000]);
    expect(sfn.commandCalls(SendTaskHeartbeatCommand)).toHaveLength(1);
    for (let i = 0; i < 3; i++) {
      timer.tick();
      await flush();
    }
    expect(sfn.commandCalls(SendTaskHeartbeatCommand).map((c) => c.args[0].input)).toEqual(Array(4).fill({ taskToken: TOKEN }));
    release();
    expect((await running).outcomes.map((o) => o.outcome)).toEqual(['graded']);
    expect(timer.running).toBe(0);
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
    // The heartbeats came before the answer.
    expect(sfn.calls().map((c) => c.args[0].constructor.name)).toEqual([...Array(4).fill('SendTaskHeartbeatCommand'), 'SendTaskSuccessCommand']);
  });

  it('keeps grading when a heartbeat fails, and logs it (the token is never logged)', async () => {
    const job = await finalJob();
    const { timer, every } = handTimer();
    const { grade, release } = heldGrade();
    sfn.on(SendTaskHeartbeatCommand).rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    const running = processJobs([{ messageId: 'm-1', body: JSON.stringify(job), receiveCount: 1 }], { store: ctx.store, grade, ruleFor: () => everyTaskMustPass, callbacks: sfnTaskCallbacks(new SFNClient({}), log), log, every });
    await flush();
    timer.tick();
    await flush();
    release();
    expect((await running).batchItemFailures).toEqual([]);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', event: 'task-heartbeat-failed', error: 'Rate exceeded' }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', event: 'task-token-gone', callback: 'SendTaskHeartbeat', error: 'TaskTimedOut' }));
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });

  it('sends none for a progress job (nothing waits for it)', async () => {
    const queued: GradingJob[] = [];
    const svc = new AttemptService({ store: ctx.store, grade: scriptedGrade(), freeze: async () => undefined, dispatcher: { kind: 'queue', enqueue: async (jobs) => void queued.push(...jobs) } });
    const a = await svc.create({ candidate: 'cand-ada', target: { kind: 'practice', taskId: 'orders-api' }, sandbox: replaySandbox });
    await svc.start(a.id);
    await svc.check(a.id);
    const { timer, every } = handTimer();
    await processJobs([{ messageId: 'm-1', body: JSON.stringify(queued[0]), receiveCount: 1 }], { store: ctx.store, grade: scriptedGrade(), ruleFor: () => everyTaskMustPass, callbacks: sfnTaskCallbacks(new SFNClient({}), log), log, every });
    expect(timer.ms).toEqual([]);
    expect(sfn.commandCalls(SendTaskHeartbeatCommand)).toHaveLength(0);
  });
});
