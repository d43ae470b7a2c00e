import type { AliasConfiguration, FunctionConfiguration } from '@aws-sdk/client-lambda';
import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { defineGrader, error, fail, pass, type CheckContext } from '../../src';
import { alarmSignal, alarmWindow, describeMetricAlarms, ERROR_ALARM_LIMITS, errorAlarmProblems, lambdaMetricScope, type AlarmSignal, type WatchedMetric } from '../lib/cloudwatch';
import { describeLogGroup } from '../lib/cloudwatch-logs';
import { getFunctionConfiguration } from '../lib/lambda';
import {
  accountConcurrency,
  aliasRouting,
  describeFunctionError,
  getAlias,
  invokeQualifier,
  isPublishedVersion,
  LAMBDA_UNRESERVED_FLOOR,
  listPublishedVersions,
  loggingOf,
  qualifiedArn,
  reservedConcurrency,
  routedVersions,
  type AliasRouting,
  type Invocation,
} from '../lib/lambda-versions';

const FUNCTION_NAME = 'pricing-service';
const ALIAS_NAME = 'live';
/** The alias as Lambda names it in the Resource dimension of its metrics. */
const ALIAS_RESOURCE = `${FUNCTION_NAME}:${ALIAS_NAME}`;
/** How many times the probe invokes the alias (then each version it routes to, once). */
const ALIAS_INVOCATIONS = 6;

const functionArn = (ctx: CheckContext) => `arn:aws:lambda:${ctx.region}:${ctx.accountId}:function:${FUNCTION_NAME}`;
const percent = (weight: number) => `${Number((weight * 100).toFixed(2))} %`;

interface LiveAlias {
  alias: AliasConfiguration;
  aliasArn: string;
  routing: AliasRouting;
  /** The versions live sends traffic to, its primary version first. */
  versions: string[];
}

async function theAlias(ctx: CheckContext): Promise<LiveAlias> {
  const alias = await getAlias(ctx, FUNCTION_NAME, ALIAS_NAME);
  if (!alias) throw new Error(`the alias ${ALIAS_RESOURCE} disappeared while grading; the live-alias-on-version check guards this`);
  const routing = aliasRouting(alias);
  return { alias, aliasArn: alias.AliasArn ?? `${functionArn(ctx)}:${ALIAS_NAME}`, routing, versions: routedVersions(routing) };
}

/** The configuration of each version live routes to, as that version was published. */
async function routedConfigs(ctx: CheckContext, live: LiveAlias): Promise<Array<{ version: string; config: FunctionConfiguration }> | undefined> {
  const configs = await Promise.all(live.versions.map(async (version) => ({ version, config: await getFunctionConfiguration(ctx, qualifiedArn(live.aliasArn, version)) })));
  if (configs.some((c) => !c.config)) return undefined;
  return configs.map(({ version, config }) => ({ version, config: config! }));
}

interface AliasErrorAlarm {
  alarm: MetricAlarm;
  signal: AlarmSignal;
  /** The alias's Errors metric among the alarm's inputs. */
  errors: WatchedMetric;
}

/** The release being shipped: the highest-numbered version live routes to (version numbers only grow). */
const newestVersion = (versions: string[]) => versions.reduce((a, b) => (Number(b) > Number(a) ? b : a));

/** Why an alarm input that mentions the function is not the Errors of alias live (or of the release's share of it). */
function whyNotTheAliasErrors(name: string, m: WatchedMetric, release: string): string {
  const scope = lambdaMetricScope(m);
  switch (scope?.kind) {
    case 'unreadable':
      return `${name} reads the Metrics Insights query ${m.insights?.query ?? ''}, but ${scope.reason}`;
    case undefined:
      return `${name} watches ${m.metricName} in namespace ${m.namespace}, not AWS/Lambda`;
    case 'unpublished':
      return `${name} uses the dimensions ${scope.dimensions.join(' + ')}, a combination Lambda does not publish, so it never gets data`;
    case 'account':
      return `${name} watches ${m.metricName} of every function in the account`;
    case 'function':
      return `${name} watches ${m.metricName} of the whole function (every version and alias together)`;
    case 'qualified':
      if (scope.functionName !== FUNCTION_NAME) return `${name} uses FunctionName "${scope.functionName}", which is not how Lambda names this function in its metrics, so it never gets data`;
      if (scope.resource !== ALIAS_RESOURCE) return `${name} watches ${m.metricName} of Resource "${scope.resource}", not of the alias ${ALIAS_NAME}`;
      if (m.metricName !== 'Errors') return `${name} watches ${m.metricName} of the alias, not Errors`;
      return `${name} watches only the share of ${ALIAS_NAME} served by version ${scope.executedVersion}, not the release being shipped (version ${release})`;
  }
}

/**
 * Alarms reading the Errors of alias live — all of its traffic, or the share the new release serves
 * (ExecutedVersion) — and why the other alarms on this function do not count.
 */
function aliasErrorAlarms(alarms: MetricAlarm[], versions: string[]): { matches: AliasErrorAlarm[]; nearMisses: string[] } {
  const matches: AliasErrorAlarm[] = [];
  const nearMisses: string[] = [];
  const release = newestVersion(versions);
  for (const alarm of alarms) {
    const signal = alarmSignal(alarm);
    const name = alarm.AlarmName ?? '(unnamed)';
    const ours = signal.inputs.filter((m) => Object.values(m.dimensions).some((v) => v.includes(FUNCTION_NAME)) || m.insights?.query.includes(FUNCTION_NAME));
    const errors = ours.find((m) => {
      const scope = lambdaMetricScope(m);
      return (
        m.metricName === 'Errors' &&
        scope?.kind === 'qualified' &&
        scope.functionName === FUNCTION_NAME &&
        scope.resource === ALIAS_RESOURCE &&
        (scope.executedVersion === undefined || scope.executedVersion === release)
      );
    });
    if (errors) {
      matches.push({ alarm, signal, errors });
      continue;
    }
    nearMisses.push(...ours.map((m) => whyNotTheAliasErrors(name, m, release)));
  }
  return { matches, nearMisses };
}

async function theAliasAlarms(ctx: CheckContext): Promise<{ live: LiveAlias; matches: AliasErrorAlarm[]; nearMisses: string[] }> {
  const [live, alarms] = await Promise.all([theAlias(ctx), describeMetricAlarms(ctx)]);
  return { live, ...aliasErrorAlarms(alarms, live.versions) };
}

function summariseAlarm(a: AliasErrorAlarm) {
  const { alarm, signal, errors } = a;
  return {
    name: alarm.AlarmName,
    watches:
      signal.compared.kind === 'expression'
        ? `expression ${signal.compared.expression}`
        : errors.insights
          ? `Metrics Insights query ${errors.insights.query}`
          : `${errors.stat ?? '?'} of Errors ${JSON.stringify(errors.dimensions)}`,
    condition: `${alarm.ComparisonOperator} ${alarm.Threshold}`,
    period: alarm.Period ?? errors.period,
    datapointsToAlarm: `${alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods} of ${alarm.EvaluationPeriods}`,
    treatMissingData: alarm.TreatMissingData ?? 'missing',
    state: alarm.StateValue,
  };
}

/** Invokes one qualifier with the run's nonce, waiting out a function that is still being updated. */
async function invokeWithNonce(ctx: CheckContext, qualifier: string, probe: string): Promise<Exclude<Invocation, { kind: 'not-ready' }> | { kind: 'still-not-ready'; message: string }> {
  let lastNotReady = '';
  const result = await ctx.waitFor(
    `an answer from ${FUNCTION_NAME}:${qualifier}`,
    async () => {
      const r = await invokeQualifier(ctx, FUNCTION_NAME, qualifier, { source: 'skillproof', nonce: ctx.nonce, probe });
      if (r.kind !== 'not-ready') return r;
      lastNotReady = `${r.code}: ${r.message}`;
      return undefined;
    },
    { timeoutMs: 20_000, intervalMs: 2_000 },
  );
  return result ?? { kind: 'still-not-ready', message: lastNotReady };
}

export default defineGrader({
  task: 'serverless-safe-deploy',
  probes: ['lambda:InvokeFunction'],
  // A function without reserved concurrency gets {} from GetFunctionConcurrency.
  validEmptyAnswers: ['Lambda.GetFunctionConcurrency'],
  checks: [
    {
      // Passes when a Lambda function named pricing-service exists.
      id: 'function-exists',
      title: 'A function named pricing-service exists',
      points: 5,
      critical: true,
      hint: 'Create the Lambda function with exactly the name from the instructions, in the sandbox\'s region.',
      async run(ctx) {
        const versions = await listPublishedVersions(ctx, FUNCTION_NAME);
        const resource = functionArn(ctx);
        if (!versions) return fail(`no Lambda function named ${FUNCTION_NAME} in ${ctx.region}`, { expected: `function ${FUNCTION_NAME}`, actual: 'none', resource });
        return pass(`found ${FUNCTION_NAME}`, { resource });
      },
    },
    {
      // Passes when pricing-service has at least two published (numbered) versions.
      id: 'function-versions',
      title: 'pricing-service has at least two published versions',
      points: 5,
      critical: true,
      dependsOn: ['function-exists'],
      hint: 'Publishing a version freezes the function\'s code and configuration under a number; a release you can shift traffic between needs one version for the current release and one for the new one.',
      async run(ctx) {
        const versions = await listPublishedVersions(ctx, FUNCTION_NAME);
        const resource = functionArn(ctx);
        if (!versions) return error(`the function ${FUNCTION_NAME} disappeared while grading; grade again`, { resource });
        const numbers = versions.map((v) => v.Version!);
        const detail = { expected: 'at least 2 published versions', actual: numbers, resource };
        if (numbers.length < 2) return fail(`${FUNCTION_NAME} has ${numbers.length === 0 ? 'no published version (only $LATEST)' : `only version ${numbers[0]}`}`, detail);
        return pass(`published versions: ${numbers.join(', ')}`, detail);
      },
    },
    {
      // Passes when alias live exists and its primary version is a published version, not $LATEST.
      id: 'live-alias-on-version',
      title: 'Alias live points at a published version',
      points: 10,
      critical: true,
      dependsOn: ['function-exists'],
      hint: 'Create the alias named in the instructions on a published version. An alias on $LATEST follows every unpublished change the moment it is saved — the opposite of a controlled release.',
      async run(ctx) {
        const alias = await getAlias(ctx, FUNCTION_NAME, ALIAS_NAME);
        if (!alias) return fail(`${FUNCTION_NAME} has no alias named ${ALIAS_NAME}`, { expected: `alias ${ALIAS_NAME}`, actual: 'none', resource: functionArn(ctx) });
        const { primary } = aliasRouting(alias);
        const detail = { expected: 'a published version number', actual: primary, ...(alias.AliasArn ? { resource: alias.AliasArn } : {}) };
        if (!isPublishedVersion(primary)) return fail(`${ALIAS_NAME} points at ${primary || 'no version'}, not at a published version`, detail);
        return pass(`${ALIAS_NAME} points at version ${primary}`, detail);
      },
    },
    {
      // Passes when live sends a share strictly between 0 and 1 of its traffic to another published version.
      id: 'live-alias-weighted',
      title: 'Alias live shifts part of its traffic to a second version',
      points: 15,
      critical: true,
      dependsOn: ['live-alias-on-version'],
      hint: 'An alias can send a share of its traffic to a second version. The share must be partial; if a deployment tool shifted it for you, its deployment must still be in progress when you submit.',
      async run(ctx) {
        const { aliasArn, routing } = await theAlias(ctx);
        const detail = { expected: `a weight between 0 and 1 (exclusive) on a published version other than ${routing.primary}`, actual: routing, resource: aliasArn };
        if (routing.additional.length === 0) return fail(`${ALIAS_NAME} sends all of its traffic to version ${routing.primary}: no weighted routing`, detail);
        const shifted = routing.additional.find((a) => isPublishedVersion(a.version) && a.version !== routing.primary && a.weight > 0 && a.weight < 1);
        if (!shifted) {
          const what = routing.additional.map((a) => `${percent(a.weight)} to version ${a.version}`).join(', ');
          return fail(`${ALIAS_NAME} sends ${what}: not a partial shift to a second published version`, detail);
        }
        return pass(`${ALIAS_NAME} sends ${percent(shifted.weight)} of its traffic to version ${shifted.version} and the rest to version ${routing.primary}`, detail);
      },
    },
    {
      // Passes when the function has reserved concurrency of at least 1 (ERROR, not FAIL, when the sandbox account's quota leaves nothing to reserve).
      id: 'reserved-concurrency',
      title: 'pricing-service has reserved concurrency',
      points: 10,
      critical: true,
      dependsOn: ['function-exists'],
      hint: 'Reserve concurrency in the function\'s concurrency settings (reserved concurrency, not provisioned). Zero would stop the function from running at all. If Lambda refuses because the account\'s unreserved concurrency would drop below its minimum, that is the sandbox\'s fault: grading reports it as an error, not a failure.',
      async run(ctx) {
        const concurrency = await reservedConcurrency(ctx, FUNCTION_NAME);
        const resource = functionArn(ctx);
        if (!concurrency) return error(`the function ${FUNCTION_NAME} disappeared while grading; grade again`, { resource });
        const detail = { expected: 'reserved concurrency of at least 1', actual: concurrency.reserved ?? 'not set', resource };
        if (concurrency.reserved === undefined) {
          // Lambda refuses any reservation that leaves less than 100 unreserved; on such an account the candidate could not have set it.
          const account = await accountConcurrency(ctx);
          if (account.reservable === 0) {
            return error(
              `the sandbox account cannot reserve concurrency for any function: its Lambda concurrency quota in ${ctx.region} is ${account.limit ?? 'unknown'} with ${account.unreserved} unreserved, and Lambda keeps ${LAMBDA_UNRESERVED_FLOOR} unreserved. This is the sandbox's fault, not yours: SkillProof must raise the quota "Concurrent executions" (L-B99A9384), then grade again`,
              { ...detail, actual: { reserved: 'not set', accountConcurrency: account } },
            );
          }
          return fail('no reserved concurrency: the function draws on the account\'s unreserved pool', { ...detail, actual: { reserved: 'not set', accountConcurrency: account } });
        }
        if (concurrency.reserved < 1) return fail('reserved concurrency is 0, so every invocation is throttled', detail);
        return pass(`reserved concurrency is ${concurrency.reserved}`, detail);
      },
    },
    {
      // Passes when every version live routes to has LoggingConfig.LogFormat JSON.
      id: 'json-logging',
      title: 'The versions behind live log in JSON',
      points: 10,
      critical: true,
      dependsOn: ['live-alias-on-version'],
      hint: 'Lambda\'s logging configuration has a log format setting. A published version keeps the configuration the function had when that version was published.',
      async run(ctx) {
        const live = await theAlias(ctx);
        const configs = await routedConfigs(ctx, live);
        if (!configs) return error(`a version behind ${ALIAS_NAME} disappeared while grading; grade again`, { resource: live.aliasArn });
        const formats = Object.fromEntries(configs.map((c) => [c.version, loggingOf(c.config).format]));
        const detail = { expected: 'JSON for every version behind live', actual: formats, resource: live.aliasArn };
        const notJson = configs.filter((c) => formats[c.version] !== 'JSON');
        if (notJson.length > 0) return fail(notJson.map((c) => `version ${c.version} logs in ${formats[c.version]} format`).join('; '), detail);
        return pass(`version${configs.length > 1 ? 's' : ''} ${live.versions.join(' and ')} log in JSON`, detail);
      },
    },
    {
      // Passes when every log group the versions behind live write to exists and has a retention period.
      id: 'log-retention',
      title: 'The function\'s log group has a retention period',
      points: 10,
      critical: true,
      dependsOn: ['live-alias-on-version'],
      hint: 'Without a retention period CloudWatch Logs keeps a log group\'s events forever. Set one on the log group your function writes to (its logging configuration names it); create that group yourself if Lambda has not yet.',
      async run(ctx) {
        const live = await theAlias(ctx);
        const configs = await routedConfigs(ctx, live);
        if (!configs) return error(`a version behind ${ALIAS_NAME} disappeared while grading; grade again`, { resource: live.aliasArn });
        const names = [...new Set(configs.map((c) => loggingOf(c.config).logGroup))];
        const groups = await Promise.all(names.map(async (name) => ({ name, group: await describeLogGroup(ctx, name) })));
        const actual = Object.fromEntries(groups.map(({ name, group }) => [name, group ? (group.retentionInDays ?? 'never expire') : 'does not exist']));
        const first = groups[0]?.group;
        const detail = { expected: 'a retention period on each log group', actual, resource: first?.logGroupArn ?? first?.arn ?? live.aliasArn };
        const problems = groups.flatMap(({ name, group }) => {
          if (!group) return [`log group ${name} does not exist (Lambda would create it without a retention period)`];
          if (group.retentionInDays === undefined) return [`log group ${name} has no retention period: its logs never expire`];
          return [];
        });
        if (problems.length > 0) return fail(problems.join('; '), detail);
        return pass(groups.map(({ name, group }) => `${name} keeps logs for ${group!.retentionInDays} days`).join('; '), detail);
      },
    },
    {
      // Passes when a metric alarm reads the Errors of alias live: FunctionName + Resource, or with ExecutedVersion the newest version live routes to.
      id: 'alias-error-alarm',
      title: 'An alarm watches the errors of alias live',
      points: 10,
      critical: true,
      dependsOn: ['live-alias-on-version'],
      hint: 'Lambda publishes metrics per alias as well as for the whole function. Alarm on the alias\'s error metric, with a combination of dimensions Lambda actually publishes.',
      async run(ctx) {
        const { live, matches, nearMisses } = await theAliasAlarms(ctx);
        const expected = { namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: FUNCTION_NAME, Resource: ALIAS_RESOURCE }, orOnlyTheNewRelease: { ExecutedVersion: newestVersion(live.versions) } };
        if (matches.length === 0) {
          const found = nearMisses.length > 0 ? `: ${nearMisses.slice(0, 5).join('; ')}` : ` (no alarm mentions ${FUNCTION_NAME})`;
          return fail(`no metric alarm watches the Errors of ${ALIAS_RESOURCE}${found}`, { expected, actual: nearMisses, resource: live.aliasArn });
        }
        return pass(`${matches.map((m) => m.alarm.AlarmName).join(', ')} watch${matches.length === 1 ? 'es' : ''} the errors of ${ALIAS_RESOURCE}`, {
          expected,
          actual: matches.map(summariseAlarm),
          ...(matches[0]!.alarm.AlarmArn ? { resource: matches[0]!.alarm.AlarmArn } : {}),
        });
      },
    },
    {
      // Passes when an alias error alarm fires on a few errors within 15 minutes (period <= 5 min), stays quiet with none, and never treats missing data as breaching.
      id: 'alarm-sensible',
      title: 'The alias error alarm would fire on errors, and only on errors',
      points: 10,
      critical: true,
      dependsOn: ['alias-error-alarm'],
      hint: 'Reread the alarm requirements in the instructions and compare them with your alarm\'s statistic, comparison and threshold, period, datapoints to alarm, and its treatment of missing data.',
      async run(ctx) {
        const { matches } = await theAliasAlarms(ctx);
        const judged = matches.map((m) => ({ ...summariseAlarm(m), problems: errorAlarmProblems(m.alarm, m.signal, m.errors) }));
        const good = matches.filter((_, i) => judged[i]!.problems.length === 0);
        const { errorsThatMustTrip: e, errorRateThatMustTrip: rate, maxPeriodSeconds, maxSecondsToAlarm } = ERROR_ALARM_LIMITS;
        const detail = {
          expected: `breaches in a period with ${e} errors among ${Math.round(e / rate)} invocations (${rate * 100} %), not in a period without errors; a static threshold; periods <= ${maxPeriodSeconds} s; fires within ${maxSecondsToAlarm / 60} minutes; missing data not breaching`,
          actual: judged,
        };
        if (good.length === 0) {
          return fail(judged.map((j) => `${j.name}: ${j.problems.join('; ')}`).join(' | '), { ...detail, ...(matches[0]?.alarm.AlarmArn ? { resource: matches[0].alarm.AlarmArn } : {}) });
        }
        return pass(`${good.map((g) => g.alarm.AlarmName).join(', ')} would fire soon after errors start and stay quiet without them`, { ...detail, ...(good[0]!.alarm.AlarmArn ? { resource: good[0]!.alarm.AlarmArn } : {}) });
      },
    },
    {
      // Passes when no sensible alias error alarm is in ALARM on current data: an alarm in ALARM counts only if its own data over its evaluation window still breaches.
      id: 'alarm-not-firing',
      title: 'The alias error alarm is not firing',
      points: 5,
      critical: true,
      dependsOn: ['alarm-sensible'],
      hint: 'An alarm in ALARM on current data says callers of live are getting errors right now. Find out why in the function\'s logs, then fix or roll back; the alarm recovers once its periods hold no more errors. An alarm that only holds an old ALARM state (no data since) is not held against you.',
      async run(ctx) {
        const { matches } = await theAliasAlarms(ctx);
        const sensible = matches.filter((m) => errorAlarmProblems(m.alarm, m.signal, m.errors).length === 0);
        const now = ctx.now();
        const judged = await Promise.all(
          sensible.map(async (m) => {
            if (m.alarm.StateValue !== 'ALARM') return { alarm: m.alarm, state: m.alarm.StateValue ?? 'unknown', firing: false };
            // TreatMissingData "ignore" keeps ALARM while no data arrives, e.g. after errors SkillProof's own earlier probes met: only current data counts.
            const window = await alarmWindow(ctx, m.alarm, now);
            const breaching = window.datapoints.filter((p) => p.breaching).map((p) => `${p.value} at ${p.at.toISOString()}`);
            const state = window.stillBreaching ? `ALARM, breaching since ${window.from.toISOString()}: ${breaching.join(', ')}` : `ALARM held from ${m.alarm.StateTransitionedTimestamp?.toISOString() ?? 'earlier'}, but no data since ${window.from.toISOString()} breaches`;
            return { alarm: m.alarm, state, firing: window.stillBreaching };
          }),
        );
        const states = Object.fromEntries(judged.map((j) => [j.alarm.AlarmName ?? '(unnamed)', j.state]));
        const detail = { expected: 'OK or INSUFFICIENT_DATA, or an ALARM state its current data no longer supports', actual: states };
        const firing = judged.find((j) => j.firing);
        if (firing) {
          const a = firing.alarm;
          const since = a.StateTransitionedTimestamp ?? a.StateUpdatedTimestamp;
          return fail(`${a.AlarmName} is in ALARM${since ? ` since ${since.toISOString()}` : ''} and its data still breaches (${a.StateReason ?? 'no reason given'}): callers of ${ALIAS_NAME} are getting errors`, { ...detail, ...(a.AlarmArn ? { resource: a.AlarmArn } : {}) });
        }
        return pass(Object.entries(states).map(([name, state]) => `${name} is ${state}`).join('; '), { ...detail, ...(sensible[0]?.alarm.AlarmArn ? { resource: sensible[0].alarm.AlarmArn } : {}) });
      },
    },
    {
      // Passes when invoking live several times (nonce in the event) gets answers without a function error, each from a version live routes to, and each routed version answers when invoked directly.
      id: 'live-alias-answers',
      title: 'live answers from its published versions without errors',
      points: 10,
      critical: true,
      dependsOn: ['live-alias-on-version', 'reserved-concurrency'],
      timeoutMs: 120_000,
      hint: 'Invoke live, and each version behind it, yourself with a small JSON event; the response says which version ran and carries the error if there was one, and the function\'s logs say more.',
      async run(ctx) {
        const live = await theAlias(ctx);
        const answers: Array<{ via: string; version: string }> = [];
        const targets = [
          ...Array.from({ length: ALIAS_INVOCATIONS }, (_, i) => ({ qualifier: ALIAS_NAME, probe: `${ALIAS_NAME}-${i + 1}` })),
          ...live.versions.map((v) => ({ qualifier: v, probe: `version-${v}` })),
        ];
        for (const { qualifier, probe } of targets) {
          const r = await invokeWithNonce(ctx, qualifier, probe);
          const target = `${FUNCTION_NAME}:${qualifier}`;
          if (r.kind === 'still-not-ready') return error(`${target} stayed not ready to be invoked for 20 s (${r.message}); grade again`, { resource: live.aliasArn });
          if (r.kind === 'setup-fault') return fail(`invoking ${target} failed with ${r.code}: the function cannot run (${r.message.slice(0, 200)})`, { expected: 'an answer', actual: r.code, resource: qualifiedArn(live.aliasArn, qualifier) });
          const version = r.executedVersion;
          if (!version) return error(`Lambda did not say which version of ${target} answered; grade again`, { resource: live.aliasArn });
          if (r.functionError) {
            return fail(`${target} answered from version ${version} with an error (${r.functionError}): ${describeFunctionError(r.payload)}`, {
              expected: 'an answer without a function error',
              actual: { via: qualifier, version, functionError: r.functionError, answersBefore: answers },
              resource: qualifiedArn(live.aliasArn, version),
            });
          }
          const allowed = qualifier === ALIAS_NAME ? live.versions : [qualifier];
          if (!allowed.includes(version)) return error(`${target} answered from version ${version}, which it does not route to: the alias changed while grading; grade again`, { resource: live.aliasArn });
          answers.push({ via: qualifier, version });
        }
        const split = Object.entries(
          answers.filter((a) => a.via === ALIAS_NAME).reduce<Record<string, number>>((n, a) => ({ ...n, [a.version]: (n[a.version] ?? 0) + 1 }), {}),
        ).map(([v, n]) => `version ${v} ×${n}`);
        return pass(`${ALIAS_NAME} answered ${ALIAS_INVOCATIONS} times (${split.join(', ')}); version${live.versions.length > 1 ? 's' : ''} ${live.versions.join(' and ')} answered when invoked directly`, {
          expected: `answers without errors from versions ${live.versions.join(', ')}`,
          actual: answers,
          resource: live.aliasArn,
        });
      },
    },
  ],
});
