import { defineTask } from '../../src';
import { BEDROCK_COST_CONTROLS } from '../bedrock-cost-controls';

export default defineTask({
  id: 'agentic-agentcore-runtime',
  title: 'Helpdesk agent on Bedrock AgentCore: runtime, gateway and memory',
  track: 'aws-agentic-ai',
  summary:
    'Deploy an agent to AgentCore Runtime, expose a Lambda function as an MCP tool through an AgentCore Gateway secured with JWT, and give the agent AgentCore Memory with a semantic strategy so it remembers users across sessions.',
  timeLimitMinutes: 150,
  blueprint: {
    candidate: {
      // bedrock: the agent's (and memory extraction's) on-demand model invocation; s3, ecr, codebuild: the
      // agent's code zip or container image (the AgentCore CLI builds images with CodeBuild); cognito-idp:
      // the sandbox's user pool, which issues the gateway's JWTs (the candidate reads its app client's secret);
      // dynamodb: the tool function reads the seeded tickets table.
      services: ['bedrock-agentcore', 'bedrock', 'lambda', 'iam', 'logs', 's3', 'ecr', 'codebuild', 'cognito-idp', 'dynamodb', 'xray', 'cloudformation'],
      // No function URLs: a public URL in front of a table-reading function would let the agent reach tickets
      // around the gateway without any IAM permission the grader could see.
      deniedActions: [...BEDROCK_COST_CONTROLS, 'lambda:CreateFunctionUrlConfig'],
      solutionActions: [
        'bedrock-agentcore:CreateAgentRuntime',
        'bedrock-agentcore:CreateWorkloadIdentity',
        'bedrock-agentcore:CreateGateway',
        'bedrock-agentcore:CreateGatewayTarget',
        'bedrock-agentcore:CreateMemory',
        'bedrock-agentcore:InvokeAgentRuntime',
        'bedrock:InvokeModel',
        'lambda:CreateFunction',
        'cognito-idp:DescribeUserPoolClient',
        'dynamodb:GetItem',
        's3:PutObject',
        'iam:CreateRole',
        'iam:PutRolePolicy',
        'iam:PassRole',
      ],
    },
    grader: {
      reads: [
        'bedrock-agentcore:ListAgentRuntimes',
        'bedrock-agentcore:GetAgentRuntime',
        'bedrock-agentcore:GetAgentRuntimeEndpoint',
        'bedrock-agentcore:ListGateways',
        'bedrock-agentcore:GetGateway',
        'bedrock-agentcore:ListGatewayTargets',
        'bedrock-agentcore:GetGatewayTarget',
        'bedrock-agentcore:ListMemories',
        'bedrock-agentcore:GetMemory',
        'bedrock-agentcore:ListMemoryRecords',
        'lambda:GetFunctionConfiguration',
        // Who may reach tickets around the gateway: the runtime role's identity policies, the tool function's resource policy.
        'lambda:GetPolicy',
        'iam:ListRolePolicies',
        'iam:GetRolePolicy',
        'iam:ListAttachedRolePolicies',
        'iam:GetPolicy',
        'iam:GetPolicyVersion',
        // The seeded user pool, its app clients and their secrets: the grader asks the pool for tokens.
        'cognito-idp:ListUserPools',
        'cognito-idp:DescribeUserPool',
        'cognito-idp:ListUserPoolClients',
        'cognito-idp:DescribeUserPoolClient',
      ],
      // PutItem and DeleteItem write, then remove, each probe's ticket in the seeded tickets table (SkillProof's own).
      probes: ['bedrock-agentcore:InvokeAgentRuntime', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
      probeResources: {
        'bedrock-agentcore:InvokeAgentRuntime': ['arn:aws:bedrock-agentcore:{region}:{account}:runtime/*'],
        // Only SkillProof's own seeded table, never one of the candidate's.
        'dynamodb:PutItem': ['arn:aws:dynamodb:{region}:{account}:table/skillproof-{attempt}-tickets'],
        'dynamodb:DeleteItem': ['arn:aws:dynamodb:{region}:{account}:table/skillproof-{attempt}-tickets'],
      },
    },
    // The identity provider the gateway must trust: the grader takes tokens of `helpdesk-agent` (which must
    // get in) and `helpdesk-reporting` (which must not) by the client-credentials grant.
    seed: [
      {
        kind: 'cognito-user-pool',
        logicalId: 'helpdesk-idp',
        resourceServer: { identifier: 'helpdesk-tools', scopes: ['invoke', 'reports'] },
        clients: [
          { name: 'helpdesk-agent', scopes: ['invoke'] },
          { name: 'helpdesk-reporting', scopes: ['reports'] },
        ],
      },
      // The ticketing system the tool reads: skillproof-<attempt>-tickets, keyed by ticketId. The grader adds a
      // ticket of its own per probe (id and updateRef from the run's nonce) and deletes it afterwards.
      { kind: 'dynamodb-item', tableLogicalId: 'tickets', partitionKey: 'ticketId', item: { ticketId: 'HD-1042', status: 'IN_PROGRESS', updateRef: 'UPD-7Q2M-4K8D', summary: 'VPN drops every hour' } },
      { kind: 'dynamodb-item', tableLogicalId: 'tickets', partitionKey: 'ticketId', item: { ticketId: 'HD-1043', status: 'WAITING_FOR_USER', updateRef: 'UPD-3J9X-6T1P', summary: 'New monitor for desk 4.12' } },
    ],
    budgetUsd: 30,
  },
  passRule: { passMark: 1 },
});
