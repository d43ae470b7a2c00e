/** CloudWatch alarms: finding them, what they watch, and whether an error alarm would do its job. */
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, type Dimension, type MetricAlarm, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
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
  /**
   * Set when the metric is a Metrics Insights query: `dimensions` then holds its WHERE equality
   * filters, `schema` the dimension keys SCHEMA(...) restricts it to (undefined: FROM a bare
   * namespace, any keys), and `unreadable` why SkillProof cannot tell which series it reads.
   */
  insights?: { query: string; schema?: string[]; unreadable?: string };
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
  if (q.Expression && isInsightsQuery(q.Expression)) return fromInsightsQuery(q.Expression, q.Period);
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
      if (q.Expression && !isInsightsQuery(q.Expression)) pending.push(q.Expression);
    }
  }
  return [...seen].map((id) => byId.get(id)!).filter((q) => q.MetricStat || (q.Expression && isInsightsQuery(q.Expression)));
}

/** A Metrics Insights query (SQL), as opposed to a metric-math expression. */
export function isInsightsQuery(expression: string): boolean {
  return /^\s*SELECT\s/i.test(expression);
}

const INSIGHTS_STAT: Record<string, string> = { AVG: 'Average', COUNT: 'SampleCount', MAX: 'Maximum', MIN: 'Minimum', SUM: 'Sum' };
const unquote = (name: string) => name.replace(/^"(.*)"$/, '$1');

/**
 * Reads a Metrics Insights query of the form an alarm takes (CloudWatch User Guide, "Metrics Insights
 * query components and syntax"): `SELECT FUNCTION(metric) FROM SCHEMA("namespace", key, …) | "namespace"
 * [WHERE key = 'value' [AND …]]`. Anything this cannot follow (OR, !=, LIKE, IN, tag filters, GROUP BY,
 * which splits the result into several series) is kept with the reason, so a check can say why.
 */
export function fromInsightsQuery(query: string, period?: number): WatchedMetric {
  const base = { ...(period !== undefined ? { period } : {}) };
  const m = /^\s*SELECT\s+(\w+)\s*\(\s*("[^"]+"|[\w.-]+)\s*\)\s+FROM\s+(SCHEMA\s*\(([^)]*)\)|"[^"]+"|[\w/.-]+)(.*)$/is.exec(query);
  if (!m) return { ...base, namespace: '', metricName: '', dimensions: {}, insights: { query, unreadable: 'it is not a query of the form SELECT FUNCTION(metric) FROM namespace WHERE …' } };
  const [, fn, metric, from, schemaArgs, rest] = m as unknown as [string, string, string, string, string | undefined, string];
  const schemaParts = schemaArgs?.split(',').map((part) => unquote(part.trim())) ?? [];
  const namespace = schemaArgs !== undefined ? (schemaParts[0] ?? '') : unquote(from);
  const schema = schemaArgs !== undefined ? schemaParts.slice(1).filter((k) => k.length > 0) : undefined;
  const stat = INSIGHTS_STAT[fn.toUpperCase()];
  const metricName = unquote(metric);
  const unreadable = (why: string): WatchedMetric => ({ ...base, namespace, metricName, dimensions: {}, ...(stat ? { stat } : {}), insights: { query, ...(schema ? { schema } : {}), unreadable: why } });
  if (!stat) return unreadable(`${fn} is not a Metrics Insights function`);
  const clauses = /^\s*(?:WHERE\s+(.*?))?\s*((?:GROUP\s+BY|ORDER\s+BY|LIMIT)\b.*)?\s*;?\s*$/is.exec(rest);
  if (!clauses) return unreadable(`SkillProof cannot read "${rest.trim()}"`);
  const [, where, tail] = clauses;
  if (tail && /^GROUP\s+BY/i.test(tail.trim())) return unreadable('its GROUP BY makes one series per group, and SkillProof judges single-series queries only: filter on the alias with WHERE instead');
  const dimensions: Record<string, string> = {};
  for (const condition of where ? where.split(/\s+AND\s+/i) : []) {
    const c = /^\s*("[^"]+"|[\w-]+)\s*=\s*'((?:[^']|'')*)'\s*$/.exec(condition);
    if (!c) return unreadable(`SkillProof reads only equality filters joined by AND, not "${condition.trim()}"`);
    dimensions[unquote(c[1]!)] = c[2]!.replace(/''/g, "'");
  }
  return { ...base, namespace, metricName, dimensions, stat, insights: { query, ...(schema ? { schema } : {}) } };
}

/** The query whose result a metric-math alarm compares with its threshold. */
function returnedQuery(queries: MetricDataQuery[]): MetricDataQuery | undefined {
  return queries.find((q) => q.ReturnData === true) ?? (queries.filter((q) => q.ReturnData !== false).length === 1 ? queries.find((q) => q.ReturnData !== false) : undefined);
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
  const returned = returnedQuery(queries);
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
  | { kind: 'unpublished'; dimensions: string[] }
  | { kind: 'unreadable'; reason: string };

/** The dimension combinations Lambda publishes function metrics for. */
const LAMBDA_COMBINATIONS = [[], ['FunctionName'], ['FunctionName', 'Resource'], ['ExecutedVersion', 'FunctionName', 'Resource']];

/** The scope of a metric in the AWS/Lambda namespace; undefined for other namespaces. */
export function lambdaMetricScope(metric: WatchedMetric): LambdaMetricScope | undefined {
  if (metric.insights?.unreadable) return { kind: 'unreadable', reason: metric.insights.unreadable };
  if (metric.namespace !== 'AWS/Lambda') return undefined;
  if (metric.insights) return insightsScope(metric.dimensions, metric.insights.schema);
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

/**
 * What a Metrics Insights query over AWS/Lambda aggregates: every published series whose keys match
 * its SCHEMA (exactly) and which has the keys and values of its WHERE filters. A query over the alias's
 * series, with or without the per-version shares of it (ExecutedVersion), reads the alias's errors.
 */
function insightsScope(where: Record<string, string>, schema: string[] | undefined): LambdaMetricScope {
  const keys = Object.keys(where);
  const wanted = schema ? [...schema].sort().join(',') : undefined;
  if (wanted !== undefined && !LAMBDA_COMBINATIONS.some((c) => c.join(',') === wanted)) return { kind: 'unpublished', dimensions: [...schema!].sort() };
  const matching = LAMBDA_COMBINATIONS.filter((c) => (wanted === undefined || c.join(',') === wanted) && keys.every((k) => c.includes(k)));
  if (matching.length === 0) return { kind: 'unpublished', dimensions: [...new Set([...(schema ?? []), ...keys])].sort() };
  const resource = where.Resource;
  const functionName = where.FunctionName ?? resource?.split(':')[0];
  if (resource !== undefined && where.FunctionName !== undefined && resource.split(':')[0] !== where.FunctionName) return { kind: 'unpublished', dimensions: keys.sort() };
  if (functionName === undefined || matching.some((c) => c.length === 0)) return { kind: 'account' };
  if (resource === undefined || matching.some((c) => c.length === 1)) return { kind: 'function', functionName };
  return { kind: 'qualified', functionName, resource, ...(where.ExecutedVersion !== undefined ? { executedVersion: where.ExecutedVersion } : {}) };
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

/** The comparison operators of a static threshold, as the value they compare and the symbol people read. */
const STATIC_COMPARISONS: Record<string, { symbol: string; trips: (value: number, threshold: number) => boolean }> = {
  GreaterThanThreshold: { symbol: '>', trips: (v, t) => v > t },
  GreaterThanOrEqualToThreshold: { symbol: '>=', trips: (v, t) => v >= t },
  LessThanThreshold: { symbol: '<', trips: (v, t) => v < t },
  LessThanOrEqualToThreshold: { symbol: '<=', trips: (v, t) => v <= t },
};

/** Whether a value breaches an alarm's static threshold; undefined for other operators or no threshold. */
export function breaches(alarm: MetricAlarm, value: number): boolean | undefined {
  const c = STATIC_COMPARISONS[alarm.ComparisonOperator ?? ''];
  if (!c || alarm.Threshold === undefined) return undefined;
  return c.trips(value, alarm.Threshold);
}

/** The period an alarm evaluates, in seconds: its own, or the longest of the metrics it reads. */
export function alarmPeriod(alarm: MetricAlarm, signal: AlarmSignal = alarmSignal(alarm)): number | undefined {
  if (alarm.Period !== undefined) return alarm.Period;
  const periods = signal.inputs.map((m) => m.period).filter((p): p is number => p !== undefined);
  return periods.length > 0 ? Math.max(...periods) : undefined;
}

/**
 * Why an alarm on an error metric whose data points are 0 or 1 per invocation (Lambda's Errors) would
 * not do its job — fire within minutes once errors occur, and stay quiet while there are none. Empty
 * when it would. Whatever the alarm computes (one statistic, metric math, a Metrics Insights query),
 * it must breach in a period in which callers see `limits.errorsThatMustTrip` errors at an error rate of
 * `limits.errorRateThatMustTrip`, and must not breach in a period without errors, however busy.
 */
export function errorAlarmProblems(alarm: MetricAlarm, signal: AlarmSignal, errors: WatchedMetric, limits: ErrorAlarmLimits = ERROR_ALARM_LIMITS): string[] {
  if (signal.compared.kind === 'anomaly-band') return ['it compares with an anomaly detection band, not a static threshold'];
  const problems: string[] = [];
  const op = alarm.ComparisonOperator ?? '';
  const t = alarm.Threshold;
  const comparison = STATIC_COMPARISONS[op];
  if (signal.compared.kind === 'expression') {
    if (!comparison) problems.push(`it compares with ${op || 'no operator'}, not a static threshold`);
    else if (t === undefined) problems.push('it has no threshold');
    else problems.push(...expressionProblems(alarm.Metrics ?? [], signal.compared.expression, errors, (v) => comparison.trips(v, t), `${comparison.symbol} ${t}`, limits));
  } else if (op !== 'GreaterThanThreshold' && op !== 'GreaterThanOrEqualToThreshold') {
    problems.push(`it fires when the value is ${op || 'compared'} the threshold, so rising errors never trip it`);
  } else if (t === undefined) {
    problems.push('it has no threshold');
  } else {
    const trips = (value: number) => comparison!.trips(value, t);
    const symbol = comparison!.symbol;
    if (trips(0)) problems.push(`with no errors the value is 0, and 0 ${symbol} ${t}: it fires without any error`);
    else problems.push(...sensitivityProblems(errors, trips, `${symbol} ${t}`, limits));
  }
  const period = signal.compared.kind === 'expression' ? alarmPeriod(alarm, signal) : (errors.period ?? alarm.Period);
  if (period !== undefined && period > limits.maxPeriodSeconds) problems.push(`its period is ${period} s; errors must be counted over at most ${limits.maxPeriodSeconds} s`);
  const datapoints = alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods ?? 1;
  if (period !== undefined && period * datapoints > limits.maxSecondsToAlarm) {
    problems.push(`it needs ${datapoints} breaching period(s) of ${period} s (${(period * datapoints) / 60} minutes) before it fires; at most ${limits.maxSecondsToAlarm / 60} minutes`);
  }
  if (alarm.TreatMissingData === 'breaching') problems.push('it treats missing data as breaching, and Lambda sends no Errors data without invocations: it fires whenever the function is idle');
  return problems;
}

/** One period of traffic on the series the errors are counted on. */
interface Traffic {
  errors: number;
  invocations: number;
}

/** Thrown while evaluating an expression SkillProof cannot judge; the message says why. */
class Unjudgeable extends Error {}

/**
 * The value a Lambda metric takes in one period of `traffic`: Errors reports 0 or 1 per invocation,
 * Invocations 1 per invocation (Lambda developer guide, "Types of metrics for Lambda functions").
 */
function lambdaStatistic(metric: WatchedMetric, traffic: Traffic): number {
  const { errors: e, invocations: n } = traffic;
  const byStat: Record<string, Record<string, number>> = {
    Errors: { Sum: e, Average: e / n, Maximum: e > 0 ? 1 : 0, Minimum: e === n ? 1 : 0, SampleCount: n },
    Invocations: { Sum: n, SampleCount: n, Average: 1, Maximum: 1, Minimum: 1 },
  };
  const value = byStat[metric.metricName]?.[metric.stat ?? ''];
  if (value === undefined) {
    throw new Unjudgeable(
      byStat[metric.metricName]
        ? `it reads ${metric.metricName} with the statistic ${metric.stat ?? '(none)'}, which SkillProof does not evaluate; use Sum, Average, Maximum, Minimum or SampleCount`
        : `it reads ${metric.metricName}, which SkillProof cannot tie to the errors callers see; build the expression from Errors and Invocations`,
    );
  }
  return value;
}

const TOKEN = /\s*(?:(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|([-+*/^(),]))/y;

/**
 * Evaluates a metric-math expression for one period of traffic: numbers, + - * / ^, parentheses, the
 * ids of the alarm's other queries, FILL (data is present, so it is its first argument) and ABS.
 * Anything else throws Unjudgeable with the reason.
 */
function evaluateExpression(expression: string, queries: Map<string, MetricDataQuery>, valueOf: (q: MetricDataQuery) => number, seen: Set<string> = new Set()): number {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.length) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(expression);
    if (!m) {
      if (expression.slice(start).trim() === '') break;
      throw new Unjudgeable(`SkillProof cannot read "${expression.slice(start).trim().slice(0, 40)}" in the expression ${expression}; use arithmetic on Errors and Invocations`);
    }
    tokens.push(m[1] ?? m[2] ?? m[3]!);
  }
  let i = 0;
  const peek = () => tokens[i];
  const take = (want?: string) => {
    const token = tokens[i++];
    if (token === undefined || (want !== undefined && token !== want)) throw new Unjudgeable(`the expression ${expression} is not complete arithmetic SkillProof can read`);
    return token;
  };
  const sum = (): number => {
    let v = product();
    while (peek() === '+' || peek() === '-') v = take() === '+' ? v + product() : v - product();
    return v;
  };
  const product = (): number => {
    let v = unary();
    while (peek() === '*' || peek() === '/') v = take() === '*' ? v * unary() : v / unary();
    return v;
  };
  const unary = (): number => {
    if (peek() !== '-') return power();
    take('-');
    return -unary();
  };
  const power = (): number => {
    const base = primary();
    if (peek() !== '^') return base;
    take('^');
    return base ** unary();
  };
  const primary = (): number => {
    const token = take();
    if (token === '(') {
      const v = sum();
      take(')');
      return v;
    }
    if (/^\d/.test(token)) return Number(token);
    if (!/^[A-Za-z_]/.test(token)) throw new Unjudgeable(`the expression ${expression} is not complete arithmetic SkillProof can read`);
    if (peek() === '(') {
      take('(');
      const args = [sum()];
      while (peek() === ',') {
        take(',');
        args.push(sum());
      }
      take(')');
      if (token === 'FILL') return args[0]!;
      if (token === 'ABS' && args.length === 1) return Math.abs(args[0]!);
      throw new Unjudgeable(`it uses the function ${token}, which SkillProof does not evaluate; use arithmetic on Errors and Invocations (FILL and ABS are fine)`);
    }
    const q = queries.get(token);
    if (!q) throw new Unjudgeable(`the expression ${expression} refers to ${token}, which is not one of the alarm's queries`);
    if (q.Expression && !isInsightsQuery(q.Expression)) {
      if (seen.has(token)) throw new Unjudgeable(`the expression ${token} refers to itself`);
      return evaluateExpression(q.Expression, queries, valueOf, new Set([...seen, token]));
    }
    return valueOf(q);
  };
  const value = sum();
  if (i !== tokens.length) throw new Unjudgeable(`the expression ${expression} is not complete arithmetic SkillProof can read`);
  return value;
}

/**
 * Judges a metric-math alarm on what it computes: its value in a period with no errors (at 1, 50 and
 * 10,000 invocations) must not breach, and with the errors that must trip an error alarm it must. Every
 * metric it reads must count the same series as the errors (the alias, or the release's share of it).
 */
function expressionProblems(queryList: MetricDataQuery[], expression: string, errors: WatchedMetric, trips: (value: number) => boolean, comparison: string, limits: ErrorAlarmLimits): string[] {
  const queries = new Map(queryList.filter((q) => q.Id).map((q) => [q.Id!, q]));
  const errorsScope = JSON.stringify(lambdaMetricScope(errors));
  const at = (traffic: Traffic): number | undefined => {
    const value = evaluateExpression(expression, queries, (q) => {
      const metric = fromQuery(q);
      if (!metric) throw new Unjudgeable(`query ${q.Id} reads no metric SkillProof can follow`);
      if (JSON.stringify(lambdaMetricScope(metric)) !== errorsScope) {
        throw new Unjudgeable(`it also reads ${metric.metricName} of ${JSON.stringify(metric.dimensions)}, not of the same series as the errors it watches, so its value depends on other traffic`);
      }
      return lambdaStatistic(metric, traffic);
    });
    return Number.isFinite(value) ? value : undefined;
  };
  const trip: Traffic = { errors: limits.errorsThatMustTrip, invocations: Math.round(limits.errorsThatMustTrip / limits.errorRateThatMustTrip) };
  try {
    const problems: string[] = [];
    for (const invocations of [1, 50, 10_000]) {
      const quiet = at({ errors: 0, invocations });
      if (quiet !== undefined && trips(quiet)) {
        problems.push(`with no errors among ${invocations} invocation(s) the expression ${expression} gives ${quiet}, which is ${comparison}: it fires without any error`);
        break;
      }
    }
    const loud = at(trip);
    if (loud === undefined || !trips(loud)) {
      problems.push(`${trip.errors} errors among ${trip.invocations} invocations in one period (${limits.errorRateThatMustTrip * 100} %) give ${expression} = ${loud ?? 'no value'}, which is not ${comparison}: it does not fire on them`);
    }
    return problems;
  } catch (e) {
    if (e instanceof Unjudgeable) return [`SkillProof cannot judge the expression ${expression}: ${e.message}`];
    throw e;
  }
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

/** One data point of what an alarm compares with its threshold. */
export interface AlarmDatapoint {
  at: Date;
  value: number;
  breaching: boolean;
}

export interface AlarmWindow {
  /** From this time to `now`: the alarm's evaluation periods, plus one for data that arrives late. */
  from: Date;
  datapoints: AlarmDatapoint[];
  /** Whether the window holds DatapointsToAlarm breaching data points: the alarm's own rule says ALARM now. */
  stillBreaching: boolean;
}

/**
 * What an alarm compares with its threshold over its evaluation window ending at `now`, read with
 * GetMetricData using the alarm's own metric, statistic and period (or its metric-math and Metrics
 * Insights queries as they are). This tells an alarm that is firing on current data from one that
 * only holds an old state (TreatMissingData `ignore` keeps the last state while no data arrives).
 * A result that is not Complete throws: SkillProof could not read the data.
 */
export async function alarmWindow(ctx: CheckContext, alarm: MetricAlarm, now: Date): Promise<AlarmWindow> {
  const period = alarmPeriod(alarm) ?? 60;
  const evaluationPeriods = alarm.EvaluationPeriods ?? 1;
  const from = new Date(now.getTime() - (evaluationPeriods + 1) * period * 1000);
  const returned = alarm.MetricName ? 'alarm' : returnedQuery(alarm.Metrics ?? [])?.Id;
  if (!returned) throw new Error(`alarm ${alarm.AlarmName} has no query marked ReturnData, so SkillProof cannot read what it compares`);
  const queries: MetricDataQuery[] = alarm.MetricName
    ? [
        {
          Id: 'alarm',
          MetricStat: {
            Metric: { Namespace: alarm.Namespace, MetricName: alarm.MetricName, Dimensions: alarm.Dimensions ?? [] },
            Period: period,
            Stat: alarm.Statistic ?? alarm.ExtendedStatistic,
            ...(alarm.Unit ? { Unit: alarm.Unit } : {}),
          },
          ReturnData: true,
        },
      ]
    : (alarm.Metrics ?? []).map((q) => ({ ...q, ReturnData: q.Id === returned }));
  const cw = ctx.client(CloudWatchClient);
  const points: Array<{ at: Date; value: number }> = [];
  let NextToken: string | undefined;
  do {
    const page = await cw.send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: from, EndTime: now, ScanBy: 'TimestampDescending', ...(NextToken ? { NextToken } : {}) }));
    const result = page.MetricDataResults?.find((r) => r.Id === returned);
    if (!result) throw new Error(`GetMetricData returned no result for query ${returned} of alarm ${alarm.AlarmName}`);
    if (result.StatusCode !== 'Complete' && !(result.StatusCode === 'PartialData' && page.NextToken)) {
      throw new Error(`GetMetricData could not read the data of alarm ${alarm.AlarmName} (${result.StatusCode ?? 'no status'}${result.Messages?.length ? `: ${result.Messages.map((m) => m.Value).join('; ')}` : ''})`);
    }
    (result.Timestamps ?? []).forEach((at, i) => points.push({ at, value: result.Values?.[i] ?? Number.NaN }));
    NextToken = page.NextToken;
  } while (NextToken);
  const datapoints = points.filter((p) => Number.isFinite(p.value)).map((p) => ({ ...p, breaching: breaches(alarm, p.value) ?? false }));
  const needed = alarm.DatapointsToAlarm ?? evaluationPeriods;
  return { from, datapoints, stillBreaching: datapoints.filter((p) => p.breaching).length >= needed };
}
