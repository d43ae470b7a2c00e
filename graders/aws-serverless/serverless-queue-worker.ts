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
import { deadLetterSource, deleteProbeMessages, describeQueue, numberAttribute, receiveCount, redrivePolicy, sendProbeBatch, watchQueue, type Queue } from '../lib/sqs';

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

/**
 * The probe: one valid order and several poison messages, each marked with the run's nonce, sent in
 * one SendMessageBatch call so they are enqueued together and reach the function in the same batch
 * (a function that fails the whole batch then also fails the valid order). The poison bodies cover
 * what the README calls poison: text that is not JSON, and JSON that is not an object with a
 * non-empty string orderId.
 */
const goodOrderId = (ctx: CheckContext) => `skillproof-${ctx.nonce}-ok`;
const poisonMarker = (ctx: CheckContext, kind: string) => `skillproof-${ctx.nonce}-poison-${kind}`;
const POISON: ReadonlyArray<{ kind: string; what: string; body: (marker: string) => string }> = [
  { kind: 'truncated', what: 'truncated JSON', body: (m) => `{"orderId":"${m}","product":"skillproof-probe","quantity":` },
  { kind: 'text', what: 'plain text', body: (m) => `order ${m} please` },
  { kind: 'array', what: 'a JSON array', body: (m) => JSON.stringify([{ orderId: m }]) },
  { kind: 'string', what: 'a JSON string', body: (m) => JSON.stringify(m) },
  { kind: 'no-order-id', what: 'an object without orderId', body: (m) => JSON.stringify({ order_id: m, product: 'skillproof-probe', quantity: 1 }) },
  { kind: 'empty-order-id', what: 'an empty orderId', body: (m) => JSON.stringify({ orderId: '', note: m }) },
  { kind: 'numeric-order-id', what: 'a numeric orderId', body: (m) => JSON.stringify({ orderId: 1001, note: m }) },
  { kind: 'null-order-id', what: 'a null orderId', body: (m) => JSON.stringify({ orderId: null, note: m }) },
  { kind: 'object-order-id', what: 'an orderId that is an object', body: (m) => JSON.stringify({ orderId: { S: m } }) },
];
const goodBody = (ctx: CheckContext) => JSON.stringify({ orderId: goodOrderId(ctx), product: 'skillproof-probe', quantity: 1 });

interface ProbeMessages {
  /** MessageId of the valid order. */
  good: string;
  /** MessageId of each poison message, by kind. */
  poison: Map<string, string>;
}

/** True when orders-queue dead-letters to orders-dlq after exactly MAX_RECEIVE_COUNT receives (what redrive-to-dlq checks). */
async function redrivesCorrectly(ctx: CheckContext, queue: Queue): Promise<boolean> {
  const dlq = await describeQueue(ctx, DLQ_NAME);
  const policy = redrivePolicy(queue);
  return Boolean(dlq && policy?.deadLetterTargetArn === dlq.arn && policy.maxReceiveCount === MAX_RECEIVE_COUNT);
}

/**
 * The probe messages are sent once per run, whichever check needs them first. Poison goes only to a
 * queue that will dead-letter it: without a working redrive policy it would be retried until it
 * expires, and the dead-letter check that judges it is skipped anyway.
 */
function sendProbe(ctx: CheckContext, queue: Queue): Promise<ProbeMessages> {
  return ctx.memo('probe:messages', async () => {
    const poison = (await redrivesCorrectly(ctx, queue)) ? POISON : [];
    const ids = await sendProbeBatch(ctx, queue, [{ id: 'good', body: goodBody(ctx) }, ...poison.map((p) => ({ id: `poison-${p.kind}`, body: p.body(poisonMarker(ctx, p.kind)) }))]);
    return { good: ids.get('good')!, poison: new Map(poison.map((p) => [p.kind, ids.get(`poison-${p.kind}`)!])) };
  });
}

export default defineGrader({
  task: 'serverless-queue-worker',
  probes: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage'],
  // {} is AWS's answer for an empty dead-letter queue and for an order the worker did not store.
  validEmptyAnswers: ['SQS.ReceiveMessage', 'DynamoDB.GetItem'],
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
        const messageId = (await sendProbe(ctx, queue)).good;
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
      // Passes when every poison message of the probe batch is moved to orders-dlq by SQS's redrive (DeadLetterQueueSourceArn = orders-queue) after at least 3 receives, and the valid order sent in the same batch is not.
      id: 'poison-dead-lettered',
      title: 'Poison messages reach orders-dlq, and only they',
      points: 15,
      critical: true,
      // The valid order too: it shares the poison messages' batch, so a function that fails the batch shows here.
      dependsOn: ['redrive-to-dlq', 'partial-batch-responses', 'visibility-timeout', 'table-key-schema', 'good-message-processed'],
      timeoutMs: 11 * 60_000,
      hint: 'Send malformed messages of every kind the instructions describe to your queue, together with a valid order, and watch where each ends up after its retries; your function must report each of them as failed without failing the valid messages in the same batch, and leave moving them to SQS.',
      async run(ctx) {
        const [queue, dlq] = await Promise.all([theQueue(ctx, QUEUE_NAME), theQueue(ctx, DLQ_NAME)]);
        const consumer = await theConsumer(ctx);
        const visibility = numberAttribute(queue, 'VisibilityTimeout');
        if (visibility === undefined) return error(`${QUEUE_NAME} returned no readable VisibilityTimeout; grade again`, { resource: queue.arn });
        // A consumer on the DLQ would take the poison messages before anyone could see them.
        const dlqConsumers = (await sourceMappings(ctx, dlq.arn)).mappings.filter((m) => mappingPhase(m) !== 'inactive');
        if (dlqConsumers.length > 0) {
          return fail(`${DLQ_NAME} has an enabled trigger (${dlqConsumers.map((m) => m.FunctionArn).join(', ')}), which takes dead letters away before they can be inspected; the instructions ask for no consumer on it`, {
            expected: `no event source mapping on ${DLQ_NAME}`,
            actual: dlqConsumers.map(describeMapping),
            resource: dlq.arn,
          });
        }
        const sent = await sendProbe(ctx, queue);
        // Three deliveries, each hidden for one visibility timeout, then the move on the next receive.
        const deadlineSeconds = MAX_RECEIVE_COUNT * visibility + consumer.batchingWindow + 90;
        const kindOf = (m: Message) => POISON.find((p) => (m.Body ?? '').includes(poisonMarker(ctx, p.kind)))?.kind;
        const isGood = (m: Message) => (m.Body ?? '').includes(goodOrderId(ctx));
        const seen = await watchQueue(ctx, dlq, `the poison messages in ${DLQ_NAME}`, {
          match: (m) => kindOf(m) !== undefined || isGood(m),
          done: (matches) => POISON.every((p) => matches.some((m) => kindOf(m) === p.kind)),
          timeoutMs: deadlineSeconds * 1000,
        });
        const cleanup = await deleteProbeMessages(ctx, dlq, seen);
        const good = seen.find(isGood);
        const arrivals = POISON.map((p) => {
          const m = seen.find((x) => kindOf(x) === p.kind);
          return { kind: p.kind, what: p.what, messageId: sent.poison.get(p.kind)!, ...(m ? { source: deadLetterSource(m) ?? null, receiveCount: receiveCount(m) ?? null } : {}), seen: m !== undefined };
        });
        const filters = filterPatterns(consumer.mapping);
        const detail = {
          expected: `each poison message in ${DLQ_NAME} within ${deadlineSeconds} s, moved there by SQS from ${queue.arn} (DeadLetterQueueSourceArn) after at least ${MAX_RECEIVE_COUNT} receives; the valid order (message ${sent.good}) not there`,
          actual: { poison: arrivals, good: good ? { messageId: good.MessageId } : 'not seen', ...(filters.length > 0 ? { mappingFilters: filters } : {}), cleanup },
          resource: dlq.arn,
        };
        if (good) return fail(`the valid order (message ${sent.good}) was dead-lettered too: the function failed messages of its batch it should have processed, such as the whole batch`, detail);
        const missing = arrivals.filter((a) => !a.seen);
        if (missing.length > 0) {
          const why = filters.length > 0 ? '; note the trigger has filter criteria, and SQS messages they do not match are deleted unprocessed' : '';
          return fail(`${missing.length} of ${POISON.length} poison messages did not reach ${DLQ_NAME} within ${deadlineSeconds} s: ${missing.map((a) => `${a.what} (message ${a.messageId})`).join(', ')}${why}`, detail);
        }
        const notRedriven = arrivals.filter((a) => a.source !== queue.arn);
        if (notRedriven.length > 0) {
          return fail(`${notRedriven.map((a) => `${a.what} (message ${a.messageId})`).join(', ')} arrived in ${DLQ_NAME} without SQS's DeadLetterQueueSourceArn ${queue.arn}: it was sent there by someone else, not moved by the redrive policy`, detail);
        }
        const counts = arrivals.map((a) => a.receiveCount);
        if (counts.some((c) => c === null)) return error(`SQS returned no ApproximateReceiveCount for a dead-lettered probe message although the grader asked for it; grade again`, detail);
        const early = arrivals.filter((a) => (a.receiveCount ?? 0) < MAX_RECEIVE_COUNT);
        if (early.length > 0) {
          return fail(`${early.map((a) => `${a.what} (message ${a.messageId}, received ${a.receiveCount} time${a.receiveCount === 1 ? '' : 's'})`).join(', ')} reached ${DLQ_NAME} before ${MAX_RECEIVE_COUNT} receives`, detail);
        }
        return pass(`all ${POISON.length} poison messages were dead-lettered by SQS from ${QUEUE_NAME} after ${MAX_RECEIVE_COUNT} receives, and the valid order was not`, detail);
      },
    },
  ],
});
