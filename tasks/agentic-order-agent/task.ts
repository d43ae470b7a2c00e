import { defineTask } from '../../src';
import { BEDROCK_COST_CONTROLS } from '../bedrock-cost-controls';

export default defineTask({
  id: 'agentic-order-agent',
  title: 'Order-support agent: Bedrock agent, action group and Lambda',
  track: 'aws-agentic-ai',
  summary:
    'Build a Bedrock agent "order-support" whose action group OrderTools looks orders up through a Lambda function that only this agent may invoke, and publish it under the alias "live".',
  timeLimitMinutes: 120,
  blueprint: {
    candidate: {
      // s3: an action group's OpenAPI schema may live in S3; dynamodb: the function reads the seeded orders table.
      services: ['bedrock', 'lambda', 'iam', 'logs', 'dynamodb', 's3'],
      deniedActions: [...BEDROCK_COST_CONTROLS, 'lambda:CreateFunctionUrlConfig'],
      solutionActions: [
        'bedrock:CreateAgent',
        'bedrock:CreateAgentActionGroup',
        'bedrock:PrepareAgent',
        'bedrock:CreateAgentAlias',
        'bedrock:InvokeAgent',
        'bedrock:InvokeModel',
        'lambda:CreateFunction',
        'lambda:AddPermission',
        'iam:CreateRole',
        'iam:PutRolePolicy',
        'iam:PassRole',
        'dynamodb:GetItem',
      ],
    },
    grader: {
      reads: [
        'bedrock:ListAgents',
        'bedrock:GetAgent',
        'bedrock:ListAgentAliases',
        'bedrock:GetAgentAlias',
        'bedrock:ListAgentActionGroups',
        'bedrock:GetAgentActionGroup',
        'lambda:GetFunctionConfiguration',
        'lambda:GetPolicy',
        's3:GetObject',
      ],
      // PutItem writes the run's probe order into the seeded table (SkillProof's, not the candidate's);
      // DeleteItem removes it again once the probe is over, so progress checks leave nothing behind.
      probes: ['bedrock:InvokeAgent', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
      probeResources: {
        'bedrock:InvokeAgent': ['arn:aws:bedrock:{region}:{account}:agent-alias/*'],
        // Only SkillProof's own seeded table, never one of the candidate's.
        'dynamodb:PutItem': ['arn:aws:dynamodb:{region}:{account}:table/skillproof-{attempt}-orders'],
        'dynamodb:DeleteItem': ['arn:aws:dynamodb:{region}:{account}:table/skillproof-{attempt}-orders'],
      },
    },
    // The orders table the agent answers from. The sandbox names it skillproof-<attempt>-orders; the
    // grader adds one order per grading run, SP-<run nonce>, and asks the agent about that one.
    seed: [
      { kind: 'dynamodb-item', tableLogicalId: 'orders', partitionKey: 'orderId', item: { orderId: 'SP-1001', status: 'SHIPPED', product: 'coffee beans', quantity: 2 } },
      { kind: 'dynamodb-item', tableLogicalId: 'orders', partitionKey: 'orderId', item: { orderId: 'SP-1002', status: 'PACKED', product: 'tea sampler', quantity: 1 } },
    ],
    budgetUsd: 15,
  },
  passRule: { passMark: 1 },
});
