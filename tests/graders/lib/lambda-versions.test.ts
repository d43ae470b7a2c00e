import { GetAccountSettingsCommand, GetAliasCommand, GetFunctionConcurrencyCommand, InvokeCommand, LambdaClient, ListVersionsByFunctionCommand, type AliasConfiguration } from '@aws-sdk/client-lambda';
import { Uint8ArrayBlobAdapter } from '@smithy/core/serde';
import {
  accountConcurrency,
  aliasRouting,
  describeFunctionError,
  getAlias,
  invokeQualifier,
  isPublishedVersion,
  listPublishedVersions,
  loggingOf,
  qualifiedArn,
  reservedConcurrency,
  routedVersions,
} from '../../../graders/lib/lambda-versions';
import type { CheckContext } from '../../../src/model/grader';
import { awsError, FakeAccount } from '../../../src/testing/fake-account';
import { inCheck as runInCheck } from '../../support/harness';

const inCheck = <T>(account: FakeAccount, fn: (ctx: CheckContext) => Promise<T>) => runInCheck(account, fn, { probes: ['lambda:InvokeFunction'] });
const FN = 'arn:aws:lambda:eu-west-1:111122223333:function:pricing-service';


const alias = (FunctionVersion: string, AdditionalVersionWeights?: Record<string, number>): AliasConfiguration => ({
  Name: 'live',
  AliasArn: `${FN}:live`,
  FunctionVersion,
  ...(AdditionalVersionWeights ? { RoutingConfig: { AdditionalVersionWeights } } : {}),
});

describe('graders/lib/lambda-versions', () => {
  it.each([
    ['1', true],
    ['42', true],
    ['$LATEST', false],
    ['live', false],
    ['0', false],
    ['01', false],
    [undefined, false],
  ])('treats %s as a published version: %s', (qualifier, expected) => {
    expect(isPublishedVersion(qualifier)).toBe(expected);
  });

  it('lists published versions from every page, numerically, without $LATEST', async () => {
    const account = new FakeAccount().on(LambdaClient, ListVersionsByFunctionCommand, ({ Marker }) =>
      Marker ? { Versions: [{ Version: '2' }] } : { Versions: [{ Version: '$LATEST' }, { Version: '10' }, { Version: '1' }], NextMarker: 'next' },
    );
    const versions = await inCheck(account, (ctx) => listPublishedVersions(ctx, 'pricing-service'));
    expect(versions?.map((v) => v.Version)).toEqual(['1', '2', '10']);
  });

  it('returns undefined for the versions and alias of a function that does not exist', async () => {
    const missing = () => {
      throw awsError('ResourceNotFoundException', 'Function not found', 404);
    };
    const account = new FakeAccount().on(LambdaClient, ListVersionsByFunctionCommand, missing).on(LambdaClient, GetAliasCommand, missing).on(LambdaClient, GetFunctionConcurrencyCommand, missing);
    const found = await inCheck(account, async (ctx) => [await listPublishedVersions(ctx, 'nope'), await getAlias(ctx, 'nope', 'live'), await reservedConcurrency(ctx, 'nope')]);
    expect(found).toEqual([undefined, undefined, undefined]);
  });

  it('reads weighted routing as a primary version and its shares', () => {
    const routing = aliasRouting(alias('3', { '4': 0.25 }));
    expect(routing).toEqual({ primary: '3', additional: [{ version: '4', weight: 0.25 }] });
    expect(routedVersions(routing)).toEqual(['3', '4']);
  });

  it('leaves a version with weight 0 out of the versions an alias routes to', () => {
    expect(routedVersions(aliasRouting(alias('1', { '2': 0 })))).toEqual(['1']);
    expect(routedVersions(aliasRouting(alias('$LATEST')))).toEqual(['$LATEST']);
  });

  it('qualifies a function ARN, qualified or not', () => {
    expect(qualifiedArn(`${FN}:live`, '2')).toBe(`${FN}:2`);
    expect(qualifiedArn(FN, '2')).toBe(`${FN}:2`);
  });

  it('tells unreserved from reserved 0', async () => {
    const read = (out: { ReservedConcurrentExecutions?: number }) => inCheck(new FakeAccount().on(LambdaClient, GetFunctionConcurrencyCommand, () => out), (ctx) => reservedConcurrency(ctx, 'pricing-service'));
    expect(await read({})).toEqual({});
    expect(await read({ ReservedConcurrentExecutions: 0 })).toEqual({ reserved: 0 });
    expect(await read({ ReservedConcurrentExecutions: 5 })).toEqual({ reserved: 5 });
  });

  it.each([
    [10, 10, 0],
    [100, 100, 0],
    [110, 105, 5],
    [1000, 995, 895],
  ])('reads a concurrency quota of %i with %i unreserved as %i reservable (Lambda keeps 100 unreserved)', async (limit, unreserved, reservable) => {
    const account = new FakeAccount().on(LambdaClient, GetAccountSettingsCommand, () => ({ AccountLimit: { ConcurrentExecutions: limit, UnreservedConcurrentExecutions: unreserved }, AccountUsage: { FunctionCount: 1 } }));
    expect(await inCheck(account, accountConcurrency)).toEqual({ limit, unreserved, reservable });
  });

  it('does not guess what can be reserved when Lambda does not say', async () => {
    const account = new FakeAccount().on(LambdaClient, GetAccountSettingsCommand, () => ({ AccountLimit: { ConcurrentExecutions: 1000 } }));
    expect(await inCheck(account, accountConcurrency)).toEqual({ limit: 1000 });
  });

  it("fills in Lambda's logging defaults", () => {
    expect(loggingOf({ FunctionName: 'pricing-service' })).toEqual({ format: 'Text', logGroup: '/aws/lambda/pricing-service' });
    expect(loggingOf({ FunctionName: 'pricing-service', LoggingConfig: { LogFormat: 'JSON', LogGroup: '/services/pricing' } })).toEqual({ format: 'JSON', logGroup: '/services/pricing' });
  });

  describe('invokeQualifier', () => {
    const invoking = (failure: () => never) => new FakeAccount().on(LambdaClient, InvokeCommand, failure);

    it('sends the event as JSON and reports the version that ran and its answer', async () => {
      const sent: unknown[] = [];
      const account = new FakeAccount().on(LambdaClient, InvokeCommand, (input) => {
        sent.push(input);
        return { StatusCode: 200, ExecutedVersion: '2', Payload: Uint8ArrayBlobAdapter.fromString('{"price":1}') };
      });
      const r = await inCheck(account, (ctx) => invokeQualifier(ctx, 'pricing-service', 'live', { nonce: 'n1' }));
      expect(r).toEqual({ kind: 'answered', statusCode: 200, executedVersion: '2', payload: '{"price":1}' });
      expect(sent).toEqual([{ FunctionName: 'pricing-service', Qualifier: 'live', InvocationType: 'RequestResponse', Payload: '{"nonce":"n1"}' }]);
    });

    it('reports a function error with its payload', async () => {
      const account = new FakeAccount().on(LambdaClient, InvokeCommand, () => ({ StatusCode: 200, ExecutedVersion: '1', FunctionError: 'Unhandled', Payload: Uint8ArrayBlobAdapter.fromString('{"errorType":"Error","errorMessage":"boom"}') }));
      const r = await inCheck(account, (ctx) => invokeQualifier(ctx, 'pricing-service', '1', {}));
      expect(r).toMatchObject({ kind: 'answered', functionError: 'Unhandled' });
      expect(describeFunctionError((r as { payload: string }).payload)).toBe('Error: boom');
    });

    it('returns set-up faults and not-ready states as values', async () => {
      const kms = () => {
        throw awsError('KMSAccessDeniedException', 'Lambda was unable to decrypt the environment variables', 502);
      };
      const pending = () => {
        throw awsError('ResourceConflictException', 'The function is currently in the following state: Pending', 409);
      };
      expect(await inCheck(invoking(kms), (ctx) => invokeQualifier(ctx, 'pricing-service', 'live', {}))).toMatchObject({ kind: 'setup-fault', code: 'KMSAccessDeniedException' });
      expect(await inCheck(invoking(pending), (ctx) => invokeQualifier(ctx, 'pricing-service', 'live', {}))).toMatchObject({ kind: 'not-ready', code: 'ResourceConflictException' });
    });

    it("lets throttling and the grader's AccessDenied propagate", async () => {
      const denied = () => {
        throw awsError('AccessDeniedException', 'not authorized to perform: lambda:InvokeFunction', 403);
      };
      const throttled = () => {
        throw awsError('TooManyRequestsException', 'Rate exceeded', 429);
      };
      await expect(inCheck(invoking(denied), (ctx) => invokeQualifier(ctx, 'pricing-service', 'live', {}))).rejects.toThrow(/^ERROR: .*AccessDeniedException/);
      await expect(inCheck(invoking(throttled), (ctx) => invokeQualifier(ctx, 'pricing-service', 'live', {}))).rejects.toThrow(/^ERROR: .*TooManyRequestsException/);
    });
  });

  it('shows a non-JSON error payload as text', () => {
    expect(describeFunctionError('Task timed out after 3.00 seconds')).toBe('Task timed out after 3.00 seconds');
    expect(describeFunctionError('')).toBe('(empty payload)');
  });
});
