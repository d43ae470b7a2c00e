import { DescribeExecutionCommand, DescribeStateMachineCommand, ListExecutionsCommand, ListStateMachinesCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import {
  catchHandlers,
  caughtFailures,
  containsToken,
  failureOf,
  findStateMachine,
  mainPathTasks,
  parseDefinition,
  taskFailures,
  watchExecutions,
  type AslScope,
} from '../../../graders/lib/step-functions';
import type { CheckContext } from '../../../src/model/grader';
import { awsError, FakeAccount } from '../../../src/testing/fake-account';
import { inCheck as runInCheck } from '../../support/harness';

const inCheck = <T>(account: FakeAccount, fn: (ctx: CheckContext) => Promise<T>) => runInCheck(account, fn, { timeoutMs: 5_000 });
const SM = 'arn:aws:states:eu-west-1:111122223333:stateMachine:order-workflow';
const LAMBDA = 'arn:aws:lambda:eu-west-1:111122223333:function:order-processor';


const definition = (d: object): AslScope => {
  const parsed = parseDefinition(JSON.stringify(d));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.definition;
};
const RETRY = [{ ErrorEquals: ['Lambda.ServiceException'], MaxAttempts: 3 }];
const CATCH = [{ ErrorEquals: ['States.ALL'], Next: 'Handle' }];

/** A history as GetExecutionHistory returns it: ids in order, each event pointing at the one before. */
function history(...events: Array<[HistoryEvent['type'], Partial<HistoryEvent>?]>): HistoryEvent[] {
  return events.map(([type, rest], i) => ({ id: i + 1, previousEventId: i, type, timestamp: new Date(Date.UTC(2026, 0, 15, 10, 0, i)), ...rest }));
}
const entered = (name: string) => ({ stateEnteredEventDetails: { name } });
const failed = (error: string) => ({ taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error, cause: '{"errorMessage":"no"}' } });

describe('graders/lib/step-functions', () => {
  describe('parseDefinition', () => {
    it('reads an ASL document', () => {
      expect(parseDefinition('{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}')).toEqual({ ok: true, definition: { StartAt: 'A', States: { A: { Type: 'Succeed' } } } });
    });

    it.each([
      ['no text', undefined, 'the state machine has no definition'],
      ['not JSON', '{"StartAt":', 'the definition is not JSON'],
      ['not an object', '[1]', 'the definition is not a JSON object'],
      ['no StartAt', '{"States":{}}', 'the definition has no StartAt or States'],
    ])('explains %s', (_what, text, reason) => {
      const parsed = parseDefinition(text);
      expect(parsed.ok).toBe(false);
      expect(parsed.ok ? '' : parsed.reason).toContain(reason);
    });
  });

  describe('mainPathTasks', () => {
    it('reports each task on the normal path with its own Retry and Catch', () => {
      const def = definition({ StartAt: 'Process', States: { Process: { Type: 'Task', Resource: LAMBDA, Retry: RETRY, Catch: CATCH, Next: 'Done' }, Handle: { Type: 'Pass', End: true }, Done: { Type: 'Succeed' } } });
      expect(mainPathTasks(def)).toEqual([{ path: 'Process', name: 'Process', resource: LAMBDA, retried: true, caught: true }]);
    });

    it('does not count a retrier with MaxAttempts 0 as retrying', () => {
      const def = definition({ StartAt: 'Process', States: { Process: { Type: 'Task', Resource: LAMBDA, Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 0 }], Catch: CATCH, End: true }, Handle: { Type: 'Pass', End: true } } });
      expect(mainPathTasks(def)[0]).toMatchObject({ retried: false, caught: true });
    });

    it('follows Choice rules and Default, and leaves out states reached only through a Catch', () => {
      const def = definition({
        StartAt: 'Route',
        States: {
          Route: { Type: 'Choice', Choices: [{ Variable: '$.express', BooleanEquals: true, Next: 'Rush' }], Default: 'Process' },
          Rush: { Type: 'Task', Resource: LAMBDA, Retry: RETRY, Catch: CATCH, End: true },
          Process: { Type: 'Task', Resource: LAMBDA, Catch: CATCH, End: true },
          Handle: { Type: 'Task', Resource: 'arn:aws:states:::sns:publish', End: true },
        },
      });
      expect(mainPathTasks(def).map((t) => [t.path, t.retried, t.caught])).toEqual([
        ['Rush', true, true],
        ['Process', false, true],
      ]);
    });

    it('lets an enclosing Parallel or Map state\'s Retry and Catch cover the tasks inside it', () => {
      const def = definition({
        StartAt: 'Fulfil',
        States: {
          Fulfil: { Type: 'Parallel', Retry: RETRY, Catch: CATCH, Next: 'Lines', Branches: [{ StartAt: 'Validate', States: { Validate: { Type: 'Task', Resource: LAMBDA, End: true } } }] },
          Lines: { Type: 'Map', ItemProcessor: { StartAt: 'Reserve', States: { Reserve: { Type: 'Task', Resource: LAMBDA, End: true } } }, End: true },
          Handle: { Type: 'Pass', End: true },
        },
      });
      expect(mainPathTasks(def).map((t) => [t.path, t.retried, t.caught])).toEqual([
        ['Fulfil/branch 1/Validate', true, true],
        ['Lines/Reserve', false, false],
      ]);
    });
  });

  it('catchHandlers names every state a Catch hands errors to, at any depth', () => {
    const def = definition({
      StartAt: 'Fulfil',
      States: {
        Fulfil: { Type: 'Parallel', Catch: CATCH, End: true, Branches: [{ StartAt: 'V', States: { V: { Type: 'Task', Resource: LAMBDA, Catch: [{ ErrorEquals: ['InvalidOrder'], Next: 'Inner' }], End: true }, Inner: { Type: 'Fail' } } }] },
        Handle: { Type: 'Pass', End: true },
      },
    });
    expect([...catchHandlers(def)].sort()).toEqual(['Handle', 'Inner']);
  });

  describe('caughtFailures', () => {
    const handlers = new Set(['Handle']);

    it('sees a task failure whose next state entry is a Catch handler (the state exit in between is skipped)', () => {
      const events = history(['ExecutionStarted'], ['TaskStateEntered', entered('Process')], ['TaskScheduled'], ['TaskStarted'], ['TaskFailed', failed('InvalidOrder')], ['TaskStateExited'], ['PassStateEntered', entered('Handle')], ['PassStateExited'], ['ExecutionSucceeded']);
      expect(caughtFailures(events, handlers)).toEqual([{ error: 'InvalidOrder', handler: 'Handle' }]);
    });

    it('counts retries that end in the handler once', () => {
      const events = history(['TaskStateEntered', entered('Process')], ['TaskFailed', failed('Boom')], ['TaskScheduled'], ['TaskFailed', failed('Boom')], ['PassStateEntered', entered('Handle')], ['ExecutionSucceeded']);
      expect(caughtFailures(events, handlers)).toEqual([{ error: 'Boom', handler: 'Handle' }]);
    });

    it('understands the LambdaFunction* events of a Task whose Resource is a function ARN', () => {
      const events = history(['TaskStateEntered', entered('Process')], ['LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: { error: 'InvalidOrder' } }], ['FailStateEntered', entered('Handle')], ['ExecutionFailed']);
      expect(caughtFailures(events, handlers)).toEqual([{ error: 'InvalidOrder', handler: 'Handle' }]);
    });

    it.each([
      ['the failure ends the execution', history(['TaskStateEntered', entered('Process')], ['TaskFailed', failed('InvalidOrder')], ['ExecutionFailed', { executionFailedEventDetails: { error: 'InvalidOrder' } }])],
      ['a retry succeeds and the normal path goes on', history(['TaskStateEntered', entered('Process')], ['TaskFailed', failed('Boom')], ['TaskSucceeded'], ['TaskStateExited'], ['SucceedStateEntered', entered('Done')])],
      ['nothing fails', history(['TaskStateEntered', entered('Process')], ['TaskSucceeded'], ['SucceedStateEntered', entered('Done')], ['ExecutionSucceeded'])],
    ])('finds nothing when %s', (_what, events) => {
      expect(caughtFailures(events, handlers)).toEqual([]);
    });

    it('reads a Catch as GetExecutionHistory records it: TaskFailed, then the state exits, then the handler is entered', () => {
      const events = history(['ExecutionStarted'], ['TaskStateEntered', { ...entered('Process'), previousEventId: 0 }], ['TaskScheduled'], ['TaskStarted'], ['TaskFailed', failed('InvalidOrder')], ['TaskStateExited', { stateExitedEventDetails: { name: 'Process' } }], ['PassStateEntered', entered('Handle')], ['PassStateExited'], ['ExecutionSucceeded']);
      expect(caughtFailures(events, handlers)).toEqual([{ error: 'InvalidOrder', handler: 'Handle', state: 'Process' }]);
    });

    it('does not take a retried task that then succeeded for a caught one, even when its Catch target is also its Next', () => {
      const events = history(
        ['TaskStateEntered', entered('Process')],
        ['TaskScheduled'],
        ['TaskStarted'],
        ['TaskFailed', failed('Lambda.TooManyRequestsException')],
        ['TaskScheduled'],
        ['TaskStarted'],
        ['TaskSucceeded'],
        ['TaskStateExited', { stateExitedEventDetails: { name: 'Process' } }],
        ['ChoiceStateEntered', entered('Handle')],
      );
      expect(caughtFailures(events, handlers)).toEqual([]);
    });

    it('follows previousEventId through interleaved Parallel branches to the Parallel state\'s Catch', () => {
      // 1 entered, 2 started; branch A: 3 entered, 5 failed; branch B: 4 entered, 6 succeeded, 7 next state entered; then 8 failed, 9 exited, 10 handler.
      const events: HistoryEvent[] = [
        ['ParallelStateEntered', 0, entered('Fulfil')],
        ['ParallelStateStarted', 1],
        ['TaskStateEntered', 2, entered('Validate')],
        ['TaskStateEntered', 2, entered('Reserve')],
        ['TaskFailed', 3, failed('InvalidOrder')],
        ['TaskSucceeded', 4],
        ['PassStateEntered', 6, entered('MarkReserved')],
        ['ParallelStateFailed', 5],
        ['ParallelStateExited', 8, { stateExitedEventDetails: { name: 'Fulfil' } }],
        ['PassStateEntered', 9, entered('Handle')],
      ].map(([type, previousEventId, rest], i) => ({ id: i + 1, previousEventId: previousEventId as number, type: type as HistoryEvent['type'], timestamp: new Date(Date.UTC(2026, 0, 15, 10, 0, i)), ...(rest as object) }));
      expect(caughtFailures(events, handlers)).toEqual([{ error: 'InvalidOrder', handler: 'Handle', state: 'Fulfil' }]);
    });

    it('reads events in id order whatever order they come in', () => {
      const events = history(['TaskStateEntered', entered('Process')], ['TaskFailed', failed('X')], ['PassStateEntered', entered('Handle')]).reverse();
      expect(caughtFailures(events, handlers)).toEqual([{ error: 'X', handler: 'Handle' }]);
    });
  });

  it('taskFailures and failureOf read the error of any *EventDetails member', () => {
    const events = history(['TaskFailed', failed('A')], ['LambdaFunctionTimedOut', { lambdaFunctionTimedOutEventDetails: { error: 'States.Timeout' } }], ['ExecutionFailed', { executionFailedEventDetails: { error: 'A', cause: 'why' } }]);
    expect(taskFailures(events)).toEqual([
      { type: 'TaskFailed', error: 'A', cause: '{"errorMessage":"no"}' },
      { type: 'LambdaFunctionTimedOut', error: 'States.Timeout' },
    ]);
    expect(failureOf(events[2]!)).toEqual({ error: 'A', cause: 'why' });
    expect(failureOf(history(['ExecutionSucceeded', { executionSucceededEventDetails: { output: '{}' } }])[0]!)).toEqual({});
  });

  it('containsToken matches whole tokens only', () => {
    expect(containsToken('{"orderId":"skillproof-abc"}', 'skillproof-abc')).toBe(true);
    expect(containsToken('{"orderId":"skillproof-abc-invalid"}', 'skillproof-abc')).toBe(false);
    expect(containsToken('{"orderId":"skillproof-abc-invalid"}', 'skillproof-abc-invalid')).toBe(true);
    expect(containsToken('{"order":"{\\"orderId\\":\\"skillproof-abc\\"}"}', 'skillproof-abc')).toBe(true);
  });

  describe('findStateMachine', () => {
    const account = () =>
      new FakeAccount()
        .on(SFNClient, ListStateMachinesCommand, () => ({ stateMachines: [{ stateMachineArn: SM, name: 'order-workflow', type: 'STANDARD', creationDate: new Date('2026-01-01T00:00:00Z') }] }))
        .on(SFNClient, DescribeStateMachineCommand, ({ stateMachineArn }) => ({ stateMachineArn, name: 'order-workflow', definition: '{}', roleArn: 'arn:aws:iam::111122223333:role/r', type: 'STANDARD', creationDate: new Date('2026-01-01T00:00:00Z') }));

    it('describes the state machine with the name', async () => {
      expect(await inCheck(account(), (ctx) => findStateMachine(ctx, 'order-workflow'))).toMatchObject({ stateMachineArn: SM, type: 'STANDARD' });
    });

    it('answers undefined when no state machine has the name', async () => {
      expect(await inCheck(account(), (ctx) => findStateMachine(ctx, 'other'))).toBeUndefined();
    });
  });

  describe('watchExecutions', () => {
    /** Executions appear one list call after they start and end one call later. */
    function account(executions: Array<{ name: string; input: string; startDate: Date; status: 'SUCCEEDED' | 'FAILED'; appearsAt: number }>, described: string[]) {
      let calls = 0;
      const status = (e: (typeof executions)[number]) => (calls > e.appearsAt ? e.status : 'RUNNING');
      const arn = (name: string) => `arn:aws:states:eu-west-1:111122223333:execution:order-workflow:${name}`;
      return new FakeAccount()
        .on(SFNClient, ListExecutionsCommand, () => {
          calls += 1;
          return { executions: executions.filter((e) => calls >= e.appearsAt).map((e) => ({ executionArn: arn(e.name), stateMachineArn: SM, name: e.name, status: status(e), startDate: e.startDate })) };
        })
        .on(SFNClient, DescribeExecutionCommand, ({ executionArn }) => {
          described.push(executionArn!);
          const e = executions.find((x) => arn(x.name) === executionArn);
          if (!e) throw awsError('ExecutionDoesNotExist', 'Execution Does Not Exist', 400);
          return { executionArn, stateMachineArn: SM, status: status(e), startDate: e.startDate, input: e.input };
        });
    }
    const since = new Date('2026-01-15T09:58:00Z');
    const recent = new Date('2026-01-15T10:00:05Z');

    it('finds each token\'s execution, reads each input once, skips old executions, and waits until they end', async () => {
      const described: string[] = [];
      const acc = account(
        [
          { name: 'old', input: '{"orderId":"skillproof-n"}', startDate: new Date('2026-01-14T10:00:00Z'), status: 'SUCCEEDED', appearsAt: 1 },
          { name: 'manual', input: '{"orderId":"A-1"}', startDate: recent, status: 'SUCCEEDED', appearsAt: 1 },
          { name: 'good', input: '{"detail":{"orderId":"skillproof-n"}}', startDate: recent, status: 'SUCCEEDED', appearsAt: 1 },
          { name: 'bad', input: '{"detail":{"orderId":"skillproof-n-invalid"}}', startDate: recent, status: 'FAILED', appearsAt: 2 },
        ],
        described,
      );
      const seen = await inCheck(acc, (ctx) => watchExecutions(ctx, SM, ['skillproof-n', 'skillproof-n-invalid'], { since, timeoutMs: 10_000, intervalMs: 100 }));
      expect(Object.fromEntries([...seen].map(([token, e]) => [token, [e.executionArn.split(':').pop(), e.status]]))).toEqual({ 'skillproof-n': ['good', 'SUCCEEDED'], 'skillproof-n-invalid': ['bad', 'FAILED'] });
      expect(described.map((a) => a.split(':').pop())).toEqual(['manual', 'good', 'bad']);
    });

    it('reads every page of ListExecutions until it reaches executions older than the probe', async () => {
      const arn = (name: string) => `arn:aws:states:eu-west-1:111122223333:execution:order-workflow:${name}`;
      const pages: Array<string | undefined> = [];
      const executions = ['c', 'b', 'a'].map((name, i) => ({ executionArn: arn(name), stateMachineArn: SM, name, status: 'SUCCEEDED' as const, startDate: i < 2 ? recent : new Date('2026-01-14T10:00:00Z') }));
      const acc = new FakeAccount()
        .on(SFNClient, ListExecutionsCommand, ({ nextToken }) => {
          pages.push(nextToken);
          const from = nextToken ? Number(nextToken) : 0;
          return { executions: executions.slice(from, from + 1), ...(from + 1 < executions.length ? { nextToken: String(from + 1) } : {}) };
        })
        .on(SFNClient, DescribeExecutionCommand, ({ executionArn }) => ({ executionArn, stateMachineArn: SM, status: 'SUCCEEDED', startDate: recent, input: executionArn === arn('b') ? '{"orderId":"skillproof-n"}' : '{}' }));
      const seen = await inCheck(acc, (ctx) => watchExecutions(ctx, SM, ['skillproof-n'], { since, timeoutMs: 1_000, intervalMs: 100 }));
      expect([...seen.keys()]).toEqual(['skillproof-n']);
      // The third page holds an execution from before the probe: no fourth page is asked for.
      expect(pages).toEqual([undefined, '1', '2']);
    });

    it('returns what it saw when the deadline passes', async () => {
      const acc = account([{ name: 'good', input: '{"orderId":"skillproof-n"}', startDate: recent, status: 'SUCCEEDED', appearsAt: 1 }], []);
      const seen = await inCheck(acc, (ctx) => watchExecutions(ctx, SM, ['skillproof-n', 'skillproof-n-invalid'], { since, timeoutMs: 1_000, intervalMs: 100 }));
      expect([...seen.keys()]).toEqual(['skillproof-n']);
    });
  });
});
