import { loadCatalog } from '../../src/catalog/load';
import { readBundle } from '../../src/evidence/bundle';
import { checkFixture, listFixtureFiles, type FixtureKind, type FixtureVerdict } from '../../src/testing/scenarios';

const entry = loadCatalog().get('serverless-order-workflow');
const fixtures = listFixtureFiles(entry);
const verdicts = new Map<string, Promise<FixtureVerdict>>();

/** Grades one recorded fixture (once per test file) and returns its report and mismatches. */
function graded(kind: FixtureKind, name: string): Promise<FixtureVerdict> {
  const key = `${kind}/${name}`;
  if (!verdicts.has(key)) {
    const fixture = fixtures.find((f) => f.kind === kind && f.name === name);
    if (!fixture) throw new Error(`no fixture ${key}; record it with \`bin/skillproof grader record serverless-order-workflow\``);
    verdicts.set(key, checkFixture(entry, fixture));
  }
  return verdicts.get(key)!;
}

const outcomes = async (kind: FixtureKind, name: string) => Object.fromEntries((await graded(kind, name)).report.checks.map((c) => [c.id, c.outcome]));
const failingChecks = async (kind: FixtureKind, name: string) => (await graded(kind, name)).report.checks.filter((c) => c.outcome === 'FAIL').map((c) => c.id);

describe('serverless-order-workflow', () => {
  describe('passes', () => {
    it.each([
      ['pass', 'cdk-reference'],
      ['alt', 'console-direct-lambda'],
      ['alt', 'parallel-covers-tasks'],
      ['alt', 'catch-target-is-next-after-retry'],
      ['alt', 'wait-before-accepting'],
      ['alt', 'terraform-input-transformer'],
    ] as const)('%s/%s: every check passes', async (kind, name) => {
      const verdict = await graded(kind, name);
      expect(verdict.mismatches).toEqual([]);
      expect(verdict.report.status).toBe('passed');
      expect(new Set(Object.values(await outcomes(kind, name)))).toEqual(new Set(['PASS']));
    });

    it('finds the valid order\'s execution by the run\'s nonce and sees it succeed on the normal path', async () => {
      const check = (await graded('pass', 'cdk-reference')).report.checks.find((c) => c.id === 'order-execution-succeeds')!;
      expect(check.message).toMatch(/^order skillproof-[0-9a-f]{16} started an execution that SUCCEEDED$/);
      expect(check.resource).toMatch(/^arn:aws:states:eu-west-1:111122223333:execution:order-workflow:/);
    });

    it('accepts a catch handler that ends the execution in a Fail state', async () => {
      const check = (await graded('alt', 'console-direct-lambda')).report.checks.find((c) => c.id === 'invalid-order-caught')!;
      expect(check.message).toMatch(/^all 7 invalid orders were rejected by a task and caught: the invalid order with quantity -1: InvalidOrder was caught and handed to RejectOrder/);
    });

    it('accepts Retry and Catch on an enclosing Parallel state', async () => {
      const check = (await graded('alt', 'parallel-covers-tasks')).report.checks.find((c) => c.id === 'workflow-retry-catch')!;
      expect(check.message).toContain('FulfilOrder/branch 1/ValidateOrder, FulfilOrder/branch 2/ReserveStock');
    });

    it('sees the Parallel state\'s Catch through interleaved branches', async () => {
      const check = (await graded('alt', 'parallel-covers-tasks')).report.checks.find((c) => c.id === 'invalid-order-caught')!;
      expect(check.outcome).toBe('PASS');
    });

    it('does not take a retried, then successful task for a caught error when its Catch target is also its Next', async () => {
      expect((await outcomes('alt', 'catch-target-is-next-after-retry'))['order-execution-succeeds']).toBe('PASS');
    });

    it('lets a valid order take longer than 60 s (a Wait state), within the README\'s 5 minutes', async () => {
      expect((await outcomes('alt', 'wait-before-accepting'))['order-execution-succeeds']).toBe('PASS');
    });

    it('puts one valid and seven invalid orders on the bus in one PutEvents call', async () => {
      const put = readBundle((await graded('pass', 'cdk-reference')).file).transcript.filter((c) => c.operation === 'PutEvents');
      expect(put).toHaveLength(1);
      expect((put[0]!.input as { Entries: unknown[] }).Entries).toHaveLength(8);
    });
  });

  describe('fails', () => {
    it.each([
      ['rule-on-default-bus', 'when there is no custom bus and the rule is on the default bus', ['event-bus-exists']],
      ['custom-bus-unused', 'when the custom bus exists but the rule is on the default bus', ['rule-routes-order-placed']],
      ['express-workflow', 'when the state machine is EXPRESS', ['state-machine-standard']],
      ['logging-level-error', 'when the state machine logs at level ERROR', ['workflow-logging-all']],
      ['tracing-off', 'when tracing is off', ['workflow-tracing']],
      ['no-catch', 'when the task has no Catch', ['workflow-retry-catch']],
      ['no-retry', 'when the task has no Retry', ['workflow-retry-catch']],
      ['catch-misses-the-error', 'when the Catch does not handle the error an invalid order raises', ['invalid-order-caught']],
      ['worker-accepts-invalid-order', 'when an invalid order succeeds without any task failing', ['invalid-order-caught']],
      ['catch-hides-broken-task', 'when valid orders only "succeed" through the catch handler', ['order-execution-succeeds']],
      ['worker-rejects-negative-only', 'when the task accepts invalid orders other than negative quantities', ['invalid-order-caught']],
      ['rejection-retried-too-long', 'when an invalid order reaches its handler after more than 60 s of retries', ['invalid-order-caught']],
      ['dlq-fifo', 'when the dead-letter queue is a FIFO queue', ['target-dead-letter-queue']],
      ['dlq-aws-managed-key', 'when the dead-letter queue is encrypted with alias/aws/sqs', ['target-dead-letter-queue']],
      ['dlq-policy-denies-events', "when the dead-letter queue's policy denies EventBridge", ['target-dead-letter-queue']],
      ['pattern-prefix-source', 'when the pattern matches the source by prefix', ['rule-pattern-exact']],
      ['pattern-anything-but-cancelled', 'when the pattern takes every detail-type but OrderCancelled', ['rule-pattern-exact']],
      ['target-without-dlq', 'when the target has no dead-letter queue', ['target-dead-letter-queue']],
      ['dlq-policy-missing', 'when EventBridge may not send to the dead-letter queue', ['target-dead-letter-queue']],
      ['dlq-policy-other-rule', 'when the dead-letter queue accepts events from another rule only', ['target-dead-letter-queue']],
      ['target-without-retry-policy', 'when the target has no retry policy', ['target-retry-policy']],
      ['pattern-any-source', 'when the pattern matches OrderPlaced from any source', ['rule-pattern-exact']],
      ['leftover-catch-all-rule', 'when a second rule sends every shop.orders event to the workflow', ['rule-pattern-exact']],
      ['pattern-filters-quantity', 'when the pattern filters out invalid orders (too narrow)', ['rule-routes-order-placed']],
      ['rule-disabled', 'when the rule is disabled', ['rule-routes-order-placed']],
      ['role-starts-any-workflow', 'when the target role may start any state machine', ['target-role-least-privilege']],
      ['role-step-functions-full-access', 'when the target role has AWSStepFunctionsFullAccess', ['target-role-least-privilege']],
    ])('fail/%s: %s', async (name, _why, failing) => {
      const verdict = await graded('fail', name);
      expect(verdict.mismatches).toEqual([]);
      expect(verdict.report.status).toBe('failed');
      // Each mutant is one change from the passing world, so exactly its checks fail (dependents are SKIPPED).
      expect(await failingChecks('fail', name)).toEqual(failing);
    });

    it('does not charge a missing Catch twice: the invalid-order probe is skipped', async () => {
      expect((await outcomes('fail', 'no-catch'))['invalid-order-caught']).toBe('SKIPPED');
    });

    it('does not probe an EXPRESS workflow', async () => {
      const o = await outcomes('fail', 'express-workflow');
      expect([o['order-execution-succeeds'], o['invalid-order-caught']]).toEqual(['SKIPPED', 'SKIPPED']);
    });
  });

  describe('is incomplete, never failed, when SkillProof cannot tell', () => {
    it.each([
      ['throttling-persistent', 'state-machine-exists'],
      ['grader-cannot-put-events', 'order-execution-succeeds'],
    ])('error/%s', async (name, erroring) => {
      const verdict = await graded('error', name);
      expect(verdict.mismatches).toEqual([]);
      expect(verdict.report.status).toBe('incomplete');
      expect((await outcomes('error', name))[erroring]).toBe('ERROR');
      expect(await failingChecks('error', name)).toEqual([]);
    });
  });

  it('has the fixture counts the authoring guide requires, and grades every fixture as it expects', async () => {
    const count = (kind: FixtureKind) => fixtures.filter((f) => f.kind === kind).length;
    expect([count('pass') >= 1, count('alt') >= 2, count('fail') >= 6, count('error') >= 1]).toEqual([true, true, true, true]);
    for (const f of fixtures) expect([`${f.kind}/${f.name}`, (await graded(f.kind, f.name)).mismatches]).toEqual([`${f.kind}/${f.name}`, []]);
  });
});
