import { sandboxNames } from '../../../cdk/lib/sandbox-naming';
import { SimStore, type SimResource } from './sim-store';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
const regional = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
const global = (service: string, resource: string) => `arn:aws:${service}::${ACCOUNT}:${resource}`;

export const SKILLPROOF_STACK_ID = regional('cloudformation', 'stack/skillproof-att-1/0a1b2c3d-0000-4000-8000-000000000001');
export const CANDIDATE_STACK_ID = regional('cloudformation', 'stack/orders-app/0a1b2c3d-0000-4000-8000-000000000002');
export const IMITATION_STACK_ID = regional('cloudformation', 'stack/skillproof-att-9/0a1b2c3d-0000-4000-8000-000000000003');

/**
 * A sandbox account after an attempt: SkillProof's sandbox stack (its roles, boundary and freeze policies,
 * seed function, table, bucket, user pool with its client and domain, budget topic, log group), and the
 * candidate's resources, one of each type the tasks' reference solutions, alternatives and mutants create
 * (see resource-coverage.test.ts), most by hand and some through a CloudFormation stack of their own, plus
 * resources that imitate SkillProof's names.
 */
export function sampleAccount(): { store: SimStore; skillProofs: SimResource[] } {
  const store = new SimStore(ACCOUNT, REGION);
  const names = sandboxNames('att-1');
  const sp = SKILLPROOF_STACK_ID;
  const add = store.add.bind(store);

  // SkillProof's own stack and what it lists.
  add('AWS::CloudFormation::Stack', sp, sp, { state: { name: names.stack, status: 'CREATE_COMPLETE', stackTags: { 'skillproof:attempt': 'att-1' } }, tags: { 'skillproof:attempt': 'att-1' } });
  const spRole = (name: string) => add('AWS::IAM::Role', name, global('iam', `role/skillproof/${name}`), { stackId: sp, state: { path: '/skillproof/', logicalId: name } });
  const candidateRole = spRole(names.candidateRole);
  spRole(names.graderRole);
  spRole(names.seedRole);
  spRole(names.expiryRole);
  add('AWS::IAM::ManagedPolicy', global('iam', `policy/skillproof/${names.candidateBoundary}`), global('iam', `policy/skillproof/${names.candidateBoundary}`), {
    stackId: sp,
    state: { name: names.candidateBoundary, path: '/skillproof/', logicalId: 'CandidateBoundary' },
  });
  const freeze = add('AWS::IAM::ManagedPolicy', global('iam', `policy/skillproof/${names.freezePolicy}`), global('iam', `policy/skillproof/${names.freezePolicy}`), {
    stackId: sp,
    state: { name: names.freezePolicy, path: '/skillproof/', logicalId: 'FreezePolicy' },
  });
  // The submit froze the candidate role: the freeze policy is attached.
  candidateRole.state.attached = [freeze.id];
  add('AWS::Lambda::Function', names.seedFunction, regional('lambda', `function:${names.seedFunction}`), { stackId: sp, state: { logicalId: 'SeedFunction' } });
  add('AWS::Logs::LogGroup', `/aws/lambda/${names.seedFunction}`, regional('logs', `log-group:/aws/lambda/${names.seedFunction}`), { stackId: sp, state: { logicalId: 'SeedLogs' } });
  add('AWS::DynamoDB::Table', names.seedTable('orders'), regional('dynamodb', `table/${names.seedTable('orders')}`), { stackId: sp, state: { logicalId: 'SeedTable' } });
  const seedBucket = add('AWS::S3::Bucket', 'skillproof-att-1-seedsbucketdocs4f1c2a-1q2w3e4r5t6y', 'arn:aws:s3:::skillproof-att-1-seedsbucketdocs4f1c2a-1q2w3e4r5t6y', { stackId: sp, state: { logicalId: 'SeedBucket' } });
  add('Sim::S3::ObjectVersion', 'seed-doc', 'arn:aws:s3:::seed/doc', { parent: seedBucket, state: { key: 'policies/leave.md', versionId: 'null' } });
  add('AWS::SNS::Topic', regional('sns', names.budgetTopic), regional('sns', names.budgetTopic), { stackId: sp, state: { logicalId: 'BudgetTopic' } });
  const seedPool = add('AWS::Cognito::UserPool', 'eu-west-1_Seed00001', regional('cognito-idp', 'userpool/eu-west-1_Seed00001'), { stackId: sp, state: { name: names.seedUserPool('helpdesk-idp'), logicalId: 'UserPool' } });
  add('AWS::Cognito::UserPoolClient', 'seedclient0001', `${seedPool.arn}/client/seedclient0001`, { parent: seedPool, stackId: sp, state: { name: 'helpdesk-agent', logicalId: 'Client0' } });
  add('AWS::Cognito::UserPoolDomain', 'skillproof-helpdesk-idp-0a1b2c3d', `${seedPool.arn}/domain`, { parent: seedPool, stackId: sp, state: { logicalId: 'Domain' } });
  add('AWS::Cognito::UserPoolResourceServer', 'helpdesk', `${seedPool.arn}/rs/helpdesk`, { parent: seedPool, stackId: sp, state: { logicalId: 'ResourceServer' } });
  const skillProofs = [...store.resources.values()];

  // AWS's own: a service-linked role, and the platform's administration role.
  add('AWS::IAM::Role', 'AWSServiceRoleForAPIGateway', global('iam', 'role/aws-service-role/ops.apigateway.amazonaws.com/AWSServiceRoleForAPIGateway'), { state: { path: '/aws-service-role/ops.apigateway.amazonaws.com/' } });
  add('AWS::IAM::Role', 'OrganizationAccountAccessRole', global('iam', 'role/OrganizationAccountAccessRole'), { state: { path: '/' } });
  const foreign = [...store.resources.values()].filter((r) => !skillProofs.includes(r));

  // The candidate's: IAM.
  const fnRole = add('AWS::IAM::Role', 'orders-fn-role', global('iam', 'role/candidate/orders-fn-role'), { state: { path: '/candidate/' } });
  add('AWS::IAM::Policy', 'orders-fn-role/table-writes', `${fnRole.arn}/policy/table-writes`, { parent: fnRole, state: { name: 'table-writes' } });
  const writePolicy = add('AWS::IAM::ManagedPolicy', global('iam', 'policy/candidate/orders-write'), global('iam', 'policy/candidate/orders-write'), { state: { name: 'orders-write', path: '/candidate/', versions: ['v1', 'v2'] } });
  fnRole.state.attached = [writePolicy.id];
  // Imitations of SkillProof's names that no SkillProof stack lists.
  add('AWS::IAM::Role', 'skillproof-att-1-helper', global('iam', 'role/skillproof/skillproof-att-1-helper'), { state: { path: '/skillproof/' } });
  add('AWS::DynamoDB::Table', 'skillproof-att-1-orders-copy', regional('dynamodb', 'table/skillproof-att-1-orders-copy'), { state: { deletionProtection: true } });
  add('AWS::CloudFormation::Stack', IMITATION_STACK_ID, IMITATION_STACK_ID, { state: { name: 'skillproof-att-9', status: 'CREATE_COMPLETE', stackTags: { owner: 'candidate' } } });

  // Serverless.
  const fn = add('AWS::Lambda::Function', 'orders-fn', regional('lambda', 'function:orders-fn'), { tags: { app: 'orders' } });
  add('AWS::Lambda::Alias', 'orders-fn:live', regional('lambda', 'function:orders-fn:live'), { parent: fn, state: { name: 'live' } });
  add('AWS::Lambda::Version', 'orders-fn:1', regional('lambda', 'function:orders-fn:1'), { parent: fn });
  add('AWS::Lambda::Permission', 'orders-fn-invoke', `${fn.arn}#invoke`, { parent: fn });
  add('AWS::Lambda::EventSourceMapping', '6f1c2a3b-0000-4000-8000-000000000001', regional('lambda', 'event-source-mapping:6f1c2a3b-0000-4000-8000-000000000001'), { state: { functionArn: fn.arn } });
  add('AWS::DynamoDB::Table', 'orders', regional('dynamodb', 'table/orders'), { tags: { app: 'orders' } });
  add('AWS::Logs::LogGroup', '/aws/lambda/orders-fn', regional('logs', 'log-group:/aws/lambda/orders-fn'));
  const queueUrl = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/orders-queue`;
  const queue = add('AWS::SQS::Queue', queueUrl, regional('sqs', 'orders-queue'));
  add('AWS::SQS::QueuePolicy', 'orders-queue-policy', `${queue.arn}#policy`, { parent: queue });
  const api = add('AWS::ApiGateway::RestApi', 'a1b2c3d4e5', `arn:aws:apigateway:${REGION}::/restapis/a1b2c3d4e5`, { state: { name: 'orders-api' }, tags: { app: 'orders' } });
  for (const [type, id] of [
    ['AWS::ApiGateway::Resource', 'res01'],
    ['AWS::ApiGateway::Method', 'res01-POST'],
    ['AWS::ApiGateway::Deployment', 'dep01'],
    ['AWS::ApiGateway::Stage', 'prod'],
  ] as const) {
    add(type, `${api.id}/${id}`, `${api.arn}/${id}`, { parent: api });
  }
  add('AWS::ApiGatewayV2::Api', 'h7t8p9q0r1', `arn:aws:apigateway:${REGION}::/apis/h7t8p9q0r1`, { state: { name: 'orders-http' } });
  store.apiGatewayCloudWatchRole = fnRole.arn;
  const bus = add('AWS::Events::EventBus', 'orders-bus', regional('events', 'event-bus/orders-bus'));
  add('AWS::Events::Rule', regional('events', 'rule/orders-bus/new-order'), regional('events', 'rule/orders-bus/new-order'), { parent: bus, state: { name: 'new-order', bus: 'orders-bus', targets: ['workflow', 'audit'] } });
  add('AWS::Events::Rule', regional('events', 'rule/catch-all'), regional('events', 'rule/catch-all'), { state: { name: 'catch-all', bus: 'default', targets: ['t1'] } });
  add('AWS::StepFunctions::StateMachine', regional('states', 'stateMachine:order-workflow'), regional('states', 'stateMachine:order-workflow'), {
    state: { name: 'order-workflow', running: [regional('states', 'execution:order-workflow:run-1')] },
  });
  add('AWS::CloudWatch::Alarm', 'pricing-errors', regional('cloudwatch', 'alarm:pricing-errors'));
  const topic = add('AWS::SNS::Topic', regional('sns', 'deploy-alerts'), regional('sns', 'deploy-alerts'));
  add('AWS::SNS::Subscription', regional('sns', 'deploy-alerts:0a1b2c3d'), regional('sns', 'deploy-alerts:0a1b2c3d'), { parent: topic });
  const app = add('AWS::CodeDeploy::Application', 'pricing', regional('codedeploy', 'application:pricing'));
  add('AWS::CodeDeploy::DeploymentGroup', 'pricing/live', regional('codedeploy', 'deploymentgroup:pricing/live'), { parent: app, state: { name: 'live' } });
  add('AWS::XRay::Group', regional('xray', 'group/orders/0a1b2c3d'), regional('xray', 'group/orders/0a1b2c3d'), { state: { name: 'orders' } });

  // Agentic.
  const supervisor = add('AWS::Bedrock::Agent', 'SUPERVIS01', regional('bedrock', 'agent/SUPERVIS01'), { state: { name: 'support-desk' } });
  add('AWS::Bedrock::AgentAlias', 'SUPERVIS01/LIVE000001', regional('bedrock', 'agent-alias/SUPERVIS01/LIVE000001'), { parent: supervisor, state: { aliasId: 'LIVE000001', name: 'live' } });
  add('AWS::Bedrock::AgentAlias', 'SUPERVIS01/TSTALIASID', regional('bedrock', 'agent-alias/SUPERVIS01/TSTALIASID'), { parent: supervisor, state: { aliasId: 'TSTALIASID', name: 'AgentTestAlias' } });
  add('Sim::Bedrock::AgentCollaborator', 'COLLAB0001', `${supervisor.arn}/collaborator/COLLAB0001`, { parent: supervisor, state: { aliasArn: regional('bedrock', 'agent-alias/ORDERS0001/LIVE000002') } });
  const ordersAgent = add('AWS::Bedrock::Agent', 'ORDERS0001', regional('bedrock', 'agent/ORDERS0001'), { state: { name: 'order-support' } });
  add('AWS::Bedrock::AgentAlias', 'ORDERS0001/LIVE000002', regional('bedrock', 'agent-alias/ORDERS0001/LIVE000002'), { parent: ordersAgent, state: { aliasId: 'LIVE000002', name: 'live' } });
  add('Sim::Bedrock::ActionGroup', 'AG00000001', `${ordersAgent.arn}/action-group/AG00000001`, { parent: ordersAgent, state: { name: 'OrderTools' } });
  add('Sim::Bedrock::AgentKnowledgeBase', 'ORDERS0001/KBPOLICY01', `${ordersAgent.arn}/kb/KBPOLICY01`, { parent: ordersAgent, state: { knowledgeBaseId: 'KBPOLICY01' } });
  const kb = add('AWS::Bedrock::KnowledgeBase', 'KBPOLICY01', regional('bedrock', 'knowledge-base/KBPOLICY01'), { state: { name: 'policy-kb' }, tags: { app: 'policy' } });
  add('AWS::Bedrock::DataSource', 'DSPOLICY01', `${kb.arn}/data-source/DSPOLICY01`, { parent: kb, state: { name: 'policies' } });
  const guardrail = add('AWS::Bedrock::Guardrail', regional('bedrock', 'guardrail/gr4policy01x'), regional('bedrock', 'guardrail/gr4policy01x'), { state: { guardrailId: 'gr4policy01x', name: 'policy-guardrail' } });
  add('AWS::Bedrock::GuardrailVersion', `${guardrail.id}:1`, `${guardrail.arn}:1`, { parent: guardrail });
  const vectors = add('AWS::S3Vectors::VectorBucket', regional('s3vectors', 'bucket/policy-vectors'), regional('s3vectors', 'bucket/policy-vectors'), { state: { name: 'policy-vectors' } });
  add('AWS::S3Vectors::Index', regional('s3vectors', 'bucket/policy-vectors/index/policies'), regional('s3vectors', 'bucket/policy-vectors/index/policies'), { parent: vectors, state: { name: 'policies' } });
  add('AWS::OpenSearchServerless::Collection', 'col0policy1', regional('aoss', 'collection/col0policy1'), { state: { name: 'policy-search' } });
  add('AWS::OpenSearchServerless::SecurityPolicy', 'encryption|policy-search-enc', regional('aoss', 'security-policy/encryption/policy-search-enc'), { state: { name: 'policy-search-enc', policyType: 'encryption' } });
  add('AWS::OpenSearchServerless::SecurityPolicy', 'network|policy-search-net', regional('aoss', 'security-policy/network/policy-search-net'), { state: { name: 'policy-search-net', policyType: 'network' } });
  add('AWS::OpenSearchServerless::AccessPolicy', 'data|policy-search-access', regional('aoss', 'access-policy/data/policy-search-access'), { state: { name: 'policy-search-access', policyType: 'data' } });
  const docs = add('AWS::S3::Bucket', 'my-policy-docs-111122223333', 'arn:aws:s3:::my-policy-docs-111122223333', { tags: { app: 'policy' } });
  add('Sim::S3::ObjectVersion', 'doc-v1', 'arn:aws:s3:::my-policy-docs/doc-v1', { parent: docs, state: { key: 'leave.md', versionId: 'v1' } });
  add('Sim::S3::ObjectVersion', 'doc-v2', 'arn:aws:s3:::my-policy-docs/doc-v2', { parent: docs, state: { key: 'leave.md', versionId: 'v2' } });
  add('Sim::S3::ObjectVersion', 'doc-marker', 'arn:aws:s3:::my-policy-docs/doc-marker', { parent: docs, state: { key: 'old.md', versionId: 'v3', marker: true } });
  const runtime = add('AWS::BedrockAgentCore::Runtime', 'helpdesk_agent-AbC123xYz9', regional('bedrock-agentcore', 'runtime/helpdesk_agent-AbC123xYz9'), { state: { name: 'helpdesk_agent' } });
  add('AWS::BedrockAgentCore::RuntimeEndpoint', 'ep-default', `${runtime.arn}/runtime-endpoint/DEFAULT`, { parent: runtime, state: { name: 'DEFAULT' } });
  add('AWS::BedrockAgentCore::RuntimeEndpoint', 'ep-canary', `${runtime.arn}/runtime-endpoint/canary`, { parent: runtime, state: { name: 'canary' } });
  const gateway = add('AWS::BedrockAgentCore::Gateway', 'helpdesk-gw-0a1b2c3d4e', regional('bedrock-agentcore', 'gateway/helpdesk-gw-0a1b2c3d4e'), { state: { name: 'helpdesk-gw' } });
  add('AWS::BedrockAgentCore::GatewayTarget', 'TGT0000001', `${gateway.arn}/target/TGT0000001`, { parent: gateway, state: { name: 'tickets' } });
  add('AWS::BedrockAgentCore::Memory', 'helpdesk_memory-0a1b2c3d4e', regional('bedrock-agentcore', 'memory/helpdesk_memory-0a1b2c3d4e'), { state: { name: 'helpdesk_memory' } });
  add('AWS::ECR::Repository', 'helpdesk-agent', regional('ecr', 'repository/helpdesk-agent'), { state: { images: 3 } });
  add('AWS::CodeBuild::Project', 'helpdesk-agent-build', regional('codebuild', 'project/helpdesk-agent-build'));
  const pool = add('AWS::Cognito::UserPool', 'eu-west-1_Other0001', regional('cognito-idp', 'userpool/eu-west-1_Other0001'), { state: { name: 'my-own-pool' } });
  add('AWS::Cognito::UserPoolDomain', 'my-own-pool-domain', `${pool.arn}/domain`, { parent: pool });
  add('AWS::Cognito::UserPoolClient', 'otherclient01', `${pool.arn}/client/otherclient01`, { parent: pool, state: { name: 'agent' } });
  // A client the candidate added to SkillProof's seeded pool: not in SkillProof's stack, so it goes.
  add('AWS::Cognito::UserPoolClient', 'sneakyclient1', `${seedPool.arn}/client/sneakyclient1`, { parent: seedPool, state: { name: 'helpdesk-agent' } });

  // A CloudFormation stack of the candidate's, whose bucket fails to delete the first time (not empty).
  const cs = CANDIDATE_STACK_ID;
  add('AWS::CloudFormation::Stack', cs, cs, { state: { name: 'orders-app', status: 'UPDATE_COMPLETE', stackTags: {}, terminationProtection: true, failing: ['orders-app-artifacts-1x2y3z'], failReason: 'The bucket you tried to delete is not empty' } });
  add('AWS::Lambda::Function', 'orders-app-handler', regional('lambda', 'function:orders-app-handler'), { stackId: cs, state: { logicalId: 'Handler' } });
  add('AWS::IAM::Role', 'orders-app-handler-role', global('iam', 'role/candidate/orders-app-handler-role'), { stackId: cs, state: { path: '/candidate/', logicalId: 'HandlerRole' } });
  const artifacts = add('AWS::S3::Bucket', 'orders-app-artifacts-1x2y3z', 'arn:aws:s3:::orders-app-artifacts-1x2y3z', { stackId: cs, state: { logicalId: 'Artifacts' } });
  add('Sim::S3::ObjectVersion', 'artifact', 'arn:aws:s3:::orders-app-artifacts/a', { parent: artifacts, state: { key: 'build.zip', versionId: 'null' } });

  return { store, skillProofs: [...skillProofs, ...foreign] };
}
