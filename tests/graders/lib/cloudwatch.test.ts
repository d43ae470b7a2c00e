import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { alarmSignal, describeMetricAlarms, errorAlarmProblems, lambdaMetricScope, type WatchedMetric } from '../../../graders/lib/cloudwatch';
import { FakeAccount } from '../../../src/testing/fake-account';
import { inCheck } from '../../support/harness';


const ALIAS = [
  { Name: 'FunctionName', Value: 'pricing-service' },
  { Name: 'Resource', Value: 'pricing-service:live' },
];

/** An alarm on the Sum of the alias's Errors, >= 1 in one 60 s period, with `change` applied. */
const alarm = (change: Partial<MetricAlarm> = {}): MetricAlarm => ({
  AlarmName: 'live-errors',
  Namespace: 'AWS/Lambda',
  MetricName: 'Errors',
  Dimensions: ALIAS,
  Statistic: 'Sum',
  Period: 60,
  EvaluationPeriods: 1,
  Threshold: 1,
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  ...change,
});

const problemsOf = (a: MetricAlarm) => {
  const signal = alarmSignal(a);
  const errors = signal.inputs.find((m) => m.metricName === 'Errors')!;
  return errorAlarmProblems(a, signal, errors);
};

const metric = (dimensions: Record<string, string>, namespace = 'AWS/Lambda'): WatchedMetric => ({ namespace, metricName: 'Errors', dimensions });

describe('graders/lib/cloudwatch', () => {
  describe('describeMetricAlarms', () => {
    it('reads every page of metric alarms', async () => {
      const asked: unknown[] = [];
      const account = new FakeAccount().on(CloudWatchClient, DescribeAlarmsCommand, (input) => {
        asked.push(input);
        return input.NextToken ? { MetricAlarms: [alarm({ AlarmName: 'b' })] } : { MetricAlarms: [alarm({ AlarmName: 'a' })], NextToken: 'page-2' };
      });
      const names = (await inCheck(account, describeMetricAlarms)).map((a) => a.AlarmName);
      expect(names).toEqual(['a', 'b']);
      expect(asked).toEqual([
        { AlarmTypes: ['MetricAlarm'], MaxRecords: 100 },
        { AlarmTypes: ['MetricAlarm'], MaxRecords: 100, NextToken: 'page-2' },
      ]);
    });
  });

  describe('alarmSignal', () => {
    it('reads a single-metric alarm as that metric, with its statistic and period', () => {
      expect(alarmSignal(alarm())).toEqual({
        compared: { kind: 'metric', metric: { namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: 'pricing-service', Resource: 'pricing-service:live' }, stat: 'Sum', period: 60 } },
        inputs: [{ namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: 'pricing-service', Resource: 'pricing-service:live' }, stat: 'Sum', period: 60 }],
      });
    });

    it('follows a metric-math expression, through nested expressions, to the metrics it reads', () => {
      const signal = alarmSignal(
        alarm({
          MetricName: undefined,
          Namespace: undefined,
          Dimensions: undefined,
          Statistic: undefined,
          Period: undefined,
          Metrics: [
            { Id: 'pct', Expression: 'rate * 100', ReturnData: true },
            { Id: 'rate', Expression: 'errors / invocations', ReturnData: false },
            { Id: 'errors', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: ALIAS }, Period: 60, Stat: 'Sum' }, ReturnData: false },
            { Id: 'invocations', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: ALIAS }, Period: 60, Stat: 'Sum' }, ReturnData: false },
            { Id: 'unused', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Throttles', Dimensions: ALIAS }, Period: 60, Stat: 'Sum' }, ReturnData: false },
          ],
        }),
      );
      expect(signal.compared).toEqual({ kind: 'expression', expression: 'rate * 100' });
      expect(signal.inputs.map((m) => m.metricName).sort()).toEqual(['Errors', 'Invocations']);
    });

    it('reads a metric-math alarm that returns a metric directly as that metric', () => {
      const signal = alarmSignal(alarm({ MetricName: undefined, Metrics: [{ Id: 'e', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: ALIAS }, Period: 60, Stat: 'Maximum' }, ReturnData: true }] }));
      expect(signal.compared).toMatchObject({ kind: 'metric', metric: { metricName: 'Errors', stat: 'Maximum' } });
    });

    it('recognises an anomaly detection alarm', () => {
      expect(alarmSignal(alarm({ MetricName: undefined, ThresholdMetricId: 'band', Metrics: [{ Id: 'band', Expression: 'ANOMALY_DETECTION_BAND(e, 2)', ReturnData: true }] })).compared).toEqual({ kind: 'anomaly-band' });
    });
  });

  describe('lambdaMetricScope', () => {
    it.each([
      [{}, { kind: 'account' }],
      [{ FunctionName: 'f' }, { kind: 'function', functionName: 'f' }],
      [{ FunctionName: 'f', Resource: 'f:live' }, { kind: 'qualified', functionName: 'f', resource: 'f:live' }],
      [{ FunctionName: 'f', Resource: 'f:live', ExecutedVersion: '4' }, { kind: 'qualified', functionName: 'f', resource: 'f:live', executedVersion: '4' }],
      [{ Resource: 'f:live' }, { kind: 'unpublished', dimensions: ['Resource'] }],
      [{ FunctionName: 'f', ExecutedVersion: '4' }, { kind: 'unpublished', dimensions: ['ExecutedVersion', 'FunctionName'] }],
    ])('reads the dimensions %j as %j', (dimensions, scope) => {
      expect(lambdaMetricScope(metric(dimensions))).toEqual(scope);
    });

    it('has nothing to say about other namespaces', () => {
      expect(lambdaMetricScope(metric({ FunctionName: 'f' }, 'Custom/Pricing'))).toBeUndefined();
    });
  });

  describe('errorAlarmProblems', () => {
    it.each<[string, Partial<MetricAlarm>]>([
      ['Sum >= 1 over one minute', {}],
      ['Sum > 0', { ComparisonOperator: 'GreaterThanThreshold', Threshold: 0 }],
      ['Sum >= 5 (five errors trip it)', { Threshold: 5 }],
      ['Maximum > 0', { Statistic: 'Maximum', ComparisonOperator: 'GreaterThanThreshold', Threshold: 0 }],
      ['Average >= 0.05 (an error rate)', { Statistic: 'Average', Threshold: 0.05 }],
      ['3 of 5 five-minute periods (15 minutes)', { Period: 300, EvaluationPeriods: 5, DatapointsToAlarm: 3 }],
      ['Unit Count', { Unit: 'Count' }],
      ['missing data as notBreaching', { TreatMissingData: 'notBreaching' }],
    ])('accepts %s', (_what, change) => {
      expect(problemsOf(alarm(change))).toEqual([]);
    });

    it.each<[string, Partial<MetricAlarm>, RegExp]>([
      ['Sum > 5 (five errors do not trip it)', { ComparisonOperator: 'GreaterThanThreshold', Threshold: 5 }, /5 errors in one period do not trip it/],
      ['Sum >= 0 (fires without errors)', { Threshold: 0 }, /it fires without any error/],
      ['Maximum >= 2', { Statistic: 'Maximum', Threshold: 2 }, /Maximum of Errors is at most 1/],
      ['Average > 0.5', { Statistic: 'Average', ComparisonOperator: 'GreaterThanThreshold', Threshold: 0.5 }, /error rate of 10 % does not trip it/],
      ['SampleCount', { Statistic: 'SampleCount' }, /counts invocations/],
      ['Minimum', { Statistic: 'Minimum' }, /every invocation in the period failed/],
      ['a percentile', { Statistic: undefined, ExtendedStatistic: 'p99' }, /statistic p99 does not count errors/],
      ['LessThanThreshold', { ComparisonOperator: 'LessThanThreshold' }, /rising errors never trip it/],
      ['a 10-minute period', { Period: 600 }, /period is 600 s/],
      ['4 of 4 five-minute periods (20 minutes)', { Period: 300, EvaluationPeriods: 4 }, /4 breaching period\(s\) of 300 s \(20 minutes\)/],
      ['missing data as breaching', { TreatMissingData: 'breaching' }, /fires whenever the function is idle/],
      ['Unit Seconds', { Unit: 'Seconds' }, /never gets data/],
    ])('rejects %s', (_what, change, problem) => {
      expect(problemsOf(alarm(change)).join('; ')).toMatch(problem);
    });

    it('judges a metric-math expression on direction, zero point and timing only', () => {
      const rate = alarm({
        MetricName: undefined,
        Statistic: undefined,
        Period: undefined,
        Threshold: 50,
        ComparisonOperator: 'GreaterThanThreshold',
        Metrics: [
          { Id: 'r', Expression: '100 * e / i', ReturnData: true },
          { Id: 'e', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: ALIAS }, Period: 60, Stat: 'Sum' }, ReturnData: false },
          { Id: 'i', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: ALIAS }, Period: 60, Stat: 'Sum' }, ReturnData: false },
        ],
      });
      expect(problemsOf(rate)).toEqual([]);
      expect(problemsOf({ ...rate, EvaluationPeriods: 20 })).toEqual([expect.stringMatching(/20 minutes/)]);
    });

    it('rejects an anomaly detection alarm', () => {
      const a = alarm({ MetricName: undefined, ThresholdMetricId: 'band', Metrics: [{ Id: 'e', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: ALIAS }, Period: 60, Stat: 'Sum' }, ReturnData: true }, { Id: 'band', Expression: 'ANOMALY_DETECTION_BAND(e, 2)', ReturnData: true }] });
      expect(problemsOf(a)).toEqual(['it compares with an anomaly detection band, not a static threshold']);
    });
  });
});
