import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import type { SQSEvent } from 'aws-lambda';
import { AttemptService } from '../../src/attempts/attempt-service';
import { everyTaskMustPass, type Grade } from '../../src/attempts/types';
import { gradingJobId, type GradingJob } from '../../src/service/jobs';
import { createWorkerHandler } from '../../src/service/worker/lambda';
import { jobRunId, processJobs, type TaskCallbacks, type WorkerDeps, type WorkerLog } from '../../src/service/worker/process-jobs';
import { sfnTaskCallbacks } from '../../src/service/worker/task-callbacks';
import type { AttemptRecord } from '../../src/store/types';
import { Clock, replaySandbox, scriptedGrade, tempStore } from '../attempts/support/fixtures';

const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAc3Ia1secret-task-token';
const target = { kind: 'assessment' as const, assessmentId: 'aws-serverless', taskIds: ['orders-api', 'event-fanout'] };

describe('processing grading jobs', () => {
  let ctx: ReturnType<typeof tempStore>;
  let clock: Clock;
  let queued: GradingJob[];
  let lines: Array<Record<string, unknown>>;
  let answers: string[];
  let issued: string[];

  beforeEach(() => {
    clock = new Clock();
    ctx = tempStore(clock.now);
    queued = [];
    lines = [];
    answers = [];
    issued = [];
  });
  afterEach(() => ctx.cleanup());

  const log: WorkerLog = (entry) => lines.push(entry);
  const callbacks: TaskCallbacks = {
    succeed: async (_token, output) => void answers.push(`success ${output.taskId} ${output.status}`),
    fail: async (_token, error, cause) => void answers.push(`failure ${error}: ${cause}`),
  };

  function deps(grade: Grade = scriptedGrade(), extra: Partial<WorkerDeps> = {}): WorkerDeps {
    return {
      store: ctx.store,
      grade,
      ruleFor: () => everyTaskMustPass,
      issue: async (a) => void issued.push(a.id),
      callbacks,
      log,
      now: clock.now,
      ...extra,
    };
  }

  const enqueuing = () =>
    new AttemptService({ store: ctx.store, grade: scriptedGrade(), freeze: async () => undefined, now: clock.now, dispatcher: { kind: 'queue', enqueue: async (jobs) => void queued.push(...jobs) } });

  async function submitted(): Promise<AttemptRecord> {
    const svc = enqueuing();
    const a = await svc.create({ candidate: 'cand-ada', target, sandbox: replaySandbox });
    await svc.start(a.id);
    return svc.submit(a.id);
  }

  let n = 0;
  const message = (job: GradingJob | string, receiveCount = 1) => ({ messageId: `msg-${++n}`, body: typeof job === 'string' ? job : JSON.stringify(job), receiveCount });

  it('grades each final job, finishes the round with the last one, and issues the credential once', async () => {
    const attempt = await submitted();
    const grade = scriptedGrade();
    const result = await processJobs(queued.map((j) => message(j)), deps(grade));
    expect(result.batchItemFailures).toEqual([]);
    expect(result.outcomes.map((o) => o.outcome)).toEqual(['graded', 'graded']);
    expect(await ctx.store.getAttempt(attempt.id)).toMatchObject({ state: 'graded', result: 'passed' });
    // Both finishers may ask (issuing is idempotent per attempt); only a graded, passed attempt is asked for.
    expect([...new Set(issued)]).toEqual([attempt.id]);
    expect((await ctx.store.listGradingRuns(attempt.id)).map((r) => r.id).sort()).toEqual(queued.map((j) => jobRunId(j.jobId)).sort());
  });

  it('acknowledges a redelivered final job without grading it again', async () => {
    const attempt = await submitted();
    await processJobs(queued.map((j) => message(j)), deps());
    const grade = scriptedGrade();
    const again = await processJobs([message(queued[0]!, 2)], deps(grade));
    expect(again).toMatchObject({ batchItemFailures: [], outcomes: [{ outcome: 'duplicate' }] });
    expect(grade.calls).toHaveLength(0);
    expect(await ctx.store.listGradingRuns(attempt.id, { scope: 'final' })).toHaveLength(2);
  });

  it('records one run when the same job is delivered to two workers at once', async () => {
    const attempt = await submitted();
    const [a, b] = await Promise.all([processJobs([message(queued[0]!)], deps()), processJobs([message(queued[0]!)], deps())]);
    expect([a.outcomes[0]!.outcome, b.outcomes[0]!.outcome].sort()).toEqual(['duplicate', 'graded']);
    expect(await ctx.store.listGradingRuns(attempt.id, { scope: 'final' })).toHaveLength(1);
    expect((await ctx.store.listAudit({ subject: attempt.id })).filter((e) => e.action === 'grading.final-run')).toHaveLength(1);
  });

  it('records one progress run per task for one check, however often its jobs arrive', async () => {
    const svc = enqueuing();
    const a = await svc.create({ candidate: 'cand-ada', target, sandbox: replaySandbox });
    await svc.start(a.id);
    await svc.check(a.id);
    const jobs = [...queued, ...queued, queued[0]!];
    const results = await Promise.all(jobs.map((j) => processJobs([message(j)], deps())));
    expect(results.every((r) => r.batchItemFailures.length === 0)).toBe(true);
    const runs = await ctx.store.listGradingRuns(a.id, { scope: 'progress' });
    expect(runs.map((r) => r.taskId).sort()).toEqual(['event-fanout', 'orders-api']);
  });

  it('acknowledges, without grading, a progress job a newer check replaced or a submit ended', async () => {
    const svc = enqueuing();
    const a = await svc.create({ candidate: 'cand-ada', target, sandbox: replaySandbox });
    await svc.start(a.id);
    await svc.check(a.id);
    const first = queued[0]!;
    clock.advance(60_000);
    await svc.check(a.id);
    const grade = scriptedGrade();
    const out = await processJobs([message({ ...first, taskToken: TOKEN })], deps(grade));
    expect(out).toMatchObject({ batchItemFailures: [], outcomes: [{ outcome: 'superseded' }] });
    expect(answers).toEqual([expect.stringMatching(/^failure SkillProof.Superseded: a newer progress check/)]);
    await svc.submit(a.id);
    const latest = queued.find((j) => j.scope === 'progress' && j.requestedAt !== first.requestedAt)!;
    expect((await processJobs([message(latest)], deps(grade))).outcomes[0]!.outcome).toBe('superseded');
    expect(grade.calls).toHaveLength(0);
  });

  it('answers the waiting Step Functions task with the run status, after the run is recorded', async () => {
    const attempt = await submitted();
    const out = await processJobs(queued.map((j) => message({ ...j, taskToken: TOKEN })), deps(scriptedGrade({ 'event-fanout': 'failed' })));
    expect(out.batchItemFailures).toEqual([]);
    expect(answers.sort()).toEqual(['success event-fanout failed', 'success orders-api passed']);
    expect(await ctx.store.getAttempt(attempt.id)).toMatchObject({ state: 'graded', result: 'failed' });
    expect(issued).toEqual([]);
  });

  it('reports only the failing job of a batch, and tells its task it failed on the last delivery', async () => {
    const attempt = await submitted();
    const grade = scriptedGrade({ 'event-fanout': new Error('the grader crashed') });
    const [ok, bad] = [message(queued[0]!), message({ ...queued[1]!, taskToken: TOKEN }, 1)];
    const first = await processJobs([ok, bad], deps(grade, { maxReceiveCount: 3 }));
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: bad.messageId }]);
    expect(answers).toEqual([]);
    const last = await processJobs([{ ...bad, receiveCount: 3 }], deps(grade, { maxReceiveCount: 3 }));
    expect(last.batchItemFailures).toEqual([{ itemIdentifier: bad.messageId }]);
    expect(answers).toEqual([expect.stringMatching(/^failure SkillProof.GradingFailed: Grading task event-fanout .* the grader crashed.*after 3 deliveries/)]);
    expect(await ctx.store.getAttempt(attempt.id)).toMatchObject({ state: 'submitted' });
    expect(lines.find((l) => l.event === 'job-failed')).toMatchObject({ messageId: bad.messageId, jobId: queued[1]!.jobId });
  });

  it('reports a malformed message, naming it and what is wrong, never its content', async () => {
    await submitted();
    const bodies = [`not json ${TOKEN}`, JSON.stringify({ ...queued[0], v: 1, scope: TOKEN }), JSON.stringify({ v: 1, jobId: 'x', taskToken: TOKEN })];
    const messages = bodies.map((b) => message(b));
    const out = await processJobs(messages, deps());
    expect(out.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(messages.map((m) => m.messageId));
    expect(out.outcomes.every((o) => o.outcome === 'rejected')).toBe(true);
    const rejected = lines.filter((l) => l.event === 'job-rejected');
    expect(rejected.map((l) => l.messageId)).toEqual(messages.map((m) => m.messageId));
    expect(rejected.map((l) => l.error)).toEqual([
      expect.stringMatching(/not JSON/),
      expect.stringMatching(/malformed at scope/),
      expect.stringMatching(/malformed at attemptId/),
    ]);
    expect(JSON.stringify(lines)).not.toContain('secret-task-token');
  });

  it('rejects a job for an attempt the store does not hold, telling its task at once', async () => {
    const base = { attemptId: 'att-00000000dead', taskId: 'orders-api', scope: 'final' as const, round: 1 };
    const job: GradingJob = { v: 1, jobId: gradingJobId(base), ...base, accountId: 'replay', enqueuedAt: clock.now().toISOString(), taskToken: TOKEN };
    const out = await processJobs([message(job)], deps());
    expect(out.outcomes[0]!.outcome).toBe('rejected');
    expect(answers).toEqual(['failure SkillProof.InvalidJob: no attempt att-00000000dead in the store']);
  });

  it('keeps a FIFO group in order: after a failure the rest of the group is not tried', async () => {
    const attempt = await submitted();
    const grade = scriptedGrade({ 'orders-api': new Error('throttled beyond retries') });
    const group = queued.map((j) => ({ ...message(j), groupId: attempt.id }));
    const out = await processJobs(group, deps(grade));
    expect(out.outcomes.map((o) => o.outcome)).toEqual(['failed', 'deferred']);
    expect(out.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(group.map((m) => m.messageId));
    expect(grade.calls.map((c) => c.taskId)).toEqual(['orders-api']);
  });

  it('as a Lambda handler, answers with the batch item failures and reads the receive count', async () => {
    await submitted();
    const handler = createWorkerHandler(() => deps(scriptedGrade({ 'event-fanout': new Error('boom') }), { maxReceiveCount: 2 }));
    const record = (job: GradingJob | string, id: string, receives: string) => ({
      messageId: id,
      receiptHandle: `rh-${id}`,
      body: typeof job === 'string' ? job : JSON.stringify({ ...job, taskToken: TOKEN }),
      attributes: { ApproximateReceiveCount: receives, SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: 'x',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:111122223333:skillproof-grading',
      awsRegion: 'eu-west-1',
    });
    const event: SQSEvent = { Records: [record(queued[0]!, 'm1', '1'), record(queued[1]!, 'm2', '2'), record('{', 'm3', '1')] };
    expect(await handler(event)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }] });
    expect(answers.sort()).toEqual([expect.stringMatching(/^failure SkillProof.GradingFailed: .*boom.*after 2 deliveries/), 'success orders-api passed']);
  });

  it('reports every message when the worker cannot be configured, and tries again next time', async () => {
    let calls = 0;
    const handler = createWorkerHandler(() => {
      calls++;
      throw new Error('SKILLPROOF_STORE must be dynamodb:<table> or sqlite:<dir>');
    });
    const spy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const event = { Records: [{ messageId: 'a' }, { messageId: 'b' }] } as unknown as SQSEvent;
      expect(await handler(event)).toEqual({ batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }] });
      await handler(event);
      expect(calls).toBe(2);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('Step Functions task callbacks', () => {
  const sfn = mockClient(SFNClient);
  afterEach(() => sfn.reset());
  afterAll(() => sfn.restore());

  it('sends the output as JSON, and clips an over-long error and cause to the API limits', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({}).on(SendTaskFailureCommand).resolves({});
    const callbacks = sfnTaskCallbacks(new SFNClient({}), () => undefined);
    await callbacks.succeed(TOKEN, { attemptId: 'att-1', taskId: 'orders-api', status: 'passed' });
    await callbacks.fail(TOKEN, 'E'.repeat(300), 'c'.repeat(40_000));
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input).toEqual({ taskToken: TOKEN, output: '{"attemptId":"att-1","taskId":"orders-api","status":"passed"}' });
    const failure = sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input;
    expect([failure.error!.length, failure.cause!.length]).toEqual([256, 32_768]);
  });

  it('logs and drops an answer to a task that is closed or timed out, but throws other errors so the job is retried', async () => {
    const lines: Array<Record<string, unknown>> = [];
    sfn.on(SendTaskSuccessCommand).rejectsOnce(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} })).rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const callbacks = sfnTaskCallbacks(new SFNClient({}), (l) => lines.push(l));
    await callbacks.succeed(TOKEN, { attemptId: 'att-1', taskId: 'orders-api', status: 'passed' });
    expect(lines).toEqual([expect.objectContaining({ event: 'task-token-gone', error: 'TaskTimedOut' })]);
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
    await expect(callbacks.succeed(TOKEN, { attemptId: 'att-1', taskId: 'orders-api', status: 'passed' })).rejects.toThrow('Rate exceeded');
  });
});
