import { Aspects, Duration, RemovalPolicy, type IAspect } from 'aws-cdk-lib';
import { CfnRole, ManagedPolicy, PermissionsBoundary } from 'aws-cdk-lib/aws-iam';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import { Code, Function as LambdaFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, Errors, LogLevel, Pass, StateMachine, StateMachineType, Succeed } from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct, type IConstruct } from 'constructs';

/**
 * The order processor: accepts a valid order, and raises an `InvalidOrder` error (the Node.js
 * runtime reports the error's name as its type, which is what a Catch matches) for anything else.
 */
const PROCESSOR_CODE = `
class InvalidOrder extends Error {
  constructor(message) { super(message); this.name = 'InvalidOrder'; }
}
exports.handler = async (event) => {
  const order = (event && event.detail) || event || {};
  const valid = typeof order.orderId === 'string' && order.orderId.length > 0 && Number.isInteger(order.quantity) && order.quantity >= 1;
  if (!valid) throw new InvalidOrder('order ' + JSON.stringify(order.orderId) + ': quantity must be a whole number of at least 1');
  console.log(JSON.stringify({ accepted: order.orderId, quantity: order.quantity }));
  return { orderId: order.orderId, status: 'ACCEPTED' };
};
`;

/**
 * Reference solution for `serverless-order-workflow`: OrderPlaced events from shop.orders on the
 * custom bus orders-bus start the Standard state machine order-workflow. Its one task retries
 * Lambda's transient errors and hands any error that remains to a handler state; it logs every
 * event and is traced. The rule's target retries delivery and keeps what it cannot deliver in a
 * dead-letter queue; CDK gives EventBridge a role that may start this state machine only.
 */
export interface ServerlessOrderWorkflowSolutionProps {
  /** The sandbox's CandidateBoundary (stack output CandidateBoundaryArn); every role the solution makes carries it. */
  permissionsBoundaryArn?: string;
}

/** Puts every IAM role of the solution (CDK's own service roles included) under the sandbox's /candidate/ path. */
class CandidateRolePath implements IAspect {
  visit(node: IConstruct): void {
    if (node instanceof CfnRole) node.path = '/candidate/';
  }
}

export class ServerlessOrderWorkflowSolution extends Construct {
  readonly bus: EventBus;
  readonly stateMachine: StateMachine;
  readonly deadLetterQueue: Queue;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: ServerlessOrderWorkflowSolutionProps = {}) {
    super(scope, id);
    // The sandbox lets the candidate create roles only under /candidate/ and with its permissions boundary.
    Aspects.of(this).add(new CandidateRolePath());
    if (props.permissionsBoundaryArn) PermissionsBoundary.of(this).apply(ManagedPolicy.fromManagedPolicyArn(this, 'Boundary', props.permissionsBoundaryArn));

    this.bus = new EventBus(this, 'OrdersBus', { eventBusName: 'orders-bus' });

    const processor = new LambdaFunction(this, 'OrderProcessor', {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromInline(PROCESSOR_CODE),
      timeout: Duration.seconds(10),
      tracing: Tracing.ACTIVE,
    });

    const processOrder = new LambdaInvoke(this, 'ProcessOrder', { lambdaFunction: processor, outputPath: '$.Payload' })
      .addRetry({ errors: ['Lambda.TooManyRequestsException'], interval: Duration.seconds(1), maxAttempts: 3, backoffRate: 2 })
      .addCatch(new Pass(this, 'RejectOrder', { comment: 'An order the processor refused: recorded in the execution output.' }), { errors: [Errors.ALL], resultPath: '$.error' });

    this.stateMachine = new StateMachine(this, 'OrderWorkflow', {
      stateMachineName: 'order-workflow',
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(processOrder.next(new Succeed(this, 'OrderAccepted'))),
      logs: {
        destination: new LogGroup(this, 'WorkflowLogs', { logGroupName: '/aws/vendedlogs/states/order-workflow', retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
        level: LogLevel.ALL,
        includeExecutionData: true,
      },
      tracingEnabled: true,
    });

    this.deadLetterQueue = new Queue(this, 'OrderEventsDlq', { queueName: 'order-events-dlq', retentionPeriod: Duration.days(14) });

    this.rule = new Rule(this, 'OrderPlacedRule', {
      eventBus: this.bus,
      eventPattern: { source: ['shop.orders'], detailType: ['OrderPlaced'] },
      targets: [new SfnStateMachine(this.stateMachine, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 4, maxEventAge: Duration.hours(2) })],
    });
  }
}
