import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, type GetMetricDataInput, type MetricAlarm, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { alarmSignal, alarmWindow, breaches, describeMetricAlarms, errorAlarmProblems, fromInsightsQuery, lambdaMetricScope, type WatchedMetric } from '../../../graders/lib/cloudwatch';
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

/** A metric-math alarm over the alias: `e` (Errors, Sum), `i` (Invocations, Sum), `t` (Throttles), `pct` = 100 * e / i. */
const mathAlarm = (expression: string, change: Partial<MetricAlarm> = {}): MetricAlarm => {
  const stat = (Id: string, MetricName: string): MetricDataQuery => ({ Id, MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName, Dimensions: ALIAS }, Period: 60, Stat: 'Sum' }, ReturnData: false });
  return alarm({
    MetricName: undefined,
    Namespace: undefined,
    Dimensions: undefined,
    Statistic: undefined,
    Period: undefined,
    Metrics: [{ Id: 'x1', Expression: expression, ReturnData: true }, { Id: 'pct', Expression: '100 * e / i', ReturnData: false }, { Id: 'loop', Expression: 'loop + 1', ReturnData: false }, stat('e', 'Errors'), stat('i', 'Invocations'), stat('t', 'Throttles')],
    ...change,
  });
};

const ALIAS_QUERY = `SELECT SUM(Errors) FROM SCHEMA("AWS/Lambda", FunctionName, Resource) WHERE Resource = 'pricing-service:live'`;

/** A Metrics Insights alarm as DescribeAlarms returns it: one query with its Period, > 0. */
const insightsAlarm = (query: string, change: Partial<MetricAlarm> = {}): MetricAlarm =>
  alarm({ MetricName: undefined, Namespace: undefined, Dimensions: undefined, Statistic: undefined, Period: undefined, Metrics: [{ Id: 'q1', Expression: query, Period: 60, ReturnData: true }], ComparisonOperator: 'GreaterThanThreshold', Threshold: 0, ...change });

const scopeOf = (query: string) => lambdaMetricScope(fromInsightsQuery(query, 60));

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

    it.each<[string, string, Partial<MetricAlarm>]>([
      ['an error rate in % above 5', '100 * e / i', { ComparisonOperator: 'GreaterThanThreshold', Threshold: 5 }],
      ['an error rate as a fraction at 10 % or more', 'e / i', { Threshold: 0.1 }],
      ['a success rate below 95 %', '100 - 100 * e / i', { ComparisonOperator: 'LessThanThreshold', Threshold: 95 }],
      ['a filled error count', 'FILL(e, 0)', { Threshold: 1 }],
      ['nested expressions', 'pct', { ComparisonOperator: 'GreaterThanThreshold', Threshold: 5 }],
      ['a power and a unary minus', '-(-e) ^ 1', { Threshold: 5 }],
    ])('accepts a metric-math alarm on %s', (_what, expression, change) => {
      expect(problemsOf(mathAlarm(expression, change))).toEqual([]);
    });

    it.each<[string, string, Partial<MetricAlarm>, RegExp]>([
      ['an error rate above 95 %', '100 * e / i', { ComparisonOperator: 'GreaterThanThreshold', Threshold: 95 }, /5 errors among 50 invocations in one period \(10 %\) give 100 \* e \/ i = 10, which is not > 95/],
      ['an error rate above 50 %', 'e / i', { ComparisonOperator: 'GreaterThanThreshold', Threshold: 0.5 }, /give e \/ i = 0.1, which is not > 0.5/],
      ['a success rate above 5 %', '100 - 100 * e / i', { ComparisonOperator: 'GreaterThanThreshold', Threshold: 5 }, /with no errors among 1 invocation\(s\) the expression 100 - 100 \* e \/ i gives 100, which is > 5: it fires without any error/],
      ['a function it does not evaluate', 'RATE(e)', { ComparisonOperator: 'GreaterThanThreshold', Threshold: 0 }, /cannot judge the expression RATE\(e\): it uses the function RATE/],
      ['a metric other than Errors and Invocations', 'e + t', { Threshold: 1 }, /it reads Throttles, which SkillProof cannot tie to the errors/],
      ['an id no query defines', 'e / x', { Threshold: 1 }, /refers to x, which is not one of the alarm's queries/],
      ['a comparison inside the expression', 'e > 0', { Threshold: 1 }, /cannot read "> 0"/],
      ['an expression that refers to itself', 'e + loop', { Threshold: 1 }, /refers to itself/],
      ['an anomaly-band operator', 'e', { ComparisonOperator: 'LessThanLowerOrGreaterThanUpperThreshold' }, /not a static threshold/],
      ['a 20-minute wait', '100 * e / i', { ComparisonOperator: 'GreaterThanThreshold', Threshold: 5, EvaluationPeriods: 20 }, /20 minutes/],
    ])('rejects a metric-math alarm on %s, saying why', (_what, expression, change, problem) => {
      expect(problemsOf(mathAlarm(expression, change)).join('; ')).toMatch(problem);
    });

    it('refuses an expression that divides the alias errors by the whole function\'s invocations', () => {
      const a = mathAlarm('100 * e / i', { ComparisonOperator: 'GreaterThanThreshold', Threshold: 5 });
      a.Metrics = a.Metrics!.map((q) => (q.Id === 'i' ? { ...q, MetricStat: { ...q.MetricStat!, Metric: { ...q.MetricStat!.Metric!, Dimensions: [ALIAS[0]!] } } } : q));
      expect(problemsOf(a).join('; ')).toMatch(/also reads Invocations of \{"FunctionName":"pricing-service"\}, not of the same series/);
    });

    it('judges a Metrics Insights alarm by its function like a statistic', () => {
      expect(problemsOf(insightsAlarm(ALIAS_QUERY))).toEqual([]);
      expect(problemsOf(insightsAlarm(ALIAS_QUERY.replace('SUM', 'MAX')))).toEqual([]);
      expect(problemsOf(insightsAlarm(ALIAS_QUERY.replace('SUM', 'COUNT'))).join('; ')).toMatch(/SampleCount counts invocations/);
      expect(problemsOf(insightsAlarm(ALIAS_QUERY, { Threshold: 5 })).join('; ')).toMatch(/5 errors in one period do not trip it \(Sum > 5\)/);
      expect(problemsOf(insightsAlarm(ALIAS_QUERY, { Metrics: [{ Id: 'q', Expression: ALIAS_QUERY, Period: 600, ReturnData: true }] })).join('; ')).toMatch(/period is 600 s/);
    });

    it('evaluates a Metrics Insights query used inside metric math', () => {
      const a = mathAlarm('100 * q / i', { ComparisonOperator: 'GreaterThanThreshold', Threshold: 5 });
      a.Metrics = [...a.Metrics!, { Id: 'q', Expression: ALIAS_QUERY, Period: 60, ReturnData: false }];
      expect(problemsOf(a)).toEqual([]);
    });

    it('rejects an anomaly detection alarm', () => {
      const a = alarm({ MetricName: undefined, ThresholdMetricId: 'band', Metrics: [{ Id: 'e', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: ALIAS }, Period: 60, Stat: 'Sum' }, ReturnData: true }, { Id: 'band', Expression: 'ANOMALY_DETECTION_BAND(e, 2)', ReturnData: true }] });
      expect(problemsOf(a)).toEqual(['it compares with an anomaly detection band, not a static threshold']);
    });
  });
  describe('Metrics Insights queries', () => {
    it('reads the function, metric, schema and equality filters of a query', () => {
      expect(fromInsightsQuery(ALIAS_QUERY, 60)).toEqual({
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensions: { Resource: 'pricing-service:live' },
        stat: 'Sum',
        period: 60,
        insights: { query: ALIAS_QUERY, schema: ['FunctionName', 'Resource'] },
      });
    });

    it('reads a Metrics Insights alarm as the query it returns', () => {
      expect(alarmSignal(insightsAlarm(ALIAS_QUERY)).compared).toMatchObject({ kind: 'metric', metric: { metricName: 'Errors', stat: 'Sum', insights: { query: ALIAS_QUERY } } });
    });

    it.each<[string, object]>([
      [ALIAS_QUERY, { kind: 'qualified', functionName: 'pricing-service', resource: 'pricing-service:live' }],
      [`select max("Errors") from schema("AWS/Lambda", "FunctionName", "Resource") where "FunctionName" = 'pricing-service' and Resource = 'pricing-service:live';`, { kind: 'qualified', functionName: 'pricing-service', resource: 'pricing-service:live' }],
      [`SELECT SUM(Errors) FROM "AWS/Lambda" WHERE Resource = 'pricing-service:live'`, { kind: 'qualified', functionName: 'pricing-service', resource: 'pricing-service:live' }],
      [`SELECT SUM(Errors) FROM SCHEMA("AWS/Lambda", ExecutedVersion, FunctionName, Resource) WHERE Resource = 'pricing-service:live'`, { kind: 'qualified', functionName: 'pricing-service', resource: 'pricing-service:live' }],
      [`SELECT SUM(Errors) FROM "AWS/Lambda" WHERE Resource = 'pricing-service:live' AND ExecutedVersion = '4'`, { kind: 'qualified', functionName: 'pricing-service', resource: 'pricing-service:live', executedVersion: '4' }],
      [`SELECT SUM(Errors) FROM "AWS/Lambda" WHERE FunctionName = 'pricing-service'`, { kind: 'function', functionName: 'pricing-service' }],
      [`SELECT SUM(Errors) FROM SCHEMA("AWS/Lambda", FunctionName, Resource) WHERE FunctionName = 'pricing-service'`, { kind: 'function', functionName: 'pricing-service' }],
      [`SELECT SUM(Errors) FROM "AWS/Lambda"`, { kind: 'account' }],
      [`SELECT SUM(Errors) FROM SCHEMA("AWS/Lambda", Resource) WHERE Resource = 'pricing-service:live'`, { kind: 'unpublished', dimensions: ['Resource'] }],
      [`SELECT SUM(Errors) FROM SCHEMA("AWS/Lambda", FunctionName) WHERE Resource = 'pricing-service:live'`, { kind: 'unpublished', dimensions: ['FunctionName', 'Resource'] }],
      [`SELECT SUM(Errors) FROM "AWS/Lambda" WHERE FunctionName = 'checkout' AND Resource = 'pricing-service:live'`, { kind: 'unpublished', dimensions: ['FunctionName', 'Resource'] }],
      [`SELECT SUM(Errors) FROM "AWS/Lambda" WHERE Resource = 'pricing-service:live' GROUP BY ExecutedVersion`, { kind: 'unreadable', reason: expect.stringMatching(/GROUP BY makes one series per group/) }],
      [`SELECT SUM(Errors) FROM "AWS/Lambda" WHERE Resource = 'pricing-service:live' OR Resource = 'pricing-service:2'`, { kind: 'unreadable', reason: expect.stringMatching(/only equality filters joined by AND/) }],
      [`SELECT SUM(Errors) FROM "AWS/Lambda" WHERE Resource != 'pricing-service:2'`, { kind: 'unreadable', reason: expect.stringMatching(/not "Resource != 'pricing-service:2'"/) }],
      [`SELECT MEDIAN(Errors) FROM "AWS/Lambda"`, { kind: 'unreadable', reason: 'MEDIAN is not a Metrics Insights function' }],
      ['SELECT nonsense', { kind: 'unreadable', reason: expect.stringMatching(/not a query of the form/) }],
    ])('reads %s as %j', (query, scope) => {
      expect(scopeOf(query)).toEqual(scope);
    });

    it('keeps a LIMIT or ORDER BY on a single-series query', () => {
      expect(scopeOf(`${ALIAS_QUERY} ORDER BY SUM() DESC LIMIT 1`)).toEqual({ kind: 'qualified', functionName: 'pricing-service', resource: 'pricing-service:live' });
    });
  });

  describe('alarmWindow', () => {
    const NOW = new Date('2026-01-15T10:00:00Z');
    const answering = (values: Array<[string, number]>, status: 'Complete' | 'InternalError' = 'Complete', asked: GetMetricDataInput[] = []) =>
      new FakeAccount().on(CloudWatchClient, GetMetricDataCommand, (input) => {
        asked.push(input);
        const returned = input.MetricDataQueries!.filter((q) => q.ReturnData);
        return { MetricDataResults: returned.map((q) => ({ Id: q.Id, Timestamps: values.map(([at]) => new Date(at)), Values: values.map(([, v]) => v), StatusCode: status })) };
      });

    it("reads a single-metric alarm's own metric, statistic and period over its evaluation periods plus one", async () => {
      const asked: GetMetricDataInput[] = [];
      const w = await inCheck(answering([['2026-01-15T09:59:00Z', 3]], 'Complete', asked), (ctx) => alarmWindow(ctx, alarm({ EvaluationPeriods: 2, DatapointsToAlarm: 1 }), NOW));
      expect(asked).toEqual([
        {
          MetricDataQueries: [{ Id: 'alarm', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: ALIAS }, Period: 60, Stat: 'Sum' }, ReturnData: true }],
          StartTime: new Date('2026-01-15T09:57:00Z'),
          EndTime: NOW,
          ScanBy: 'TimestampDescending',
        },
      ]);
      expect(w).toEqual({ from: new Date('2026-01-15T09:57:00Z'), datapoints: [{ at: new Date('2026-01-15T09:59:00Z'), value: 3, breaching: true }], stillBreaching: true });
    });

    it('is not still breaching with no data, or with fewer breaching points than DatapointsToAlarm', async () => {
      expect((await inCheck(answering([]), (ctx) => alarmWindow(ctx, alarm(), NOW))).stillBreaching).toBe(false);
      const twoOfThree = alarm({ EvaluationPeriods: 3, DatapointsToAlarm: 2 });
      expect((await inCheck(answering([['2026-01-15T09:59:00Z', 0], ['2026-01-15T09:58:00Z', 1]]), (ctx) => alarmWindow(ctx, twoOfThree, NOW))).stillBreaching).toBe(false);
      expect((await inCheck(answering([['2026-01-15T09:59:00Z', 2], ['2026-01-15T09:58:00Z', 1]]), (ctx) => alarmWindow(ctx, twoOfThree, NOW))).stillBreaching).toBe(true);
    });

    it("sends a metric-math alarm's queries as they are, returning only the one the alarm compares", async () => {
      const asked: GetMetricDataInput[] = [];
      await inCheck(answering([], 'Complete', asked), (ctx) => alarmWindow(ctx, mathAlarm('100 * e / i'), NOW));
      expect(asked[0]!.MetricDataQueries!.filter((q) => q.ReturnData).map((q) => q.Id)).toEqual(['x1']);
      expect(asked[0]!.MetricDataQueries).toHaveLength(6);
    });

    it('throws when CloudWatch could not return the data, so the check is ERROR', async () => {
      await expect(inCheck(answering([], 'InternalError'), (ctx) => alarmWindow(ctx, alarm(), NOW))).rejects.toThrow(/could not read the data of alarm live-errors \(InternalError\)/);
    });
  });

  it('compares a value with any static threshold operator', () => {
    expect(breaches(alarm({ ComparisonOperator: 'LessThanThreshold', Threshold: 95 }), 90)).toBe(true);
    expect(breaches(alarm({ ComparisonOperator: 'LessThanOrEqualToThreshold', Threshold: 95 }), 96)).toBe(false);
    expect(breaches(alarm({ ComparisonOperator: 'LessThanLowerOrGreaterThanUpperThreshold' }), 1)).toBeUndefined();
  });
});
