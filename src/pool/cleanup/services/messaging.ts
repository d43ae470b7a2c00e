import {
  DeleteArchiveCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  EventBridgeClient,
  ListArchivesCommand,
  ListEventBusesCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { DeleteStateMachineCommand, DeleteActivityCommand, DescribeStateMachineCommand, ListActivitiesCommand, ListExecutionsCommand, ListStateMachinesCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DeleteTopicCommand, ListSubscriptionsByTopicCommand, ListTopicsCommand, SNSClient, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { DeleteQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { allPages } from '../aws-call';
import type { PhaseContext } from '../context';
import { isAwsDefault } from '../ownership';

/**
 * EventBridge: on every bus (the default one too), each rule's targets, then the rule (rules a service
 * manages on the candidate's behalf, such as Step Functions' sync-integration rules, need Force); archives;
 * then every bus but `default`, which belongs to AWS.
 */
export async function cleanEventBridge(ctx: PhaseContext): Promise<void> {
  const events = ctx.client(EventBridgeClient);
  const archives = await allPages(async (token) => {
    const out = await ctx.call(() => events.send(new ListArchivesCommand({ NextToken: token })));
    return { items: out.Archives, next: out.NextToken };
  });
  for (const archive of archives) {
    if (!archive.ArchiveName || ctx.isSkillProofs('AWS::Events::Archive', archive.ArchiveName)) continue;
    await ctx.remove(ctx.arn('events', `archive/${archive.ArchiveName}`), () => events.send(new DeleteArchiveCommand({ ArchiveName: archive.ArchiveName })));
  }
  const buses = await allPages(async (token) => {
    const out = await ctx.call(() => events.send(new ListEventBusesCommand({ NextToken: token })));
    return { items: out.EventBuses, next: out.NextToken };
  });
  for (const bus of buses) {
    const busName = bus.Name;
    if (!busName) continue;
    const busArn = bus.Arn ?? ctx.arn('events', `event-bus/${busName}`);
    if (ctx.isSkillProofs('AWS::Events::EventBus', busName)) continue;
    const rules = await allPages(async (token) => {
      const out = await ctx.call(() => events.send(new ListRulesCommand({ EventBusName: busName, NextToken: token })));
      return { items: out.Rules, next: out.NextToken };
    });
    for (const rule of rules) {
      const ruleName = rule.Name;
      if (!ruleName) continue;
      const ruleArn = rule.Arn ?? ctx.arn('events', busName === 'default' ? `rule/${ruleName}` : `rule/${busName}/${ruleName}`);
      if (ctx.isSkillProofs('AWS::Events::Rule', ruleArn)) continue;
      const force = rule.ManagedBy ? { Force: true } : {};
      const targets = await allPages(async (token) => {
        const out = await ctx.call(() => events.send(new ListTargetsByRuleCommand({ Rule: ruleName, EventBusName: busName, NextToken: token })));
        return { items: out.Targets, next: out.NextToken };
      });
      const ids = targets.map((t) => t.Id).filter((id): id is string => Boolean(id));
      // RemoveTargets takes at most 100 ids per call.
      for (let i = 0; i < ids.length; i += 100) {
        const batch = ids.slice(i, i + 100);
        await ctx.prepare(ruleArn, 'RemoveTargets', async () => {
          const out = await events.send(new RemoveTargetsCommand({ Rule: ruleName, EventBusName: busName, Ids: batch, ...force }));
          if (out.FailedEntryCount) throw new Error(`RemoveTargets left ${out.FailedEntryCount}: ${(out.FailedEntries ?? []).map((f) => `${f.TargetId} ${f.ErrorCode}`).join(', ')}`);
        });
      }
      await ctx.remove(ruleArn, () => events.send(new DeleteRuleCommand({ Name: ruleName, EventBusName: busName, ...force })));
    }
    if (!isAwsDefault('AWS::Events::EventBus', busName)) await ctx.remove(busArn, () => events.send(new DeleteEventBusCommand({ Name: busName })));
  }
}

/**
 * Step Functions: running executions are stopped (a state machine stays DELETING until they end), then
 * DeleteStateMachine, which also deletes its versions and aliases; then activities.
 */
export async function cleanStepFunctions(ctx: PhaseContext): Promise<void> {
  const sfn = ctx.client(SFNClient);
  const machines = await allPages(async (token) => {
    const out = await ctx.call(() => sfn.send(new ListStateMachinesCommand({ nextToken: token })));
    return { items: out.stateMachines, next: out.nextToken };
  });
  for (const machine of machines) {
    const arn = machine.stateMachineArn;
    if (!arn || ctx.isSkillProofs('AWS::StepFunctions::StateMachine', arn)) continue;
    if (machine.type !== 'EXPRESS') {
      const running = await allPages(async (token) => {
        const out = await ctx.call(() => sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'RUNNING', nextToken: token })));
        return { items: out.executions, next: out.nextToken };
      });
      for (const execution of running) {
        if (!execution.executionArn) continue;
        await ctx.prepare(arn, `StopExecution ${execution.executionArn}`, () => sfn.send(new StopExecutionCommand({ executionArn: execution.executionArn, cause: 'SkillProof sandbox clean-up' })));
      }
    }
    await ctx.remove(arn, () => sfn.send(new DeleteStateMachineCommand({ stateMachineArn: arn })), {
      gone: () => ctx.notFound(() => sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }))),
    });
  }
  const activities = await allPages(async (token) => {
    const out = await ctx.call(() => sfn.send(new ListActivitiesCommand({ nextToken: token })));
    return { items: out.activities, next: out.nextToken };
  });
  for (const activity of activities) {
    const arn = activity.activityArn;
    if (!arn || ctx.isSkillProofs('AWS::StepFunctions::Activity', arn)) continue;
    await ctx.remove(arn, () => sfn.send(new DeleteActivityCommand({ activityArn: arn })));
  }
}

/** SQS queues, after the event source mappings and rule targets that pointed at them. */
export async function cleanQueues(ctx: PhaseContext): Promise<void> {
  const sqs = ctx.client(SQSClient);
  const urls = await allPages(async (token) => {
    const out = await ctx.call(() => sqs.send(new ListQueuesCommand({ NextToken: token, MaxResults: 1000 })));
    return { items: out.QueueUrls, next: out.NextToken };
  });
  for (const url of urls) {
    if (ctx.isSkillProofs('AWS::SQS::Queue', url)) continue;
    const name = url.slice(url.lastIndexOf('/') + 1);
    await ctx.remove(ctx.arn('sqs', name), () => sqs.send(new DeleteQueueCommand({ QueueUrl: url })));
  }
}

/** SNS: each topic's subscriptions, then the topic (SkillProof's budget topic is its own and stays). */
export async function cleanTopics(ctx: PhaseContext): Promise<void> {
  const sns = ctx.client(SNSClient);
  const topics = await allPages(async (token) => {
    const out = await ctx.call(() => sns.send(new ListTopicsCommand({ NextToken: token })));
    return { items: out.Topics, next: out.NextToken };
  });
  for (const topic of topics) {
    const arn = topic.TopicArn;
    if (!arn || ctx.isSkillProofs('AWS::SNS::Topic', arn)) continue;
    const subscriptions = await allPages(async (token) => {
      const out = await ctx.call(() => sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn, NextToken: token })));
      return { items: out.Subscriptions, next: out.NextToken };
    });
    for (const subscription of subscriptions) {
      const subArn = subscription.SubscriptionArn;
      // A subscription awaiting confirmation has no ARN yet ("PendingConfirmation") and goes with its topic.
      if (!subArn?.startsWith('arn:')) continue;
      await ctx.remove(subArn, () => sns.send(new UnsubscribeCommand({ SubscriptionArn: subArn })));
    }
    await ctx.remove(arn, () => sns.send(new DeleteTopicCommand({ TopicArn: arn })));
  }
}
