import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { describeLogGroup } from '../../../graders/lib/cloudwatch-logs';
import { FakeAccount } from '../../../src/testing/fake-account';
import { inCheck } from '../../support/harness';


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
