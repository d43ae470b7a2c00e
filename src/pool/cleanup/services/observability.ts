import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DeleteAnomalyDetectorCommand,
  DeleteDashboardsCommand,
  DeleteInsightRulesCommand,
  DeleteMetricStreamCommand,
  DescribeAlarmsCommand,
  DescribeAnomalyDetectorsCommand,
  DescribeInsightRulesCommand,
  ListDashboardsCommand,
  ListMetricStreamsCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  DeleteDeliveryCommand,
  DeleteDeliveryDestinationCommand,
  DeleteDeliverySourceCommand,
  DeleteLogGroupCommand,
  DeleteQueryDefinitionCommand,
  DeleteResourcePolicyCommand,
  DescribeDeliveriesCommand,
  DescribeDeliveryDestinationsCommand,
  DescribeDeliverySourcesCommand,
  DescribeLogGroupsCommand,
  DescribeQueryDefinitionsCommand,
  DescribeResourcePoliciesCommand,
  PutLogGroupDeletionProtectionCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { DeleteGroupCommand, DeleteResourcePolicyCommand as DeleteXRayResourcePolicyCommand, DeleteSamplingRuleCommand, GetGroupsCommand, GetSamplingRulesCommand, ListResourcePoliciesCommand, XRayClient } from '@aws-sdk/client-xray';
import { allPages } from '../aws-call';
import type { PhaseContext } from '../context';
import { isAwsDefault } from '../ownership';

/** DeleteAlarms and DeleteDashboards take at most 100 names per call. */
const NAME_BATCH = 100;

/**
 * CloudWatch: composite alarms before the metric alarms their rules name, then metric alarms, dashboards,
 * metric streams, anomaly detectors and Contributor Insights rules.
 */
export async function cleanCloudWatch(ctx: PhaseContext): Promise<void> {
  const cw = ctx.client(CloudWatchClient);
  const composite: string[] = [];
  const metric: string[] = [];
  await allPages(async (token) => {
    const out = await ctx.call(() => cw.send(new DescribeAlarmsCommand({ AlarmTypes: ['CompositeAlarm', 'MetricAlarm'], NextToken: token, MaxRecords: 100 })));
    for (const a of out.CompositeAlarms ?? []) if (a.AlarmName && !ctx.isSkillProofs('AWS::CloudWatch::CompositeAlarm', a.AlarmName)) composite.push(a.AlarmName);
    for (const a of out.MetricAlarms ?? []) if (a.AlarmName && !ctx.isSkillProofs('AWS::CloudWatch::Alarm', a.AlarmName)) metric.push(a.AlarmName);
    return { items: [], next: out.NextToken };
  });
  for (const names of [composite, metric]) {
    for (let i = 0; i < names.length; i += NAME_BATCH) {
      const batch = names.slice(i, i + NAME_BATCH);
      await ctx.removeBatch(
        batch.map((name) => ctx.arn('cloudwatch', `alarm:${name}`)),
        () => cw.send(new DeleteAlarmsCommand({ AlarmNames: batch })),
      );
    }
  }
  const dashboards = await allPages(async (token) => {
    const out = await ctx.call(() => cw.send(new ListDashboardsCommand({ NextToken: token })));
    return { items: out.DashboardEntries, next: out.NextToken };
  });
  const dashboardNames = dashboards.map((d) => d.DashboardName).filter((n): n is string => Boolean(n) && !ctx.isSkillProofs('AWS::CloudWatch::Dashboard', n!));
  for (let i = 0; i < dashboardNames.length; i += NAME_BATCH) {
    const batch = dashboardNames.slice(i, i + NAME_BATCH);
    await ctx.removeBatch(
      batch.map((name) => ctx.arn('cloudwatch', `dashboard/${name}`, '')),
      () => cw.send(new DeleteDashboardsCommand({ DashboardNames: batch })),
    );
  }
  const streams = await allPages(async (token) => {
    const out = await ctx.call(() => cw.send(new ListMetricStreamsCommand({ NextToken: token })));
    return { items: out.Entries, next: out.NextToken };
  });
  for (const stream of streams) {
    if (!stream.Name || ctx.isSkillProofs('AWS::CloudWatch::MetricStream', stream.Name)) continue;
    await ctx.remove(stream.Arn ?? ctx.arn('cloudwatch', `metric-stream/${stream.Name}`), () => cw.send(new DeleteMetricStreamCommand({ Name: stream.Name })));
  }
  const detectors = await allPages(async (token) => {
    const out = await ctx.call(() => cw.send(new DescribeAnomalyDetectorsCommand({ NextToken: token })));
    return { items: out.AnomalyDetectors, next: out.NextToken };
  });
  for (const detector of detectors) {
    const single = detector.SingleMetricAnomalyDetector;
    const what = single ? `${single.Namespace}/${single.MetricName}/${single.Stat}` : (detector.AnomalyDetectorId ?? 'metric-math');
    await ctx.remove(
      ctx.arn('cloudwatch', `anomaly-detector:${what}`),
      () =>
        cw.send(
          new DeleteAnomalyDetectorCommand(
            detector.MetricMathAnomalyDetector ? { MetricMathAnomalyDetector: detector.MetricMathAnomalyDetector } : { SingleMetricAnomalyDetector: single },
          ),
        ),
    );
  }
  const insightRules = await allPages(async (token) => {
    const out = await ctx.call(() => cw.send(new DescribeInsightRulesCommand({ NextToken: token })));
    return { items: out.InsightRules, next: out.NextToken };
  });
  for (const rule of insightRules) {
    // Rules a service manages (ManagedRule) go with that service's resource.
    if (!rule.Name || rule.ManagedRule || ctx.isSkillProofs('AWS::CloudWatch::InsightRule', rule.Name)) continue;
    await ctx.remove(ctx.arn('cloudwatch', `insight-rule/${rule.Name}`), async () => {
      const out = await cw.send(new DeleteInsightRulesCommand({ RuleNames: [rule.Name!] }));
      if ((out.Failures ?? []).length > 0) throw new Error(out.Failures!.map((f) => `${f.FailureCode}: ${f.FailureDescription}`).join('; '));
    });
  }
}

/**
 * CloudWatch Logs, after every service that writes logs is gone: vended-log deliveries, then their sources
 * and destinations; account-level resource policies; saved queries; log groups (deletion protection off first).
 */
export async function cleanLogs(ctx: PhaseContext): Promise<void> {
  const logs = ctx.client(CloudWatchLogsClient);
  const deliveries = await allPages(async (token) => {
    const out = await ctx.call(() => logs.send(new DescribeDeliveriesCommand({ nextToken: token })));
    return { items: out.deliveries, next: out.nextToken };
  });
  for (const delivery of deliveries) {
    if (!delivery.id || ctx.isSkillProofs('AWS::Logs::Delivery', delivery.id)) continue;
    await ctx.remove(delivery.arn ?? ctx.arn('logs', `delivery:${delivery.id}`), () => logs.send(new DeleteDeliveryCommand({ id: delivery.id })));
  }
  const sources = await allPages(async (token) => {
    const out = await ctx.call(() => logs.send(new DescribeDeliverySourcesCommand({ nextToken: token })));
    return { items: out.deliverySources, next: out.nextToken };
  });
  for (const source of sources) {
    if (!source.name || ctx.isSkillProofs('AWS::Logs::DeliverySource', source.name)) continue;
    await ctx.remove(source.arn ?? ctx.arn('logs', `delivery-source:${source.name}`), () => logs.send(new DeleteDeliverySourceCommand({ name: source.name })));
  }
  const destinations = await allPages(async (token) => {
    const out = await ctx.call(() => logs.send(new DescribeDeliveryDestinationsCommand({ nextToken: token })));
    return { items: out.deliveryDestinations, next: out.nextToken };
  });
  for (const destination of destinations) {
    if (!destination.name || ctx.isSkillProofs('AWS::Logs::DeliveryDestination', destination.name)) continue;
    await ctx.remove(destination.arn ?? ctx.arn('logs', `delivery-destination:${destination.name}`), () => logs.send(new DeleteDeliveryDestinationCommand({ name: destination.name })));
  }
  const policies = await allPages(async (token) => {
    const out = await ctx.call(() => logs.send(new DescribeResourcePoliciesCommand({ nextToken: token, limit: 50 })));
    return { items: out.resourcePolicies, next: out.nextToken };
  });
  for (const policy of policies) {
    // Resource-scoped policies belong to a log group and go with it.
    if (!policy.policyName || policy.policyScope === 'RESOURCE' || ctx.isSkillProofs('AWS::Logs::ResourcePolicy', policy.policyName)) continue;
    await ctx.remove(ctx.arn('logs', `resource-policy:${policy.policyName}`), () => logs.send(new DeleteResourcePolicyCommand({ policyName: policy.policyName })));
  }
  const queries = await allPages(async (token) => {
    const out = await ctx.call(() => logs.send(new DescribeQueryDefinitionsCommand({ nextToken: token, maxResults: 1000 })));
    return { items: out.queryDefinitions, next: out.nextToken };
  });
  for (const query of queries) {
    if (!query.queryDefinitionId || ctx.isSkillProofs('AWS::Logs::QueryDefinition', query.queryDefinitionId)) continue;
    await ctx.remove(ctx.arn('logs', `query-definition:${query.queryDefinitionId}`), () => logs.send(new DeleteQueryDefinitionCommand({ queryDefinitionId: query.queryDefinitionId })));
  }
  const groups = await allPages(async (token) => {
    const out = await ctx.call(() => logs.send(new DescribeLogGroupsCommand({ nextToken: token })));
    return { items: out.logGroups, next: out.nextToken };
  });
  for (const group of groups) {
    const name = group.logGroupName;
    if (!name || ctx.isSkillProofs('AWS::Logs::LogGroup', name)) continue;
    const arn = ctx.arn('logs', `log-group:${name}`);
    if (group.deletionProtectionEnabled) {
      const ok = await ctx.prepare(arn, 'PutLogGroupDeletionProtection false', () => logs.send(new PutLogGroupDeletionProtectionCommand({ logGroupIdentifier: name, deletionProtectionEnabled: false })));
      if (!ok) continue;
    }
    await ctx.remove(arn, () => logs.send(new DeleteLogGroupCommand({ logGroupName: name })), { retryCodes: ['OperationAbortedException'] });
  }
}

/** X-Ray: groups and sampling rules but the Default ones, and resource policies. */
export async function cleanXRay(ctx: PhaseContext): Promise<void> {
  const xray = ctx.client(XRayClient);
  const groups = await allPages(async (token) => {
    const out = await ctx.call(() => xray.send(new GetGroupsCommand({ NextToken: token })));
    return { items: out.Groups, next: out.NextToken };
  });
  for (const group of groups) {
    const arn = group.GroupARN;
    if (!arn || isAwsDefault('AWS::XRay::Group', group.GroupName ?? arn) || ctx.isSkillProofs('AWS::XRay::Group', arn)) continue;
    await ctx.remove(arn, () => xray.send(new DeleteGroupCommand({ GroupARN: arn })));
  }
  const rules = await allPages(async (token) => {
    const out = await ctx.call(() => xray.send(new GetSamplingRulesCommand({ NextToken: token })));
    return { items: out.SamplingRuleRecords, next: out.NextToken };
  });
  for (const record of rules) {
    const rule = record.SamplingRule;
    const arn = rule?.RuleARN;
    if (!rule || !arn || isAwsDefault('AWS::XRay::SamplingRule', rule.RuleName ?? arn) || ctx.isSkillProofs('AWS::XRay::SamplingRule', arn)) continue;
    await ctx.remove(arn, () => xray.send(new DeleteSamplingRuleCommand({ RuleARN: arn })));
  }
  const policies = await allPages(async (token) => {
    const out = await ctx.call(() => xray.send(new ListResourcePoliciesCommand({ NextToken: token })));
    return { items: out.ResourcePolicies, next: out.NextToken };
  });
  for (const policy of policies) {
    if (!policy.PolicyName || ctx.isSkillProofs('AWS::XRay::ResourcePolicy', policy.PolicyName)) continue;
    await ctx.remove(ctx.arn('xray', `resource-policy/${policy.PolicyName}`), () => xray.send(new DeleteXRayResourcePolicyCommand({ PolicyName: policy.PolicyName })));
  }
}
