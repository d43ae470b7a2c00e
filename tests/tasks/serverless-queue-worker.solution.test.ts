import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ServerlessQueueWorkerSolution, WORKER_CODE } from '../../tasks/serverless-queue-worker/solution/serverless-queue-worker-solution';

const template = (() => {
  const stack = new Stack(new App(), 'QueueWorkerSolution', { env: { account: '111122223333', region: 'eu-west-1' } });
  new ServerlessQueueWorkerSolution(stack, 'Solution', { permissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/skillproof/skillproof-att-1-boundary' });
  return Template.fromStack(stack);
})();

const logicalId = (type: string, name: string) => Object.keys(template.findResources(type, { Properties: { QueueName: name } }))[0];

/** Runs the inline handler with a stand-in DynamoDB client that records (or refuses) writes. */
async function runWorker(bodies: string[], refuse: (orderId: string) => boolean = () => false) {
  const stored: string[] = [];
  class PutItemCommand {
    constructor(readonly input: { Item: { orderId: { S: string } } }) {}
  }
  class DynamoDBClient {
    async send(command: PutItemCommand) {
      const orderId = command.input.Item.orderId.S;
      if (refuse(orderId)) throw new Error('ProvisionedThroughputExceededException');
      stored.push(orderId);
    }
  }
  const module = { exports: {} as { handler?: (event: unknown) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }> } };
  const quiet = { ...console, warn: () => undefined, error: () => undefined };
  new Function('require', 'exports', 'process', 'console', WORKER_CODE)(() => ({ DynamoDBClient, PutItemCommand }), module.exports, { env: { TABLE_NAME: 'processed-orders' } }, quiet);
  const result = await module.exports.handler!({ Records: bodies.map((body, i) => ({ messageId: `m${i + 1}`, body })) });
  return { stored, failed: result.batchItemFailures.map((f) => f.itemIdentifier) };
}

describe('serverless-queue-worker reference solution', () => {
  it('dead-letters orders-queue to orders-dlq after exactly 3 receives', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'orders-queue',
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalId('AWS::SQS::Queue', 'orders-dlq'), 'Arn'] }, maxReceiveCount: 3 },
    });
  });

  it('has a visibility timeout of at least 6 × the function timeout and at most 120 s', () => {
    const queue = Object.values(template.findResources('AWS::SQS::Queue', { Properties: { QueueName: 'orders-queue' } }))[0]!;
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0]!;
    const visibility = (queue.Properties as { VisibilityTimeout: number }).VisibilityTimeout;
    const timeout = (fn.Properties as { Timeout: number }).Timeout;
    expect(visibility).toBeGreaterThanOrEqual(6 * timeout);
    expect(visibility).toBeLessThanOrEqual(120);
  });

  it('triggers the function from orders-queue with partial batch responses and no batching window', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId('AWS::SQS::Queue', 'orders-queue'), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumBatchingWindowInSeconds: Match.absent(),
    });
  });

  it('keys processed-orders by orderId (String) alone', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'processed-orders', KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'orderId', AttributeType: 'S' }] });
  });

  it('grants queue actions on orders-queue only, and nothing on orders-dlq', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => (p.Properties as { PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> } }).PolicyDocument.Statement);
    const sqs = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('sqs:')));
    expect(sqs).toEqual([{ Effect: 'Allow', Action: expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']), Resource: { 'Fn::GetAtt': [logicalId('AWS::SQS::Queue', 'orders-queue'), 'Arn'] } }]);
    expect(JSON.stringify(statements)).not.toContain('"*"');
  });

  it('creates its roles under /candidate/ with the sandbox boundary, as the sandbox requires', () => {
    const roles = Object.values(template.findResources('AWS::IAM::Role'));
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) expect(role.Properties).toMatchObject({ Path: '/candidate/', PermissionsBoundary: 'arn:aws:iam::111122223333:policy/skillproof/skillproof-att-1-boundary' });
  });

  it('stores valid orders and reports only poison messages as failed items', async () => {
    const result = await runWorker(['{"orderId":"A-1","quantity":2}', '{"orderId":"A-2","quantity":', 'null', '[]', '{"orderId":""}', '{"orderId":7}', '{"orderId":"A-3"}', 'plain text', '"A-4"', '{"order_id":"A-5"}', '{"orderId":{"S":"A-6"}}']);
    expect(result).toEqual({ stored: ['A-1', 'A-3'], failed: ['m2', 'm3', 'm4', 'm5', 'm6', 'm8', 'm9', 'm10', 'm11'] });
  });

  it('reports an order it could not store as failed, so SQS retries it', async () => {
    expect(await runWorker(['{"orderId":"A-1"}', '{"orderId":"A-2"}'], (id) => id === 'A-1')).toEqual({ stored: ['A-2'], failed: ['m1'] });
  });
});
