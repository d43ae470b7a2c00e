import { DescribeTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { runChecks } from '../../src/engine/run-checks';
import { error, fail, pass } from '../../src/model/grader';
import { awsError } from '../../src/testing/fake-account';
import { grader, simulated, TASK } from '../support/harness';

const table = { Table: { TableName: 'orders' } };
const run = (g: ReturnType<typeof grader>, responder = (): unknown => table, extra = {}) =>
  runChecks({ task: TASK, grader: g, session: simulated(responder), accountId: '111122223333', ...extra });

describe('engine', () => {
  it('passes when critical checks pass and the score meets the pass mark', async () => {
    const r = await run(grader([{ id: 'a', critical: true, run: async () => pass('ok') }, { id: 'b', run: async () => fail('no') }]));
    expect(r.status).toBe('passed');
    expect(r.score).toMatchObject({ earned: 10, possible: 20 });
  });

  it('fails when a critical check fails, whatever the score', async () => {
    const r = await run(grader([{ id: 'a', critical: true, points: 1, run: async () => fail('no') }, { id: 'b', points: 50, run: async () => pass('ok') }]));
    expect(r.status).toBe('failed');
    expect(r.score.criticalFailed).toEqual(['a']);
  });

  it('skips dependents of a failed prerequisite so one mistake is charged once', async () => {
    const r = await run(grader([{ id: 'a', run: async () => fail('no') }, { id: 'b', dependsOn: ['a'], run: async () => pass('ok') }, { id: 'c', dependsOn: ['b'], run: async () => pass('ok') }]));
    expect(r.checks.map((c) => c.outcome)).toEqual(['FAIL', 'SKIPPED', 'SKIPPED']);
    expect(r.checks[1]!.message).toContain('check a');
  });

  it('makes the run incomplete, never failed, when a scored check errors', async () => {
    const r = await run(grader([{ id: 'a', run: async () => fail('no') }, { id: 'b', run: async () => error('could not tell') }]));
    expect(r.status).toBe('incomplete');
  });

  it('turns AWS trouble thrown out of a check into ERROR naming the call', async () => {
    const g = grader([{ id: 'a', run: async (ctx) => (await ctx.client(DynamoDBClient).send(new DescribeTableCommand({ TableName: 'orders' })), pass('ok')) }]);
    const r = await run(g, () => {
      throw awsError('AccessDeniedException', 'not authorized', 403);
    });
    expect(r.checks[0]).toMatchObject({ outcome: 'ERROR' });
    expect(r.checks[0]!.message).toMatch(/DynamoDB\.DescribeTable failed with AccessDeniedException .*grader role/);
    expect(r.status).toBe('incomplete');
  });

  it('reports an undeclared mutating call as a grader bug (ERROR), not a candidate failure', async () => {
    const g = grader([{ id: 'a', run: async (ctx) => (await ctx.client(DynamoDBClient).send(new PutItemCommand({ TableName: 't', Item: {} })), pass('ok')) }]);
    const r = await run(g);
    expect(r.checks[0]).toMatchObject({ outcome: 'ERROR' });
    expect(r.checks[0]!.message).toContain('read-only guard blocked dynamodb:PutItem');
  });

  it('treats a check that never finishes as ERROR', async () => {
    const r = await run(grader([{ id: 'a', timeoutMs: 100, run: () => new Promise(() => undefined) }]));
    expect(r.checks[0]).toMatchObject({ outcome: 'ERROR', message: expect.stringContaining('did not finish') });
  });

  it('treats a malformed verdict as a grader bug', async () => {
    const r = await run(grader([{ id: 'a', run: async () => ({ outcome: 'MAYBE' }) as never }]));
    expect(r.checks[0]!.message).toContain('grader bug');
    expect(r.checks[0]!.outcome).toBe('ERROR');
  });

  it('shows only visible checks in a progress run, running what they depend on', async () => {
    let hiddenRan = false;
    const g = grader([
      { id: 'hidden-prereq', visibility: 'hidden', run: async () => ((hiddenRan = true), pass('ok')) },
      { id: 'shown', dependsOn: ['hidden-prereq'], run: async () => pass('ok') },
      { id: 'later', visibility: 'on-submit', run: async () => pass('ok') },
    ]);
    const r = await run(g, () => table, { scope: 'progress' });
    expect(r.checks.map((c) => c.id)).toEqual(['shown']);
    expect(hiddenRan).toBe(true);
  });

  it('runs independent checks concurrently within the bound', async () => {
    let active = 0;
    let peak = 0;
    const slow = async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 20));
      active--;
      return pass('ok');
    };
    await run(grader(['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, run: slow }))), () => table, { concurrency: 3 });
    expect(peak).toBe(3);
  });

  it('lists the evidence each check used, memo hits included', async () => {
    const read = async (ctx: Parameters<Parameters<typeof grader>[0][number]['run']>[0]) => (await ctx.client(DynamoDBClient).send(new DescribeTableCommand({ TableName: 'orders' })), pass('ok'));
    const r = await run(grader([{ id: 'a', run: read }, { id: 'b', dependsOn: ['a'], run: read }]));
    expect(r.checks.map((c) => c.evidence)).toEqual([[1], [1]]);
  });
});
