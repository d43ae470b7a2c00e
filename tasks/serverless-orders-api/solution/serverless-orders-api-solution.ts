import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** The reference solution of serverless-orders-api: REST API → traced Lambda → DynamoDB, least privilege. */
export class OrdersApiSolution extends Construct {
  readonly api: apigateway.RestApi;
  readonly table: dynamodb.Table;
  readonly handler: lambda.Function;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Orders', {
      tableName: 'orders',
      partitionKey: { name: 'orderId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.handler = new lambda.Function(this, 'Handler', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      timeout: Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      environment: { TABLE_NAME: this.table.tableName },
      code: lambda.Code.fromInline(`
const { DynamoDBClient, PutItemCommand } = require('@aws-sdk/client-dynamodb');
const ddb = new DynamoDBClient({});
exports.handler = async (event) => {
  let order;
  try { order = JSON.parse(event.body || '{}'); } catch { return { statusCode: 400, body: '{"message":"body must be JSON"}' }; }
  if (typeof order.orderId !== 'string' || !order.orderId) return { statusCode: 400, body: '{"message":"orderId is required"}' };
  await ddb.send(new PutItemCommand({ TableName: process.env.TABLE_NAME, Item: {
    orderId: { S: order.orderId }, product: { S: String(order.product || '') },
    quantity: { N: String(Number(order.quantity) || 0) }, createdAt: { S: new Date().toISOString() } } }));
  return { statusCode: 201, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orderId: order.orderId, status: 'RECEIVED' }) };
};`),
    });
    this.table.grantWriteData(this.handler);
    this.api = new apigateway.RestApi(this, 'Api', { restApiName: 'orders-api', deployOptions: { stageName: 'prod' } });
    this.api.root.addResource('orders').addMethod('POST', new apigateway.LambdaIntegration(this.handler));
  }
}
