import { loadCatalog } from '../../src/catalog/load';
import { check, gradedFixture } from '../support/fixtures';

/**
 * Issue 12, item 1, across the Bedrock Agents tasks: when the candidate's agent role lacks a
 * permission, InvokeAgent is accepted and the stream ends in accessDeniedException. That is the
 * candidate's FAIL with the reason, never ERROR "grader role not allowed".
 */

describe.each([
  ['agentic-order-agent', 'agent-role-lacks-model-access', 'agent-answers-from-tool', 'Access denied when calling Bedrock'],
  ['agentic-rag-guardrail', 'agent-role-cannot-retrieve', 'agent-answers-from-knowledge-base', 'is not authorized to perform: bedrock:Retrieve'],
  ['agentic-multi-agent', 'supervisor-role-cannot-invoke-collaborators', 'routes-by-request', 'Access denied when calling Bedrock'],
])('%s: the agent\'s own role is denied (%s)', (taskId, fixture, checkId, reason) => {
  it(`fails ${checkId} with the reason, and the run is failed, not incomplete`, async () => {
    const report = await gradedFixture(loadCatalog().get(taskId))('fail', fixture);
    const probe = check(report, checkId);
    expect(report.status).toBe('failed');
    expect(report.checks.filter((c) => c.outcome === 'ERROR')).toEqual([]);
    expect(probe.outcome).toBe('FAIL');
    expect(probe.message).toContain("the agent's own role was denied access while answering (accessDeniedException:");
    expect(probe.message).toContain(reason);
    expect(probe.message).not.toContain('grader role');
  });
});
