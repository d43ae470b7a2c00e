import {
  DescribeEventBusCommand,
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  TestEventPatternCommand,
  type DescribeEventBusCommandOutput,
  type Rule,
  type Target,
} from '@aws-sdk/client-eventbridge';
import type { CheckContext } from '../../src/model/grader';
import { allPages, orNotFound } from './aws-calls';

/** The event bus with this name, or undefined when there is none. */
export function describeEventBus(ctx: CheckContext, Name: string): Promise<DescribeEventBusCommandOutput | undefined> {
  return ctx.memo(`event-bus:${Name}`, () => orNotFound(ctx.client(EventBridgeClient).send(new DescribeEventBusCommand({ Name }))));
}

/** Every rule on a bus (enabled or not). */
export function listRules(ctx: CheckContext, EventBusName: string): Promise<Rule[]> {
  const events = ctx.client(EventBridgeClient);
  return ctx.memo(`rules:${EventBusName}`, () =>
    allPages((NextToken) => events.send(new ListRulesCommand({ EventBusName, Limit: 100, ...(NextToken ? { NextToken } : {}) })), (p) => p.Rules, (p) => p.NextToken),
  );
}

/** Every target of a rule. */
export function listTargets(ctx: CheckContext, Rule: string, EventBusName: string): Promise<Target[]> {
  const events = ctx.client(EventBridgeClient);
  return ctx.memo(`targets:${EventBusName}:${Rule}`, () =>
    allPages((NextToken) => events.send(new ListTargetsByRuleCommand({ Rule, EventBusName, Limit: 100, ...(NextToken ? { NextToken } : {}) })), (p) => p.Targets, (p) => p.NextToken),
  );
}

/** A target ARN points at `resourceArn` itself or at a qualified form of it (`...:alias`). */
export function targetsResource(targetArn: string | undefined, resourceArn: string): boolean {
  return targetArn === resourceArn || Boolean(targetArn?.startsWith(`${resourceArn}:`));
}

/** A rule on the bus with the targets that point at one resource. */
export interface RuleRoute {
  rule: Rule & { Name: string; Arn: string };
  targets: Target[];
  enabled: boolean;
}

/** The rules on a bus that have at least one target pointing at `resourceArn`, enabled or not. */
export function rulesTargeting(ctx: CheckContext, EventBusName: string, resourceArn: string): Promise<RuleRoute[]> {
  return ctx.memo(`routes:${EventBusName}:${resourceArn}`, async () => {
    const rules = (await listRules(ctx, EventBusName)).filter((r): r is RuleRoute['rule'] => Boolean(r.Name && r.Arn));
    const routes: RuleRoute[] = [];
    for (const rule of rules) {
      const targets = (await listTargets(ctx, rule.Name, EventBusName)).filter((t) => targetsResource(t.Arn, resourceArn));
      if (targets.length > 0) routes.push({ rule, targets, enabled: rule.State !== 'DISABLED' });
    }
    return routes;
  });
}

/** An event as a producer would put it: what decides whether a pattern matches. */
export interface SampleEvent {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
}

/**
 * The full event JSON that TestEventPattern needs (id, account, source, time, region, resources,
 * detail-type are mandatory), stamped with the sandbox's account and region and the run's clock
 * so that a replay sends the same request.
 */
export function eventJson(ctx: CheckContext, sample: SampleEvent, index: number): string {
  return JSON.stringify({
    version: '0',
    id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    'detail-type': sample.detailType,
    source: sample.source,
    account: ctx.accountId,
    // Events carry whole seconds ("2026-01-15T10:00:00Z"), as EventBridge itself stamps them.
    time: ctx.now().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: ctx.region,
    resources: [],
    detail: sample.detail,
  });
}

/** Asks EventBridge itself whether a rule's pattern matches an event (a read: nothing is delivered). */
export async function patternMatches(ctx: CheckContext, EventPattern: string, Event: string): Promise<boolean> {
  const res = await ctx.client(EventBridgeClient).send(new TestEventPatternCommand({ EventPattern, Event }));
  return res.Result === true;
}

interface QueuePolicyStatement {
  Sid?: string;
  Effect?: string;
  Principal?: string | { Service?: string | string[]; AWS?: string | string[] };
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** One statement of a queue policy that lets some principal send messages to the queue. */
export interface QueueSendGrant {
  sid: string;
  principal: string;
  /** The aws:SourceArn patterns the grant is limited to (empty: any source). */
  sourceArns: string[];
}

/** IAM-style wildcard match (`*`, `?`); `caseInsensitive` for action names. */
function wildcard(pattern: string, value: string, caseInsensitive = false): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, caseInsensitive ? 'i' : '').test(value);
}

/** Statements of a queue's resource policy (its Policy attribute) that allow sqs:SendMessage on the queue. */
export function queueSendGrants(policy: string | undefined, queueArn: string): QueueSendGrant[] {
  if (!policy) return [];
  const doc = JSON.parse(policy) as { Statement?: QueuePolicyStatement | QueuePolicyStatement[] };
  const statements = [doc.Statement ?? []].flat();
  const grants: QueueSendGrant[] = [];
  statements.forEach((s, i) => {
    if (s.Effect !== 'Allow') return;
    if (![s.Action ?? []].flat().some((a) => wildcard(a, 'sqs:SendMessage', true))) return;
    if (s.Resource !== undefined && ![s.Resource].flat().some((r) => wildcard(r, queueArn))) return;
    const conditions = Object.values(s.Condition ?? {}).flatMap((byKey) => Object.entries(byKey));
    const sourceArns = conditions.filter(([k]) => k.toLowerCase() === 'aws:sourcearn').flatMap(([, v]) => [v].flat());
    const p = s.Principal;
    const principals = p === undefined ? [] : typeof p === 'string' ? [p] : [...[p.Service ?? []].flat(), ...[p.AWS ?? []].flat()];
    for (const principal of principals) grants.push({ sid: s.Sid ?? `statement ${i + 1}`, principal, sourceArns });
  });
  return grants;
}

/** A Deny statement of a queue policy that stops EventBridge sending this rule's events to the queue. */
export interface QueueSendDeny {
  sid: string;
}

/**
 * Deny statements of a queue policy that apply to events.amazonaws.com sending a rule's events with
 * sqs:SendMessage. A Deny always wins over an Allow. Conditions are evaluated for what EventBridge's
 * request carries: aws:SourceArn (the rule), aws:SourceAccount, and aws:SecureTransport (true: it
 * uses TLS). A Deny with a condition on any other key is not counted (SkillProof cannot tell, and a
 * false FAIL is worse); it stays visible in the policy the assessor sees.
 */
export function queueSendDenies(policy: string | undefined, queueArn: string, ruleArn: string): QueueSendDeny[] {
  if (!policy) return [];
  const doc = JSON.parse(policy) as { Statement?: QueuePolicyStatement | QueuePolicyStatement[] };
  const account = ruleArn.split(':')[4] ?? '';
  const request: Record<string, string> = { 'aws:sourcearn': ruleArn, 'aws:sourceaccount': account, 'aws:securetransport': 'true' };
  const conditionHolds = (operator: string, key: string, values: string[]): boolean | undefined => {
    const actual = request[key.toLowerCase()];
    if (actual === undefined) return undefined;
    const op = operator.replace(/IfExists$/, '');
    const like = values.some((v) => wildcard(v, actual, op.startsWith('String') && op.includes('IgnoreCase')));
    const equal = values.includes(actual);
    switch (op) {
      case 'StringEquals':
      case 'ArnEquals':
      case 'Bool':
        return equal;
      case 'StringLike':
      case 'ArnLike':
      case 'StringEqualsIgnoreCase':
        return like;
      case 'StringNotEquals':
      case 'ArnNotEquals':
        return !equal;
      case 'StringNotLike':
      case 'ArnNotLike':
      case 'StringNotEqualsIgnoreCase':
        return !like;
      default:
        return undefined;
    }
  };
  const denies: QueueSendDeny[] = [];
  [doc.Statement ?? []].flat().forEach((s, i) => {
    if (s.Effect !== 'Deny') return;
    if (![s.Action ?? []].flat().some((a) => wildcard(a, 'sqs:SendMessage', true))) return;
    if (s.Resource !== undefined && ![s.Resource].flat().some((r) => wildcard(r, queueArn))) return;
    const p = s.Principal;
    const principals = p === undefined ? [] : typeof p === 'string' ? [p] : [...[p.Service ?? []].flat(), ...[p.AWS ?? []].flat()];
    if (!principals.some((x) => x === '*' || x === 'events.amazonaws.com')) return;
    const results = Object.entries(s.Condition ?? {}).flatMap(([operator, byKey]) => Object.entries(byKey).map(([key, v]) => conditionHolds(operator, key, [v].flat())));
    if (results.every((r) => r === true)) denies.push({ sid: s.Sid ?? `statement ${i + 1}` });
  });
  return denies;
}

/**
 * Whether a queue policy lets EventBridge deliver a rule's failed events to the queue: an Allow of
 * sqs:SendMessage to events.amazonaws.com (or to everyone) whose aws:SourceArn, if any, covers the
 * rule, and no Deny that applies to that delivery.
 */
export function acceptsDeadLettersFrom(policy: string | undefined, queueArn: string, ruleArn: string): boolean {
  const allowed = queueSendGrants(policy, queueArn).some(
    (g) => (g.principal === 'events.amazonaws.com' || g.principal === '*') && (g.sourceArns.length === 0 || g.sourceArns.some((a) => wildcard(a, ruleArn))),
  );
  return allowed && queueSendDenies(policy, queueArn, ruleArn).length === 0;
}

/**
 * Why EventBridge could not use this queue as a target's dead-letter queue, from its attributes, or
 * undefined when nothing stands in the way: EventBridge supports standard queues only (not FIFO), and
 * cannot write to a queue encrypted with the AWS managed key alias/aws/sqs (its key policy cannot
 * grant EventBridge; SSE-SQS or a customer managed key whose policy allows EventBridge works).
 */
export function deadLetterQueueUnusable(attributes: Partial<Record<string, string>>, queueArn: string): string | undefined {
  if (attributes.FifoQueue === 'true' || queueArn.endsWith('.fifo')) return 'it is a FIFO queue, and EventBridge can only send dead letters to a standard queue';
  const key = attributes.KmsMasterKeyId ?? '';
  if (key === 'alias/aws/sqs' || /:alias\/aws\/sqs$/.test(key)) return 'it is encrypted with the AWS managed key alias/aws/sqs, whose key policy cannot let EventBridge encrypt messages for it';
  return undefined;
}
