import { loadCatalog } from '../../src/catalog/load';
import type { Report } from '../../src/model/report';
import { gradedFixture } from '../support/fixtures';
import { probeFact } from '../../graders/aws-agentic-ai/agentic-agentcore-runtime';

const entry = loadCatalog().get('agentic-agentcore-runtime');

const graded = gradedFixture(entry);

const check = (report: Report, id: string) => report.checks.find((c) => c.id === id)!;
const notPassing = (report: Report) => Object.fromEntries(report.checks.filter((c) => c.outcome !== 'PASS').map((c) => [c.id, c.outcome]));

describe('agentic-agentcore-runtime', () => {
  it('derives the probe from the run\'s nonce: a fresh code, one user, session ids of at least 33 characters', () => {
    const fact = probeFact('0123456789abcdef');
    expect(fact.code).toBe('0123-4567');
    expect(fact.statement).toContain(fact.code);
    expect(fact.sessionId(1)).not.toBe(fact.sessionId(2));
    expect(fact.sessionId(1).length).toBeGreaterThanOrEqual(33);
  });

  it('passes the reference CDK solution: code-zip runtime, Cognito JWT gateway with a Lambda tool, semantic memory', async () => {
    const report = await graded('pass', 'cdk-code-zip');
    expect(report.status).toBe('passed');
    expect(notPassing(report)).toEqual({});
  });

  it('passes a container runtime on its own endpoint, streaming its answer, with a custom semantic-override strategy and JWT by audience', async () => {
    const report = await graded('alt', 'custom-semantic-streaming');
    expect(notPassing(report)).toEqual({});
    expect(check(report, 'runtime-endpoint-ready').message).toContain('endpoint prod');
    expect(check(report, 'memory-semantic-strategy').message).toContain('customfacts');
  });

  it('waits for asynchronous extraction and passes when the second new session recalls the fact (threshold 1 of 3)', async () => {
    const report = await graded('alt', 'slow-extraction-second-try');
    expect(notPassing(report)).toEqual({});
    const recall = check(report, 'fact-recalled-across-sessions');
    expect(recall.message).toMatch(/on try 2 .*threshold: 1 of up to 3 tries/);
    expect((recall.actual as Array<{ passed: boolean }>).map((t) => t.passed)).toEqual([false, true]);
  });

  it('fails a runtime that is not READY, and one that only accepts JWT callers, skipping the probes', async () => {
    expect(check(await graded('fail', 'runtime-not-ready'), 'runtime-ready').message).toContain('CREATE_FAILED');
    expect(check(await graded('fail', 'runtime-updating'), 'runtime-ready').message).toContain('UPDATING');
    const jwt = await graded('fail', 'runtime-jwt-inbound');
    expect(check(jwt, 'runtime-ready').message).toContain('JWT');
    expect(check(jwt, 'fact-recalled-across-sessions').outcome).toBe('SKIPPED');
  });

  it('fails when no endpoint is READY', async () => {
    expect(check(await graded('fail', 'endpoint-not-ready'), 'runtime-endpoint-ready').message).toContain('UPDATE_FAILED');
  });

  it.each([
    ['gateway-no-authoriser', 'NONE, not CUSTOM_JWT'],
    ['gateway-iam-authoriser', 'AWS_IAM, not CUSTOM_JWT'],
    ['gateway-jwt-any-client', 'no specific audience or client'],
  ])('fails a gateway without a proper JWT authoriser (%s)', async (name, words) => {
    const report = await graded('fail', name);
    expect(notPassing(report)).toEqual({ 'gateway-jwt-authoriser': 'FAIL' });
    expect(check(report, 'gateway-jwt-authoriser').message).toContain(words);
  });

  it('fails a gateway without a Lambda tool, or whose Lambda function is gone', async () => {
    expect(check(await graded('fail', 'gateway-openapi-only'), 'gateway-lambda-tool').message).toContain('no target of the gateway is a Lambda function');
    expect(check(await graded('fail', 'gateway-target-lambda-deleted'), 'gateway-lambda-tool').message).toContain('does not exist');
  });

  it('fails a memory without a semantic strategy, without charging the probes again', async () => {
    const report = await graded('fail', 'memory-without-semantic-strategy');
    expect(notPassing(report)).toEqual({ 'memory-semantic-strategy': 'FAIL', 'memory-records-extracted': 'SKIPPED', 'fact-recalled-across-sessions': 'SKIPPED' });
    expect(check(await graded('fail', 'memory-short-term-only'), 'memory-semantic-strategy').outcome).toBe('FAIL');
  });

  it('fails when the agent never saves the conversation, so nothing is extracted within the wait', async () => {
    const report = await graded('fail', 'agent-does-not-save-events');
    expect(check(report, 'memory-records-extracted').message).toContain('within 180 s');
    expect(check(report, 'fact-recalled-across-sessions').outcome).toBe('SKIPPED');
  });

  it('fails when the agent\'s code crashes (RuntimeClientError is the candidate\'s, not an infrastructure error)', async () => {
    expect(check(await graded('fail', 'agent-crashes'), 'memory-records-extracted').message).toContain('the agent failed in session 1');
  });

  it('fails when the fact is extracted but three new sessions do not recall it', async () => {
    const report = await graded('fail', 'fact-not-recalled');
    expect(notPassing(report)).toEqual({ 'fact-recalled-across-sessions': 'FAIL' });
    expect(check(report, 'fact-recalled-across-sessions').actual).toHaveLength(3);
  });

  it('is incomplete, not failed, when AWS throttles or the grader may not invoke the runtime', async () => {
    expect((await graded('error', 'memories-throttled')).status).toBe('incomplete');
    const denied = await graded('error', 'grader-cannot-invoke-runtime');
    expect(denied.status).toBe('incomplete');
    expect(check(denied, 'memory-records-extracted').outcome).toBe('ERROR');
  });

});
