import { Aspects, Duration, RemovalPolicy, type IAspect } from 'aws-cdk-lib';
import { CfnRole, ManagedPolicy, PermissionsBoundary } from 'aws-cdk-lib/aws-iam';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';

/**
 * The worker's handler: stores each valid order, and reports every poison message (and every order
 * it could not store) as a batch item failure so SQS retries only those and then dead-letters them.
 */
export const WORKER_CODE = `
const { DynamoDBClient, PutItemCommand } = require('@aws-sdk/client-dynamodb');
const db = new DynamoDBClient({});

function parseOrder(body) {
  try {
    const order = JSON.parse(body);
    if (order && typeof order === 'object' && !Array.isArray(order) && typeof order.orderId === 'string' && order.orderId !== '') return order;
  } catch (err) {
    // not JSON: poison
  }
  return undefined;
}

exports.handler = async (event) => {
  const batchItemFailures = [];
  for (const record of event.Records) {
    const order = parseOrder(record.body);
    if (!order) {
      console.warn(JSON.stringify({ level: 'WARN', message: 'poison message', messageId: record.messageId }));
      batchItemFailures.push({ itemIdentifier: record.messageId });
      continue;
    }
    try {
      await db.send(new PutItemCommand({
        TableName: process.env.TABLE_NAME,
        Item: { orderId: { S: order.orderId }, messageId: { S: record.messageId }, body: { S: record.body }, processedAt: { S: new Date().toISOString() } },
      }));
    } catch (err) {
      console.error(JSON.stringify({ level: 'ERROR', message: 'could not store order', messageId: record.messageId, error: String(err) }));
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
`;

/** The reference solution for serverless-queue-worker: deploy it into a sandbox to see every check pass. */
export interface ServerlessQueueWorkerSolutionProps {
  /** The sandbox's CandidateBoundary (stack output CandidateBoundaryArn); every role the solution makes carries it. */
  permissionsBoundaryArn?: string;
}

/** Puts every IAM role of the solution (CDK's own service roles included) under the sandbox's /candidate/ path. */
class CandidateRolePath implements IAspect {
  visit(node: IConstruct): void {
    if (node instanceof CfnRole) node.path = '/candidate/';
  }
}

export class ServerlessQueueWorkerSolution extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly table: Table;
  readonly worker: LambdaFunction;

  constructor(scope: Construct, id: string, props: ServerlessQueueWorkerSolutionProps = {}) {
    super(scope, id);
    // The sandbox lets the candidate create roles only under /candidate/ and with its permissions boundary.
    Aspects.of(this).add(new CandidateRolePath());
    if (props.permissionsBoundaryArn) PermissionsBoundary.of(this).apply(ManagedPolicy.fromManagedPolicyArn(this, 'Boundary', props.permissionsBoundaryArn));
    // Longer than the source queue's retention: a dead-lettered message keeps its original enqueue time.
    this.deadLetterQueue = new Queue(this, 'OrdersDlq', { queueName: 'orders-dlq', retentionPeriod: Duration.days(14) });
    this.queue = new Queue(this, 'OrdersQueue', {
      queueName: 'orders-queue',
      // 6 × the function's 10 s timeout, within the task's 120 s limit.
      visibilityTimeout: Duration.seconds(60),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 3 },
    });
    this.table = new Table(this, 'ProcessedOrders', {
      tableName: 'processed-orders',
      partitionKey: { name: 'orderId', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.worker = new LambdaFunction(this, 'Worker', {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromInline(WORKER_CODE),
      timeout: Duration.seconds(10),
      environment: { TABLE_NAME: this.table.tableName },
    });
    this.table.grantWriteData(this.worker);
    // Also grants the role the queue's consume actions, on this queue only.
    this.worker.addEventSource(new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true }));
  }
}
