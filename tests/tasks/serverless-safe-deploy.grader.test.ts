import { loadCatalog } from '../../src/catalog/load';
import { readBundle } from '../../src/evidence/bundle';
import { listFixtureFiles, type FixtureKind } from '../../src/testing/scenarios';
import { type FixtureSpec, gradedFixture, outcomes, specifyFixtures } from '../support/fixtures';

const entry = loadCatalog().get('serverless-safe-deploy');
const fixture = (kind: FixtureKind, name: string) => {
  const found = listFixtureFiles(entry).find((f) => f.kind === kind && f.name === name);
  if (!found) throw new Error(`no fixture ${kind}/${name}; re-record with \`bin/skillproof grader record serverless-safe-deploy\``);
  return found;
};
const graded = gradedFixture(entry);
const check = async (kind: FixtureKind, name: string, id: string) => (await graded(kind, name)).checks.find((c) => c.id === id)!;
const invocations = (kind: FixtureKind, name: string) =>
  readBundle(fixture(kind, name).file)
    .transcript.filter((c) => c.service === 'Lambda' && c.operation === 'Invoke')
    .map((c) => c.input as { FunctionName: string; Qualifier: string; Payload: string });

/** Every fixture, as the sentence it stands for. */
const SPEC: FixtureSpec = [
  ['pass', 'cdk-reference', 'passes the reference CDK solution after its second release'],
  ['alt', 'sam-canary-executed-version', "passes a SAM-style canary alarmed on the new version's share of live (ExecutedVersion), alarm INSUFFICIENT_DATA"],
  ['alt', 'error-rate-metric-math', 'passes an error-rate alarm by metric math and a custom log group'],
  ['alt', 'sam-deployment-preference', 'passes a SAM AutoPublishAlias + DeploymentPreference canary mid-deployment, with the alarm from the SAM guide'],
  ['alt', 'cdk-defaults-alarm', "passes CDK's defaults: an Alarm on alias.metricErrors() (Sum over 5 minutes, missing data unset)"],
  ['alt', 'console-metrics-insights', 'passes a Metrics Insights (SQL) alarm on the alias built in the console'],
  ['alt', 'success-rate-below-threshold', 'passes a success-rate alarm by metric math that fires below its threshold'],
  ['alt', 'alarm-held-by-ignore', "passes an alarm that only holds an old ALARM state (TreatMissingData ignore) while none of its current data breaches"],
  ['fail', 'no-function', 'fails when there is no function named pricing-service'],
  ['fail', 'one-version', 'fails when only one version was ever published'],
  ['fail', 'alias-on-latest', 'fails when live points at $LATEST'],
  ['fail', 'no-weighted-routing', 'fails when live sends all its traffic to one version'],
  ['fail', 'weight-zero', 'fails when live shifts 0 % to the second version'],
  ['fail', 'alarm-on-whole-function', 'fails when the error alarm watches the whole function, not the alias'],
  ['fail', 'alarm-on-stable-share', "fails when the error alarm watches only the old version's share of live"],
  ['fail', 'alarm-dimensions-not-published', 'fails when the error alarm uses dimensions Lambda does not publish'],
  ['fail', 'alarm-never-fires', 'fails when the error alarm needs more than 100 errors a minute'],
  ['fail', 'alarm-breaching-when-idle', 'fails when the error alarm treats missing data as breaching'],
  ['fail', 'alarm-firing', 'fails when the alias error alarm is in ALARM'],
  ['fail', 'alarm-rate-95-percent', 'fails when a metric-math error-rate alarm fires only above 95 %'],
  ['fail', 'alarm-rate-over-function-invocations', "fails, saying why, when a metric-math alarm divides the alias's errors by the whole function's invocations"],
  ['fail', 'insights-alarm-whole-function', 'fails when a Metrics Insights alarm reads every series of the function'],
  ['fail', 'insights-alarm-never-fires', 'fails when a Metrics Insights alarm on the alias needs more than 10 errors a minute'],
  ['fail', 'no-reserved-concurrency', 'fails when the function has no reserved concurrency though the account could reserve it'],
  ['fail', 'reserved-concurrency-zero', 'fails when reserved concurrency is 0'],
  ['fail', 'text-log-format', 'fails when the versions log in Text format'],
  ['fail', 'json-only-on-latest', 'fails when only $LATEST and the canary log JSON, not the primary version'],
  ['fail', 'log-group-no-retention', 'fails when the log group never expires its logs'],
  ['fail', 'log-group-missing', 'fails when the log group the versions write to does not exist'],
  ['fail', 'canary-version-crashes', 'fails when the canary version throws'],
  ['error', 'concurrency-quota-too-low', "is incomplete, not failed, when the sandbox account's concurrency quota leaves nothing to reserve"],
  ['error', 'throttling-persistent', 'is incomplete, not failed, when CloudWatch keeps throttling'],
  ['error', 'grader-cannot-invoke', 'is incomplete when the grader role may not invoke the function'],
  ['error', 'wrong-account', 'is incomplete when the credentials belong to another account'],
];

describe('serverless-safe-deploy', () => {
  specifyFixtures(entry, SPEC);

  it('invokes live six times, then each version behind it once, every event carrying the run nonce', () => {
    const nonce = readBundle(fixture('pass', 'cdk-reference').file).run.nonce;
    const calls = invocations('pass', 'cdk-reference');
    expect(calls.map((c) => c.Qualifier)).toEqual(['live', 'live', 'live', 'live', 'live', 'live', '1', '2']);
    for (const c of calls) expect(JSON.parse(c.Payload)).toMatchObject({ source: 'skillproof', nonce });
    expect(new Set(calls.map((c) => JSON.parse(c.Payload).probe)).size).toBe(calls.length);
  });

  it('reports which version answered each call through live', async () => {
    const answers = await check('alt', 'sam-canary-executed-version', 'live-alias-answers');
    expect(answers.message).toContain('version 3 ×5, version 4 ×1');
  });

  it('charges one mistake once: an alias on $LATEST skips what depends on the versions behind it', async () => {
    expect(outcomes(await graded('fail', 'alias-on-latest'))).toMatchObject({
      'live-alias-on-version': 'FAIL',
      'live-alias-weighted': 'SKIPPED',
      'json-logging': 'SKIPPED',
      'alias-error-alarm': 'SKIPPED',
      'live-alias-answers': 'SKIPPED',
      'reserved-concurrency': 'PASS',
    });
  });

  it('does not invoke a function whose reserved concurrency is 0', () => {
    expect(invocations('fail', 'reserved-concurrency-zero')).toEqual([]);
  });

  it('judges the log format of the versions behind live, not of $LATEST', async () => {
    expect((await check('fail', 'json-only-on-latest', 'json-logging')).message).toBe('version 1 logs in Text format');
  });

  it('says what the alarm it found watches instead of the alias', async () => {
    expect((await check('fail', 'alarm-on-whole-function', 'alias-error-alarm')).message).toContain('pricing-service-live-errors watches Errors of the whole function');
    expect((await check('fail', 'alarm-dimensions-not-published', 'alias-error-alarm')).message).toContain('a combination Lambda does not publish');
  });

  it('gives the reason and time of an alarm in ALARM', async () => {
    expect((await check('fail', 'alarm-firing', 'alarm-not-firing')).message).toMatch(/^pricing-service-live-errors is in ALARM since 2026-01-15T09:58:10.000Z and its data still breaches \(Threshold Crossed/);
  });

  it("does not hold an ALARM state against the candidate once the alarm's own data no longer breaches", async () => {
    expect((await check('alt', 'alarm-held-by-ignore', 'alarm-not-firing')).message).toBe('pricing-service-live-errors is ALARM held from 2026-01-15T09:32:10.000Z, but no data since 2026-01-15T09:58:00.000Z breaches');
    const reads = readBundle(fixture('alt', 'alarm-held-by-ignore').file).transcript.filter((c) => c.operation === 'GetMetricData');
    expect(reads).toHaveLength(1);
    expect(readBundle(fixture('pass', 'cdk-reference').file).transcript.some((c) => c.operation === 'GetMetricData')).toBe(false);
  });

  it('recognises a Metrics Insights alarm on the alias', async () => {
    expect((await check('alt', 'console-metrics-insights', 'alias-error-alarm')).message).toBe('pricing-live-errors-insights watches the errors of pricing-service:live');
    expect((await check('fail', 'insights-alarm-whole-function', 'alias-error-alarm')).message).toContain('pricing-errors-insights watches Errors of the whole function');
  });

  it('judges a metric-math alarm on the errors it would need', async () => {
    expect((await check('fail', 'alarm-rate-95-percent', 'alarm-sensible')).message).toBe(
      'pricing live error rate: 5 errors among 50 invocations in one period (10 %) give 100 * errors / invocations = 10, which is not > 95: it does not fire on them',
    );
    expect((await check('fail', 'alarm-rate-over-function-invocations', 'alarm-sensible')).message).toMatch(/SkillProof cannot judge the expression 100 \* errors \/ invocations: it also reads Invocations of \{"FunctionName":"pricing-service"\}/);
  });

  it("reports an account that cannot reserve concurrency as the sandbox's fault, naming the quota", async () => {
    const c = await check('error', 'concurrency-quota-too-low', 'reserved-concurrency');
    expect(c.outcome).toBe('ERROR');
    expect(c.message).toMatch(/quota in eu-west-1 is 10 with 10 unreserved, and Lambda keeps 100 unreserved\. This is the sandbox's fault, not yours: .*"Concurrent executions" \(L-B99A9384\)/);
  });

  it("shows the canary's error to the candidate", async () => {
    expect((await check('fail', 'canary-version-crashes', 'live-alias-answers')).message).toContain("version 2 with an error (Unhandled): TypeError: Cannot read properties of undefined (reading 'sku')");
  });

});
