import { ApiGatewayV2Client, GetRoutesCommand } from '@aws-sdk/client-apigatewayv2';
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  AccessDeniedException,
  BedrockAgentRuntimeClient,
  InternalServerException,
  InvokeAgentCommand,
  type ResponseStream,
} from '@aws-sdk/client-bedrock-agent-runtime';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GuardViolation, MissingRecordedCall } from '../../src/aws/errors';
import { GradingSession } from '../../src/aws/session';
import { REDACTED } from '../../src/evidence/redact';
import { awsError } from '../../src/testing/fake-account';
import { simulated } from '../support/harness';

const table = { Table: { TableName: 'orders', TableStatus: 'ACTIVE' } };

describe('grading session', () => {
  it('blocks a mutating call the grader did not declare', async () => {
    const session = simulated(() => ({}));
    await expect(session.client(DynamoDBClient).send(new PutItemCommand({ TableName: 't', Item: {} }))).rejects.toBeInstanceOf(GuardViolation);
    expect(session.transcript).toHaveLength(0);
  });

  it('lets a declared probe through', async () => {
    const session = simulated(() => ({}), { probes: ['dynamodb:PutItem'] });
    await expect(session.client(DynamoDBClient).send(new PutItemCommand({ TableName: 't', Item: {} }))).resolves.toBeDefined();
    expect(session.transcript.map((r) => r.operation)).toEqual(['PutItem']);
  });

  it('sends an identical read once per run, even when asked concurrently', async () => {
    let sent = 0;
    const session = simulated(() => (sent++, table));
    const ddb = session.client(DynamoDBClient);
    const results = await Promise.all([1, 2, 3].map(() => ddb.send(new DescribeTableCommand({ TableName: 'orders' }))));
    await ddb.send(new DescribeTableCommand({ TableName: 'orders' }));
    expect(sent).toBe(1);
    expect(results.every((r) => r.Table?.TableName === 'orders')).toBe(true);
  });

  it('sends reads again inside a fresh (polling) scope', async () => {
    let sent = 0;
    const session = simulated(() => (sent++, table));
    const ddb = session.client(DynamoDBClient);
    await ddb.send(new DescribeTableCommand({ TableName: 'orders' }));
    await session.fresh(() => ddb.send(new DescribeTableCommand({ TableName: 'orders' })));
    await session.fresh(() => ddb.send(new DescribeTableCommand({ TableName: 'orders' })));
    expect(sent).toBe(3);
  });

  it('retries throttling and records every try', async () => {
    let calls = 0;
    const session = simulated(() => {
      if (++calls < 3) throw awsError('ThrottlingException', 'Rate exceeded', 400);
      return table;
    });
    const out = await session.client(DynamoDBClient).send(new DescribeTableCommand({ TableName: 'orders' }));
    expect(out.Table?.TableName).toBe('orders');
    expect(session.transcript.map((r) => [r.try, r.error?.code ?? 'ok'])).toEqual([
      [1, 'ThrottlingException'],
      [2, 'ThrottlingException'],
      [3, 'ok'],
    ]);
  });

  it('gives up after the retry budget when throttling persists', async () => {
    const session = simulated(() => {
      throw awsError('ThrottlingException', 'Rate exceeded', 400);
    });
    await expect(session.client(DynamoDBClient).send(new DescribeTableCommand({ TableName: 'orders' }))).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(session.transcript).toHaveLength(5);
  });

  it('does not retry AccessDenied', async () => {
    const session = simulated(() => {
      throw awsError('AccessDeniedException', 'no', 403);
    });
    await expect(session.client(DynamoDBClient).send(new DescribeTableCommand({ TableName: 'orders' }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(session.transcript).toHaveLength(1);
  });

  it('redacts Lambda environment values and tokens from the evidence, while the grader judges what AWS sent', async () => {
    const session = simulated(() => ({ FunctionName: 'f', FunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:f', Environment: { Variables: { DB_PASSWORD: 'hunter2', TABLE: 'orders' } }, SessionToken: 'tok', NextToken: 'page-2' }));
    const out = await session.client(LambdaClient).send(new GetFunctionConfigurationCommand({ FunctionName: 'f' }));
    expect(out.Environment?.Variables).toEqual({ DB_PASSWORD: 'hunter2', TABLE: 'orders' });
    const text = JSON.stringify(session.transcript);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('"tok"');
    expect(text).toContain('page-2');
    expect(text).toContain(REDACTED);
  });

  it('hands the grader an HTTP API route\'s ApiKeyRequired as the boolean AWS sent, live and replayed', async () => {
    const route = { ApiKeyRequired: false, AuthorizationType: 'NONE' as const, RouteKey: 'POST /orders', RouteId: 'r1', Target: 'integrations/i1' };
    const live = simulated(() => ({ Items: [route] }));
    const first = await live.client(ApiGatewayV2Client).send(new GetRoutesCommand({ ApiId: 'a1' }));
    expect(first.Items).toEqual([route]);
    const replay = new GradingSession({ ...live.config, mode: 'replay', recorded: live.transcript });
    const again = await replay.client(ApiGatewayV2Client).send(new GetRoutesCommand({ ApiId: 'a1' }));
    expect(again.Items).toEqual([route]);
  });

  it('replays recorded calls in order, the last one sticking', async () => {
    const key = { TableName: 'orders', Key: { orderId: { S: 'o-1' } } };
    const live = simulated(
      (() => {
        let n = 0;
        return () => (++n === 1 ? {} : { Item: { orderId: { S: 'o-1' } } });
      })(),
    );
    const ddb = live.client(DynamoDBClient);
    await live.fresh(() => ddb.send(new GetItemCommand(key)));
    await live.fresh(() => ddb.send(new GetItemCommand(key)));
    const replay = new GradingSession({ ...live.config, mode: 'replay', recorded: live.transcript });
    const r = replay.client(DynamoDBClient);
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push((await replay.fresh(() => r.send(new GetItemCommand(key)))).Item?.orderId?.S ?? 'none');
    expect(seen).toEqual(['none', 'o-1', 'o-1']);
  });

  it('names a call the evidence does not contain', async () => {
    const replay = new GradingSession({ mode: 'replay', region: 'eu-west-1', attemptId: 'a', nonce: '0123456789abcdef', startedAt: new Date(), probes: [], recorded: [] });
    const err = await replay.client(DynamoDBClient).send(new DescribeTableCommand({ TableName: 'other' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingRecordedCall);
    expect((err as Error).message).toContain('DynamoDB.DescribeTable');
    expect((err as Error).message).toContain('"TableName":"other"');
  });

  describe('an event stream that ends in an exception event (InvokeAgent accepted, HTTP 200)', () => {
    const invoke = new InvokeAgentCommand({ agentId: 'A', agentAliasId: 'L', sessionId: 's', inputText: 'hi' });
    const trace: ResponseStream = { trace: { agentId: 'A', trace: { failureTrace: { failureReason: 'denied' } } } };
    async function* ending(raised: Error): AsyncIterable<ResponseStream> {
      yield trace;
      throw raised;
    }
    const probes = ['bedrock:InvokeAgent'];

    it('keeps a modelled, non-retryable exception as the stream\'s last event, live and replayed alike', async () => {
      const denied = new AccessDeniedException({ message: 'Access denied when calling Bedrock.', $metadata: {} });
      const live = simulated(() => ({ completion: ending(denied), contentType: 'application/json', sessionId: 's' }), { probes });
      const out = await live.client(BedrockAgentRuntimeClient).send(invoke);
      const expected = [trace, { accessDeniedException: { message: 'Access denied when calling Bedrock.' } }];
      expect(out.completion).toEqual(expected);
      expect(live.transcript).toHaveLength(1);
      expect(live.transcript[0]!.error).toBeUndefined();
      const replay = new GradingSession({ ...live.config, mode: 'replay', recorded: live.transcript });
      expect((await replay.client(BedrockAgentRuntimeClient).send(invoke)).completion).toEqual(expected);
    });

    it('retries a stream that ends in a server fault, like a failed call', async () => {
      let n = 0;
      const session = simulated(() => ({ completion: n++ === 0 ? ending(new InternalServerException({ message: 'boom', $metadata: {} })) : ending(new AccessDeniedException({ message: 'no', $metadata: {} })), sessionId: 's', contentType: 'application/json' }), { probes });
      await session.client(BedrockAgentRuntimeClient).send(invoke);
      expect(session.transcript.map((r) => [r.try, r.error?.code ?? 'ok'])).toEqual([
        [1, 'InternalServerException'],
        [2, 'ok'],
      ]);
    });

    it('does not turn an unmodelled error (a dropped connection) into an event', async () => {
      const reset = Object.assign(new Error('socket hang up'), { name: 'Error', code: 'EPROTO' });
      const session = simulated(() => ({ completion: ending(reset), sessionId: 's', contentType: 'application/json' }), { probes });
      await expect(session.client(BedrockAgentRuntimeClient).send(invoke)).rejects.toThrow('socket hang up');
    });
  });
});
