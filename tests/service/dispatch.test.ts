import { SendMessageBatchCommand, SQSClient, type SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { AttemptService } from '../../src/attempts/attempt-service';
import { EnqueueFailedError, enqueueJobs, messageDeduplicationId, sqsGradingDispatcher } from '../../src/service/dispatch';
import { gradingJobId, parseGradingJob, type GradingJob } from '../../src/service/jobs';
import { Clock, replaySandbox, scriptedGrade, tempStore } from '../attempts/support/fixtures';

const STANDARD = 'https://sqs.eu-west-1.amazonaws.com/111122223333/skillproof-grading';
const FIFO = `${STANDARD}.fifo`;

function job(taskId: string, attemptId = 'att-000000000001'): GradingJob {
  const base = { attemptId, taskId, scope: 'final' as const, round: 1 };
  return { v: 1, jobId: gradingJobId(base), ...base, accountId: '123456789012', enqueuedAt: '2026-03-01T09:00:00.000Z' };
}

const sentEntries = (sqs: ReturnType<typeof mockClient>) =>
  sqs.commandCalls(SendMessageBatchCommand).map((c) => (c.args[0].input as SendMessageBatchCommandInput).Entries ?? []);

describe('queueing grading jobs on SQS', () => {
  const sqs = mockClient(SQSClient);
  const noSleep = async () => undefined;
  beforeEach(() => sqs.reset());
  afterAll(() => sqs.restore());

  it('sends jobs in batches of at most 10, each body a job the worker parses back', async () => {
    sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({ Successful: input.Entries!.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: 'x' })), Failed: [] }));
    const jobs = Array.from({ length: 23 }, (_, i) => job(`task-${i}`));
    await enqueueJobs(jobs, { sqs: new SQSClient({}), queueUrl: STANDARD, sleep: noSleep });
    const batches = sentEntries(sqs);
    expect(batches.map((b) => b.length)).toEqual([10, 10, 3]);
    expect(batches.flat().map((e) => parseGradingJob(e.MessageBody!))).toEqual(jobs);
    // A standard queue has no group or deduplication id: the job id is the worker's idempotency key.
    expect(batches.flat().every((e) => e.MessageGroupId === undefined && e.MessageDeduplicationId === undefined)).toBe(true);
  });

  it('groups a FIFO queue by attempt and deduplicates by the hash of the job id', async () => {
    sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({ Successful: input.Entries!.map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: 'x' })), Failed: [] }));
    const j = job('serverless-orders-api', 'att-0000000000ff');
    await enqueueJobs([j], { sqs: new SQSClient({}), queueUrl: FIFO, sleep: noSleep });
    const [entry] = sentEntries(sqs).flat();
    expect(entry).toMatchObject({ MessageGroupId: 'att-0000000000ff', MessageDeduplicationId: messageDeduplicationId(j.jobId) });
    expect(entry!.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('sends again only the entries SQS failed, then succeeds', async () => {
    let call = 0;
    sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      call++;
      const entries = input.Entries!;
      const failed = call === 1 ? entries.filter((_, i) => i % 2 === 0) : [];
      return {
        Successful: entries.filter((e) => !failed.includes(e)).map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: 'x' })),
        Failed: failed.map((e) => ({ Id: e.Id, SenderFault: false, Code: 'InternalError', Message: 'try again' })),
      };
    });
    const jobs = ['a', 'b', 'c', 'd'].map((t) => job(t));
    await enqueueJobs(jobs, { sqs: new SQSClient({}), queueUrl: STANDARD, sleep: noSleep });
    const batches = sentEntries(sqs);
    expect(batches.map((b) => b.map((e) => parseGradingJob(e.MessageBody!).taskId))).toEqual([['a', 'b', 'c', 'd'], ['a', 'c']]);
  });

  it('names the jobs still failing after the retries, and does not retry a sender fault', async () => {
    sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      const entries = input.Entries!;
      const byTask = (e: (typeof entries)[number]) => parseGradingJob(e.MessageBody!).taskId;
      return {
        Successful: entries.filter((e) => byTask(e) === 'ok').map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: 'x' })),
        Failed: entries
          .filter((e) => byTask(e) !== 'ok')
          .map((e) => (byTask(e) === 'refused' ? { Id: e.Id, SenderFault: true, Code: 'InvalidParameterValue', Message: 'bad' } : { Id: e.Id, SenderFault: false, Code: 'ServiceUnavailable', Message: 'busy' })),
      };
    });
    const run = enqueueJobs([job('ok'), job('refused'), job('flaky')], { sqs: new SQSClient({}), queueUrl: STANDARD, retries: 2, sleep: noSleep });
    await expect(run).rejects.toThrow(EnqueueFailedError);
    await expect(run).rejects.toThrow(/att-000000000001\/final\/1\/refused \(InvalidParameterValue, refused: bad\); att-000000000001\/final\/1\/flaky \(ServiceUnavailable: busy\)/);
    const tries = sentEntries(sqs).map((b) => b.map((e) => parseGradingJob(e.MessageBody!).taskId));
    expect(tries).toEqual([['ok', 'refused', 'flaky'], ['flaky'], ['flaky']]);
  });
});

describe('AttemptService with queued grading', () => {
  let ctx: ReturnType<typeof tempStore>;
  let clock: Clock;
  let queued: GradingJob[];
  const grade = scriptedGrade();
  const assessment = { kind: 'assessment' as const, assessmentId: 'aws-serverless', taskIds: ['orders-api', 'event-fanout'] };

  beforeEach(() => {
    clock = new Clock();
    ctx = tempStore(clock.now);
    queued = [];
    grade.calls.length = 0;
  });
  afterEach(() => ctx.cleanup());

  function service() {
    return new AttemptService({
      store: ctx.store,
      grade,
      freeze: async () => undefined,
      now: clock.now,
      dispatcher: { kind: 'queue', enqueue: async (jobs) => void queued.push(...jobs) },
    });
  }

  async function started(svc: AttemptService) {
    const attempt = await svc.create({ candidate: 'cand-ada', target: assessment, sandbox: { kind: 'aws', accountId: '123456789012', roleArn: 'arn:aws:iam::123456789012:role/SkillProofGrader', externalId: 'sp-att-1' } });
    return svc.start(attempt.id);
  }

  it('queues one progress job per task for the check instead of grading', async () => {
    const svc = service();
    const attempt = await started(svc);
    const result = await svc.check(attempt.id);
    expect(grade.calls).toHaveLength(0);
    expect(result.runs).toEqual([]);
    expect(queued.map((j) => [j.scope, j.taskId, j.requestedAt, j.accountId])).toEqual([
      ['progress', 'orders-api', result.attempt.lastCheckAt, '123456789012'],
      ['progress', 'event-fanout', result.attempt.lastCheckAt, '123456789012'],
    ]);
    expect(result.queued).toEqual(queued.map((j) => j.jobId));
    expect(queued.every((j) => j.jobId === gradingJobId(j))).toBe(true);
  });

  it('freezes and queues the final jobs of the round on submit, leaving the attempt submitted', async () => {
    const svc = service();
    const attempt = await started(svc);
    const submitted = await svc.submit(attempt.id);
    expect(submitted).toMatchObject({ state: 'submitted', finalRound: 1 });
    expect(submitted.frozenAt).not.toBeNull();
    expect(queued.map((j) => j.jobId)).toEqual([`${attempt.id}/final/1/orders-api`, `${attempt.id}/final/1/event-fanout`]);
    expect(grade.calls).toHaveLength(0);
  });

  it('on a resumed submit queues only the tasks without a final run, and grades once the last one is recorded', async () => {
    const svc = service();
    const attempt = await started(svc);
    const submitted = await svc.submit(attempt.id);
    await svc.gradeTask(submitted, 'orders-api', 'final', 1, 'system');
    queued = [];
    await svc.submit(attempt.id);
    expect(queued.map((j) => j.taskId)).toEqual(['event-fanout']);
    expect((await svc.completeFinalRound(attempt.id, 1, () => 'passed')).state).toBe('submitted');
    await svc.gradeTask(submitted, 'event-fanout', 'final', 1, 'system');
    queued = [];
    const graded = await svc.submit(attempt.id);
    expect(graded).toMatchObject({ state: 'graded', result: 'passed' });
    expect(queued).toEqual([]);
  });

  it('grades the round once when finishers race', async () => {
    const svc = service();
    const submitted = await svc.submit((await started(svc)).id);
    for (const t of submitted.taskIds) await svc.gradeTask(submitted, t, 'final', 1, 'system');
    const results = await Promise.all(Array.from({ length: 5 }, () => svc.completeFinalRound(submitted.id, 1, () => 'passed')));
    expect(results.every((r) => r.state === 'graded')).toBe(true);
    expect((await ctx.store.listAudit({ subject: submitted.id })).filter((e) => e.action === 'attempt.graded')).toHaveLength(1);
  });

  it('keeps the inline default: grading before the call returns', async () => {
    const svc = new AttemptService({ store: ctx.store, grade, freeze: async () => undefined, now: clock.now });
    const attempt = await svc.create({ candidate: 'cand-ada', target: assessment, sandbox: replaySandbox });
    await svc.start(attempt.id);
    expect((await svc.check(attempt.id)).runs).toHaveLength(2);
    expect(await svc.submit(attempt.id)).toMatchObject({ state: 'graded', result: 'passed' });
  });

  it('queues through SQS with the dispatcher', async () => {
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({ Successful: input.Entries!.map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: 'x' })), Failed: [] }));
    try {
      const svc = new AttemptService({ store: ctx.store, grade, freeze: async () => undefined, now: clock.now, dispatcher: sqsGradingDispatcher({ sqs: new SQSClient({}), queueUrl: FIFO }) });
      const attempt = await started(svc);
      await svc.submit(attempt.id);
      expect(sentEntries(sqs).flat().map((e) => e.MessageGroupId)).toEqual([attempt.id, attempt.id]);
    } finally {
      sqs.restore();
    }
  });
});
