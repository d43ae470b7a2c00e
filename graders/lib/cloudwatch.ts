/** CloudWatch alarms: finding them, what they watch, and whether an error alarm would do its job. */
import { CloudWatchClient, DescribeAlarmsCommand, type Dimension, type MetricAlarm, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { CheckContext } from '../../src/model/grader';
import { allPages } from './aws-calls';

/** Every metric alarm in the region (composite alarms watch other alarms, not metrics). */
export function describeMetricAlarms(ctx: CheckContext): Promise<MetricAlarm[]> {
  const cw = ctx.client(CloudWatchClient);
  return allPages(
    (NextToken) => cw.send(new DescribeAlarmsCommand({ AlarmTypes: ['MetricAlarm'], MaxRecords: 100, ...(NextToken ? { NextToken } : {}) })),
    (page) => page.MetricAlarms,
    (page) => page.NextToken,
  );
}

/** One metric an alarm reads, with the statistic and period it reads it with. */
export interface WatchedMetric {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  stat?: string;
  period?: number;
  unit?: string;
}

/** What an alarm compares with its threshold, and the metrics that value is computed from. */
export interface AlarmSignal {
  compared: { kind: 'metric'; metric: WatchedMetric } | { kind: 'expression'; expression: string } | { kind: 'anomaly-band' };
  inputs: WatchedMetric[];
}

export function dimensionMap(dimensions: Dimension[] | undefined): Record<string, string> {
  return Object.fromEntries((dimensions ?? []).map((d) => [d.Name ?? '', d.Value ?? '']));
}

function fromQuery(q: MetricDataQuery): WatchedMetric | undefined {
  const s = q.MetricStat;
  if (!s?.Metric?.MetricName) return undefined;
  return {
    namespace: s.Metric.Namespace ?? '',
    metricName: s.Metric.MetricName,
    dimensions: dimensionMap(s.Metric.Dimensions),
    ...(s.Stat ? { stat: s.Stat } : {}),
    ...(s.Period !== undefined ? { period: s.Period } : {}),
    ...(s.Unit ? { unit: s.Unit } : {}),
  };
}

/** The metric queries an expression reads, following expressions that read other expressions. */
function queriesReadBy(expression: string, queries: MetricDataQuery[]): MetricDataQuery[] {
  const byId = new Map(queries.filter((q) => q.Id).map((q) => [q.Id!, q]));
  const seen = new Set<string>();
  const pending = [expression];
  while (pending.length > 0) {
    for (const token of pending.pop()!.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) {
      const q = byId.get(token);
      if (!q || seen.has(token)) continue;
      seen.add(token);
      if (q.Expression) pending.push(q.Expression);
    }
  }
  return [...seen].map((id) => byId.get(id)!).filter((q) => q.MetricStat);
}

/** Reads a single-metric alarm, a metric-math alarm or an anomaly detection alarm into one shape. */
export function alarmSignal(alarm: MetricAlarm): AlarmSignal {
  if (alarm.MetricName) {
    const metric: WatchedMetric = {
      namespace: alarm.Namespace ?? '',
      metricName: alarm.MetricName,
      dimensions: dimensionMap(alarm.Dimensions),
      ...((alarm.Statistic ?? alarm.ExtendedStatistic) ? { stat: alarm.Statistic ?? alarm.ExtendedStatistic } : {}),
      ...(alarm.Period !== undefined ? { period: alarm.Period } : {}),
      ...(alarm.Unit ? { unit: alarm.Unit } : {}),
    };
    return { compared: { kind: 'metric', metric }, inputs: [metric] };
  }
  const queries = alarm.Metrics ?? [];
  const allInputs = queries.map(fromQuery).filter((m): m is WatchedMetric => m !== undefined);
  if (alarm.ThresholdMetricId) return { compared: { kind: 'anomaly-band' }, inputs: allInputs };
  const returned = queries.find((q) => q.ReturnData === true) ?? (queries.filter((q) => q.ReturnData !== false).length === 1 ? queries.find((q) => q.ReturnData !== false) : undefined);
  if (!returned) return { compared: { kind: 'expression', expression: '' }, inputs: [] };
  const direct = fromQuery(returned);
  if (direct) return { compared: { kind: 'metric', metric: direct }, inputs: [direct] };
  const expression = returned.Expression ?? '';
  return { compared: { kind: 'expression', expression }, inputs: queriesReadBy(expression, queries).map(fromQuery).filter((m): m is WatchedMetric => m !== undefined) };
}

/**
 * What an AWS/Lambda metric is about, from its dimensions. Lambda publishes function metrics such as
 * Errors for these combinations only: none (the account), FunctionName (every version and alias),
 * FunctionName + Resource (one version or alias, `name:qualifier`), and FunctionName + Resource +
 * ExecutedVersion (the invocations of an alias that one of its versions served). An alarm on any
 * other combination never receives data.
 */
export type LambdaMetricScope =
  | { kind: 'account' }
  | { kind: 'function'; functionName: string }
  | { kind: 'qualified'; functionName: string; resource: string; executedVersion?: string }
  | { kind: 'unpublished'; dimensions: string[] };

/** The scope of a metric in the AWS/Lambda namespace; undefined for other namespaces. */
export function lambdaMetricScope(metric: WatchedMetric): LambdaMetricScope | undefined {
  if (metric.namespace !== 'AWS/Lambda') return undefined;
  const d = metric.dimensions;
  const keys = Object.keys(d).sort().join(',');
  switch (keys) {
    case '':
      return { kind: 'account' };
    case 'FunctionName':
      return { kind: 'function', functionName: d.FunctionName! };
    case 'FunctionName,Resource':
      return { kind: 'qualified', functionName: d.FunctionName!, resource: d.Resource! };
    case 'ExecutedVersion,FunctionName,Resource':
      return { kind: 'qualified', functionName: d.FunctionName!, resource: d.Resource!, executedVersion: d.ExecutedVersion! };
    default:
      return { kind: 'unpublished', dimensions: Object.keys(d).sort() };
  }
}

/** How soon and how easily an error alarm must fire. */
export interface ErrorAlarmLimits {
  /** Longest period of the error metric, in seconds. */
  maxPeriodSeconds: number;
  /** Longest run of breaching periods (period × datapoints to alarm) before it fires, in seconds. */
  maxSecondsToAlarm: number;
  /** With the Sum statistic: this many errors in one period must trip it. */
  errorsThatMustTrip: number;
  /** With the Average statistic (the error rate, 0..1): this rate in one period must trip it. */
  errorRateThatMustTrip: number;
}

export const ERROR_ALARM_LIMITS: ErrorAlarmLimits = { maxPeriodSeconds: 300, maxSecondsToAlarm: 900, errorsThatMustTrip: 5, errorRateThatMustTrip: 0.1 };

const STATISTIC_MISUSE: Record<string, string> = {
  SampleCount: 'SampleCount counts invocations (every invocation reports Errors as 0 or 1), not errors',
  Minimum: 'Minimum is 1 only when every invocation in the period failed',
};

/**
 * Why an alarm on an error metric whose data points are 0 or 1 per invocation (Lambda's Errors) would
 * not do its job — fire within minutes once errors occur, and stay quiet while there are none. Empty
 * when it would. A metric-math expression is judged on its direction, timing and zero point only:
 * what its threshold means depends on the expression.
 */
export function errorAlarmProblems(alarm: MetricAlarm, signal: AlarmSignal, errors: WatchedMetric, limits: ErrorAlarmLimits = ERROR_ALARM_LIMITS): string[] {
  if (signal.compared.kind === 'anomaly-band') return ['it compares with an anomaly detection band, not a static threshold'];
  const problems: string[] = [];
  const op = alarm.ComparisonOperator ?? '';
  const t = alarm.Threshold;
  if (op !== 'GreaterThanThreshold' && op !== 'GreaterThanOrEqualToThreshold') {
    problems.push(`it fires when the value is ${op || 'compared'} the threshold, so rising errors never trip it`);
  } else if (t === undefined) {
    problems.push('it has no threshold');
  } else {
    const trips = (value: number) => (op === 'GreaterThanThreshold' ? value > t : value >= t);
    const symbol = op === 'GreaterThanThreshold' ? '>' : '>=';
    if (trips(0)) problems.push(`with no errors the value is 0, and 0 ${symbol} ${t}: it fires without any error`);
    else if (signal.compared.kind === 'metric') problems.push(...sensitivityProblems(errors, trips, `${symbol} ${t}`, limits));
  }
  const period = errors.period ?? alarm.Period;
  if (period !== undefined && period > limits.maxPeriodSeconds) problems.push(`its period is ${period} s; errors must be counted over at most ${limits.maxPeriodSeconds} s`);
  const datapoints = alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods ?? 1;
  if (period !== undefined && period * datapoints > limits.maxSecondsToAlarm) {
    problems.push(`it needs ${datapoints} breaching period(s) of ${period} s (${(period * datapoints) / 60} minutes) before it fires; at most ${limits.maxSecondsToAlarm / 60} minutes`);
  }
  if (alarm.TreatMissingData === 'breaching') problems.push('it treats missing data as breaching, and Lambda sends no Errors data without invocations: it fires whenever the function is idle');
  return problems;
}

function sensitivityProblems(errors: WatchedMetric, trips: (value: number) => boolean, comparison: string, limits: ErrorAlarmLimits): string[] {
  if (errors.unit && errors.unit !== 'Count') return [`its unit is ${errors.unit}, but Errors is reported in Count: the alarm never gets data`];
  const stat = errors.stat ?? '';
  switch (stat) {
    case 'Sum':
      return trips(limits.errorsThatMustTrip) ? [] : [`${limits.errorsThatMustTrip} errors in one period do not trip it (Sum ${comparison})`];
    case 'Maximum':
      return trips(1) ? [] : [`the Maximum of Errors is at most 1, so Maximum ${comparison} never trips`];
    case 'Average':
      return trips(limits.errorRateThatMustTrip) ? [] : [`an error rate of ${limits.errorRateThatMustTrip * 100} % does not trip it (Average ${comparison})`];
    default:
      return [`${STATISTIC_MISUSE[stat] ?? `the statistic ${stat || '(none)'} does not count errors`}; use Sum, Maximum or Average`];
  }
}
