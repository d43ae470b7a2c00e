import { taskSchema, type TaskDefinition, type TaskInput } from '../../src/model/task';

/**
 * Inline tasks for the sandbox tests: one like `serverless-orders-api` (used until that task exists on
 * disk, and to test what the real one may not exercise, such as seeds) and a second for assessments.
 */
export const ordersApiLike: TaskInput = {
  id: 'inline-orders-api',
  title: 'Orders API (inline sample)',
  track: 'aws-serverless',
  summary: 'POST /orders on API Gateway to a Lambda function writing to DynamoDB.',
  timeLimitMinutes: 90,
  blueprint: {
    candidate: {
      services: ['apigateway', 'lambda', 'dynamodb', 'iam', 'logs', 'xray'],
      deniedActions: ['lambda:CreateFunctionUrlConfig'],
      solutionActions: [
        'lambda:CreateFunction',
        'lambda:AddPermission',
        'apigateway:POST',
        'dynamodb:CreateTable',
        'iam:CreateRole',
        'iam:PutRolePolicy',
        'iam:PassRole',
        'logs:CreateLogGroup',
        'cloudformation:CreateStack',
      ],
    },
    grader: {
      reads: ['apigateway:GET', 'lambda:GetFunction', 'lambda:GetPolicy', 'dynamodb:DescribeTable', 'iam:GetRole', 'iam:List*', 'iam:GetRolePolicy'],
      probes: ['dynamodb:GetItem'],
    },
    seed: [
      { kind: 'ssm-parameter', name: '/orders/currency', value: 'EUR' },
      { kind: 's3-object', bucketLogicalId: 'catalog', key: 'products.json', body: '[{"sku":"a1"}]', contentType: 'application/json' },
      { kind: 'dynamodb-item', tableLogicalId: 'products', item: { sku: 'a1', price: 12.5 } },
      { kind: 'dynamodb-item', tableLogicalId: 'products', item: { sku: 'b2', price: 3 } },
    ],
    budgetUsd: 10,
  },
  passRule: { passMark: 0.8 },
};

export const queueWorkerLike: TaskInput = {
  id: 'inline-queue-worker',
  title: 'Queue worker (inline sample)',
  track: 'aws-serverless',
  summary: 'SQS to Lambda with partial batch responses and a dead-letter queue.',
  timeLimitMinutes: 60,
  blueprint: {
    candidate: {
      services: ['sqs', 'lambda', 'iam', 'logs'],
      deniedActions: ['sqs:AddPermission'],
      solutionActions: ['sqs:CreateQueue', 'lambda:CreateEventSourceMapping', 'iam:CreateRole', 'iam:PassRole'],
    },
    grader: { reads: ['sqs:GetQueueAttributes', 'lambda:ListEventSourceMappings'], probes: ['sqs:SendMessage'] },
    budgetUsd: 5,
  },
  passRule: { passMark: 1 },
};

export const parse = (task: TaskInput): TaskDefinition => taskSchema.parse(task);
