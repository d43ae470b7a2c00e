import { defineAssessment } from '../../src';

export default defineAssessment({
  id: 'aws-agentic-ai',
  title: 'AWS Agentic AI Builder',
  track: 'aws-agentic-ai',
  description:
    'The holder built agents on Amazon Bedrock and Bedrock AgentCore in a live account: an agent whose tools run in Lambda, retrieval over a knowledge base behind a guardrail, an agent deployed to AgentCore Runtime with a gateway and memory, and a supervisor that delegates to collaborator agents.',
  criteria:
    "Four hands-on tasks in an isolated AWS sandbox, each graded on the real resources and on the agent's observable behaviour (traces and stored data, never the model's wording, with several tries against a stated threshold): agentic-order-agent, agentic-rag-guardrail, agentic-agentcore-runtime and agentic-multi-agent. Every task must pass.",
  tasks: ['agentic-order-agent', 'agentic-rag-guardrail', 'agentic-agentcore-runtime', 'agentic-multi-agent'],
  timeLimitMinutes: 6 * 60,
  passRule: 'all',
  validForDays: 2 * 365,
});
