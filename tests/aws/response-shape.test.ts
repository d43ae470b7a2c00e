import { BedrockAgentClient, GetAgentCommand, ListAgentsCommand } from '@aws-sdk/client-bedrock-agent';
import { GetFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { MalformedResponse } from '../../src/aws/errors';
import { responseShapeProblems } from '../../src/aws/response-shape';
import { simulated } from '../support/harness';

const schemaOf = (command: object) => (command as { schema: unknown }).schema;

describe('response shape', () => {
  it('accepts a response with every required member', () => {
    expect(responseShapeProblems(schemaOf(new ListAgentsCommand({})), { agentSummaries: [{ agentId: 'A', agentName: 'n', agentStatus: 'PREPARED', updatedAt: new Date() }] })).toEqual([]);
  });

  it.each([
    ['a missing required list', {}, 'agentSummaries is required but missing'],
    ['a list of the wrong type', { agentSummaries: 'none' }, 'agentSummaries should be a list'],
    ['an item missing required members', { agentSummaries: [{ agentId: 'A' }] }, 'agentSummaries[0].agentName is required but missing'],
    ['a timestamp that is not a date', { agentSummaries: [{ agentId: 'A', agentName: 'n', agentStatus: 'PREPARED', updatedAt: 7 }] }, 'agentSummaries[0].updatedAt has the wrong type (number)'],
  ])('names %s', (_what, output, problem) => {
    expect(responseShapeProblems(schemaOf(new ListAgentsCommand({})), output)).toContain(problem);
  });

  it('accepts the empty responses AWS really sends (no item, no reserved concurrency)', () => {
    expect(responseShapeProblems(schemaOf(new GetItemCommand({ TableName: 't', Key: {} })), {})).toEqual([]);
    expect(responseShapeProblems(schemaOf(new GetFunctionConcurrencyCommand({ FunctionName: 'f' })), {})).toEqual([]);
  });

  it('makes the session refuse a malformed response after retrying, so the check is ERROR, never FAIL', async () => {
    const session = simulated(() => ({}));
    const err = await session.client(BedrockAgentClient).send(new GetAgentCommand({ agentId: 'A' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MalformedResponse);
    expect((err as Error).message).toContain('agent is required but missing');
    expect(session.transcript).toHaveLength(5);
  });

  it('passes a well-formed response through unchanged', async () => {
    const session = simulated(() => ({ Item: { orderId: { S: 'x' } } }));
    const out = await session.client(DynamoDBClient).send(new GetItemCommand({ TableName: 't', Key: { orderId: { S: 'x' } } }));
    expect(out.Item).toEqual({ orderId: { S: 'x' } });
  });
});
