import { LambdaClient, ListEventSourceMappingsCommand, type EventSourceMappingConfiguration } from '@aws-sdk/client-lambda';
import { describeMapping, filterPatterns, mappingPhase, reportsBatchItemFailures, sourceMappings } from '../../../graders/lib/lambda-event-sources';
import { FakeAccount } from '../../../src/testing/fake-account';
import { inCheck } from '../../support/harness';

const QUEUE = 'arn:aws:sqs:eu-west-1:111122223333:orders-queue';
const FN = 'arn:aws:lambda:eu-west-1:111122223333:function:orders-worker';


const mapping = (uuid: string, State: string, extra: Partial<EventSourceMappingConfiguration> = {}): EventSourceMappingConfiguration => ({ UUID: uuid, State, EventSourceArn: QUEUE, FunctionArn: FN, ...extra });

describe('graders/lib/lambda-event-sources', () => {
  it.each([
    ['Enabled', 'active'],
    ['Updating', 'active'],
    ['Creating', 'settling'],
    ['Enabling', 'settling'],
    ['Disabled', 'inactive'],
    ['Disabling', 'inactive'],
    ['Deleting', 'inactive'],
    ['SomethingNew', 'inactive'],
  ])('treats a mapping in state %s as %s', (State, phase) => {
    expect(mappingPhase(mapping('m', State))).toBe(phase);
  });

  it('lists every page of the mappings that read one source', async () => {
    const asked: unknown[] = [];
    const account = new FakeAccount().on(LambdaClient, ListEventSourceMappingsCommand, (input) => {
      asked.push(input);
      return input.Marker ? { EventSourceMappings: [mapping('b', 'Disabled')] } : { EventSourceMappings: [mapping('a', 'Enabled')], NextMarker: 'page-2' };
    });
    const found = await inCheck(account, (ctx) => sourceMappings(ctx, QUEUE));
    expect({ uuids: found.mappings.map((m) => m.UUID), unsettled: found.unsettled }).toEqual({ uuids: ['a', 'b'], unsettled: false });
    expect(asked).toEqual([{ EventSourceArn: QUEUE, MaxItems: 100 }, { EventSourceArn: QUEUE, MaxItems: 100, Marker: 'page-2' }]);
  });

  it('waits for a mapping that is still being created rather than judging it half-made', async () => {
    let calls = 0;
    const account = new FakeAccount().on(LambdaClient, ListEventSourceMappingsCommand, () => ({ EventSourceMappings: [mapping('a', ++calls < 3 ? 'Creating' : 'Enabled')] }));
    const found = await inCheck(account, (ctx) => sourceMappings(ctx, QUEUE));
    expect({ calls, state: found.mappings[0]!.State, unsettled: found.unsettled }).toEqual({ calls: 3, state: 'Enabled', unsettled: false });
  });

  it('says so when a mapping is still settling at the deadline', async () => {
    const account = new FakeAccount().on(LambdaClient, ListEventSourceMappingsCommand, () => ({ EventSourceMappings: [mapping('a', 'Enabling')] }));
    const found = await inCheck(account, (ctx) => sourceMappings(ctx, QUEUE, 10_000));
    expect({ state: found.mappings[0]!.State, unsettled: found.unsettled }).toEqual({ state: 'Enabling', unsettled: true });
  });

  it('reads partial batch responses and filters from a mapping', () => {
    const m = mapping('a', 'Enabled', { FunctionResponseTypes: ['ReportBatchItemFailures'], FilterCriteria: { Filters: [{ Pattern: '{"body":{"orderId":[{"exists":true}]}}' }, {}] } });
    expect([reportsBatchItemFailures(m), reportsBatchItemFailures(mapping('b', 'Enabled'))]).toEqual([true, false]);
    expect(filterPatterns(m)).toEqual(['{"body":{"orderId":[{"exists":true}]}}']);
    expect(filterPatterns(mapping('b', 'Enabled'))).toEqual([]);
  });

  it('summarises a mapping for assessors', () => {
    expect(describeMapping(mapping('a', 'Enabled', { BatchSize: 10, MaximumBatchingWindowInSeconds: 0, FunctionResponseTypes: ['ReportBatchItemFailures'] }))).toEqual({
      uuid: 'a',
      state: 'Enabled',
      functionArn: FN,
      batchSize: 10,
      batchingWindowSeconds: 0,
      responseTypes: ['ReportBatchItemFailures'],
    });
  });
});
