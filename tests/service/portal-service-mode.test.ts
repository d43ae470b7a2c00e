import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, DynamoDBClient, type DeleteItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { ExecutionAlreadyExists, SendTaskSuccessCommand, SFNClient, StartExecutionCommand, type SendTaskSuccessCommandOutput, type StartExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchCommandOutput } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { loadCatalog } from '../../src/catalog/load';
import { createAccessCode, Portal, type Principal } from '../../src/server/portal';
import { createApiHandler } from '../../src/service/handlers/api';
import { parseGradingJob } from '../../src/service/jobs';
import { ServiceModeError, servicePortalOptions, type ServiceClients } from '../../src/service/portal-mode';
import { SqliteStore } from '../../src/store/sqlite-store';
import type { AttemptRecord } from '../../src/store/types';
import { replaySandbox } from '../attempts/support/fixtures';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:111122223333:stateMachine:AttemptLifecycle';
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/111122223333/Service-GradingQueue.fifo';
const ENV = { SKILLPROOF_LIFECYCLE_STATE_MACHINE_ARN: STATE_MACHINE, SKILLPROOF_GRADING_QUEUE_URL: QUEUE, SKILLPROOF_STORE: 'dynamodb:skillproof-service', AWS_REGION: 'eu-west-1' };
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAe1Lw7vHyQ==';

/** Service mode's portal: the transitions here, the lifecycle on Step Functions (mocked), progress checks on SQS (mocked). */
describe('the portal in service mode', () => {
  const sfn = mockClient(SFNClient);
  const sqs = mockClient(SQSClient);
  const dynamodb = mockClient(DynamoDBClient);
  const clients = (): ServiceClients => ({ sfn: new SFNClient({}), sqs: new SQSClient({}), dynamodb: new DynamoDBClient({}), kms: new KMSClient({}) });
  let dir: string;
  let store: SqliteStore;
  let portal: Portal;
  let attempt: AttemptRecord;
  let candidate: Principal;

  beforeEach(async () => {
    sfn.reset();
    sqs.reset();
    dynamodb.reset();
    const started: StartExecutionCommandOutput = { $metadata: {}, executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:x`, startDate: new Date() };
    sfn.on(StartExecutionCommand).resolves(started);
    sfn.on(SendTaskSuccessCommand).resolves({ $metadata: {} } satisfies SendTaskSuccessCommandOutput);
    sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommand['input']): SendMessageBatchCommandOutput => ({
      $metadata: {},
      Successful: input.Entries!.map((e, i) => ({ Id: e.Id!, MessageId: `m-${i}`, MD5OfMessageBody: '0'.repeat(32), SequenceNumber: String(10_000 + i) })),
      Failed: [],
    }));
    const taken: DeleteItemCommandOutput = { $metadata: {}, Attributes: { pk: { S: 'LIFECYCLE#x' }, sk: { S: 'SUBMIT_TOKEN' }, taskToken: { S: TOKEN } } };
    dynamodb.on(DeleteItemCommand).resolves(taken);

    dir = mkdtempSync(join(tmpdir(), 'skillproof-service-portal-'));
    store = SqliteStore.open(dir);
    portal = new Portal({
      dataDir: dir,
      store,
      catalog: loadCatalog(),
      grade: () => Promise.reject(new Error('the portal grades nothing in service mode')),
      freeze: () => Promise.reject(new Error('the portal freezes nothing in service mode')),
      log: () => undefined,
      ...servicePortalOptions(ENV, async () => store, clients),
    });
    attempt = await portal.attempts.create({ candidate: 'ada@example.com', target: { kind: 'practice', taskId: 'serverless-queue-worker' }, sandbox: replaySandbox, timeLimitMinutes: 60 });
    candidate = { kind: 'candidate', candidateId: attempt.candidateId };
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts the attempt, then its lifecycle execution named after it; a retried start starts nothing twice', async () => {
    const active = await portal.start(candidate, attempt.id);
    expect(active.state).toBe('active');
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input)).toEqual([{ stateMachineArn: STATE_MACHINE, name: attempt.id, input: JSON.stringify({ attemptId: attempt.id }) }]);

    // The first request's StartExecution failed after the transition: starting again starts the lifecycle.
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: `Execution Already Exists: '${attempt.id}'`, $metadata: {} }));
    await expect(portal.start(candidate, attempt.id)).resolves.toMatchObject({ id: attempt.id, state: 'active', version: active.version });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(2);
  });

  it('queues a progress check on the grading queue and grades nothing in the request', async () => {
    await portal.start(candidate, attempt.id);
    const view = await portal.check(candidate, attempt.id);
    const checked = await store.getAttempt(attempt.id);
    const [batch] = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(batch!.QueueUrl).toBe(QUEUE);
    expect(batch!.Entries).toHaveLength(1);
    expect(batch!.Entries![0]).toMatchObject({ MessageGroupId: attempt.id });
    const job = parseGradingJob(batch!.Entries![0]!.MessageBody!);
    expect(job).toMatchObject({ attemptId: attempt.id, taskId: 'serverless-queue-worker', scope: 'progress', round: 0, requestedAt: checked!.lastCheckAt });
    expect(view).toMatchObject({ tasks: [], queued: [job.jobId] });
    expect(await store.listGradingRuns(attempt.id)).toEqual([]);
  });

  it('submits by making the transition and waking the lifecycle with the stored token; the lifecycle freezes and grades', async () => {
    await portal.start(candidate, attempt.id);
    await portal.submit(candidate, attempt.id);
    const submitted = (await store.getAttempt(attempt.id))!;
    expect(submitted).toMatchObject({ state: 'submitted', finalRound: 1, frozenAt: null, result: null });
    expect(dynamodb.commandCalls(DeleteItemCommand)[0]!.args[0].input).toMatchObject({ TableName: 'skillproof-service', Key: { pk: { S: `LIFECYCLE#${attempt.id}` }, sk: { S: 'SUBMIT_TOKEN' } } });
    expect(sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input)).toEqual([{ taskToken: TOKEN, output: JSON.stringify({ attemptId: attempt.id }) }]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect((await portal.candidateView(candidate, attempt.id, 'https://portal.example')).grading).toEqual({ state: 'running', error: null });

    // Submitting again (the wake failed, or a double click) wakes again and changes nothing else.
    dynamodb.on(DeleteItemCommand).resolves({ $metadata: {} });
    await portal.submit(candidate, attempt.id);
    expect((await store.getAttempt(attempt.id))!.version).toBe(submitted.version);
  });

  it("runs an administrator's regrade as an execution of its own, named after the round", async () => {
    await portal.start(candidate, attempt.id);
    await portal.submit(candidate, attempt.id);
    const submitted = (await store.getAttempt(attempt.id))!;
    await store.updateAttempt(
      { attemptId: attempt.id, expectedVersion: submitted.version, patch: { state: 'graded', result: 'incomplete', gradedAt: new Date().toISOString() } },
      { actor: 'lifecycle', action: 'attempt.graded', subject: attempt.id },
    );
    await portal.regrade(attempt.id, 'admin:tok-1');
    expect(await store.getAttempt(attempt.id)).toMatchObject({ state: 'submitted', finalRound: 2, result: null });
    expect(sfn.commandCalls(StartExecutionCommand).at(-1)!.args[0].input).toEqual({ stateMachineArn: STATE_MACHINE, name: `${attempt.id}-r2`, input: JSON.stringify({ attemptId: attempt.id }) });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('is off without the lifecycle ARN (embedded), and refuses a service without a DynamoDB table', () => {
    expect(servicePortalOptions({ SKILLPROOF_STORE: 'sqlite:/tmp/x' }, async () => store, clients)).toEqual({});
    expect(() => servicePortalOptions({ ...ENV, SKILLPROOF_STORE: 'sqlite:/tmp/x' }, async () => store, clients)).toThrow(ServiceModeError);
  });

  it('is what the API handler runs when the stack sets the lifecycle ARN', async () => {
    const code = (await createAccessCode(store, attempt.id, { actor: 'test' })).code;
    const handler = createApiHandler({ store: async () => store, catalog: () => loadCatalog(), env: ENV, clients, server: { dataDir: dir, log: () => undefined } });
    const event = (method: string, path: string, body?: unknown, token?: string): APIGatewayProxyEventV2 => ({
      version: '2.0',
      routeKey: '$default',
      rawPath: path,
      rawQueryString: '',
      headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      requestContext: {
        accountId: '111122223333', apiId: 'abc123', domainName: 'abc123.execute-api.eu-west-1.amazonaws.com', domainPrefix: 'abc123',
        http: { method, path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'test' }, requestId: 'r', routeKey: '$default', stage: '$default', time: '', timeEpoch: 0,
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
      isBase64Encoded: false,
    });
    try {
      const signIn = await handler(event('POST', '/api/sign-in', { accessCode: code }));
      const { token } = JSON.parse(signIn.body!) as { token: string };
      const start = await handler(event('POST', `/api/attempts/${attempt.id}/start`, undefined, token));
      expect(start.statusCode).toBe(200);
      expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).toEqual([attempt.id]);
    } finally {
      await handler.close();
    }
  });
});
