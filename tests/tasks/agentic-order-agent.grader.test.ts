import { loadCatalog } from '../../src/catalog/load';
import { readBundle } from '../../src/evidence/bundle';
import type { Report } from '../../src/model/report';
import { fixtureFile } from '../../src/testing/scenarios';
import { gradedFixture } from '../support/fixtures';
import { probeOrder, seededOrdersTable } from '../../graders/aws-agentic-ai/agentic-order-agent';

const entry = loadCatalog().get('agentic-order-agent');

const graded = gradedFixture(entry);

const outcomes = (report: Report) => Object.fromEntries(report.checks.map((c) => [c.id, c.outcome]));
const check = (report: Report, id: string) => report.checks.find((c) => c.id === id)!;
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
    expect((probe.actual as Array<{ passed: boolean }>).map((t) => t.passed)).toEqual([false, true]);
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
    expect(probe.message).toContain('tries 1-3: did not call OrderTools, named the status');
    expect(probe.actual).toHaveLength(3);
  });

  it('fails when OrderTools is called but the answer lacks the status', async () => {
    expect(check(await graded('fail', 'tool-returns-nothing'), 'agent-answers-from-tool').message).toContain('called OrderTools, did not name the status');
  });

  it('fails, rather than errs, when InvokeAgent reports the agent\'s own Lambda could not be invoked', async () => {
    const report = await graded('fail', 'lambda-denies-agent');
    expect(check(report, 'agent-answers-from-tool').message).toContain('DependencyFailedException');
    expect(check(report, 'lambda-invoke-scoped').outcome).toBe('FAIL');
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

  it('picks the probe status from the nonce, so different runs ask about different statuses', () => {
    const statuses = new Set(['00000000', '11111111', '22222222', '33333333', '44444444', '55555555'].map((n) => probeOrder(`${n}abcdef01`).status));
    expect(statuses.size).toBeGreaterThan(3);
  });

});
