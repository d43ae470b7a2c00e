import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { SendTaskSuccessCommand, SFNClient, StartExecutionCommand, type SendTaskSuccessCommandOutput, type StartExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { loadCatalog } from '../../src/catalog/load';
import { initIssuer, loadIssuer } from '../../src/credentials/issuer-keys';
import { createLifecycleHandler, isTransient, TransientError, type AttemptProgress, type FinalRound, type LifecycleDependencies } from '../../src/service/handlers/lifecycle';
import { DynamoSubmitTokens, startLifecycle, wakeLifecycle, type SubmitTokens } from '../../src/service/lifecycle-callbacks';
import { SERVICE_TABLE_KEYS } from '../../src/service/stack-contract';
import type { AttemptRecord, RunStatus, SandboxRef } from '../../src/store/types';
import { bundleOf, Clock, replaySandbox, tempStore } from '../attempts/support/fixtures';
import { startDynalite, type Dynalite } from '../support/dynalite';

const ASSESSMENT_TASKS = ['serverless-orders-api', 'serverless-queue-worker', 'serverless-order-workflow', 'serverless-safe-deploy'];
const awsSandbox: SandboxRef = { kind: 'aws', accountId: '444455556666', roleArn: 'arn:aws:iam::444455556666:role/skillproof/skillproof-att-1-grader', externalId: 'ext-0123456789abcdef' };
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAb0Zt1u6';

/** Submit tokens in memory: the DynamoDB implementation has its own test below. */
class MemoryTokens implements SubmitTokens {
  readonly items = new Map<string, string>();
  async put(attemptId: string, token: string) {
    this.items.set(attemptId, token);
  }
  async take(attemptId: string) {
    const token = this.items.get(attemptId);
    this.items.delete(attemptId);
    return token;
  }
}

const sfn = mockClient(SFNClient);

describe('attempt lifecycle task functions', () => {
  let ctx: ReturnType<typeof tempStore>;
  let clock: Clock;
  let tokens: MemoryTokens;
  let deployed: string[];
  let frozen: string[];
  let issuerDir: string | undefined;
  let lifecycle: ReturnType<typeof createLifecycleHandler>;
  let deps: LifecycleDependencies;

  beforeEach(() => {
    sfn.reset();
    sfn.on(SendTaskSuccessCommand).resolves({ $metadata: {} } satisfies SendTaskSuccessCommandOutput);
    clock = new Clock(new Date('2026-03-13T09:00:00.250Z'));
    ctx = tempStore(clock.now);
    tokens = new MemoryTokens();
    deployed = [];
    frozen = [];
    issuerDir = undefined;
    const client = new SFNClient({ region: 'eu-west-1' });
    deps = {
      store: async () => ctx.store,
      catalog: () => loadCatalog(),
      deploySandbox: async (a) => void deployed.push(a.id),
      freezeSandbox: async (a) => void frozen.push(a.id),
      issuer: async () => (issuerDir ? loadIssuer(issuerDir, ctx.store) : undefined),
      submitTokens: () => tokens,
      sendTaskSuccess: async (taskToken, output) => void (await client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }))),
      now: clock.now,
    };
    lifecycle = createLifecycleHandler(deps);
  });
  afterEach(() => ctx.cleanup());

  const audit = (action: string, subject: string) => ({ actor: 'test', action, subject });

  async function attempt(options: { kind?: 'practice' | 'assessment'; sandbox?: SandboxRef; timeLimitSeconds?: number | null; id?: string } = {}): Promise<AttemptRecord> {
    const id = options.id ?? 'att-1';
    const kind = options.kind ?? 'practice';
    await ctx.store.ensureCandidate({ id: 'cand-1', subjectId: 'urn:uuid:00000000-0000-4000-8000-000000000001', emailHash: null }, audit('candidate.created', 'cand-1'));
    return ctx.store.createAttempt(
      {
        id,
        candidateId: 'cand-1',
        kind,
        targetId: kind === 'assessment' ? 'aws-serverless' : 'serverless-orders-api',
        taskIds: kind === 'assessment' ? ASSESSMENT_TASKS : ['serverless-orders-api'],
        sandbox: options.sandbox ?? replaySandbox,
        timeLimitSeconds: options.timeLimitSeconds === undefined ? 3600 : options.timeLimitSeconds,
      },
      audit('attempt.created', id),
    );
  }

  /** Moves an attempt through the store as the API would: started now, optionally submitted (round 1). */
  async function advance(a: AttemptRecord, to: 'active' | 'submitted'): Promise<AttemptRecord> {
    const startedAt = clock.now();
    let current = await ctx.store.updateAttempt(
      {
        attemptId: a.id,
        expectedVersion: a.version,
        patch: { state: 'active', startedAt: startedAt.toISOString(), expiresAt: a.timeLimitSeconds === null ? null : new Date(startedAt.getTime() + a.timeLimitSeconds * 1000).toISOString() },
      },
      audit('attempt.started', a.id),
    );
    if (to === 'submitted') {
      current = await ctx.store.updateAttempt(
        { attemptId: a.id, expectedVersion: current.version, patch: { state: 'submitted', submittedAt: clock.now().toISOString(), finalRound: 1 } },
        audit('attempt.submitted', a.id),
      );
    }
    return current;
  }

  /** What the worker records for each graded task of the final round. */
  async function recordFinalRuns(a: AttemptRecord, statuses: Record<string, RunStatus>): Promise<void> {
    for (const [taskId, status] of Object.entries(statuses)) {
      await ctx.store.recordGradingRun(
        { id: `run-${taskId}`, attemptId: a.id, taskId, scope: 'final', round: 1, status, report: { status }, bundle: bundleOf({ taskId, status }), startedAt: clock.now().toISOString(), finishedAt: clock.now().toISOString() },
        audit('grading.final-run', a.id),
      );
    }
  }

  describe('deploy', () => {
    it("deploys a started attempt's sandbox and reports the time left, to the second", async () => {
      await advance(await attempt({ sandbox: awsSandbox }), 'active');
      clock.advance(60_000);
      const progress = (await lifecycle({ action: 'deploy', attemptId: 'att-1' })) as AttemptProgress;
      expect(deployed).toEqual(['att-1']);
      // Wait states take RFC 3339 timestamps; the time left rounds up so the wait never ends early.
      expect(progress).toEqual({ attemptId: 'att-1', state: 'active', kind: 'practice', result: null, expiresAt: '2026-03-13T10:00:00Z', secondsLeft: 3540 });
    });

    it('refuses an attempt without a time limit (its sandbox would never freeze)', async () => {
      await advance(await attempt({ timeLimitSeconds: null }), 'active');
      await expect(lifecycle({ action: 'deploy', attemptId: 'att-1' })).rejects.toMatchObject({ name: 'LifecycleError', message: expect.stringMatching(/no time limit/) });
      expect(deployed).toEqual([]);
    });

    it('turns throttling into TransientError, which the state machine retries', async () => {
      await advance(await attempt(), 'active');
      const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
      lifecycle = createLifecycleHandler({ ...deps, deploySandbox: () => Promise.reject(throttled) });
      const error = await lifecycle({ action: 'deploy', attemptId: 'att-1' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientError);
      expect((error as Error).message).toMatch(/deploy of attempt att-1: ThrottlingException: Rate exceeded/);
    });

    it('tells transient failures from lasting ones', () => {
      expect(isTransient(Object.assign(new Error('x'), { name: 'InternalFailure', $metadata: { httpStatusCode: 500 } }))).toBe(true);
      expect(isTransient(Object.assign(new Error('x'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } }))).toBe(true);
      expect(isTransient(Object.assign(new Error('x'), { name: 'ConcurrentModificationError' }))).toBe(true);
      expect(isTransient(Object.assign(new Error('x'), { name: 'SandboxError', code: 'timeout' }))).toBe(true);
      expect(isTransient(Object.assign(new Error('x'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }))).toBe(false);
      expect(isTransient(Object.assign(new Error('x'), { name: 'SandboxError', code: 'rolled-back' }))).toBe(false);
      expect(isTransient('not an error')).toBe(false);
    });
  });

  describe('await-submit', () => {
    it('keeps the task token while the attempt is active', async () => {
      await advance(await attempt(), 'active');
      expect(await lifecycle({ action: 'await-submit', attemptId: 'att-1', taskToken: TOKEN })).toEqual({ waiting: true });
      expect(tokens.items.get('att-1')).toBe(TOKEN);
      expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    });

    it('ends the wait at once when the candidate submitted before the token was kept', async () => {
      await advance(await attempt(), 'submitted');
      expect(await lifecycle({ action: 'await-submit', attemptId: 'att-1', taskToken: TOKEN })).toEqual({ waiting: false });
      const [call] = sfn.commandCalls(SendTaskSuccessCommand);
      expect(call!.args[0].input).toEqual({ taskToken: TOKEN, output: JSON.stringify({ attemptId: 'att-1', state: 'submitted' }) });
      expect(tokens.items.has('att-1')).toBe(false);
    });
  });

  describe('settle', () => {
    it('expires an attempt whose time is up', async () => {
      await advance(await attempt(), 'active');
      clock.advance(3600_000);
      expect(await lifecycle({ action: 'settle', attemptId: 'att-1' })).toMatchObject({ state: 'expired', secondsLeft: 1 });
    });

    it('leaves an attempt with time left active (the wait starts again)', async () => {
      await advance(await attempt(), 'active');
      clock.advance(600_000);
      expect(await lifecycle({ action: 'settle', attemptId: 'att-1' })).toMatchObject({ state: 'active', secondsLeft: 3000 });
    });
  });

  describe('freeze', () => {
    it('freezes once and records it; a retried step does not freeze again', async () => {
      await advance(await attempt({ kind: 'assessment', sandbox: awsSandbox }), 'submitted');
      const first = (await lifecycle({ action: 'freeze', attemptId: 'att-1' })) as FinalRound;
      expect(first).toEqual({ round: 1, accountId: '444455556666', taskIds: ASSESSMENT_TASKS });
      expect(await lifecycle({ action: 'freeze', attemptId: 'att-1' })).toEqual(first);
      expect(frozen).toEqual(['att-1']);
      expect((await ctx.store.getAttempt('att-1'))!.frozenAt).toBe(clock.now().toISOString());
      expect((await ctx.store.listAudit({ subject: 'att-1' })).filter((e) => e.action === 'attempt.frozen')).toHaveLength(1);
    });
  });

  describe('finalize and issue', () => {
    it("records a passed assessment from the worker's final runs, then issues its one credential", async () => {
      issuerDir = ctx.dir;
      await initIssuer(ctx.dir, ctx.store, { id: 'did:web:badges.example.com' });
      const a = await advance(await attempt({ kind: 'assessment' }), 'submitted');
      await lifecycle({ action: 'freeze', attemptId: a.id });
      await recordFinalRuns(a, Object.fromEntries(ASSESSMENT_TASKS.map((t) => [t, 'passed'])));
      expect(await lifecycle({ action: 'finalize', attemptId: a.id })).toMatchObject({ state: 'graded', kind: 'assessment', result: 'passed' });
      const issued = (await lifecycle({ action: 'issue', attemptId: a.id })) as { issued: boolean; credentialId: string };
      expect(issued).toEqual({ issued: true, credentialId: expect.stringMatching(/^urn:uuid:/) });
      // Retried after a lost response: the same credential, not a second one.
      expect(await lifecycle({ action: 'issue', attemptId: a.id })).toEqual(issued);
      expect(await ctx.store.listCredentials()).toHaveLength(1);
      expect((await ctx.store.getAttempt(a.id))!.state).toBe('credentialed');
    });

    it("applies the assessment's pass rule: one failed task fails the attempt, and nothing is issued", async () => {
      const a = await advance(await attempt({ kind: 'assessment' }), 'submitted');
      await lifecycle({ action: 'freeze', attemptId: a.id });
      await recordFinalRuns(a, { ...Object.fromEntries(ASSESSMENT_TASKS.map((t) => [t, 'passed'])), 'serverless-safe-deploy': 'failed' });
      expect(await lifecycle({ action: 'finalize', attemptId: a.id })).toMatchObject({ state: 'graded', result: 'failed' });
      expect(await lifecycle({ action: 'issue', attemptId: a.id })).toEqual({ issued: false, reason: 'attempt is graded (failed), not a passed assessment' });
    });

    it('leaves a passed assessment for an administrator when the service has no issuer key', async () => {
      const a = await advance(await attempt({ kind: 'assessment' }), 'submitted');
      await lifecycle({ action: 'freeze', attemptId: a.id });
      await recordFinalRuns(a, Object.fromEntries(ASSESSMENT_TASKS.map((t) => [t, 'passed'])));
      await lifecycle({ action: 'finalize', attemptId: a.id });
      expect(await lifecycle({ action: 'issue', attemptId: a.id })).toMatchObject({ issued: false, reason: expect.stringMatching(/no issuer key/) });
      expect((await ctx.store.listAudit({ subject: a.id })).map((e) => e.action)).toContain('credential.issue-deferred');
    });

    it('refuses to decide an attempt with a task the worker did not record, and does not touch it', async () => {
      const a = await advance(await attempt({ kind: 'assessment' }), 'submitted');
      await lifecycle({ action: 'freeze', attemptId: a.id });
      await recordFinalRuns(a, { 'serverless-orders-api': 'passed' });
      await expect(lifecycle({ action: 'finalize', attemptId: a.id })).rejects.toThrow(/serverless-queue-worker of attempt att-1 has no final run recorded/);
      expect((await ctx.store.getAttempt(a.id))!).toMatchObject({ state: 'submitted', result: null });
    });

    it('returns a graded attempt as it is when the step is retried', async () => {
      const a = await advance(await attempt(), 'submitted');
      await lifecycle({ action: 'freeze', attemptId: a.id });
      await recordFinalRuns(a, { 'serverless-orders-api': 'passed' });
      const first = await lifecycle({ action: 'finalize', attemptId: a.id });
      expect(first).toMatchObject({ state: 'graded', kind: 'practice', result: 'passed' });
      expect(await lifecycle({ action: 'finalize', attemptId: a.id })).toEqual(first);
    });
  });

  describe('incomplete', () => {
    const error = { Error: 'States.TaskFailed', Cause: '{"errorType":"LifecycleError","errorMessage":"task x has no final run"}' };

    it('grades a submitted attempt incomplete (never failed), so an administrator can re-run it', async () => {
      await advance(await attempt(), 'submitted');
      expect(await lifecycle({ action: 'incomplete', attemptId: 'att-1', error })).toEqual({ recorded: 'graded-incomplete' });
      expect(await ctx.store.getAttempt('att-1')).toMatchObject({ state: 'graded', result: 'incomplete' });
      const entry = (await ctx.store.listAudit({ subject: 'att-1' })).at(-1)!;
      expect(entry).toMatchObject({ actor: 'lifecycle', action: 'attempt.graded', data: { result: 'incomplete', error: 'States.TaskFailed', cause: error.Cause } });
    });

    it('leaves an attempt in any other state as it is and writes the failure to its audit log', async () => {
      await advance(await attempt(), 'active');
      expect(await lifecycle({ action: 'incomplete', attemptId: 'att-1', error })).toEqual({ recorded: 'audit' });
      expect(await ctx.store.getAttempt('att-1')).toMatchObject({ state: 'active' });
      expect((await ctx.store.listAudit({ subject: 'att-1' })).at(-1)).toMatchObject({ action: 'attempt.lifecycle-incomplete', data: { state: 'active', error: 'States.TaskFailed' } });
    });

    it('refuses an unknown action', async () => {
      await expect(lifecycle({ action: 'launch' as 'deploy', attemptId: 'att-1' })).rejects.toThrow(/unknown lifecycle action "launch"/);
    });
  });
});

describe('lifecycle callbacks', () => {
  let dynalite: Dynalite;
  let submitTokens: DynamoSubmitTokens;

  beforeAll(async () => {
    dynalite = await startDynalite();
    const client = dynalite.client();
    await client.send(
      new CreateTableCommand({
        TableName: 'skillproof',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: SERVICE_TABLE_KEYS.partitionKey, AttributeType: 'S' },
          { AttributeName: SERVICE_TABLE_KEYS.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: SERVICE_TABLE_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: SERVICE_TABLE_KEYS.sortKey, KeyType: 'RANGE' },
        ],
      }),
    );
    submitTokens = new DynamoSubmitTokens(client, 'skillproof');
  });
  afterAll(() => dynalite.close());
  beforeEach(() => sfn.reset());

  it('keeps one submit token per attempt in the table, replaced by a resumed wait, taken once', async () => {
    await submitTokens.put('att-7', 'token-1', new Date('2026-03-13T10:00:00Z'));
    await submitTokens.put('att-7', 'token-2', new Date('2026-03-13T10:00:00Z'));
    expect(await submitTokens.peek('att-7')).toBe('token-2');
    expect(await submitTokens.take('att-7')).toBe('token-2');
    expect(await submitTokens.take('att-7')).toBeUndefined();
  });

  it('wakes the waiting lifecycle on submit with the stored token', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({ $metadata: {} } satisfies SendTaskSuccessCommandOutput);
    await submitTokens.put('att-8', 'token-8', new Date('2026-03-13T10:00:00Z'));
    expect(await wakeLifecycle(new SFNClient({ region: 'eu-west-1' }), submitTokens, 'att-8')).toBe(true);
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input).toEqual({ taskToken: 'token-8', output: '{"attemptId":"att-8"}' });
    expect(await submitTokens.peek('att-8')).toBeUndefined();
  });

  it('is not an error when nothing waits any more (no token, or the task timed out)', async () => {
    const client = new SFNClient({ region: 'eu-west-1' });
    expect(await wakeLifecycle(client, submitTokens, 'att-none')).toBe(false);
    sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' }));
    await submitTokens.put('att-9', 'token-9', new Date('2026-03-13T10:00:00Z'));
    expect(await wakeLifecycle(client, submitTokens, 'att-9')).toBe(false);
    sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await submitTokens.put('att-9', 'token-9', new Date('2026-03-13T10:00:00Z'));
    await expect(wakeLifecycle(client, submitTokens, 'att-9')).rejects.toThrow('Rate exceeded');
  });

  it('starts one execution per attempt, named after it; a second start is no error', async () => {
    const arn = 'arn:aws:states:eu-west-1:111122223333:stateMachine:AttemptLifecycle';
    sfn.on(StartExecutionCommand).resolvesOnce({ $metadata: {}, executionArn: `${arn.replace(':stateMachine:', ':execution:')}:att-1`, startDate: new Date() } satisfies StartExecutionCommandOutput);
    const client = new SFNClient({ region: 'eu-west-1' });
    expect(await startLifecycle(client, arn, 'att-1')).toEqual({ executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:AttemptLifecycle:att-1', alreadyStarted: false });
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({ stateMachineArn: arn, name: 'att-1', input: '{"attemptId":"att-1"}' });
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Execution Already Exists'), { name: 'ExecutionAlreadyExists' }));
    expect(await startLifecycle(client, arn, 'att-1')).toEqual({ alreadyStarted: true });
  });
});
