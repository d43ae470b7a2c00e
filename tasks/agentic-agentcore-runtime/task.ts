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
      // the sandbox's user pool, which issues the gateway's JWTs (the candidate reads its app client's secret).
      services: ['bedrock-agentcore', 'bedrock', 'lambda', 'iam', 'logs', 's3', 'ecr', 'codebuild', 'cognito-idp', 'xray', 'cloudformation'],
      deniedActions: [...BEDROCK_COST_CONTROLS],
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
        // The seeded user pool, its app clients and their secrets: the grader asks the pool for tokens.
        'cognito-idp:ListUserPools',
        'cognito-idp:DescribeUserPool',
        'cognito-idp:ListUserPoolClients',
        'cognito-idp:DescribeUserPoolClient',
      ],
      probes: ['bedrock-agentcore:InvokeAgentRuntime'],
      probeResources: { 'bedrock-agentcore:InvokeAgentRuntime': ['arn:aws:bedrock-agentcore:{region}:{account}:runtime/*'] },
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
    ],
    budgetUsd: 30,
  },
  passRule: { passMark: 1 },
});
