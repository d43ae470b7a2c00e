/** CloudWatch Logs: log groups. */
import { CloudWatchLogsClient, DescribeLogGroupsCommand, type LogGroup } from '@aws-sdk/client-cloudwatch-logs';
import type { CheckContext } from '../../src/model/grader';
import { allPages } from './aws-calls';

/** The log group with exactly this name, or undefined when there is none. */
export async function describeLogGroup(ctx: CheckContext, name: string): Promise<LogGroup | undefined> {
  const logs = ctx.client(CloudWatchLogsClient);
  const groups = await allPages(
    (nextToken) => logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name, limit: 50, ...(nextToken ? { nextToken } : {}) })),
    (page) => page.logGroups,
    (page) => page.nextToken,
  );
  return groups.find((g) => g.logGroupName === name);
}
