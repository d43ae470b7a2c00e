import { BedrockAgentRuntimeClient, InvokeAgentCommand } from '@aws-sdk/client-bedrock-agent-runtime';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AttemptService } from '../../src/attempts/attempt-service';
import type { GradeRequest, GradeResult } from '../../src/attempts/types';
import { GradingSession } from '../../src/aws/session';
import { bundleOf, Clock, replaySandbox, tempStore } from './support/fixtures';
import { simulated } from '../support/harness';

/**
 * Issue 12, item 11: each progress check re-runs every behavioural probe, so an attempt's progress
 * checks share a budget of model calls per task; the final grading has none.
 */
describe('the model-call budget of an attempt\'s progress checks', () => {
  let ctx: ReturnType<typeof tempStore>;
  let clock: Clock;
  beforeEach(() => {
    clock = new Clock();
    ctx = tempStore(clock.now);
  });
  afterEach(() => ctx.cleanup());

  /** A grading stand-in whose every run sends `perRun` InvokeAgent calls (one of them retried) and one read. */
  function gradingThatInvokes(perRun: number) {
    const calls: GradeRequest[] = [];
    const grade = async (req: GradeRequest): Promise<GradeResult> => {
      calls.push(req);
      const sent = Math.min(perRun, req.modelCallBudget ?? perRun);
      const transcript = [
        { seq: 1, service: 'BedrockAgent', operation: 'GetAgent', input: {}, try: 1, durationMs: 0 },
        ...Array.from({ length: sent }, (_, i) => ({ seq: i + 2, service: 'BedrockAgentRuntime', operation: 'InvokeAgent', input: { sessionId: `s-${i}` }, try: 1, durationMs: 0 })),
        ...(sent < perRun ? [{ seq: 99, service: 'BedrockAgentRuntime', operation: 'InvokeAgent', input: {}, error: { code: 'ModelCallBudgetExhausted', message: 'not sent' }, try: 1, durationMs: 0 }] : []),
      ];
      const report = { task: req.taskId, scope: req.scope, status: 'passed' };
      return { status: 'passed', report, bundle: bundleOf({ attemptId: req.attemptId, at: clock.now().toISOString(), report, transcript }) };
    };
    return Object.assign(grade, { calls });
  }

  it('gives each progress run what earlier progress runs of the task left, and the final run no limit', async () => {
    const grade = gradingThatInvokes(4);
    const svc = new AttemptService({ store: ctx.store, grade, freeze: async () => {}, now: clock.now, progressModelCalls: 10 });
    const attempt = await svc.start((await svc.create({ candidate: 'cand-ada', target: { kind: 'practice', taskId: 'agentic-order-agent' }, sandbox: replaySandbox })).id);
    for (let i = 0; i < 4; i++) {
      await svc.check(attempt.id);
      clock.advance(30_000);
    }
    await svc.submit(attempt.id);
    expect(grade.calls.map((c) => [c.scope, c.modelCallBudget])).toEqual([
      ['progress', 10],
      ['progress', 6],
      ['progress', 2],
      ['progress', 0],
      ['final', undefined],
    ]);
    expect(await svc.progressModelCallsSpent(attempt.id, 'agentic-order-agent')).toBe(10);
  });
});

describe('a grading session with a model-call budget', () => {
  const invoke = (n: number) => new InvokeAgentCommand({ agentId: 'A', agentAliasId: 'L', sessionId: `s-${n}`, inputText: 'hi' });
  const answer = () => ({ completion: [], contentType: 'application/json', sessionId: 's' });
  const probes = ['bedrock:InvokeAgent'];

  it('refuses model calls past the budget, records the refusal, and a replay refuses the same call', async () => {
    const live = simulated(answer, { probes, modelCallBudget: 2 });
    const client = live.client(BedrockAgentRuntimeClient);
    await client.send(invoke(1));
    await client.send(invoke(2));
    await expect(client.send(invoke(3))).rejects.toMatchObject({ name: 'ModelCallBudgetExhausted', message: expect.stringContaining('budget of 2 model calls') });
    expect(live.transcript.map((r) => r.error?.code ?? 'sent')).toEqual(['sent', 'sent', 'ModelCallBudgetExhausted']);

    const { modelCallBudget: _none, ...config } = live.config;
    const replay = new GradingSession({ ...config, mode: 'replay', recorded: live.transcript });
    const again = replay.client(BedrockAgentRuntimeClient);
    await again.send(invoke(1));
    await again.send(invoke(2));
    await expect(again.send(invoke(3))).rejects.toMatchObject({ name: 'ModelCallBudgetExhausted' });
  });

  it('refuses every model call at a budget of 0, and lets reads through', async () => {
    const session = simulated((_service, operation) => (operation === 'DescribeTable' ? { Table: { TableName: 'orders' } } : answer()), { probes, modelCallBudget: 0 });
    await expect(session.client(BedrockAgentRuntimeClient).send(invoke(1))).rejects.toMatchObject({ name: 'ModelCallBudgetExhausted' });
    await expect(session.client(DynamoDBClient).send(new DescribeTableCommand({ TableName: 'orders' }))).resolves.toMatchObject({ Table: { TableName: 'orders' } });
  });
});
