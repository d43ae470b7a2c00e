import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { loadCatalog, REPO_ROOT } from '../../../src/catalog/load';
import { arnKind, CANDIDATE_ARN_KINDS, CANDIDATE_SERVICES, CLOUDFORMATION_TYPE_HANDLING, NOT_CANDIDATE_ARN_KINDS, REGISTRY_NAMESPACES } from '../../../src/pool/cleanup/resource-types';
import { AgentCoreRuntimeSolution } from '../../../tasks/agentic-agentcore-runtime/solution/agentic-agentcore-runtime-solution';
import { SupportDeskSolution } from '../../../tasks/agentic-multi-agent/solution/agentic-multi-agent-solution';
import { OrderAgentSolution } from '../../../tasks/agentic-order-agent/solution/agentic-order-agent-solution';
import { RagGuardrailSolution } from '../../../tasks/agentic-rag-guardrail/solution/agentic-rag-guardrail-solution';
import { ServerlessOrderWorkflowSolution } from '../../../tasks/serverless-order-workflow/solution/serverless-order-workflow-solution';
import { OrdersApiSolution } from '../../../tasks/serverless-orders-api/solution/serverless-orders-api-solution';
import { ServerlessQueueWorkerSolution } from '../../../tasks/serverless-queue-worker/solution/serverless-queue-worker-solution';
import { ServerlessSafeDeploySolution } from '../../../tasks/serverless-safe-deploy/solution/serverless-safe-deploy-solution';
import { sampleAccount } from './sample-account';

const BOUNDARY = 'arn:aws:iam::111122223333:policy/skillproof/skillproof-att-1-boundary';

/** Every task's reference solution, built as its solution test builds it. */
const SOLUTIONS: Record<string, (scope: Construct) => void> = {
  'agentic-agentcore-runtime': (s) =>
    new AgentCoreRuntimeSolution(s, 'Helpdesk', {
      agent: { kind: 'container', imageUri: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/helpdesk:1' },
      identityProvider: { userPoolId: 'eu-west-1_AbCdEf123', agentClientId: 'agentclient123' },
      ticketsTable: 'skillproof-att-1-tickets',
    }),
  'agentic-multi-agent': (s) => new SupportDeskSolution(s, 'Desk', { permissionsBoundaryArn: BOUNDARY }),
  'agentic-order-agent': (s) => new OrderAgentSolution(s, 'OrderAgent', { ordersTableName: 'skillproof-att-1-orders', permissionsBoundaryArn: BOUNDARY }),
  'agentic-rag-guardrail': (s) => new RagGuardrailSolution(s, 'Rag', { documentsBucketName: 'skillproof-att-1-seedspolicydocs-abc' }),
  'serverless-order-workflow': (s) => new ServerlessOrderWorkflowSolution(s, 'OrderWorkflow', { permissionsBoundaryArn: BOUNDARY }),
  'serverless-orders-api': (s) => new OrdersApiSolution(s, 'Orders'),
  'serverless-queue-worker': (s) => new ServerlessQueueWorkerSolution(s, 'Solution', { permissionsBoundaryArn: BOUNDARY }),
  'serverless-safe-deploy': (s) => new ServerlessSafeDeploySolution(s, 'Solution', { release: 'r2', stableVersion: '1' }),
};

const catalog = loadCatalog();
const taskIds = catalog.ids();

/** The resource types of every reference solution, and the tasks using each (one app, synthesised once). */
const solutionTypes = (() => {
  let types: Map<string, string[]> | undefined;
  return (): Map<string, string[]> => {
    if (types) return types;
    types = new Map();
    // Only the resource types are read: CloudFormation's schema validation (seconds per stack) is not needed.
    const app = new App({ builtinCloudFormationValidation: false });
    const stacks = Object.entries(SOLUTIONS).map(([taskId, build]) => {
      const stack = new Stack(app, taskId, { env: { account: '111122223333', region: 'eu-west-1' } });
      build(stack);
      return { taskId, stack };
    });
    const assembly = app.synth({ skipValidation: true });
    for (const { taskId, stack } of stacks) {
      const resources = assembly.getStackByName(stack.stackName).template.Resources as Record<string, { Type: string }>;
      for (const { Type } of Object.values(resources)) types.set(Type, [...(types.get(Type) ?? []), taskId]);
    }
    return types;
  };
})();

/** Every ARN in every fixture (pass, alt, fail, error) of every task: what reference solutions, alternatives and mutants hold. */
function fixtureArns(): Map<string, string> {
  const arns = new Map<string, string>();
  for (const taskId of taskIds) {
    const fixtures = join(REPO_ROOT, 'tasks', taskId, 'fixtures');
    for (const kind of readdirSync(fixtures).filter((k) => statSync(join(fixtures, k)).isDirectory())) {
      for (const file of readdirSync(join(fixtures, kind)).filter((f) => f.endsWith('.json'))) {
        const text = readFileSync(join(fixtures, kind, file), 'utf8');
        for (const arn of text.match(/arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[a-z0-9-]*:[A-Za-z0-9_.\-/:*]+/g) ?? []) arns.set(arn, `${taskId}/${kind}/${file}`);
      }
    }
  }
  return arns;
}

/** The CloudFormation type the simulated account holds for each ARN kind the cleaner deletes. */
const SIMULATED_TYPE_OF_ARN_KIND: Record<keyof typeof CANDIDATE_ARN_KINDS, string> = {
  'aoss:collection': 'AWS::OpenSearchServerless::Collection',
  'bedrock:agent': 'AWS::Bedrock::Agent',
  'bedrock:agent-alias': 'AWS::Bedrock::AgentAlias',
  'bedrock:guardrail': 'AWS::Bedrock::Guardrail',
  'bedrock:knowledge-base': 'AWS::Bedrock::KnowledgeBase',
  'bedrock:application-inference-profile': 'AWS::Bedrock::ApplicationInferenceProfile',
  'bedrock-agentcore:gateway': 'AWS::BedrockAgentCore::Gateway',
  'bedrock-agentcore:memory': 'AWS::BedrockAgentCore::Memory',
  'bedrock-agentcore:runtime': 'AWS::BedrockAgentCore::Runtime',
  'cloudwatch:alarm': 'AWS::CloudWatch::Alarm',
  'cognito-idp:userpool': 'AWS::Cognito::UserPool',
  'dynamodb:table': 'AWS::DynamoDB::Table',
  'events:event-bus': 'AWS::Events::EventBus',
  'events:rule': 'AWS::Events::Rule',
  'iam:policy': 'AWS::IAM::ManagedPolicy',
  'iam:role': 'AWS::IAM::Role',
  'lambda:event-source-mapping': 'AWS::Lambda::EventSourceMapping',
  'lambda:function': 'AWS::Lambda::Function',
  'logs:log-group': 'AWS::Logs::LogGroup',
  's3:bucket': 'AWS::S3::Bucket',
  's3vectors:bucket': 'AWS::S3Vectors::VectorBucket',
  'sqs:queue': 'AWS::SQS::Queue',
  'states:stateMachine': 'AWS::StepFunctions::StateMachine',
};

/** Services a fixture may show although no task lets the candidate use them: the cleaner cannot meet them in a sandbox. */
const OUTSIDE_THE_SANDBOX: Record<string, string> = {
  rds: 'an alternative solution on Aurora, built outside a sandbox (rds is not an allowed service)',
  secretsmanager: "that Aurora cluster's credentials secret (secretsmanager is not an allowed service)",
};

describe('what the cleaner covers', () => {
  it('knows every service a task lets the candidate use, and a registry namespace for each', () => {
    const union = [...new Set(catalog.all().flatMap((e) => e.task.blueprint.candidate.services))].sort();
    expect([...CANDIDATE_SERVICES]).toEqual(union);
    for (const service of CANDIDATE_SERVICES) expect(service === 'iam' || REGISTRY_NAMESPACES[service].length > 0).toBe(true);
  });

  it('handles every CloudFormation type in the tasks’ reference solutions', () => {
    const unhandled = [...solutionTypes()].filter(([type]) => !(type in CLOUDFORMATION_TYPE_HANDLING)).map(([type, tasks]) => `${type} (${tasks.join(', ')})`);
    expect(unhandled).toEqual([]);
  });

  it('handles every kind of resource the tasks’ fixtures (pass, alternatives, mutants) hold', () => {
    const unknown = [...fixtureArns()]
      .map(([arn, where]) => ({ arn, where, kind: arnKind(arn) }))
      .filter(({ kind }) => !(kind in CANDIDATE_ARN_KINDS) && !(kind in NOT_CANDIDATE_ARN_KINDS) && !(kind.split(':')[0]! in OUTSIDE_THE_SANDBOX))
      .map(({ arn, where, kind }) => `${kind}: ${arn} (${where})`);
    expect(unknown).toEqual([]);
    for (const service of Object.keys(OUTSIDE_THE_SANDBOX)) expect(CANDIDATE_SERVICES).not.toContain(service);
  });

  it('tests clean-up on an account holding one of each of those types', () => {
    const held = new Set([...sampleAccount().store.resources.values()].map((r) => r.type));
    const fromFixtures = [...new Set([...fixtureArns().keys()].map(arnKind))].filter((k) => k in CANDIDATE_ARN_KINDS).map((k) => SIMULATED_TYPE_OF_ARN_KIND[k as keyof typeof CANDIDATE_ARN_KINDS]!);
    // Custom resources and the API Gateway account setting are not resources of their own in an account.
    const fromSolutions = [...solutionTypes().keys()].filter((t) => t !== 'AWS::CloudFormation::CustomResource' && t !== 'AWS::ApiGateway::Account');
    expect([...new Set([...fromFixtures, ...fromSolutions])].filter((t) => !held.has(t)).sort()).toEqual([]);
  });
});
