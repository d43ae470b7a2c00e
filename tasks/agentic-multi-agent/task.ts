import { defineTask } from '../../src';
import { BEDROCK_COST_CONTROLS } from '../bedrock-cost-controls';

export default defineTask({
  id: 'agentic-multi-agent',
  title: 'Support desk: a Bedrock supervisor agent routing to collaborators',
  track: 'aws-agentic-ai',
  summary:
    'Build a Bedrock supervisor agent "support-supervisor" with multi-agent collaboration and two published collaborator agents, "orders" and "returns", and route each customer request to the right one by instruction.',
  timeLimitMinutes: 120,
  blueprint: {
    candidate: {
      services: ['bedrock', 'iam'],
      deniedActions: [...BEDROCK_COST_CONTROLS],
      solutionActions: [
        'bedrock:CreateAgent',
        'bedrock:UpdateAgent',
        'bedrock:AssociateAgentCollaborator',
        'bedrock:PrepareAgent',
        'bedrock:CreateAgentAlias',
        'bedrock:GetAgentAlias',
        'bedrock:InvokeAgent',
        'bedrock:InvokeModel',
        'iam:CreateRole',
        'iam:PutRolePolicy',
        'iam:PassRole',
      ],
    },
    grader: {
      reads: [
        'bedrock:ListAgents',
        'bedrock:GetAgent',
        'bedrock:GetAgentVersion',
        'bedrock:ListAgentAliases',
        'bedrock:GetAgentAlias',
        'bedrock:ListAgentCollaborators',
      ],
      probes: ['bedrock:InvokeAgent'],
      probeResources: { 'bedrock:InvokeAgent': ['arn:aws:bedrock:{region}:{account}:agent-alias/*'] },
    },
    seed: [],
    budgetUsd: 15,
  },
  passRule: { passMark: 1 },
});
