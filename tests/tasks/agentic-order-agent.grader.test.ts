import { loadCatalog } from '../../src/catalog/load';
import { readBundle } from '../../src/evidence/bundle';
import { fixtureFile } from '../../src/testing/scenarios';
import { check, gradedFixture, outcomes } from '../support/fixtures';
import { probeOrder, seededOrdersTable } from '../../graders/aws-agentic-ai/agentic-order-agent';

const entry = loadCatalog().get('agentic-order-agent');

const graded = gradedFixture(entry);

const ALL_PASS = {
  'agent-exists': 'PASS',
  'agent-prepared': 'PASS',
  'alias-live-published': 'PASS',
  'order-tools-action-group': 'PASS',
  'order-lookup-operation': 'PASS',
  'lambda-invoke-scoped': 'PASS',
  'agent-answers-from-tool': 'PASS',
};

describe('agentic-order-agent', () => {
  it('passes the reference CDK solution: inline OpenAPI, permission scoped to the agent, live on version 1', async () => {
    const report = await graded('pass', 'cdk-openapi');
    expect(report.status).toBe('passed');
    expect(outcomes(report)).toEqual(ALL_PASS);
  });

  it('passes a console build with a function schema, a function alias and the console\'s SourceAccount + SourceArn permission', async () => {
    const report = await graded('alt', 'console-function-schema');
    expect(outcomes(report)).toEqual(ALL_PASS);
    expect(check(report, 'order-lookup-operation').message).toContain('get_order_status');
  });

  it('passes with a YAML schema in S3 when only the second of three tries calls the tool (threshold 1 of 3)', async () => {
    const report = await graded('alt', 'yaml-schema-in-s3-second-try');
    const probe = check(report, 'agent-answers-from-tool');
    expect(probe.outcome).toBe('PASS');
    expect(probe.message).toMatch(/on try 2 .*threshold: 1 of up to 3 tries/);
    expect((probe.actual as { tries: Array<{ passed: boolean }> }).tries.map((t) => t.passed)).toEqual([false, true]);
  });

  it('fails when the agent is not prepared', async () => {
    expect(check(await graded('fail', 'agent-not-prepared'), 'agent-prepared').outcome).toBe('FAIL');
  });

  it('fails when alias live routes to DRAFT, and inspects the draft\'s action groups instead', async () => {
    const report = await graded('fail', 'alias-on-draft');
    expect(check(report, 'alias-live-published').outcome).toBe('FAIL');
    expect(check(report, 'order-tools-action-group').message).toContain('version DRAFT');
    expect(check(report, 'agent-answers-from-tool').outcome).toBe('SKIPPED');
  });

  it('fails when there is no alias named live', async () => {
    expect(check(await graded('fail', 'no-live-alias'), 'alias-live-published').outcome).toBe('FAIL');
  });

  it('fails when the function lets any agent invoke it (no source ARN), or every agent of the account', async () => {
    expect(check(await graded('fail', 'lambda-open-to-any-agent'), 'lambda-invoke-scoped').message).toContain('from any source');
    expect(check(await graded('fail', 'lambda-open-to-account-agents'), 'lambda-invoke-scoped').message).toContain('agent/*');
  });

  it('fails when OrderTools is disabled, without charging the dependent checks again', async () => {
    const report = await graded('fail', 'action-group-disabled');
    expect(check(report, 'order-tools-action-group').outcome).toBe('FAIL');
    expect(['order-lookup-operation', 'lambda-invoke-scoped', 'agent-answers-from-tool'].map((id) => check(report, id).outcome)).toEqual(['SKIPPED', 'SKIPPED', 'SKIPPED']);
  });

  it('fails when OrderTools returns control instead of running a Lambda function', async () => {
    expect(check(await graded('fail', 'action-group-returns-control'), 'order-tools-action-group').outcome).toBe('FAIL');
  });

  it('fails when the schema has no GET /orders/{orderId}', async () => {
    expect(check(await graded('fail', 'no-order-path'), 'order-lookup-operation').message).toContain('GET /orders');
  });

  it('fails when the agent answers without calling OrderTools, even naming the right status', async () => {
    const probe = check(await graded('fail', 'answers-without-tool'), 'agent-answers-from-tool');
    expect(probe.outcome).toBe('FAIL');
    expect(probe.message).toContain('tries 1-3: did not call OrderTools');
    expect((probe.actual as { tries: unknown[] }).tries).toHaveLength(3);
  });

  it('fails when OrderTools is called but returns no status', async () => {
    expect(check(await graded('fail', 'tool-returns-nothing'), 'agent-answers-from-tool').message).toContain('OrderTools did not return the order\'s status');
  });

  it('passes when the answer paraphrases the status: the trace shows the call with the order id and the status the function returned', async () => {
    const report = await graded('alt', 'answer-paraphrases-status');
    const probe = check(report, 'agent-answers-from-tool');
    expect(probe.outcome).toBe('PASS');
    const [first] = (probe.actual as { tries: Array<{ answer: string; askedForProbeOrder: boolean; toolReturnedStatus: boolean }> }).tries;
    expect(first).toMatchObject({ askedForProbeOrder: true, toolReturnedStatus: true });
    expect(first!.answer).not.toMatch(/shipped|delivered|dispatched|refunded|returned|packed/i);
  });

  it('fails when the function answers a fixed status instead of the one seeded in the table, though the model repeats it', async () => {
    const probe = check(await graded('fail', 'function-ignores-table'), 'agent-answers-from-tool');
    expect(probe.outcome).toBe('FAIL');
    expect(probe.message).toContain('OrderTools did not return the order\'s status');
  });

  it('fails, rather than errs, when the agent\'s stream reports its own Lambda could not be invoked (dependencyFailedException)', async () => {
    const report = await graded('fail', 'lambda-denies-agent');
    expect(check(report, 'agent-answers-from-tool').message).toContain('dependencyFailedException: Access denied while invoking Lambda function');
    expect(check(report, 'lambda-invoke-scoped').outcome).toBe('FAIL');
  });

  it('fails, rather than errs, when the agent\'s own role may not invoke its model (accessDeniedException in the stream)', async () => {
    const report = await graded('fail', 'agent-role-lacks-model-access');
    const probe = check(report, 'agent-answers-from-tool');
    expect(report.status).toBe('failed');
    expect(probe.outcome).toBe('FAIL');
    expect(probe.message).toContain('the agent\'s own role was denied access while answering (accessDeniedException: Access denied when calling Bedrock');
    expect(probe.message).not.toContain('grader role');
  });

  it('fails a custom-orchestration agent with the reason: its trace cannot show the tool call', async () => {
    expect(check(await graded('fail', 'custom-orchestration'), 'agent-answers-from-tool').message).toContain('requires default orchestration');
  });

  it('is incomplete when the stream ends in throttling (retried) or a quota of the sandbox account', async () => {
    for (const name of ['agent-stream-throttled', 'agent-stream-quota-exceeded']) {
      const report = await graded('error', name);
      expect(report.status).toBe('incomplete');
      expect(check(report, 'agent-answers-from-tool').outcome).toBe('ERROR');
    }
    const throttled = readBundle(fixtureFile(entry, 'error', 'agent-stream-throttled'));
    expect(throttled.transcript.filter((c) => c.operation === 'InvokeAgent').map((c) => c.try)).toEqual([1, 2, 3, 4, 5]);
  });

  it('removes its probe order from the seeded table once the tries are over, pass or fail', async () => {
    for (const [kind, name] of [['pass', 'cdk-openapi'], ['fail', 'agent-role-lacks-model-access']] as const) {
      const bundle = readBundle(fixtureFile(entry, kind, name));
      const order = probeOrder(bundle.run.nonce);
      const ops = bundle.transcript.filter((c) => c.service === 'DynamoDB' || c.operation === 'InvokeAgent').map((c) => c.operation);
      expect(ops[0]).toBe('PutItem');
      expect(ops[ops.length - 1]).toBe('DeleteItem');
      const del = bundle.transcript.find((c) => c.operation === 'DeleteItem')!;
      expect(del.input).toEqual({ TableName: seededOrdersTable(bundle.run.attemptId), Key: { orderId: { S: order.orderId } } });
    }
  });

  it('is incomplete, never failed, when InvokeAgent stays throttled', async () => {
    const report = await graded('error', 'invoke-agent-throttled');
    expect(report.status).toBe('incomplete');
    expect(check(report, 'agent-answers-from-tool').outcome).toBe('ERROR');
  });

  it('is incomplete when the grader may not read action groups', async () => {
    expect(check(await graded('error', 'grader-access-denied'), 'order-tools-action-group').outcome).toBe('ERROR');
  });

  it('is incomplete when the sandbox\'s seeded orders table is missing', async () => {
    expect(check(await graded('error', 'seed-table-missing'), 'agent-answers-from-tool').message).toContain('not the candidate');
  });

  it('asks about a fresh order SP-<nonce>, written first to the seeded table, in a fresh session per try', async () => {
    const bundle = readBundle(fixtureFile(entry, 'pass', 'cdk-openapi'));
    const order = probeOrder(bundle.run.nonce);
    const put = bundle.transcript.find((c) => c.operation === 'PutItem')!;
    const invoke = bundle.transcript.find((c) => c.operation === 'InvokeAgent')!;
    expect(order.orderId).toBe(`SP-${bundle.run.nonce}`);
    expect(put.input).toMatchObject({ TableName: seededOrdersTable(bundle.run.attemptId), Item: { orderId: { S: order.orderId }, status: { S: order.status } } });
    expect(invoke.input).toMatchObject({ enableTrace: true, sessionId: `skillproof-${bundle.run.nonce}-1` });
    expect(put.seq).toBeLessThan(invoke.seq);
  });

  it('picks the probe status from the run\'s random part of the nonce, so different runs of one attempt ask about different statuses', () => {
    const statuses = new Set(['00000000', '11111111', '22222222', '33333333', '44444444', '55555555'].map((n) => probeOrder(`abcdef01${n}`).status));
    expect(statuses.size).toBeGreaterThan(3);
  });

});
