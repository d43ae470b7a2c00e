import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { alarmSignal, errorAlarmProblems, lambdaMetricScope } from '../../graders/lib/cloudwatch';
import { PRICING_CODE, ServerlessSafeDeploySolution, type ServerlessSafeDeploySolutionProps } from '../../tasks/serverless-safe-deploy/solution/serverless-safe-deploy-solution';

const synth = (props: ServerlessSafeDeploySolutionProps) => {
  const stack = new Stack(new App(), 'SafeDeploySolution', { env: { account: '111122223333', region: 'eu-west-1' } });
  new ServerlessSafeDeploySolution(stack, 'Solution', props);
  return Template.fromStack(stack);
};
const firstRelease = synth({ release: 'r1' });
const canary = synth({ release: 'r2', stableVersion: '1' });

const only = (template: Template, type: string) => {
  const found = Object.entries(template.findResources(type));
  expect(found).toHaveLength(1);
  return { logicalId: found[0]![0], properties: found[0]![1].Properties as Record<string, unknown> };
};

/** Template values with the function's Ref resolved to its name, as DescribeAlarms would show them. */
const resolveFunctionName = (value: unknown, fnId: string): unknown => JSON.parse(JSON.stringify(value).replace(new RegExp(`\\{"Ref":"${fnId}"\\}`, 'g'), '"pricing-service"').replace(/\{"Fn::Join":\["",\["pricing-service",":live"\]\]\}/g, '"pricing-service:live"'));

describe('serverless-safe-deploy reference solution', () => {
  it('names the function pricing-service, with reserved concurrency, JSON logs to its own log group, inline code only', () => {
    const fn = only(canary, 'AWS::Lambda::Function');
    const logs = only(canary, 'AWS::Logs::LogGroup');
    expect(fn.properties).toMatchObject({
      FunctionName: 'pricing-service',
      ReservedConcurrentExecutions: 5,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logs.logicalId } },
      Code: { ZipFile: PRICING_CODE },
    });
    expect(logs.properties).toEqual({ LogGroupName: '/aws/lambda/pricing-service', RetentionInDays: 7 });
  });

  it('retains each published version, so the stable release survives the next deployment', () => {
    canary.hasResource('AWS::Lambda::Version', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('points live at the stable version and shifts 10 % to the new release', () => {
    const version = only(canary, 'AWS::Lambda::Version');
    canary.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      FunctionVersion: '1',
      RoutingConfig: { AdditionalVersionWeights: [{ FunctionVersion: { 'Fn::GetAtt': [version.logicalId, 'Version'] }, FunctionWeight: 0.1 }] },
    });
  });

  it('on the first release, points live at the only version without weights', () => {
    const version = only(firstRelease, 'AWS::Lambda::Version');
    firstRelease.hasResourceProperties('AWS::Lambda::Alias', { Name: 'live', FunctionVersion: { 'Fn::GetAtt': [version.logicalId, 'Version'] }, RoutingConfig: Match.absent() });
  });

  it("alarms on the alias's errors in a way the grader accepts", () => {
    const fn = only(canary, 'AWS::Lambda::Function');
    const alarm = resolveFunctionName(only(canary, 'AWS::CloudWatch::Alarm').properties, fn.logicalId) as MetricAlarm;
    expect(alarm.Dimensions).toEqual([
      { Name: 'FunctionName', Value: 'pricing-service' },
      { Name: 'Resource', Value: 'pricing-service:live' },
    ]);
    const signal = alarmSignal(alarm);
    expect(lambdaMetricScope(signal.inputs[0]!)).toEqual({ kind: 'qualified', functionName: 'pricing-service', resource: 'pricing-service:live' });
    expect(errorAlarmProblems(alarm, signal, signal.inputs[0]!)).toEqual([]);
  });

  it('refuses a canary weight that is not a partial shift', () => {
    expect(() => synth({ release: 'r2', stableVersion: '1', canaryWeight: 1 })).toThrow(/between 0 and 1/);
  });

  it('answers any event with the version that served it', async () => {
    const module = { exports: {} as { handler?: (event: unknown) => Promise<Record<string, unknown>> } };
    const quiet = { ...console, info: () => undefined };
    new Function('exports', 'process', 'console', PRICING_CODE)(module.exports, { env: { AWS_LAMBDA_FUNCTION_VERSION: '2', RELEASE: 'r2' } }, quiet);
    await expect(module.exports.handler!({ source: 'skillproof', nonce: 'n', probe: 'live-1' })).resolves.toMatchObject({ version: '2', release: 'r2', sku: 'coffee-beans' });
  });
});
