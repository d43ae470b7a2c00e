import { DescribeEventBusCommand, EventBridgeClient, ListRulesCommand, ListTargetsByRuleCommand, TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import { acceptsDeadLettersFrom, deadLetterQueueUnusable, describeEventBus, eventJson, patternMatches, queueSendDenies, queueSendGrants, rulesTargeting, targetsResource } from '../../../graders/lib/eventbridge';
import type { CheckContext } from '../../../src/model/grader';
import { awsError, FakeAccount } from '../../../src/testing/fake-account';
import { inCheck as runInCheck } from '../../support/harness';

const inCheck = <T>(account: FakeAccount, fn: (ctx: CheckContext) => Promise<T>) => runInCheck(account, fn, { timeoutMs: 5_000 });
const SM = 'arn:aws:states:eu-west-1:111122223333:stateMachine:order-workflow';
const RULE = 'arn:aws:events:eu-west-1:111122223333:rule/orders-bus/order-placed';
const QUEUE = 'arn:aws:sqs:eu-west-1:111122223333:order-events-dlq';


const policy = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const CDK_STATEMENT = { Sid: 'AllowEventRule', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: QUEUE, Condition: { ArnEquals: { 'aws:SourceArn': RULE } } };

describe('graders/lib/eventbridge', () => {
  it('describeEventBus answers undefined when the bus does not exist', async () => {
    const account = new FakeAccount().on(EventBridgeClient, DescribeEventBusCommand, ({ Name }) => {
      if (Name !== 'orders-bus') throw awsError('ResourceNotFoundException', `Event bus ${Name} does not exist.`, 400);
      return { Name, Arn: 'arn:aws:events:eu-west-1:111122223333:event-bus/orders-bus' };
    });
    expect(await inCheck(account, (ctx) => describeEventBus(ctx, 'other'))).toBeUndefined();
    expect(await inCheck(account, (ctx) => describeEventBus(ctx, 'orders-bus'))).toMatchObject({ Name: 'orders-bus' });
  });

  it('targetsResource accepts the resource and its qualified forms only', () => {
    expect(targetsResource(SM, SM)).toBe(true);
    expect(targetsResource(`${SM}:live`, SM)).toBe(true);
    expect(targetsResource(`${SM}-v2`, SM)).toBe(false);
    expect(targetsResource(undefined, SM)).toBe(false);
  });

  it('rulesTargeting keeps the rules with a target on the resource, and only those targets', async () => {
    const account = new FakeAccount()
      .on(EventBridgeClient, ListRulesCommand, ({ EventBusName }) => ({
        Rules: [
          { Name: 'order-placed', Arn: RULE, EventBusName, State: 'ENABLED', EventPattern: '{"source":["shop.orders"]}' },
          { Name: 'audit', Arn: `${RULE}-audit`, EventBusName, State: 'ENABLED', EventPattern: '{"source":["shop.orders"]}' },
          { Name: 'old', Arn: `${RULE}-old`, EventBusName, State: 'DISABLED', EventPattern: '{"source":["shop.orders"]}' },
        ],
      }))
      .on(EventBridgeClient, ListTargetsByRuleCommand, ({ Rule }) => ({
        Targets:
          Rule === 'audit'
            ? [{ Id: 'log', Arn: 'arn:aws:logs:eu-west-1:111122223333:log-group:/audit' }]
            : [
                { Id: 'wf', Arn: SM, RoleArn: 'arn:aws:iam::111122223333:role/events' },
                { Id: 'log', Arn: 'arn:aws:logs:eu-west-1:111122223333:log-group:/audit' },
              ],
      }));
    const routes = await inCheck(account, (ctx) => rulesTargeting(ctx, 'orders-bus', SM));
    expect(routes.map((r) => [r.rule.Name, r.enabled, r.targets.map((t) => t.Id)])).toEqual([
      ['order-placed', true, ['wf']],
      ['old', false, ['wf']],
    ]);
  });

  it('eventJson builds the event TestEventPattern needs from the sandbox and the run clock', async () => {
    const json = await inCheck(new FakeAccount(), async (ctx) => eventJson(ctx, { source: 'shop.orders', detailType: 'OrderPlaced', detail: { orderId: 'A-1' } }, 3));
    expect(JSON.parse(json)).toEqual({
      version: '0',
      id: '00000000-0000-4000-8000-000000000003',
      'detail-type': 'OrderPlaced',
      source: 'shop.orders',
      account: '111122223333',
      time: '2026-01-15T10:00:00Z',
      region: 'eu-west-1',
      resources: [],
      detail: { orderId: 'A-1' },
    });
  });

  it('patternMatches asks EventBridge and reads its Result', async () => {
    const asked: string[] = [];
    const account = new FakeAccount().on(EventBridgeClient, TestEventPatternCommand, ({ EventPattern }) => (asked.push(EventPattern!), { Result: EventPattern === '{"a":["1"]}' }));
    expect(await inCheck(account, (ctx) => patternMatches(ctx, '{"a":["1"]}', '{}'))).toBe(true);
    expect(await inCheck(account, (ctx) => patternMatches(ctx, '{"a":["2"]}', '{}'))).toBe(false);
    expect(asked).toEqual(['{"a":["1"]}', '{"a":["2"]}']);
  });

  describe('acceptsDeadLettersFrom', () => {
    it.each([
      ['the policy CDK writes (ArnEquals on the rule)', policy(CDK_STATEMENT)],
      ['an ArnLike wildcard covering the rule', policy({ ...CDK_STATEMENT, Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:events:eu-west-1:111122223333:rule/orders-bus/*' } } })],
      ['no SourceArn condition', policy({ ...CDK_STATEMENT, Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } } })],
      ['sqs:* for everyone on any resource', policy({ Effect: 'Allow', Principal: '*', Action: 'sqs:*', Resource: '*' })],
      ['a Deny of requests without TLS (CDK enforceSSL)', policy(CDK_STATEMENT, { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sqs:*', Resource: QUEUE, Condition: { Bool: { 'aws:SecureTransport': 'false' } } })],
      ['a Deny of other rules only', policy(CDK_STATEMENT, { Effect: 'Deny', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: QUEUE, Condition: { ArnNotLike: { 'aws:SourceArn': 'arn:aws:events:eu-west-1:111122223333:rule/orders-bus/*' } } })],
      ['a Deny on a condition SkillProof cannot evaluate', policy(CDK_STATEMENT, { Effect: 'Deny', Principal: '*', Action: 'sqs:SendMessage', Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc' } } })],
    ])('accepts %s', (_what, text) => {
      expect(acceptsDeadLettersFrom(text, QUEUE, RULE)).toBe(true);
    });

    it.each([
      ['no policy', undefined],
      ['another rule as source', policy({ ...CDK_STATEMENT, Condition: { ArnEquals: { 'aws:SourceArn': `${RULE}-audit` } } })],
      ['another principal', policy({ ...CDK_STATEMENT, Principal: { Service: 'sns.amazonaws.com' } })],
      ['another queue', policy({ ...CDK_STATEMENT, Resource: `${QUEUE}-2` })],
      ['another action', policy({ ...CDK_STATEMENT, Action: 'sqs:ReceiveMessage' })],
      ['a Deny', policy({ ...CDK_STATEMENT, Effect: 'Deny' })],
      ['an Allow overridden by a Deny of events.amazonaws.com', policy(CDK_STATEMENT, { Sid: 'LockDown', Effect: 'Deny', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:*', Resource: QUEUE })],
      ['an Allow overridden by a Deny of everyone from this account', policy(CDK_STATEMENT, { Effect: 'Deny', Principal: '*', Action: 'sqs:Send*', Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } } })],
    ])('refuses %s', (_what, text) => {
      expect(acceptsDeadLettersFrom(text, QUEUE, RULE)).toBe(false);
    });

    it('queueSendDenies names the Deny statements that apply to this rule\'s delivery', () => {
      expect(queueSendDenies(policy(CDK_STATEMENT, { Sid: 'LockDown', Effect: 'Deny', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:*' }), QUEUE, RULE)).toEqual([{ sid: 'LockDown' }]);
    });

    it('queueSendGrants lists each principal of each granting statement', () => {
      expect(queueSendGrants(policy({ ...CDK_STATEMENT, Principal: { Service: ['events.amazonaws.com', 'sns.amazonaws.com'] } }), QUEUE)).toEqual([
        { sid: 'AllowEventRule', principal: 'events.amazonaws.com', sourceArns: [RULE] },
        { sid: 'AllowEventRule', principal: 'sns.amazonaws.com', sourceArns: [RULE] },
      ]);
    });
  });

  describe('deadLetterQueueUnusable', () => {
    it.each([
      ['a standard queue with SSE-SQS', { SqsManagedSseEnabled: 'true' }, QUEUE],
      ['a queue with a customer managed key', { KmsMasterKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' }, QUEUE],
      ['an unencrypted queue', {}, QUEUE],
    ])('accepts %s', (_what, attributes, arn) => {
      expect(deadLetterQueueUnusable(attributes, arn)).toBeUndefined();
    });

    it.each([
      ['a FIFO queue', { FifoQueue: 'true' }, `${QUEUE}.fifo`, /FIFO/],
      ['the AWS managed key by alias', { KmsMasterKeyId: 'alias/aws/sqs' }, QUEUE, /alias\/aws\/sqs/],
      ['the AWS managed key by alias ARN', { KmsMasterKeyId: 'arn:aws:kms:eu-west-1:111122223333:alias/aws/sqs' }, QUEUE, /alias\/aws\/sqs/],
    ])('refuses %s', (_what, attributes, arn, why) => {
      expect(deadLetterQueueUnusable(attributes, arn)).toMatch(why);
    });
  });
});
