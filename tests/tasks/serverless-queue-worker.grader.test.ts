import { loadCatalog } from '../../src/catalog/load';
import { readBundle } from '../../src/evidence/bundle';
import { listFixtureFiles, type FixtureKind } from '../../src/testing/scenarios';
import { type FixtureSpec, gradedFixture, outcomes, specifyFixtures } from '../support/fixtures';

const entry = loadCatalog().get('serverless-queue-worker');
const fixture = (kind: FixtureKind, name: string) => {
  const found = listFixtureFiles(entry).find((f) => f.kind === kind && f.name === name);
  if (!found) throw new Error(`no fixture ${kind}/${name}; re-record with \`bin/skillproof grader record serverless-queue-worker\``);
  return found;
};
const graded = gradedFixture(entry);
const calls = (kind: FixtureKind, name: string, operation: string) => readBundle(fixture(kind, name).file).transcript.filter((c) => c.service === 'SQS' && c.operation === operation);

/** Every fixture, as the sentence it stands for. */
const SPEC: FixtureSpec = [
  ['pass', 'cdk-solution', 'passes the reference CDK solution'],
  ['alt', 'console-defaults', 'passes a console build: 30 s over a 5 s function, maxReceiveCount "3" as a string, a hand-written queue-only policy'],
  ['alt', 'sam-sqs-poller-policy', "passes SAM's SQSPollerPolicy with its batch action names, DynamoDBWritePolicy and the console's owner queue policy"],
  ['alt', 'alias-batching-window-recreated-mapping', 'passes a trigger on an alias with a batching window, still Creating at first, beside an old disabled mapping'],
  ['alt', 'sam-sqs-event', 'passes a SAM function with its own /candidate/ role, the default 3 s timeout and an SQS event reporting batch item failures'],
  ['fail', 'no-dlq', 'fails when orders-dlq does not exist'],
  ['fail', 'no-redrive', 'fails when orders-queue has no redrive policy'],
  ['fail', 'max-receive-count-10', 'fails when messages are dead-lettered after 10 receives'],
  ['fail', 'max-receive-count-1', 'fails when messages are dead-lettered after a single receive'],
  ['fail', 'dlq-on-function-not-queue', "fails when orders-dlq is the function's dead-letter queue instead of the queue's"],
  ['fail', 'no-mapping', 'fails when no trigger reads orders-queue'],
  ['fail', 'mapping-disabled', 'fails when the only trigger is disabled'],
  ['fail', 'two-consumers', 'fails when two enabled triggers split the queue'],
  ['fail', 'no-partial-batch-responses', 'fails when the trigger does not report batch item failures'],
  ['fail', 'visibility-too-short', 'fails when the visibility timeout is under six function timeouts'],
  ['fail', 'visibility-ignores-batching-window', 'fails when the visibility timeout leaves nothing for the batching window'],
  ['fail', 'visibility-too-long', 'fails when the visibility timeout exceeds 120 s'],
  ['fail', 'wrong-table-key', 'fails when processed-orders is not keyed by orderId'],
  ['fail', 'role-sqs-star', 'fails when the function role has sqs:* on *'],
  ['fail', 'role-managed-sqs-execution', 'fails when the function role uses the managed SQS policy that covers every queue'],
  ['fail', 'role-sends-to-dlq', 'fails when the function role may send to orders-dlq'],
  ['fail', 'dlq-policy-lets-role-send', "fails when orders-dlq's queue policy lets the function role send to it"],
  ['fail', 'table-policy-grants-scan', "fails when processed-orders' resource policy lets everyone, the role included, scan it"],
  ['fail', 'dlq-has-consumer', 'fails when a trigger on orders-dlq takes the dead letters away'],
  ['fail', 'good-message-not-processed', 'fails when the valid order is never stored'],
  ['fail', 'poison-swallowed', 'fails when the poison message is swallowed and never dead-lettered'],
  ['fail', 'whole-batch-fails', 'fails when the valid order is dead-lettered with the poison messages of its batch'],
  ['fail', 'poison-forwarded-by-function', 'fails when the function forwards poison to orders-dlq itself instead of letting SQS redrive it'],
  ['fail', 'only-unparseable-is-poison', 'fails when JSON that is not a valid order is deleted instead of dead-lettered'],
  ['error', 'throttling-persistent', 'is incomplete, not failed, when SQS keeps throttling'],
  ['error', 'grader-cannot-receive', 'is incomplete when the grader role may not receive from orders-dlq'],
  ['error', 'grader-cannot-read-role-policy', "is incomplete when the grader role may not read the execution role's policy"],
  ['error', 'mapping-stuck-creating', 'is incomplete while the trigger is still being created'],
];

describe('serverless-queue-worker', () => {
  specifyFixtures(entry, SPEC);

  it('charges one mistake once: a wrong redrive policy skips the dead-letter probe', async () => {
    const report = await graded('fail', 'max-receive-count-10');
    expect(outcomes(report)).toMatchObject({ 'redrive-to-dlq': 'FAIL', 'poison-dead-lettered': 'SKIPPED', 'good-message-processed': 'PASS' });
  });

  it('sends no poison message to a queue whose redrive policy would not dead-letter it', () => {
    const batches = calls('fail', 'no-redrive', 'SendMessageBatch').map((c) => (c.input as { Entries: Array<{ MessageBody: string }> }).Entries.map((e) => e.MessageBody));
    expect(batches).toEqual([[expect.stringContaining('-ok"')]]);
  });

  it('sends the valid order and the poison messages together, in one SendMessageBatch call marked with the run nonce', () => {
    const bundle = readBundle(fixture('pass', 'cdk-solution').file);
    expect(calls('pass', 'cdk-solution', 'SendMessage')).toEqual([]);
    const batches = calls('pass', 'cdk-solution', 'SendMessageBatch').map((c) => (c.input as { Entries: Array<{ Id: string; MessageBody: string }> }).Entries);
    expect(batches).toHaveLength(1);
    const [good, ...poison] = batches[0]!;
    expect(JSON.parse(good!.MessageBody)).toMatchObject({ orderId: `skillproof-${bundle.run.nonce}-ok` });
    expect(poison.length).toBeGreaterThanOrEqual(8);
    for (const p of poison) expect(p.MessageBody).toContain(`skillproof-${bundle.run.nonce}-poison-`);
  });

  it('asks SQS for the system attributes that show a dead letter was redriven, and after how many receives', () => {
    const receive = calls('pass', 'cdk-solution', 'ReceiveMessage')[0]!.input as { MessageSystemAttributeNames: string[] };
    expect(receive.MessageSystemAttributeNames).toEqual(expect.arrayContaining(['DeadLetterQueueSourceArn', 'ApproximateReceiveCount']));
  });

  it('names the poison bodies that were not dead-lettered', async () => {
    const check = (await graded('fail', 'only-unparseable-is-poison')).checks.find((c) => c.id === 'poison-dead-lettered')!;
    expect(check.message).toMatch(/^7 of 9 poison messages did not reach orders-dlq/);
    expect(check.message).toContain('a numeric orderId');
    expect(check.message).not.toContain('truncated JSON');
  });

  it('refuses dead letters that SQS did not move there itself', async () => {
    const check = (await graded('fail', 'poison-forwarded-by-function')).checks.find((c) => c.id === 'poison-dead-lettered')!;
    expect(check.message).toContain("without SQS's DeadLetterQueueSourceArn arn:aws:sqs:eu-west-1:111122223333:orders-queue");
  });

  it("deletes the probe's dead-lettered message and leaves the candidate's own dead letters alone", () => {
    const deletes = calls('pass', 'cdk-solution', 'DeleteMessage').map((c) => (c.input as { ReceiptHandle: string }).ReceiptHandle);
    expect(deletes).toHaveLength(9);
    expect(deletes[0]).not.toMatch(/stale/);
  });

  it('waits three visibility timeouts plus the batching window and a margin for the dead letter', async () => {
    const swallowed = (await graded('fail', 'poison-swallowed')).checks.find((c) => c.id === 'poison-dead-lettered')!;
    expect(swallowed.message).toContain('within 270 s');
    const alias = (await graded('alt', 'alias-batching-window-recreated-mapping')).checks.find((c) => c.id === 'poison-dead-lettered')!;
    expect(alias.expected).toContain('within 290 s');
  });

  it('names the excess grant when the role is too broad', async () => {
    const role = (await graded('fail', 'role-sends-to-dlq')).checks.find((c) => c.id === 'role-least-privilege')!;
    expect(role.message).toContain('sqs:SendMessage on arn:aws:sqs:eu-west-1:111122223333:orders-dlq');
  });

});
