import { GradingSession, type Responder, type SessionConfig } from '../../src/aws/session';
import { runChecks } from '../../src/engine/run-checks';
import { checkSchema, graderSchema, pass, type CheckContext, type CheckDefinition, type LoadedGrader } from '../../src/model/grader';
import { taskSchema, type TaskDefinition } from '../../src/model/task';

export const TASK: TaskDefinition = taskSchema.parse({
  id: 'unit-task',
  title: 'Unit test task',
  track: 'aws-serverless',
  summary: 'A task used by the engine unit tests.',
  timeLimitMinutes: 30,
  blueprint: { candidate: { services: ['dynamodb'] }, grader: { reads: ['dynamodb:DescribeTable'], probes: ['dynamodb:PutItem'] }, budgetUsd: 5 },
  passRule: { passMark: 0.5 },
});

export function grader(checks: Array<Partial<CheckDefinition> & Pick<CheckDefinition, 'id' | 'run'>>, probes: string[] = []): LoadedGrader {
  return graderSchema.parse({
    task: 'unit-task',
    probes,
    checks: checks.map((c) => checkSchema.parse({ title: `check ${c.id}`, points: 10, hint: 'a hint that helps', ...c })),
  }) as LoadedGrader;
}

export function simulated(responder: Responder, extra: Partial<SessionConfig> = {}): GradingSession {
  return new GradingSession({
    mode: 'simulate',
    region: 'eu-west-1',
    attemptId: 'unit',
    nonce: '0123456789abcdef',
    startedAt: new Date('2026-01-15T10:00:00Z'),
    probes: [],
    responder,
    ...extra,
  });
}

/**
 * Runs `fn` inside one check of a simulated grading run against `account` and returns its value;
 * throws with the outcome and message if the check did not pass (the way to test graders/lib code).
 */
export async function inCheck<T>(account: { responder: Responder }, fn: (ctx: CheckContext) => Promise<T>, options: { probes?: string[]; timeoutMs?: number } = {}): Promise<T> {
  let value: T | undefined;
  const probes = options.probes ?? [];
  const report = await runChecks({
    task: TASK,
    grader: grader([{ id: 'probe', ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}), run: async (ctx) => ((value = await fn(ctx)), pass('ok')) }], probes),
    session: simulated(account.responder, { probes }),
    accountId: '111122223333',
  });
  const check = report.checks[0]!;
  if (check.outcome !== 'PASS') throw new Error(`${check.outcome}: ${check.message}`);
  return value as T;
}
