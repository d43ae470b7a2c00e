import { defineTask } from '../../src';
import { BEDROCK_COST_CONTROLS } from '../bedrock-cost-controls';
import { DOCUMENTS_BUCKET, POLICY_DOCUMENTS } from './seed-documents';

export default defineTask({
  id: 'agentic-rag-guardrail',
  title: 'Policy assistant: knowledge base and guardrail on a Bedrock agent',
  track: 'aws-agentic-ai',
  summary:
    'Build a Bedrock knowledge base over seeded policy documents and a guardrail that denies investment advice and anonymises e-mail addresses, and attach both to a published agent.',
  timeLimitMinutes: 120,
  blueprint: {
    candidate: {
      // bedrock: agents, knowledge bases, guardrails and on-demand model invocation (the agent's and the
      // knowledge base's roles invoke the foundation and embedding models). s3vectors or aoss: the vector store.
      services: ['bedrock', 's3', 's3vectors', 'aoss', 'iam', 'lambda', 'logs', 'cloudformation'],
      deniedActions: [...BEDROCK_COST_CONTROLS],
      solutionActions: [
        'bedrock:CreateKnowledgeBase',
        'bedrock:CreateDataSource',
        'bedrock:StartIngestionJob',
        'bedrock:CreateGuardrail',
        'bedrock:CreateGuardrailVersion',
        'bedrock:CreateAgent',
        'bedrock:PrepareAgent',
        'bedrock:CreateAgentAlias',
        'bedrock:InvokeModel',
        'bedrock:Retrieve',
        'bedrock:ApplyGuardrail',
        's3vectors:CreateVectorBucket',
        's3vectors:CreateIndex',
        'iam:CreateRole',
        'iam:PutRolePolicy',
        'iam:PassRole',
        'lambda:CreateFunction',
      ],
    },
    grader: {
      reads: [
        'bedrock:ListKnowledgeBases',
        'bedrock:GetKnowledgeBase',
        'bedrock:ListDataSources',
        'bedrock:GetDataSource',
        'bedrock:ListIngestionJobs',
        'bedrock:ListAgents',
        'bedrock:GetAgent',
        'bedrock:ListAgentAliases',
        'bedrock:GetAgentAlias',
        'bedrock:GetAgentVersion',
        'bedrock:ListAgentKnowledgeBases',
        'bedrock:ListGuardrails',
        'bedrock:GetGuardrail',
        's3:GetObject',
      ],
      probes: ['bedrock:Retrieve', 'bedrock:ApplyGuardrail', 'bedrock:InvokeAgent'],
      probeResources: {
        'bedrock:Retrieve': ['arn:aws:bedrock:{region}:{account}:knowledge-base/*'],
        // A guardrail with cross-Region inference (required by the Standard safeguard tier) is also
        // authorised on its guardrail profile, in the source and every destination Region (Bedrock user
        // guide, "Permissions for using cross-Region inference with Amazon Bedrock Guardrails"; the
        // service authorization reference lists guardrail-profile as ApplyGuardrail's second resource).
        'bedrock:ApplyGuardrail': ['arn:aws:bedrock:{region}:{account}:guardrail/*', 'arn:aws:bedrock:*:{account}:guardrail-profile/*'],
        'bedrock:InvokeAgent': ['arn:aws:bedrock:{region}:{account}:agent-alias/*'],
      },
    },
    seed: POLICY_DOCUMENTS.map((doc) => ({ kind: 's3-object' as const, bucketLogicalId: DOCUMENTS_BUCKET, key: doc.key, body: doc.body, contentType: 'text/markdown' })),
    budgetUsd: 60,
  },
  passRule: { passMark: 1 },
});
