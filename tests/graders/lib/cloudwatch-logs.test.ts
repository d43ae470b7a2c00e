import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { describeLogGroup } from '../../../graders/lib/cloudwatch-logs';
import { runChecks } from '../../../src/engine/run-checks';
import { pass, type CheckContext } from '../../../src/model/grader';
import { FakeAccount } from '../../../src/testing/fake-account';
import { grader, simulated, TASK } from '../../support/harness';

async function inCheck<T>(account: FakeAccount, fn: (ctx: CheckContext) => Promise<T>): Promise<T> {
  let value: T | undefined;
  const report = await runChecks({ task: TASK, grader: grader([{ id: 'probe', run: async (ctx) => ((value = await fn(ctx)), pass('ok')) }]), session: simulated(account.responder), accountId: '111122223333' });
  const check = report.checks[0]!;
  if (check.outcome !== 'PASS') throw new Error(`${check.outcome}: ${check.message}`);
  return value as T;
}

describe('graders/lib/cloudwatch-logs', () => {
  const account = () =>
    new FakeAccount().on(CloudWatchLogsClient, DescribeLogGroupsCommand, ({ logGroupNamePrefix, nextToken }) =>
      nextToken
        ? { logGroups: [{ logGroupName: '/aws/lambda/pricing-service', retentionInDays: 7 }] }
        : { logGroups: [{ logGroupName: `${logGroupNamePrefix}-canary` }], nextToken: 'page-2' },
    );

  it('finds the group with exactly the name, on any page, ignoring groups that merely share the prefix', async () => {
    expect(await inCheck(account(), (ctx) => describeLogGroup(ctx, '/aws/lambda/pricing-service'))).toEqual({ logGroupName: '/aws/lambda/pricing-service', retentionInDays: 7 });
  });

  it('returns undefined when no group has the name', async () => {
    expect(await inCheck(account(), (ctx) => describeLogGroup(ctx, '/aws/lambda/pricing'))).toBeUndefined();
  });
});
