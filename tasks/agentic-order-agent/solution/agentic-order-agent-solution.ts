import { Aws, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface OrderAgentSolutionProps {
  /** The sandbox's seeded orders table (its `seeds.tables.orders` output); default: a stack parameter. */
  ordersTableName?: string;
  /** A model id or inference profile id; default: the EU cross-region profile of Amazon Nova Pro. */
  foundationModel?: string;
  /** The sandbox's CandidateBoundary, which every role the candidate creates must carry. */
  permissionsBoundaryArn?: string;
}

/** The OpenAPI document of the OrderTools action group: one operation, GET /orders/{orderId}. */
const ORDER_TOOLS_OPENAPI = {
  openapi: '3.0.0',
  info: { title: 'OrderTools', version: '1.0.0', description: 'Look up customer orders' },
  paths: {
    '/orders/{orderId}': {
      get: {
        operationId: 'getOrder',
        summary: 'Get an order',
        description: 'Returns the order with the given id, including its current status.',
        parameters: [{ name: 'orderId', in: 'path', required: true, description: 'The order id, for example SP-1001', schema: { type: 'string' } }],
        responses: {
          '200': {
            description: 'The order',
            content: { 'application/json': { schema: { type: 'object', properties: { orderId: { type: 'string' }, status: { type: 'string' }, product: { type: 'string' } } } } },
          },
          '404': { description: 'No such order' },
        },
      },
    },
  },
};

const HANDLER = `
const { DynamoDBClient, GetItemCommand } = require('@aws-sdk/client-dynamodb');
const ddb = new DynamoDBClient({});
exports.handler = async (event) => {
  const orderId = (event.parameters || []).find((p) => p.name === 'orderId')?.value;
  let status = 404;
  let body = { message: 'orderId is required' };
  if (orderId) {
    const res = await ddb.send(new GetItemCommand({ TableName: process.env.ORDERS_TABLE, Key: { orderId: { S: orderId } } }));
    if (res.Item) {
      status = 200;
      body = Object.fromEntries(Object.entries(res.Item).map(([k, v]) => [k, v.S ?? v.N ?? v.BOOL ?? null]));
    } else {
      body = { message: 'no order ' + orderId };
    }
  }
  return {
    messageVersion: '1.0',
    response: {
      actionGroup: event.actionGroup,
      apiPath: event.apiPath,
      httpMethod: event.httpMethod,
      httpStatusCode: status,
      responseBody: { 'application/json': { body: JSON.stringify(body) } },
    },
  };
};`;

/** Model ARNs an agent role may invoke for a model id or a geographic inference profile id. */
function modelResources(model: string): string[] {
  const profile = /^(us|eu|apac|us-gov|global)\.(.+)$/.exec(model);
  if (!profile) return [`arn:${Aws.PARTITION}:bedrock:${Aws.REGION}::foundation-model/${model}`];
  return [`arn:${Aws.PARTITION}:bedrock:${Aws.REGION}:${Aws.ACCOUNT_ID}:inference-profile/${model}`, `arn:${Aws.PARTITION}:bedrock:*::foundation-model/${profile[2]}`];
}

/**
 * The reference solution of agentic-order-agent: a Bedrock agent "order-support" with an OrderTools
 * action group (inline OpenAPI) run by a Lambda function that reads the seeded orders table and that
 * only this agent may invoke, prepared and published under the alias "live".
 */
export class OrderAgentSolution extends Construct {
  readonly agent: bedrock.CfnAgent;
  readonly alias: bedrock.CfnAgentAlias;
  readonly handler: lambda.Function;

  constructor(scope: Construct, id: string, props: OrderAgentSolutionProps = {}) {
    super(scope, id);
    const tableName = props.ordersTableName ?? new CfnParameter(this, 'OrdersTableName', { description: "The sandbox's seeded orders table (seeds.tables.orders)" }).valueAsString;
    const model = props.foundationModel ?? 'eu.amazon.nova-pro-v1:0';
    const tableArn = Stack.of(this).formatArn({ service: 'dynamodb', resource: 'table', resourceName: tableName });

    const handlerRole = new iam.Role(this, 'HandlerRole', {
      path: '/candidate/',
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
      inlinePolicies: { readOrders: new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [tableArn] })] }) },
    });
    this.handler = new lambda.Function(this, 'OrderLookup', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(HANDLER),
      timeout: Duration.seconds(10),
      role: handlerRole,
      environment: { ORDERS_TABLE: tableName },
    });

    const agentRole = new iam.Role(this, 'AgentRole', {
      path: '/candidate/',
      assumedBy: new iam.ServicePrincipal('bedrock.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:bedrock:${Aws.REGION}:${Aws.ACCOUNT_ID}:agent/*` },
        },
      }),
      inlinePolicies: { invokeModel: new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: modelResources(model) })] }) },
    });
    if (props.permissionsBoundaryArn) {
      const boundary = iam.ManagedPolicy.fromManagedPolicyArn(this, 'Boundary', props.permissionsBoundaryArn);
      iam.PermissionsBoundary.of(this).apply(boundary);
    }

    this.agent = new bedrock.CfnAgent(this, 'Agent', {
      agentName: 'order-support',
      description: 'Answers customer questions about their orders',
      agentResourceRoleArn: agentRole.roleArn,
      foundationModel: model,
      instruction:
        'You are the order support assistant of a shop. When a customer asks about an order, look it up with the OrderTools action group using the order id they give, and tell them the order status exactly as the tool returns it. Never guess a status.',
      idleSessionTtlInSeconds: 600,
      autoPrepare: true,
      actionGroups: [
        {
          actionGroupName: 'OrderTools',
          description: 'Look up orders by id',
          actionGroupState: 'ENABLED',
          actionGroupExecutor: { lambda: this.handler.functionArn },
          apiSchema: { payload: JSON.stringify(ORDER_TOOLS_OPENAPI) },
        },
      ],
    });
    // The role's policy must exist before the agent is prepared, or preparation cannot reach the model.
    this.agent.node.addDependency(agentRole);

    // Only this agent may invoke the function: Bedrock calls it with the agent's ARN as the source.
    this.handler.addPermission('OrderSupportAgent', {
      principal: new iam.ServicePrincipal('bedrock.amazonaws.com'),
      sourceArn: this.agent.attrAgentArn,
      sourceAccount: Aws.ACCOUNT_ID,
    });

    // Without a routing configuration, creating the alias publishes a new numbered version of the draft.
    this.alias = new bedrock.CfnAgentAlias(this, 'LiveAlias', {
      agentId: this.agent.attrAgentId,
      agentAliasName: 'live',
      description: 'Production alias of order-support',
    });
  }
}
