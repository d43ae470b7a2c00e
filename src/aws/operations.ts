/** IAM service prefix for each SDK client's service name (client name without "Client"). */
const IAM_PREFIX: Record<string, string> = {
  APIGateway: 'apigateway',
  ApiGatewayV2: 'apigateway',
  Bedrock: 'bedrock',
  BedrockAgent: 'bedrock',
  BedrockAgentRuntime: 'bedrock',
  BedrockRuntime: 'bedrock',
  BedrockAgentCore: 'bedrock-agentcore',
  BedrockAgentCoreControl: 'bedrock-agentcore',
  CloudFormation: 'cloudformation',
  CognitoIdentityProvider: 'cognito-idp',
  CloudWatch: 'cloudwatch',
  CloudWatchLogs: 'logs',
  DynamoDB: 'dynamodb',
  EventBridge: 'events',
  IAM: 'iam',
  Lambda: 'lambda',
  S3: 's3',
  ServiceQuotas: 'servicequotas',
  SFN: 'states',
  SNS: 'sns',
  SQS: 'sqs',
  SSM: 'ssm',
  STS: 'sts',
  XRay: 'xray',
};

/** SDK operations whose IAM action has another name. */
const ACTION_ALIASES: Record<string, string> = {
  'lambda:Invoke': 'lambda:InvokeFunction',
  // SQS authorises its batch calls by the single-message action (there is no sqs:SendMessageBatch).
  'sqs:SendMessageBatch': 'sqs:SendMessage',
  'sqs:DeleteMessageBatch': 'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibilityBatch': 'sqs:ChangeMessageVisibility',
};

/** Operation-name prefixes that only read. */
const READ_PREFIXES = ['Get', 'List', 'Describe', 'Query', 'Scan', 'BatchGet', 'Simulate', 'Lookup', 'Search', 'Filter', 'Head'];
/** Reads whose names do not say so. */
const READ_OPERATIONS = new Set(['events:TestEventPattern', 'states:ValidateStateMachineDefinition', 'iam:GenerateServiceLastAccessedDetails', 'apigateway:ExportApi']);
/** Names that look like reads but change state or hand out access. */
const NOT_READS = new Set(['sts:GetSessionToken', 'sts:GetFederationToken', 'lambda:GetFunctionUrlConfig']);

export function serviceOfClient(clientName: string): string {
  return clientName.replace(/Client$/, '');
}

export function operationOfCommand(commandName: string): string {
  return commandName.replace(/Command$/, '');
}

/** The guard's key for an SDK call: `iam-prefix:Operation`, e.g. "lambda:InvokeFunction". */
export function actionKey(service: string, operation: string): string {
  const prefix = IAM_PREFIX[service] ?? service.toLowerCase();
  const key = `${prefix}:${operation}`;
  return ACTION_ALIASES[key] ?? key;
}

export function isReadAction(key: string): boolean {
  if (NOT_READS.has(key)) return false;
  if (READ_OPERATIONS.has(key)) return true;
  const operation = key.slice(key.indexOf(':') + 1);
  return READ_PREFIXES.some((p) => operation.startsWith(p) && /^[A-Z]/.test(operation.slice(p.length) || 'X'));
}

/**
 * Calls that make AWS run a model (or a guardrail's policies) on the sandbox's bill: what the
 * per-attempt budget of progress checks counts. Every try counts, retries included.
 */
const MODEL_CALLS = new Set([
  'bedrock:InvokeAgent',
  'bedrock:InvokeInlineAgent',
  'bedrock:InvokeFlow',
  'bedrock:Retrieve',
  'bedrock:RetrieveAndGenerate',
  'bedrock:RetrieveAndGenerateStream',
  'bedrock:InvokeModel',
  'bedrock:InvokeModelWithResponseStream',
  'bedrock:Converse',
  'bedrock:ConverseStream',
  'bedrock:ApplyGuardrail',
  'bedrock-agentcore:InvokeAgentRuntime',
]);

export function isModelCall(key: string): boolean {
  return MODEL_CALLS.has(key);
}
