import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCatalog } from '../../src/catalog/load';
import { check, gradedFixture, notPassing } from '../support/fixtures';
import { probeFact, probeTicket } from '../../graders/aws-agentic-ai/agentic-agentcore-runtime';

const entry = loadCatalog().get('agentic-agentcore-runtime');

const graded = gradedFixture(entry);


describe('agentic-agentcore-runtime', () => {
  it('derives the probe from the run\'s nonce: a fresh code, one user, session ids of at least 33 characters', () => {
    const fact = probeFact('0123456789abcdef');
    expect(fact.code).toBe('0123-4567');
    expect(fact.statement).toContain(fact.code);
    expect(fact.sessionId(1)).not.toBe(fact.sessionId(2));
    expect(fact.sessionId(1).length).toBeGreaterThanOrEqual(33);
  });

  it('gives each ticket probe its own ticket, whose update reference cannot be told from its id', () => {
    const gateway = probeTicket('0123456789abcdef', 'gateway');
    const agent = probeTicket('0123456789abcdef', 'agent');
    expect(gateway).toEqual(probeTicket('0123456789abcdef', 'gateway'));
    expect(gateway.ticketId).toMatch(/^HD-[0-9A-F]{8}$/);
    expect(gateway.updateRef).toMatch(/^UPD-[0-9A-F]{4}-[0-9A-F]{4}$/);
    expect(agent.ticketId).not.toBe(gateway.ticketId);
    expect(agent.updateRef).not.toBe(gateway.updateRef);
    expect(probeTicket('fedcba9876543210', 'agent').updateRef).not.toBe(agent.updateRef);
  });

  it('passes the reference CDK solution: code-zip runtime, Cognito JWT gateway with a Lambda tool, semantic memory', async () => {
    const report = await graded('pass', 'cdk-code-zip');
    expect(report.status).toBe('passed');
    expect(notPassing(report)).toEqual({});
  });

  it('waits out a runtime and DEFAULT endpoint that are UPDATING, then grades the version DEFAULT serves (container, streaming, JWT by scope)', async () => {
    const report = await graded('alt', 'custom-semantic-streaming');
    expect(notPassing(report)).toEqual({});
    expect(check(report, 'runtime-ready').message).toContain('version 4 is READY');
    expect(check(report, 'runtime-endpoint-ready').message).toBe('endpoint DEFAULT is READY on version 4');
    expect(check(report, 'gateway-jwt-authoriser').message).toContain('scope(s) helpdesk-tools/invoke');
    expect(check(report, 'memory-semantic-strategy').message).toContain('customfacts');
  });

  it('passes a gateway restricted by a custom client_id claim', async () => {
    const report = await graded('alt', 'gateway-custom-claim');
    expect(notPassing(report)).toEqual({});
    expect(check(report, 'gateway-jwt-authoriser').message).toContain('claim(s) client_id EQUALS');
    expect(check(report, 'gateway-mcp-tool-call').message).toContain('tickets___get_ticket_status');
  });

  it('calls the gateway over MCP with a token of the sandbox\'s agent client, and checks that nobody else gets in', async () => {
    const report = await graded('pass', 'cdk-code-zip');
    const call = check(report, 'gateway-mcp-tool-call');
    expect(call.message).toMatch(/^tools\/call ticket-status___get_ticket_status answered ticket HD-[0-9A-F]{8} from the tickets table$/);
    expect(check(report, 'gateway-refuses-other-callers').actual).toEqual({ 'no token': expect.objectContaining({ status: 401 }), 'a token of app client helpdesk-reporting': expect.objectContaining({ status: 401 }) });
  });

  it('waits for asynchronous extraction and passes when the second new session recalls the fact (threshold 1 of 3)', async () => {
    const report = await graded('alt', 'slow-extraction-second-try');
    expect(notPassing(report)).toEqual({});
    const recall = check(report, 'fact-recalled-across-sessions');
    expect(recall.message).toMatch(/on try 2 .*threshold: 1 of up to 3 tries/);
    expect((recall.actual as Array<{ passed: boolean }>).map((t) => t.passed)).toEqual([false, true]);
  });

  it('fails a runtime that failed to create or update, with the reason AWS gives, skipping the probes', async () => {
    expect(check(await graded('fail', 'runtime-not-ready'), 'runtime-ready').message).toContain('CREATE_FAILED: The runtime role cannot be assumed');
    const updateFailed = await graded('fail', 'runtime-update-failed');
    expect(check(updateFailed, 'runtime-ready').message).toMatch(/version 4 is UPDATE_FAILED: Failed to pull image/);
    expect(check(updateFailed, 'fact-recalled-across-sessions').outcome).toBe('SKIPPED');
  });

  it('is incomplete, not failed, when the runtime is still UPDATING after the wait', async () => {
    const report = await graded('error', 'runtime-stuck-updating');
    expect(report.status).toBe('incomplete');
    expect(check(report, 'runtime-ready')).toMatchObject({ outcome: 'ERROR', message: expect.stringContaining('still UPDATING after 180 s') });
  });

  it('fails a DEFAULT endpoint that failed to update, and one serving a version that only accepts JWT callers', async () => {
    expect(check(await graded('fail', 'endpoint-not-ready'), 'runtime-endpoint-ready').message).toBe('endpoint DEFAULT of helpdesk_agent is UPDATE_FAILED: Endpoint update to version 3 failed');
    const jwt = await graded('fail', 'runtime-jwt-inbound');
    expect(notPassing(jwt)).toEqual({
      'runtime-endpoint-ready': 'FAIL',
      'runtime-role-no-direct-ticket-access': 'SKIPPED',
      'agent-uses-gateway-tool': 'SKIPPED',
      'memory-records-extracted': 'SKIPPED',
      'fact-recalled-across-sessions': 'SKIPPED',
    });
    expect(check(jwt, 'runtime-endpoint-ready').message).toContain('only accepts JWT bearer tokens');
  });

  it.each([
    ['gateway-no-authoriser', 'NONE, not CUSTOM_JWT'],
    ['gateway-iam-authoriser', 'AWS_IAM, not CUSTOM_JWT'],
    ['gateway-jwt-any-client', 'no specific audience, client, scope or claim'],
    ['gateway-cognito-audience', 'Cognito access tokens carry client_id, not aud, so the gateway rejects every access token'],
    ['gateway-other-user-pool', "not the sandbox's user pool eu-west-1_AbCdEf123"],
  ])('fails a gateway without a proper JWT authoriser (%s), skipping the calls to it', async (name, words) => {
    const report = await graded('fail', name);
    expect(notPassing(report)).toEqual({ 'gateway-jwt-authoriser': 'FAIL', 'gateway-mcp-tool-call': 'SKIPPED', 'gateway-refuses-other-callers': 'SKIPPED', 'agent-uses-gateway-tool': 'SKIPPED' });
    expect(check(report, 'gateway-jwt-authoriser').message).toContain(words);
  });

  it('fails a gateway without a Lambda tool, or whose Lambda function is gone', async () => {
    expect(check(await graded('fail', 'gateway-openapi-only'), 'gateway-lambda-tool').message).toContain('no target of the gateway is a Lambda function');
    expect(check(await graded('fail', 'gateway-target-lambda-deleted'), 'gateway-lambda-tool').message).toContain('does not exist');
  });

  it('fails a gateway that admits another app client of the pool', async () => {
    const report = await graded('fail', 'gateway-admits-other-client');
    expect(notPassing(report)).toEqual({ 'gateway-refuses-other-callers': 'FAIL' });
    expect(check(report, 'gateway-refuses-other-callers').message).toContain('HTTP 200 to tools/list with a token of app client helpdesk-reporting');
  });

  it('fails a tool call the gateway cannot complete, and a tool that is not named as the instructions say', async () => {
    const denied = await graded('fail', 'gateway-cannot-invoke-tool');
    expect(notPassing(denied)).toEqual({ 'gateway-mcp-tool-call': 'FAIL', 'agent-uses-gateway-tool': 'SKIPPED' });
    expect(check(denied, 'gateway-mcp-tool-call').message).toContain('failed: Access denied while invoking Lambda function');
    expect(check(await graded('fail', 'gateway-tool-misnamed'), 'gateway-mcp-tool-call').message).toContain('lists no tool get_ticket_status (it lists: ticket-status___lookup_ticket)');
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

  it('fails, never errs, when the runtime role may not invoke the model (the agent\'s call is refused inside its container)', async () => {
    const report = await graded('fail', 'runtime-role-lacks-model-access');
    expect(check(report, 'memory-records-extracted').message).toContain('the agent failed in session 1');
    expect(report.checks.filter((c) => c.outcome === 'ERROR')).toEqual([]);
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

  it('writes a probe ticket per probe into the seeded table, and deletes each one afterwards', async () => {
    const report = await graded('pass', 'cdk-code-zip');
    expect(check(report, 'agent-uses-gateway-tool').message).toMatch(/^on try 1 the agent answered with the update reference of ticket HD-[0-9A-F]{8}, which only the gateway's tool could give it/);
    expect(check(report, 'runtime-role-no-direct-ticket-access').outcome).toBe('PASS');
    const fixture = JSON.parse(readFileSync(join(__dirname, '../../tasks/agentic-agentcore-runtime/fixtures/pass/cdk-code-zip.json'), 'utf8')) as { transcript: Array<{ service: string; operation: string; input: { TableName?: string; Item?: { ticketId?: { S?: string } }; Key?: { ticketId?: { S?: string } } } }> };
    const writes = fixture.transcript.filter((c) => c.service === 'DynamoDB');
    const put = writes.filter((c) => c.operation === 'PutItem').map((c) => c.input.Item?.ticketId?.S);
    const deleted = writes.filter((c) => c.operation === 'DeleteItem').map((c) => c.input.Key?.ticketId?.S);
    expect(put).toHaveLength(2);
    expect(new Set(deleted)).toEqual(new Set(put));
    expect(new Set(writes.map((c) => c.input.TableName))).toEqual(new Set(['skillproof-fixture-cdk-code-zip-tickets']));
  });

  it('passes when the model uses the tool on its second try, and a runtime role that reaches other tables and functions', async () => {
    const report = await graded('alt', 'agent-tool-second-try-role-with-extras');
    expect(notPassing(report)).toEqual({});
    expect((check(report, 'agent-uses-gateway-tool').actual as Array<{ passed: boolean }>).map((t) => t.passed)).toEqual([false, true]);
  });

  it('fails an agent that answers ticket questions without the gateway\'s tool', async () => {
    const report = await graded('fail', 'agent-answers-without-tool');
    expect(notPassing(report)).toEqual({ 'agent-uses-gateway-tool': 'FAIL' });
    expect(check(report, 'agent-uses-gateway-tool').actual).toHaveLength(3);
  });

  it.each([
    ['runtime-role-reads-tickets-table', /dynamodb:GetItem, dynamodb:BatchGetItem, dynamodb:Query, dynamodb:Scan, dynamodb:PartiQLSelect on arn:aws:dynamodb:eu-west-1:111122223333:table\/skillproof-fixture-runtime-role-reads-tickets-table-tickets \(managed policy arn:aws:iam::aws:policy\/AmazonDynamoDBFullAccess\)$/],
    ['runtime-role-invokes-tool-lambda', /lambda:InvokeFunction on arn:aws:lambda:eu-west-1:111122223333:function:ticket-status-tool \(inline policy helpdesk-runtime/],
    ['tool-policy-admits-runtime-role', /its resource policy: statement agent-direct lets arn:aws:iam::111122223333:role\/candidate\/helpdesk-runtime-role invoke it/],
  ])('fails a runtime role that can reach tickets around the gateway (%s), without charging the agent probe again', async (name, words) => {
    const report = await graded('fail', name);
    expect(notPassing(report)).toEqual({ 'runtime-role-no-direct-ticket-access': 'FAIL', 'agent-uses-gateway-tool': 'SKIPPED' });
    expect(check(report, 'runtime-role-no-direct-ticket-access').message).toMatch(words);
  });

  it('fails a tool that does not answer from the tickets table', async () => {
    const report = await graded('fail', 'tool-ignores-tickets-table');
    expect(notPassing(report)).toEqual({ 'gateway-mcp-tool-call': 'FAIL', 'agent-uses-gateway-tool': 'SKIPPED' });
    expect(check(report, 'gateway-mcp-tool-call').message).toContain('its updateRef is missing');
  });

  it('is incomplete, not failed, when the sandbox lacks its tickets table', async () => {
    const report = await graded('error', 'sandbox-tickets-table-missing');
    expect(report.status).toBe('incomplete');
    expect(notPassing(report)).toEqual({ 'gateway-mcp-tool-call': 'ERROR', 'agent-uses-gateway-tool': 'SKIPPED' });
    expect(check(report, 'gateway-mcp-tool-call').message).toContain('skillproof-fixture-sandbox-tickets-table-missing-tickets does not exist');
  });

  it('is incomplete, not failed, when the sandbox lacks its user pool', async () => {
    const report = await graded('error', 'sandbox-user-pool-missing');
    expect(report.status).toBe('incomplete');
    expect(check(report, 'gateway-jwt-authoriser')).toMatchObject({ outcome: 'ERROR', message: expect.stringContaining('the sandbox is incomplete') });
  });

});
