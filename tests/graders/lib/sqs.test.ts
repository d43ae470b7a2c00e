import { DeleteMessageCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { actionKey } from '../../../src/aws/operations';
import { deadLetterSource, deleteProbeMessages, describeQueue, numberAttribute, receiveCount, redrivePolicy, sendProbeBatch, sendProbeMessage, watchQueue, type Queue } from '../../../graders/lib/sqs';
import type { CheckContext } from '../../../src/model/grader';
import { awsError, FakeAccount } from '../../../src/testing/fake-account';
import { inCheck as runInCheck } from '../../support/harness';

const inCheck = <T>(account: FakeAccount, fn: (ctx: CheckContext) => Promise<T>) => runInCheck(account, fn, { probes: PROBES, timeoutMs: 5_000 });
const URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/orders-queue';
const ARN = 'arn:aws:sqs:eu-west-1:111122223333:orders-queue';
const PROBES = ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage'];

/** Runs `fn` as the body of one check against a simulated account; AWS trouble surfaces as the check's ERROR message. */

const queue = (attributes: Record<string, string> = {}): Queue => ({ name: 'orders-queue', url: URL, arn: ARN, attributes });

function withQueue(attributes: Record<string, string>): FakeAccount {
  return new FakeAccount()
    .on(SQSClient, GetQueueUrlCommand, ({ QueueName }) => {
      if (QueueName !== 'orders-queue') throw awsError('QueueDoesNotExist', 'The specified queue does not exist.', 400);
      return { QueueUrl: URL };
    })
    .on(SQSClient, GetQueueAttributesCommand, () => ({ Attributes: attributes }));
}

describe('graders/lib/sqs', () => {
  describe('describeQueue', () => {
    it('finds a queue by name with its URL, ARN and attributes', async () => {
      const found = await inCheck(withQueue({ QueueArn: ARN, VisibilityTimeout: '60' }), (ctx) => describeQueue(ctx, 'orders-queue'));
      expect(found).toEqual({ name: 'orders-queue', url: URL, arn: ARN, attributes: { QueueArn: ARN, VisibilityTimeout: '60' } });
    });

    it('answers undefined when no queue has the name', async () => {
      expect(await inCheck(withQueue({}), (ctx) => describeQueue(ctx, 'orders-dlq'))).toBeUndefined();
    });

    it('lets AccessDenied propagate: the grader could not tell, so it is no verdict on the candidate', async () => {
      const account = withQueue({}).failing(SQSClient, GetQueueAttributesCommand, 'AccessDenied', 403);
      await expect(inCheck(account, (ctx) => describeQueue(ctx, 'orders-queue'))).rejects.toThrow(/ERROR: SQS\.GetQueueAttributes failed with AccessDenied/);
    });
  });

  describe('redrivePolicy', () => {
    it.each([
      ['a number', `{"deadLetterTargetArn":"${ARN}-dlq","maxReceiveCount":3}`, { deadLetterTargetArn: `${ARN}-dlq`, maxReceiveCount: 3 }],
      ['a numeric string', `{"deadLetterTargetArn":"${ARN}-dlq","maxReceiveCount":"3"}`, { deadLetterTargetArn: `${ARN}-dlq`, maxReceiveCount: 3 }],
      ['no count', `{"deadLetterTargetArn":"${ARN}-dlq"}`, { deadLetterTargetArn: `${ARN}-dlq` }],
      ['malformed JSON', '{"deadLetterTargetArn":', {}],
      ['a count that is not a number', `{"maxReceiveCount":"three"}`, {}],
    ])('reads a policy with %s', (_what, raw, expected) => {
      expect(redrivePolicy(queue({ RedrivePolicy: raw }))).toEqual({ raw, ...expected });
    });

    it('answers undefined for a queue without a dead-letter queue', () => {
      expect(redrivePolicy(queue())).toBeUndefined();
    });
  });

  it('reads numeric attributes, and nothing from absent or non-numeric ones', () => {
    const q = queue({ VisibilityTimeout: '65', DelaySeconds: '', MaximumMessageSize: 'lots' });
    expect([numberAttribute(q, 'VisibilityTimeout'), numberAttribute(q, 'DelaySeconds'), numberAttribute(q, 'MaximumMessageSize'), numberAttribute(q, 'Policy')]).toEqual([65, undefined, undefined, undefined]);
  });

  it('sends a probe message with no delivery delay and returns its id', async () => {
    const sent: unknown[] = [];
    const account = new FakeAccount().on(SQSClient, SendMessageCommand, (input) => (sent.push(input), { MessageId: 'm-1', MD5OfMessageBody: 'x' }));
    expect(await inCheck(account, (ctx) => sendProbeMessage(ctx, queue(), 'hello'))).toBe('m-1');
    expect(sent).toEqual([{ QueueUrl: URL, MessageBody: 'hello', DelaySeconds: 0 }]);
  });

  describe('sendProbeBatch', () => {
    it('sends every entry in one SendMessageBatch call with no delivery delay and maps entry ids to message ids', async () => {
      const sent: unknown[] = [];
      const account = new FakeAccount().on(SQSClient, SendMessageBatchCommand, (input) => {
        sent.push(input);
        return { Successful: (input.Entries ?? []).map((e, i) => ({ Id: e.Id, MessageId: `m-${i}`, MD5OfMessageBody: 'x' })), Failed: [] };
      });
      const ids = await inCheck(account, (ctx) => sendProbeBatch(ctx, queue(), [{ id: 'good', body: '{}' }, { id: 'poison', body: 'x' }]));
      expect([...ids]).toEqual([['good', 'm-0'], ['poison', 'm-1']]);
      expect(sent).toEqual([{ QueueUrl: URL, Entries: [{ Id: 'good', MessageBody: '{}', DelaySeconds: 0 }, { Id: 'poison', MessageBody: 'x', DelaySeconds: 0 }] }]);
    });

    it('is an ERROR, never a verdict, when SQS refuses an entry', async () => {
      const account = new FakeAccount().on(SQSClient, SendMessageBatchCommand, () => ({
        Successful: [{ Id: 'good', MessageId: 'm-0', MD5OfMessageBody: 'x' }],
        Failed: [{ Id: 'poison', Code: 'InternalError', SenderFault: false, Message: 'try again' }],
      }));
      await expect(inCheck(account, (ctx) => sendProbeBatch(ctx, queue(), [{ id: 'good', body: '{}' }, { id: 'poison', body: 'x' }]))).rejects.toThrow(/ERROR: .*SQS refused probe messages .*poison: InternalError/);
    });

    it('is authorised, like every SQS batch call, by its single-message action', () => {
      expect([actionKey('SQS', 'SendMessageBatch'), actionKey('SQS', 'DeleteMessageBatch'), actionKey('SQS', 'ChangeMessageVisibilityBatch')]).toEqual(['sqs:SendMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']);
    });
  });

  it('reads where SQS redrove a dead letter from and how often it was received, and nothing from absent attributes', () => {
    const redriven: Message = { MessageId: 'a', Attributes: { DeadLetterQueueSourceArn: ARN, ApproximateReceiveCount: '4' } };
    const forwarded: Message = { MessageId: 'b', Attributes: { ApproximateReceiveCount: 'many' } };
    expect([deadLetterSource(redriven), receiveCount(redriven), deadLetterSource(forwarded), receiveCount(forwarded), receiveCount({})]).toEqual([ARN, 4, undefined, undefined, undefined]);
  });

  describe('watchQueue', () => {
    const message = (id: string, body: string, receipt: string): Message => ({ MessageId: id, ReceiptHandle: receipt, Body: body });

    it('collects matching messages once each and stops as soon as the caller is satisfied', async () => {
      let polls = 0;
      const account = new FakeAccount().on(SQSClient, ReceiveMessageCommand, () => {
        polls += 1;
        const other = message('other', 'not mine', `r-other-${polls}`);
        if (polls === 1) return { Messages: [other] };
        if (polls === 2) return {};
        return { Messages: [message('good', 'nonce-ok', `r-good-${polls}`), message('poison', 'nonce-poison', `r-poison-${polls}`)] };
      });
      const seen = await inCheck(account, (ctx) =>
        watchQueue(ctx, queue(), 'probe messages', { match: (m) => (m.Body ?? '').startsWith('nonce-'), done: (ms) => ms.some((m) => m.Body === 'nonce-poison'), timeoutMs: 60_000 }),
      );
      expect({ polls, seen: seen.map((m) => m.MessageId) }).toEqual({ polls: 3, seen: ['good', 'poison'] });
    });

    it('returns what it saw when the deadline passes', async () => {
      let polls = 0;
      const account = new FakeAccount().on(SQSClient, ReceiveMessageCommand, () => {
        polls += 1;
        return { Messages: [message('good', 'nonce-ok', `r-${polls}`)] };
      });
      const seen = await inCheck(account, (ctx) => watchQueue(ctx, queue(), 'probe messages', { match: () => true, done: () => false, timeoutMs: 20_000 }));
      // Polls at 0, 5, 10, 15 and 20 s of the schedule, then the deadline.
      expect({ polls, seen: seen.map((m) => m.MessageId) }).toEqual({ polls: 5, seen: ['good'] });
    });
  });

  describe('deleteProbeMessages', () => {
    it('deletes by receipt handle and reports, without throwing, the ones SQS refused', async () => {
      const account = new FakeAccount().on(SQSClient, DeleteMessageCommand, ({ ReceiptHandle }) => {
        if (ReceiptHandle === 'stale') throw awsError('ReceiptHandleIsInvalid', 'The input receipt handle is invalid.', 400);
        return {};
      });
      const result = await inCheck(account, (ctx) =>
        deleteProbeMessages(ctx, queue(), [
          { MessageId: 'a', ReceiptHandle: 'fresh' },
          { MessageId: 'b', ReceiptHandle: 'stale' },
          { MessageId: 'c' },
        ]),
      );
      expect(result).toEqual({ deleted: 1, failed: ['b: ReceiptHandleIsInvalid'] });
    });
  });
});
