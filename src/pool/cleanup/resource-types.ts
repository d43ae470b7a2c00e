/**
 * What the cleaner knows about resource types: the services a candidate may use, the CloudFormation
 * namespaces the verifier lists for them, how each CloudFormation type a solution can create is removed,
 * and how an ARN maps to a Cloud Control type and identifier.
 */

/** Every service a task lets the candidate use (the union of the tasks' `blueprint.candidate.services`; a test keeps it so). */
export const CANDIDATE_SERVICES = [
  'aoss',
  'apigateway',
  'bedrock',
  'bedrock-agentcore',
  'cloudformation',
  'cloudwatch',
  'codebuild',
  'codedeploy',
  'cognito-idp',
  'dynamodb',
  'ecr',
  'events',
  'iam',
  'lambda',
  'logs',
  's3',
  's3vectors',
  'sns',
  'sqs',
  'states',
  'xray',
] as const;

/**
 * The CloudFormation registry namespaces of each service, which the verifier lists with Cloud Control.
 * IAM is verified with IAM's own listing (paths tell AWS's roles from the candidate's; Cloud Control lists names only).
 */
export const REGISTRY_NAMESPACES: Record<(typeof CANDIDATE_SERVICES)[number], string[]> = {
  aoss: ['OpenSearchServerless'],
  apigateway: ['ApiGateway', 'ApiGatewayV2'],
  bedrock: ['Bedrock'],
  'bedrock-agentcore': ['BedrockAgentCore'],
  cloudformation: ['CloudFormation'],
  cloudwatch: ['CloudWatch'],
  codebuild: ['CodeBuild'],
  codedeploy: ['CodeDeploy'],
  'cognito-idp': ['Cognito'],
  dynamodb: ['DynamoDB'],
  ecr: ['ECR'],
  events: ['Events'],
  iam: [],
  lambda: ['Lambda'],
  logs: ['Logs'],
  s3: ['S3'],
  s3vectors: ['S3Vectors'],
  sns: ['SNS'],
  sqs: ['SQS'],
  states: ['StepFunctions'],
  xray: ['XRay'],
};

/**
 * Registry types that are account settings, not resources: one per account or region whether or not
 * anyone set them, so listing them proves nothing about leftovers. The cleaner resets the ones a
 * candidate can point at their own resources (API Gateway's CloudWatch role, Bedrock's invocation logging).
 */
export const ACCOUNT_SETTING_TYPES = new Set([
  'AWS::ApiGateway::Account',
  'AWS::ECR::RegistryScanningConfiguration',
  'AWS::ECR::ReplicationConfiguration',
  'AWS::XRay::TransactionSearchConfig',
  'AWS::CloudFormation::HookDefaultVersion',
  'AWS::CloudFormation::ResourceDefaultVersion',
]);

/** How the cleaner removes each CloudFormation resource type that a reference solution or mutant creates. */
export const CLOUDFORMATION_TYPE_HANDLING: Record<string, string> = {
  'AWS::CloudFormation::Stack': 'DeleteStack (candidate stacks first)',
  'AWS::CloudFormation::CustomResource': 'with its stack; the function behind it is a Lambda function',
  'AWS::ApiGateway::RestApi': 'DeleteRestApi',
  'AWS::ApiGateway::Resource': 'with its REST API',
  'AWS::ApiGateway::Method': 'with its REST API',
  'AWS::ApiGateway::Deployment': 'with its REST API',
  'AWS::ApiGateway::Stage': 'with its REST API',
  'AWS::ApiGateway::Account': 'account setting: CloudWatch role reset',
  'AWS::ApiGatewayV2::Api': 'DeleteApi',
  'AWS::ApiGatewayV2::Route': 'with its API',
  'AWS::ApiGatewayV2::Integration': 'with its API',
  'AWS::ApiGatewayV2::Stage': 'with its API',
  'AWS::Lambda::Function': 'DeleteFunction',
  'AWS::Lambda::Permission': 'with its function (part of the function policy)',
  'AWS::Lambda::Version': 'with its function',
  'AWS::Lambda::Alias': 'DeleteAlias, before its function',
  'AWS::Lambda::EventSourceMapping': 'DeleteEventSourceMapping, before functions and queues',
  'AWS::Lambda::Url': 'DeleteFunctionUrlConfig, before its function',
  'AWS::DynamoDB::Table': 'DeleteTable (deletion protection off first)',
  'AWS::IAM::Role': 'DeleteRole after its inline and attached policies and instance profiles',
  'AWS::IAM::Policy': 'inline: DeleteRolePolicy with its role',
  'AWS::IAM::ManagedPolicy': 'DeletePolicy after its non-default versions',
  'AWS::Logs::LogGroup': 'DeleteLogGroup',
  'AWS::SQS::Queue': 'DeleteQueue',
  'AWS::SQS::QueuePolicy': 'with its queue',
  'AWS::SNS::Topic': 'DeleteTopic after its subscriptions',
  'AWS::SNS::Subscription': 'Unsubscribe, before its topic',
  'AWS::Events::EventBus': 'DeleteEventBus after its rules',
  'AWS::Events::Rule': 'DeleteRule after RemoveTargets',
  'AWS::StepFunctions::StateMachine': 'DeleteStateMachine (running executions stopped; versions and aliases go with it)',
  'AWS::CloudWatch::Alarm': 'DeleteAlarms (composite alarms first)',
  'AWS::CodeDeploy::Application': 'DeleteApplication after its deployment groups',
  'AWS::CodeDeploy::DeploymentGroup': 'DeleteDeploymentGroup (running deployments stopped)',
  'AWS::CodeBuild::Project': 'DeleteProject',
  'AWS::ECR::Repository': 'DeleteRepository with force',
  'AWS::S3::Bucket': 'emptied (versions, delete markers, uploads), then DeleteBucket',
  'AWS::S3::BucketPolicy': 'DeleteBucketPolicy, before emptying',
  'AWS::S3Vectors::VectorBucket': 'DeleteVectorBucket after its indexes',
  'AWS::S3Vectors::Index': 'DeleteIndex, before its vector bucket',
  'AWS::OpenSearchServerless::Collection': 'DeleteCollection, then its policies',
  'AWS::OpenSearchServerless::SecurityPolicy': 'DeleteSecurityPolicy after collections',
  'AWS::OpenSearchServerless::AccessPolicy': 'DeleteAccessPolicy',
  'AWS::Bedrock::Agent': 'DeleteAgent after its aliases, action groups and associations',
  'AWS::Bedrock::AgentAlias': 'DeleteAgentAlias, before its agent',
  'AWS::Bedrock::KnowledgeBase': 'DeleteKnowledgeBase after its data sources',
  'AWS::Bedrock::DataSource': 'DeleteDataSource, before its knowledge base',
  'AWS::Bedrock::Guardrail': 'DeleteGuardrail (every version)',
  'AWS::Bedrock::GuardrailVersion': 'with its guardrail',
  'AWS::BedrockAgentCore::Runtime': 'DeleteAgentRuntime after its endpoints',
  'AWS::BedrockAgentCore::RuntimeEndpoint': 'DeleteAgentRuntimeEndpoint, before its runtime',
  'AWS::BedrockAgentCore::Gateway': 'DeleteGateway after its targets',
  'AWS::BedrockAgentCore::GatewayTarget': 'DeleteGatewayTarget, before its gateway',
  'AWS::BedrockAgentCore::Memory': 'DeleteMemory',
  'AWS::Cognito::UserPool': 'DeleteUserPool after its domains',
  'AWS::Cognito::UserPoolClient': 'with its pool; in SkillProof seeded pool, DeleteUserPoolClient',
  'AWS::Cognito::UserPoolDomain': 'DeleteUserPoolDomain, before its pool',
  'AWS::XRay::Group': 'DeleteGroup (not Default)',
  'AWS::XRay::SamplingRule': 'DeleteSamplingRule (not Default)',
};

/**
 * ARN resource kinds (`service:kind`) that a task's evidence shows and that are not the candidate's to delete:
 * AWS's own (foundation models, system inference profiles, AWS managed policies, the grader's session) or
 * not resources at all (execute-api invoke ARNs, executions, which go with their state machine).
 */
export const NOT_CANDIDATE_ARN_KINDS: Record<string, string> = {
  'bedrock:foundation-model': "AWS's model",
  'bedrock:inference-profile': "AWS's system-defined inference profile",
  'bedrock:guardrail-profile': "AWS's guardrail profile",
  'iam:aws-policy': 'AWS managed policy',
  'iam:root': 'the account itself',
  'sts:assumed-role': 'a role session, not a resource',
  'execute-api:*': 'an invoke ARN of an API, not a resource',
  'apigateway:lambda-path': 'a Lambda integration URI, not a resource',
  'states:execution': "an execution, ended and gone with its state machine",
  'states:lambda': 'a Step Functions service integration ARN, not a resource',
};

/** ARN resource kinds (`service:kind`) the cleaner deletes, with the phase that does it. */
export const CANDIDATE_ARN_KINDS: Record<string, string> = {
  'aoss:collection': 'OpenSearch Serverless collections',
  'bedrock:agent': 'Bedrock agents',
  'bedrock:agent-alias': 'Bedrock agent aliases',
  'bedrock:guardrail': 'Bedrock guardrails',
  'bedrock:knowledge-base': 'Bedrock knowledge bases',
  'bedrock:application-inference-profile': 'Bedrock application inference profiles',
  'bedrock-agentcore:gateway': 'AgentCore gateways',
  'bedrock-agentcore:memory': 'AgentCore memories',
  'bedrock-agentcore:runtime': 'AgentCore runtimes',
  'cloudwatch:alarm': 'CloudWatch alarms',
  'cognito-idp:userpool': 'Cognito user pools',
  'dynamodb:table': 'DynamoDB tables',
  'events:event-bus': 'EventBridge buses',
  'events:rule': 'EventBridge rules',
  'iam:policy': 'IAM customer-managed policies',
  'iam:role': 'IAM roles',
  'lambda:event-source-mapping': 'Lambda event source mappings',
  'lambda:function': 'Lambda functions',
  'logs:log-group': 'CloudWatch Logs log groups',
  's3:bucket': 'S3 buckets',
  's3vectors:bucket': 'S3 Vectors buckets',
  'sqs:queue': 'SQS queues',
  'states:stateMachine': 'Step Functions state machines',
};

/** The `service:kind` of an ARN, as the two tables above name it. */
export function arnKind(arn: string): string {
  const [, , service = '', , account = '', ...rest] = arn.split(':');
  const resource = rest.join(':');
  if (service === 'execute-api') return 'execute-api:*';
  if (service === 'iam' && account === 'aws') return 'iam:aws-policy';
  if (service === 's3') return 's3:bucket';
  if (service === 'sqs' || service === 'sns') return `${service}:${service === 'sqs' ? 'queue' : 'topic'}`;
  if (service === 'apigateway' && account === 'lambda') return 'apigateway:lambda-path';
  return `${service}:${resource.split(/[:/]/)[0]}`;
}

/**
 * The Cloud Control type and identifier an ARN from the tagging API stands for, so the verifier can ask
 * whether it still exists. A sub-resource maps to its parent: when the parent is gone, so is the child.
 */
export function cloudControlTarget(arn: string): { type: string; identifier: string } | undefined {
  const [, , service = '', region = '', account = '', ...rest] = arn.split(':');
  const resource = rest.join(':');
  const [kind = '', ...path] = resource.split(/[:/]/);
  const first = path[0] ?? '';
  switch (`${service}:${kind}`) {
    case 'lambda:function':
      return { type: 'AWS::Lambda::Function', identifier: first };
    case 'dynamodb:table':
      return { type: 'AWS::DynamoDB::Table', identifier: first };
    case 'logs:log-group':
      return { type: 'AWS::Logs::LogGroup', identifier: resource.slice('log-group:'.length).replace(/:\*$/, '') };
    case 'states:stateMachine':
      return { type: 'AWS::StepFunctions::StateMachine', identifier: arn.split(':').slice(0, 7).join(':') };
    case 'events:rule':
      return { type: 'AWS::Events::Rule', identifier: arn };
    case 'events:event-bus':
      return { type: 'AWS::Events::EventBus', identifier: first };
    case 'bedrock:agent':
    case 'bedrock:agent-alias':
      return { type: 'AWS::Bedrock::Agent', identifier: first };
    case 'bedrock:knowledge-base':
      return { type: 'AWS::Bedrock::KnowledgeBase', identifier: first };
    case 'bedrock:guardrail':
      return { type: 'AWS::Bedrock::Guardrail', identifier: arn.split('/').slice(0, 2).join('/') };
    case 'bedrock-agentcore:runtime':
      return { type: 'AWS::BedrockAgentCore::Runtime', identifier: first };
    case 'bedrock-agentcore:gateway':
      return { type: 'AWS::BedrockAgentCore::Gateway', identifier: first };
    case 'bedrock-agentcore:memory':
      return { type: 'AWS::BedrockAgentCore::Memory', identifier: first };
    case 'cognito-idp:userpool':
      return { type: 'AWS::Cognito::UserPool', identifier: first };
    case 'cloudwatch:alarm':
      return { type: 'AWS::CloudWatch::Alarm', identifier: path.join(':') };
    case 'ecr:repository':
      return { type: 'AWS::ECR::Repository', identifier: path.join('/') };
    case 'codebuild:project':
      return { type: 'AWS::CodeBuild::Project', identifier: first };
    case 'codedeploy:application':
      return { type: 'AWS::CodeDeploy::Application', identifier: first };
    case 'aoss:collection':
      return { type: 'AWS::OpenSearchServerless::Collection', identifier: first };
    case 's3vectors:bucket':
      return { type: 'AWS::S3Vectors::VectorBucket', identifier: arn.split('/').slice(0, 2).join('/') };
    case 'cloudformation:stack':
      return { type: 'AWS::CloudFormation::Stack', identifier: arn };
    case 'xray:group':
      return { type: 'AWS::XRay::Group', identifier: arn };
    case 'xray:sampling-rule':
      return { type: 'AWS::XRay::SamplingRule', identifier: arn };
    default:
      break;
  }
  if (service === 'sqs') return { type: 'AWS::SQS::Queue', identifier: `https://sqs.${region}.amazonaws.com/${account}/${resource}` };
  if (service === 'sns') return { type: 'AWS::SNS::Topic', identifier: arn.split(':').slice(0, 6).join(':') };
  if (service === 's3' && !resource.includes('/')) return { type: 'AWS::S3::Bucket', identifier: resource };
  if (service === 'apigateway') {
    const rest = /^\/restapis\/([^/]+)/.exec(resource);
    if (rest) return { type: 'AWS::ApiGateway::RestApi', identifier: rest[1]! };
    const v2 = /^\/apis\/([^/]+)/.exec(resource);
    if (v2) return { type: 'AWS::ApiGatewayV2::Api', identifier: v2[1]! };
  }
  return undefined;
}

/** A readable ARN for a resource Cloud Control lists by identifier (the identifier itself when it is an ARN). */
export function arnOfListed(type: string, identifier: string, where: { partition: string; region: string; accountId: string }): string {
  if (identifier.startsWith('arn:')) return identifier;
  const regional = (service: string, resource: string) => `arn:${where.partition}:${service}:${where.region}:${where.accountId}:${resource}`;
  switch (type) {
    case 'AWS::Lambda::Function':
      return regional('lambda', `function:${identifier}`);
    case 'AWS::DynamoDB::Table':
      return regional('dynamodb', `table/${identifier}`);
    case 'AWS::Logs::LogGroup':
      return regional('logs', `log-group:${identifier}`);
    case 'AWS::SQS::Queue':
      return regional('sqs', identifier.slice(identifier.lastIndexOf('/') + 1));
    case 'AWS::S3::Bucket':
      return `arn:${where.partition}:s3:::${identifier}`;
    case 'AWS::ApiGateway::RestApi':
      return `arn:${where.partition}:apigateway:${where.region}::/restapis/${identifier}`;
    case 'AWS::ApiGatewayV2::Api':
      return `arn:${where.partition}:apigateway:${where.region}::/apis/${identifier}`;
    case 'AWS::Cognito::UserPool':
      return regional('cognito-idp', `userpool/${identifier}`);
    case 'AWS::Bedrock::Agent':
      return regional('bedrock', `agent/${identifier}`);
    case 'AWS::Bedrock::KnowledgeBase':
      return regional('bedrock', `knowledge-base/${identifier}`);
    case 'AWS::CloudWatch::Alarm':
      return regional('cloudwatch', `alarm:${identifier}`);
    case 'AWS::ECR::Repository':
      return regional('ecr', `repository/${identifier}`);
    case 'AWS::CodeBuild::Project':
      return regional('codebuild', `project/${identifier}`);
    case 'AWS::CodeDeploy::Application':
      return regional('codedeploy', `application:${identifier}`);
    case 'AWS::Events::EventBus':
      return regional('events', `event-bus/${identifier}`);
    case 'AWS::OpenSearchServerless::Collection':
      return regional('aoss', `collection/${identifier}`);
    case 'AWS::BedrockAgentCore::Runtime':
      return regional('bedrock-agentcore', `runtime/${identifier}`);
    case 'AWS::BedrockAgentCore::Gateway':
      return regional('bedrock-agentcore', `gateway/${identifier}`);
    case 'AWS::BedrockAgentCore::Memory':
      return regional('bedrock-agentcore', `memory/${identifier}`);
    default:
      // No ARN template: name the resource by its Cloud Control type and identifier.
      return `arn:${where.partition}:cloudcontrol:${where.region}:${where.accountId}:resource/${type}/${identifier}`;
  }
}
