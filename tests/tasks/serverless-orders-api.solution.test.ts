import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { OrdersApiSolution } from '../../tasks/serverless-orders-api/solution/serverless-orders-api-solution';

describe('serverless-orders-api reference solution', () => {
  const stack = new Stack(new App(), 'Solution', { env: { account: '111122223333', region: 'eu-west-1' } });
  new OrdersApiSolution(stack, 'Orders');
  const template = Template.fromStack(stack);

  it('keys table orders by orderId (String) with no sort key', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'orders', KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'orderId', AttributeType: 'S' }] });
  });

  it('turns on active tracing', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
  });

  it('names the REST API orders-api and integrates POST /orders with the function', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'orders-api' });
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', Integration: { Type: 'AWS_PROXY' } });
  });

  it('grants only DynamoDB writes on the table, plus tracing', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' }),
          Match.objectLike({ Action: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:DescribeTable'] }),
        ]),
      },
    });
  });

  it('scopes the invoke permission to this API', () => {
    const perms = template.findResources('AWS::Lambda::Permission');
    expect(Object.keys(perms).length).toBeGreaterThan(0);
    for (const p of Object.values(perms)) expect(JSON.stringify(p.Properties.SourceArn)).toContain('execute-api');
  });
});
