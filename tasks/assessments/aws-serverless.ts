import { defineAssessment } from '../../src';

export default defineAssessment({
  id: 'aws-serverless',
  title: 'AWS Serverless Builder',
  track: 'aws-serverless',
  description:
    'The holder built, wired, secured, observed and safely shipped serverless applications on AWS in a live account: an API backed by Lambda and DynamoDB, a queue worker with failure handling, an event-driven workflow, and a gradual deployment with alarms.',
  criteria:
    'Four hands-on tasks in an isolated AWS sandbox, each graded on the real resources by configuration checks and behavioural probes: serverless-orders-api, serverless-queue-worker, serverless-order-workflow and serverless-safe-deploy. Every task must pass: every critical check passed, no check left ungraded.',
  tasks: ['serverless-orders-api', 'serverless-queue-worker', 'serverless-order-workflow', 'serverless-safe-deploy'],
  timeLimitMinutes: 6 * 60,
  passRule: 'all',
  validForDays: 3 * 365,
});
