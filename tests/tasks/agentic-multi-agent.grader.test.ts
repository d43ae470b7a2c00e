import { loadCatalog } from '../../src/catalog/load';
import { readBundle } from '../../src/evidence/bundle';
import { fixtureFile } from '../../src/testing/scenarios';
import { check, gradedFixture, outcomes } from '../support/fixtures';

const entry = loadCatalog().get('agentic-multi-agent');

const graded = gradedFixture(entry);

const ALL_PASS = {
  'supervisor-exists': 'PASS',
  'supervisor-live-alias': 'PASS',
  'collaboration-enabled': 'PASS',
  'collaborators-configured': 'PASS',
  'collaborators-published': 'PASS',
  'routes-by-request': 'PASS',
};

describe('agentic-multi-agent', () => {
  it('passes the reference CDK solution: SUPERVISOR mode, orders and returns on published aliases', async () => {
    const report = await graded('pass', 'cdk-supervisor');
    expect(report.status).toBe('passed');
    expect(outcomes(report)).toEqual(ALL_PASS);
  });

  it('passes in SUPERVISOR_ROUTER mode, where hand-offs show in the routing classifier, with a third collaborator', async () => {
    const report = await graded('alt', 'router-three-collaborators');
    expect(outcomes(report)).toEqual(ALL_PASS);
    expect(check(report, 'collaborators-published').message).toBe('orders, returns and billing are published');
  });

  it('passes when the returns request is handed over only on the second of three tries (threshold 1 of 3)', async () => {
    const probe = check(await graded('alt', 'returns-on-second-try'), 'routes-by-request');
    expect(probe.outcome).toBe('PASS');
    expect(probe.message).toMatch(/returns request reached returns alone on try 2 .*threshold: 1 of up to 3 tries per request/);
    const returns = (probe.actual as Array<{ expected: string; tries: Array<{ outcome: string }> }>).find((r) => r.expected === 'returns')!;
    expect(returns.tries.map((t) => t.outcome)).toEqual(['no hand-off in the trace', 'handed off to returns']);
  });

  it('judges exclusivity per try: a first try that asks both specialists, then one that asks only orders, passes', async () => {
    const probe = check(await graded('alt', 'both-on-first-try-then-exclusive'), 'routes-by-request');
    expect(probe.message).toContain('the orders request reached orders alone on try 2');
    const orders = (probe.actual as Array<{ expected: string; tries: Array<{ outcome: string }> }>).find((r) => r.expected === 'orders')!;
    expect(orders.tries.map((t) => t.outcome)).toEqual(['handed off to orders and returns', 'handed off to orders']);
  });

  it('passes a console build that relays the conversation history and asks the right specialist twice', async () => {
    expect(outcomes(await graded('alt', 'console-relay-history-asks-twice'))).toEqual(ALL_PASS);
  });

  it('fails a supervisor that hands every request to every collaborator: routing must be exclusive', async () => {
    const probe = check(await graded('fail', 'calls-every-collaborator'), 'routes-by-request');
    expect(probe.message).toContain('the orders request never reached orders alone (tries 1-3: handed off to orders and returns)');
    expect(probe.message).toContain('the returns request never reached returns alone');
  });

  it('fails when only one kind of request also reaches the other collaborator', async () => {
    const probe = check(await graded('fail', 'returns-also-to-orders'), 'routes-by-request');
    expect(probe.message).toContain('the returns request never reached returns alone (tries 1-3: handed off to returns and orders)');
    expect(probe.message).not.toContain('orders request never');
  });

  it('fails when collaboration is disabled on the published supervisor', async () => {
    const report = await graded('fail', 'collaboration-disabled');
    expect(check(report, 'collaboration-enabled').message).toContain('DISABLED');
    expect(['collaborators-configured', 'collaborators-published', 'routes-by-request'].map((id) => check(report, id).outcome)).toEqual(['SKIPPED', 'SKIPPED', 'SKIPPED']);
  });

  it('fails when there is only one collaborator', async () => {
    expect(check(await graded('fail', 'only-one-collaborator'), 'collaborators-configured').message).toContain('no collaborator named returns');
  });

  it('fails when both collaborator names point at the same agent', async () => {
    expect(check(await graded('fail', 'same-agent-twice'), 'collaborators-configured').message).toContain('two collaborators need two agents');
  });

  it('fails when a collaborator is the test alias, on DRAFT', async () => {
    expect(check(await graded('fail', 'collaborator-alias-on-draft'), 'collaborators-published').message).toContain('returns: alias AgentTestAlias routes to DRAFT');
  });

  it('fails when the supervisor\'s live alias routes to DRAFT', async () => {
    expect(check(await graded('fail', 'supervisor-alias-on-draft'), 'supervisor-live-alias').outcome).toBe('FAIL');
  });

  it('fails when no trace shows a hand-off', async () => {
    expect(check(await graded('fail', 'no-hand-off'), 'routes-by-request').message).toContain('tries 1-3: no hand-off in the trace');
  });

  it('fails when every request goes to the same collaborator, whatever it asks', async () => {
    const probe = check(await graded('fail', 'everything-to-orders'), 'routes-by-request');
    expect(probe.message).toContain('the returns request never reached returns alone (tries 1-3: handed off to orders)');
    expect(probe.message).not.toContain('orders request never');
  });

  it('is incomplete, never failed, when InvokeAgent stays throttled', async () => {
    const report = await graded('error', 'invoke-agent-throttled');
    expect(report.status).toBe('incomplete');
    expect(check(report, 'routes-by-request').outcome).toBe('ERROR');
  });

  it('is incomplete when the grader may not list collaborators', async () => {
    expect(check(await graded('error', 'grader-access-denied'), 'collaborators-configured').outcome).toBe('ERROR');
  });

  it('sends each request in a fresh session per try, named from the run nonce, with the trace on', () => {
    const bundle = readBundle(fixtureFile(entry, 'alt', 'returns-on-second-try'));
    const sessions = bundle.transcript.filter((c) => c.operation === 'InvokeAgent').map((c) => c.input as { sessionId: string; enableTrace: boolean });
    expect(sessions.map((s) => s.sessionId)).toEqual([`skillproof-${bundle.run.nonce}-orders-1`, `skillproof-${bundle.run.nonce}-returns-1`, `skillproof-${bundle.run.nonce}-returns-2`]);
    expect(sessions.every((s) => s.enableTrace)).toBe(true);
  });

});
