import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { EventSourceMappingConfiguration } from '@aws-sdk/client-lambda';
import type { Message } from '@aws-sdk/client-sqs';
import { defineGrader, error, fail, pass, type CheckContext } from '../../src';
import { describeTable, judgeTableKey, tableResourcePolicy } from '../lib/dynamodb';
import { findExcessGrants, findMissingGrants, resourcePolicyStatements, unrecognisedActions, type Allowance, type PolicyStatement } from '../lib/iam-policy';
import { roleStatements } from '../lib/iam-role';
import { getFunctionConfiguration } from '../lib/lambda';
import { describeMapping, filterPatterns, mappingPhase, reportsBatchItemFailures, sourceMappings } from '../lib/lambda-event-sources';
import { summariseExcess } from '../lib/least-privilege';
import { deleteProbeMessages, describeQueue, numberAttribute, redrivePolicy, sendProbeMessage, watchQueue, type Queue } from '../lib/sqs';

const QUEUE_NAME = 'orders-queue';
const DLQ_NAME = 'orders-dlq';
const TABLE_NAME = 'processed-orders';
/** Receives before a message is dead-lettered: exactly this, as the instructions say. */
const MAX_RECEIVE_COUNT = 3;
/** The visibility timeout must cover this many function timeouts (plus the batching window). */
const VISIBILITY_FACTOR = 6;
/**
 * The longest visibility timeout the instructions allow. A poison message needs three of them to
 * reach the dead-letter queue, and a grading run must see that happen: 3 × 120 s, plus the batching
 * window and a margin, stays under ten minutes.
 */
const MAX_VISIBILITY_SECONDS = 120;
/** Lambda's default function timeout, when the configuration does not say. */
const DEFAULT_FUNCTION_TIMEOUT = 3;

/** What the function's role may do: consume orders-queue, write to the table, and log. */
const CONSUME_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl'];
const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable'];
const allowance = (queueArn: string, tableArn: string): Allowance => [
  { actions: CONSUME_ACTIONS, resources: [queueArn] },
  { actions: WRITE_ACTIONS, resources: [tableArn, `${tableArn}/index/*`] },
  { actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], resources: ['*'] },
  { actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:GetSamplingStatisticSummaries'], resources: ['*'] },
];
/** What the event source mapping needs to poll the queue at all. */
const POLL_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];

/**
 * What the queues' and the table's resource-based policies grant the role: in one account a queue
 * policy naming the role lets it act without any identity policy (orders-dlq's policy letting it
 * send is as much excess as an inline grant).
 */
async function resourceGrants(ctx: CheckContext, role: string, tableArn: string): Promise<PolicyStatement[]> {
  const grants: PolicyStatement[] = [];
  for (const name of [QUEUE_NAME, DLQ_NAME]) {
    const queue = await describeQueue(ctx, name);
    const policy = queue?.attributes.Policy;
    if (queue && policy) grants.push(...resourcePolicyStatements(policy, `queue policy of ${name}`, { resourceArn: queue.arn, principalArn: role }));
  }
  const tablePolicy = await tableResourcePolicy(ctx, tableArn);
  if (tablePolicy) grants.push(...resourcePolicyStatements(tablePolicy, `resource policy of table ${TABLE_NAME}`, { resourceArn: tableArn, principalArn: role }));
  return grants;
}

async function theQueue(ctx: CheckContext, name: string): Promise<Queue> {
  const queue = await describeQueue(ctx, name);
  if (!queue) throw new Error(`queue ${name} was found earlier in this run but not now; the queues-exist check guards this`);
  return queue;
}

interface Consumer {
  mapping: EventSourceMappingConfiguration;
  functionArn: string;
  functionName: string;
  role: string;
  /** Seconds. */
  timeout: number;
  /** Seconds. */
  batchingWindow: number;
}

/** The one active mapping on orders-queue and its function; the event-source-mapping check guards this. */
function theConsumer(ctx: CheckContext): Promise<Consumer> {
  return ctx.memo('consumer', async () => {
    const queue = await theQueue(ctx, QUEUE_NAME);
    const active = (await sourceMappings(ctx, queue.arn)).mappings.filter((m) => mappingPhase(m) === 'active');
    const mapping = active[0];
    if (active.length !== 1 || !mapping?.FunctionArn) throw new Error('expected exactly one active mapping on orders-queue; the event-source-mapping check guards this');
    const fn = await getFunctionConfiguration(ctx, mapping.FunctionArn);
    if (!fn?.Role) throw new Error(`the function ${mapping.FunctionArn} disappeared while grading; grade again`);
    return {
      mapping,
      functionArn: mapping.FunctionArn,
      functionName: fn.FunctionName ?? mapping.FunctionArn,
      role: fn.Role,
      timeout: fn.Timeout ?? DEFAULT_FUNCTION_TIMEOUT,
      batchingWindow: mapping.MaximumBatchingWindowInSeconds ?? 0,
    };
  });
}

/** The probe's two messages: a valid order, and a poison message (a truncated JSON body) carrying the same nonce. */
const goodOrderId = (ctx: CheckContext) => `skillproof-${ctx.nonce}-ok`;
const poisonMarker = (ctx: CheckContext) => `skillproof-${ctx.nonce}-poison`;
const goodBody = (ctx: CheckContext) => JSON.stringify({ orderId: goodOrderId(ctx), product: 'skillproof-probe', quantity: 1 });
const poisonBody = (ctx: CheckContext) => `{"orderId":"${poisonMarker(ctx)}","product":"skillproof-probe","quantity":`;

/** Each probe message is sent once per run, whichever check needs it first. */
const sendGood = (ctx: CheckContext, queue: Queue) => ctx.memo('probe:good-message', () => sendProbeMessage(ctx, queue, goodBody(ctx)));
const sendPoison = (ctx: CheckContext, queue: Queue) => ctx.memo('probe:poison-message', () => sendProbeMessage(ctx, queue, poisonBody(ctx)));

export default defineGrader({
  task: 'serverless-queue-worker',
  probes: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage'],
  checks: [
    {
      // Passes when queues orders-queue and orders-dlq both exist.
      id: 'queues-exist',
      title: 'Queues orders-queue and orders-dlq exist',
      points: 5,
      critical: true,
      hint: 'Create both queues with exactly the names from the instructions, in the sandbox\'s region.',
      async run(ctx) {
        const [queue, dlq] = await Promise.all([describeQueue(ctx, QUEUE_NAME), describeQueue(ctx, DLQ_NAME)]);
        const missing = [queue ? undefined : QUEUE_NAME, dlq ? undefined : DLQ_NAME].filter((n): n is string => n !== undefined);
        const detail = { expected: [QUEUE_NAME, DLQ_NAME], actual: [queue?.arn ?? `${QUEUE_NAME}: none`, dlq?.arn ?? `${DLQ_NAME}: none`] };
        if (missing.length > 0) return fail(`no queue named ${missing.join(' or ')} in ${ctx.region}`, detail);
        return pass('both queues exist', { ...detail, resource: queue!.arn });
      },
    },
    {
      // Passes when orders-queue's redrive policy moves a message to orders-dlq after exactly 3 receives.
      id: 'redrive-to-dlq',
      title: 'orders-queue dead-letters a message to orders-dlq after 3 receives',
      points: 15,
      critical: true,
      dependsOn: ['queues-exist'],
      hint: 'A queue\'s own redrive policy decides when SQS gives up on a message and where it goes; a function\'s dead-letter queue is for asynchronous invocations only.',
      async run(ctx) {
        const [queue, dlq] = await Promise.all([theQueue(ctx, QUEUE_NAME), theQueue(ctx, DLQ_NAME)]);
        const policy = redrivePolicy(queue);
        const detail = { expected: { deadLetterTargetArn: dlq.arn, maxReceiveCount: MAX_RECEIVE_COUNT }, actual: policy?.raw ?? 'no RedrivePolicy', resource: queue.arn };
        if (!policy) return fail(`${QUEUE_NAME} has no redrive policy, so a message that keeps failing is retried until it expires`, detail);
        if (policy.deadLetterTargetArn !== dlq.arn) return fail(`${QUEUE_NAME} dead-letters to ${policy.deadLetterTargetArn ?? 'no queue'}, not to ${DLQ_NAME}`, detail);
        if (policy.maxReceiveCount !== MAX_RECEIVE_COUNT) {
          const count = policy.maxReceiveCount === undefined ? 'an unreadable number of receives' : `${policy.maxReceiveCount} receive${policy.maxReceiveCount === 1 ? '' : 's'}`;
          return fail(`${QUEUE_NAME} dead-letters a message after ${count}, not ${MAX_RECEIVE_COUNT}`, detail);
        }
        return pass(`messages move to ${DLQ_NAME} after ${MAX_RECEIVE_COUNT} receives`, detail);
      },
    },
    {
      // Passes when exactly one enabled event source mapping reads orders-queue and invokes an existing function.
      id: 'event-source-mapping',
      title: 'A Lambda function consumes orders-queue',
      points: 10,
      critical: true,
      dependsOn: ['queues-exist'],
      hint: 'Connect your function to the queue with a trigger (an event source mapping), and make sure it is enabled; keep a single consumer.',
      async run(ctx) {
        const queue = await theQueue(ctx, QUEUE_NAME);
        const { mappings, unsettled } = await sourceMappings(ctx, queue.arn);
        const active = mappings.filter((m) => mappingPhase(m) === 'active');
        const detail = { expected: `one enabled event source mapping with EventSourceArn ${queue.arn}`, actual: mappings.map(describeMapping), resource: queue.arn };
        if (unsettled) return error(`an event source mapping on ${QUEUE_NAME} was still being created or enabled after a minute; grade again`, detail);
        if (active.length === 0) {
          return fail(mappings.length === 0 ? `no Lambda event source mapping reads ${QUEUE_NAME}` : `the event source mappings on ${QUEUE_NAME} are not enabled (${mappings.map((m) => m.State).join(', ')})`, detail);
        }
        if (active.length > 1) return fail(`${active.length} enabled event source mappings read ${QUEUE_NAME}, so messages are split between them; keep one`, detail);
        const mapping = active[0]!;
        const fn = mapping.FunctionArn ? await getFunctionConfiguration(ctx, mapping.FunctionArn) : undefined;
        if (!fn) return fail(`the mapping on ${QUEUE_NAME} invokes ${mapping.FunctionArn ?? 'no function'}, which does not exist`, detail);
        return pass(`mapping ${mapping.UUID} invokes ${fn.FunctionName}`, { ...detail, resource: mapping.EventSourceMappingArn ?? mapping.FunctionArn });
      },
    },
    {
      // Passes when the queue's mapping has ReportBatchItemFailures among its FunctionResponseTypes.
      id: 'partial-batch-responses',
      title: 'The mapping accepts partial batch responses',
      points: 15,
      critical: true,
      dependsOn: ['event-source-mapping'],
      hint: 'Without a setting on the trigger, Lambda ignores which records your function says failed and treats the batch as all-or-nothing.',
      async run(ctx) {
        const { mapping } = await theConsumer(ctx);
        const detail = { expected: 'FunctionResponseTypes includes ReportBatchItemFailures', actual: mapping.FunctionResponseTypes ?? [], resource: mapping.EventSourceMappingArn ?? mapping.UUID ?? QUEUE_NAME };
        if (!reportsBatchItemFailures(mapping)) return fail('the mapping does not accept partial batch responses, so one bad message fails (or hides in) its whole batch', detail);
        return pass('the mapping reports batch item failures', detail);
      },
    },
    {
      // Passes when orders-queue's VisibilityTimeout is at least 6 × the function timeout + the batching window, and at most 120 s.
      id: 'visibility-timeout',
      title: 'The visibility timeout fits the function\'s timeout',
      points: 10,
      critical: true,
      dependsOn: ['event-source-mapping'],
      hint: 'Compare the queue\'s visibility timeout with the function\'s timeout (and the trigger\'s batching window) using the rule in the instructions; mind the upper limit too.',
      async run(ctx) {
        const queue = await theQueue(ctx, QUEUE_NAME);
        const consumer = await theConsumer(ctx);
        const visibility = numberAttribute(queue, 'VisibilityTimeout');
        if (visibility === undefined) return error(`${QUEUE_NAME} returned no readable VisibilityTimeout (${queue.attributes.VisibilityTimeout ?? 'absent'}); grade again`, { resource: queue.arn });
        const minimum = VISIBILITY_FACTOR * consumer.timeout + consumer.batchingWindow;
        const window = consumer.batchingWindow > 0 ? ` + a ${consumer.batchingWindow} s batching window` : '';
        const detail = {
          expected: { minSeconds: minimum, maxSeconds: MAX_VISIBILITY_SECONDS },
          actual: { visibilityTimeout: visibility, functionTimeout: consumer.timeout, batchingWindow: consumer.batchingWindow, function: consumer.functionArn },
          resource: queue.arn,
        };
        if (visibility < minimum) {
          return fail(`the visibility timeout is ${visibility} s, less than ${VISIBILITY_FACTOR} × the function's ${consumer.timeout} s timeout${window} (${minimum} s)`, detail);
        }
        if (visibility > MAX_VISIBILITY_SECONDS) return fail(`the visibility timeout is ${visibility} s, more than the ${MAX_VISIBILITY_SECONDS} s the instructions allow`, detail);
        return pass(`${visibility} s covers ${VISIBILITY_FACTOR} × ${consumer.timeout} s${window}`, detail);
      },
    },
    {
      // Passes when table processed-orders has partition key orderId (String) and no sort key.
      id: 'table-key-schema',
      title: 'Table processed-orders is keyed by orderId',
      points: 5,
      critical: true,
      hint: 'Create the table with the name and key the instructions give; a table\'s key cannot be changed, so recreate it if needed.',
      run: (ctx) => judgeTableKey(ctx, TABLE_NAME, 'orderId'),
    },
    {
      // Passes when the function's role can poll orders-queue and write the table, and its policies, with the queues' and table's resource policies, grant nothing beyond that, logs and tracing.
      id: 'role-least-privilege',
      title: 'The function\'s role may consume orders-queue and write the table, nothing more',
      points: 15,
      critical: true,
      dependsOn: ['event-source-mapping', 'table-key-schema'],
      hint: 'Give the execution role the queue actions a trigger needs on this queue\'s ARN only, the table writes on the table\'s ARN, and logging; avoid wildcards and managed policies that cover every queue. Queue and table policies that name the role count too.',
      async run(ctx) {
        const queue = await theQueue(ctx, QUEUE_NAME);
        const consumer = await theConsumer(ctx);
        const table = await describeTable(ctx, TABLE_NAME);
        if (!table?.TableArn) return error(`table ${TABLE_NAME} disappeared while grading; grade again`);
        const statements = [...(await roleStatements(ctx, consumer.role)), ...(await resourceGrants(ctx, consumer.role, table.TableArn))];
        const allowed = allowance(queue.arn, table.TableArn);
        const cannotPoll = findMissingGrants(statements, POLL_ACTIONS.map((action) => ({ action, resource: queue.arn })));
        const writes = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'].map((action) => ({ action, resource: table.TableArn! }));
        const cannotWrite = findMissingGrants(statements, writes).length === writes.length;
        const excess = findExcessGrants(statements, allowed);
        const detail = {
          expected: { required: [...POLL_ACTIONS.map((a) => `${a} on ${queue.arn}`), `a write (PutItem, UpdateItem or BatchWriteItem) on ${table.TableArn}`], allowed },
          actual: { cannotPoll: cannotPoll.map((m) => `${m.action} (${m.decision})`), cannotWrite, excess: summariseExcess(excess), grantNothing: unrecognisedActions(statements) },
          resource: consumer.role,
        };
        if (cannotPoll.length > 0) return fail(`the role cannot ${cannotPoll.map((m) => m.action).join(', ')} on ${QUEUE_NAME}, which the trigger needs to poll it`, detail);
        if (cannotWrite) return fail(`the role cannot write items to ${TABLE_NAME} (no PutItem, UpdateItem or BatchWriteItem on it)`, detail);
        if (excess.length > 0) return fail(`the role grants more than consuming ${QUEUE_NAME} and writing ${TABLE_NAME}: ${summariseExcess(excess).slice(0, 5).join('; ')}`, detail);
        return pass(`the role consumes ${QUEUE_NAME} and writes ${TABLE_NAME}, plus logs`, detail);
      },
    },
    {
      // Passes when a valid order sent to orders-queue appears in processed-orders under its orderId.
      id: 'good-message-processed',
      title: 'A valid order sent to the queue is stored',
      points: 10,
      critical: true,
      dependsOn: ['event-source-mapping', 'table-key-schema'],
      timeoutMs: 8 * 60_000,
      hint: 'Send the example message from the instructions to your queue yourself and look for the item in the table; the function\'s logs show what went wrong.',
      async run(ctx) {
        const queue = await theQueue(ctx, QUEUE_NAME);
        const consumer = await theConsumer(ctx);
        const table = await describeTable(ctx, TABLE_NAME);
        const orderId = goodOrderId(ctx);
        const messageId = await sendGood(ctx, queue);
        // The first delivery waits for the batching window; a minute more covers polling and a cold start.
        const deadlineSeconds = consumer.batchingWindow + 60;
        const item = await ctx.waitFor(
          `order ${orderId} in table ${TABLE_NAME}`,
          async () => (await ctx.client(DynamoDBClient).send(new GetItemCommand({ TableName: TABLE_NAME, Key: { orderId: { S: orderId } }, ConsistentRead: true }))).Item,
          { timeoutMs: deadlineSeconds * 1000, intervalMs: 2_000 },
        );
        const resource = table?.TableArn ?? TABLE_NAME;
        if (!item) {
          return fail(`sent order ${orderId} to ${QUEUE_NAME} (message ${messageId}), but no item with that orderId appeared in ${TABLE_NAME} within ${deadlineSeconds} s`, {
            expected: `an item with orderId ${orderId}`,
            actual: 'none',
            resource,
          });
        }
        return pass(`order ${orderId} was stored`, { expected: `an item with orderId ${orderId}`, actual: { messageId, attributes: Object.keys(item).sort() }, resource });
      },
    },
    {
      // Passes when a poison message sent to orders-queue reaches orders-dlq within 3 visibility timeouts (+ margin) and the valid order does not.
      id: 'poison-dead-lettered',
      title: 'A poison message reaches orders-dlq, and only it',
      points: 15,
      critical: true,
      // The table too: a valid order the function cannot store would rightly be retried, and dead-lettered.
      dependsOn: ['redrive-to-dlq', 'partial-batch-responses', 'visibility-timeout', 'table-key-schema'],
      timeoutMs: 11 * 60_000,
      hint: 'Send a malformed message to your queue and watch where it ends up after its retries; your function must report it as failed without failing the valid messages in the same batch.',
      async run(ctx) {
        const [queue, dlq] = await Promise.all([theQueue(ctx, QUEUE_NAME), theQueue(ctx, DLQ_NAME)]);
        const consumer = await theConsumer(ctx);
        const visibility = numberAttribute(queue, 'VisibilityTimeout');
        if (visibility === undefined) return error(`${QUEUE_NAME} returned no readable VisibilityTimeout; grade again`, { resource: queue.arn });
        // A consumer on the DLQ would take the poison message before anyone could see it.
        const dlqConsumers = (await sourceMappings(ctx, dlq.arn)).mappings.filter((m) => mappingPhase(m) !== 'inactive');
        if (dlqConsumers.length > 0) {
          return fail(`${DLQ_NAME} has an enabled trigger (${dlqConsumers.map((m) => m.FunctionArn).join(', ')}), which takes dead letters away before they can be inspected; the instructions ask for no consumer on it`, {
            expected: `no event source mapping on ${DLQ_NAME}`,
            actual: dlqConsumers.map(describeMapping),
            resource: dlq.arn,
          });
        }
        // The good message goes first so both usually share a batch: a function that fails the whole batch is then seen.
        const goodId = await sendGood(ctx, queue);
        const poisonId = await sendPoison(ctx, queue);
        // Three deliveries, each hidden for one visibility timeout, then the move on the next receive.
        const deadlineSeconds = MAX_RECEIVE_COUNT * visibility + consumer.batchingWindow + 90;
        const isPoison = (m: Message) => (m.Body ?? '').includes(poisonMarker(ctx));
        const isGood = (m: Message) => (m.Body ?? '').includes(goodOrderId(ctx));
        const seen = await watchQueue(ctx, dlq, `the poison message in ${DLQ_NAME}`, {
          match: (m) => isPoison(m) || isGood(m),
          done: (matches) => matches.some(isPoison),
          timeoutMs: deadlineSeconds * 1000,
        });
        const cleanup = await deleteProbeMessages(ctx, dlq, seen);
        const poison = seen.find(isPoison);
        const good = seen.find(isGood);
        const filters = filterPatterns(consumer.mapping);
        const detail = {
          expected: `message ${poisonId} in ${DLQ_NAME} within ${deadlineSeconds} s; message ${goodId} not there`,
          actual: {
            poison: poison ? { messageId: poison.MessageId, source: poison.Attributes?.DeadLetterQueueSourceArn } : 'not seen',
            good: good ? { messageId: good.MessageId } : 'not seen',
            ...(filters.length > 0 ? { mappingFilters: filters } : {}),
            cleanup,
          },
          resource: dlq.arn,
        };
        if (good) return fail(`the valid order (message ${goodId}) was dead-lettered too: the function failed messages it should have processed, such as the whole batch`, detail);
        if (!poison) {
          const why = filters.length > 0 ? '; note the trigger has filter criteria, and SQS messages they do not match are deleted unprocessed' : '';
          return fail(`the poison message (message ${poisonId}) did not reach ${DLQ_NAME} within ${deadlineSeconds} s${why}`, detail);
        }
        return pass(`the poison message reached ${DLQ_NAME} and the valid order did not`, detail);
      },
    },
  ],
});
