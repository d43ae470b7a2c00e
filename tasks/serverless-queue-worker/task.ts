import { defineTask } from '../../src';

export default defineTask({
  id: 'serverless-queue-worker',
  title: 'Queue worker: SQS, Lambda and a dead-letter queue',
  track: 'aws-serverless',
  summary:
    'Consume orders from an SQS queue with a Lambda function that stores valid orders in DynamoDB, reports poison messages as partial batch failures so they reach a dead-letter queue after three receives, with a fitting visibility timeout and a least-privilege role.',
  timeLimitMinutes: 75,
  blueprint: {
    candidate: {
      services: ['sqs', 'lambda', 'dynamodb', 'iam', 'logs', 'cloudwatch', 'cloudformation'],
      deniedActions: ['sqs:AddPermission', 'lambda:CreateFunctionUrlConfig', 'lambda:UpdateFunctionUrlConfig', 'dynamodb:CreateGlobalTable', 'dynamodb:UpdateGlobalTable'],
      solutionActions: [
        'sqs:CreateQueue',
        'sqs:SetQueueAttributes',
        'sqs:GetQueueAttributes',
        'lambda:CreateFunction',
        'lambda:CreateEventSourceMapping',
        'lambda:GetEventSourceMapping',
        'dynamodb:CreateTable',
        'dynamodb:DescribeTable',
        'iam:CreateRole',
        'iam:PutRolePolicy',
        'iam:AttachRolePolicy',
        'iam:PassRole',
        'logs:CreateLogGroup',
        'cloudformation:CreateStack',
      ],
    },
    grader: {
      reads: [
        'sqs:GetQueueUrl',
        'sqs:GetQueueAttributes',
        'lambda:ListEventSourceMappings',
        'lambda:GetFunctionConfiguration',
        'dynamodb:DescribeTable',
        'dynamodb:GetResourcePolicy',
        'dynamodb:GetItem',
        'iam:ListRolePolicies',
        'iam:GetRolePolicy',
        'iam:ListAttachedRolePolicies',
        'iam:GetPolicy',
        'iam:GetPolicyVersion',
      ],
      probes: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage'],
      probeResources: {
        'sqs:SendMessage': ['arn:aws:sqs:{region}:{account}:orders-queue'],
        'sqs:ReceiveMessage': ['arn:aws:sqs:{region}:{account}:orders-dlq'],
        'sqs:DeleteMessage': ['arn:aws:sqs:{region}:{account}:orders-dlq'],
      },
    },
    seed: [],
    budgetUsd: 10,
  },
  passRule: { passMark: 1 },
});
