import { defineTask } from '../../src';

export default defineTask({
  id: 'serverless-orders-api',
  title: 'Orders API: API Gateway, Lambda and DynamoDB',
  track: 'aws-serverless',
  summary:
    'Build POST /orders on API Gateway (REST or HTTP API) backed by a traced Lambda function that stores orders in DynamoDB, with a least-privilege execution role.',
  timeLimitMinutes: 90,
  blueprint: {
    candidate: {
      services: ['apigateway', 'lambda', 'dynamodb', 'iam', 'logs', 'xray', 'cloudwatch', 'cloudformation'],
      deniedActions: ['lambda:CreateFunctionUrlConfig', 'lambda:UpdateFunctionUrlConfig', 'dynamodb:CreateGlobalTable', 'dynamodb:UpdateGlobalTable'],
      solutionActions: [
        'dynamodb:CreateTable',
        'dynamodb:DescribeTable',
        'iam:CreateRole',
        'iam:PutRolePolicy',
        'iam:AttachRolePolicy',
        'iam:PassRole',
        'lambda:CreateFunction',
        'lambda:UpdateFunctionConfiguration',
        'lambda:AddPermission',
        'apigateway:POST',
        'apigateway:PUT',
        'apigateway:PATCH',
        'logs:CreateLogGroup',
        'cloudformation:CreateStack',
      ],
    },
    grader: {
      reads: [
        'apigateway:GET',
        'lambda:GetFunctionConfiguration',
        'lambda:GetPolicy',
        'dynamodb:DescribeTable',
        'dynamodb:GetResourcePolicy',
        'dynamodb:GetItem',
        'iam:ListRolePolicies',
        'iam:GetRolePolicy',
        'iam:ListAttachedRolePolicies',
        'iam:GetPolicy',
        'iam:GetPolicyVersion',
      ],
      probes: [],
    },
    seed: [],
    budgetUsd: 10,
  },
  passRule: { passMark: 1 },
});
