/** An IAM policy document as written in JSON. */
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Array<{
    Sid?: string;
    Effect: 'Allow' | 'Deny';
    Action?: string | string[];
    NotAction?: string | string[];
    Resource?: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
  }>;
}

/**
 * AWS managed policies that fixture worlds attach, with their published documents (default
 * versions as of 2026; AmazonDynamoDBFullAccess abridged to its first statement's actions, which is
 * all a least-privilege judgement needs to see it is too broad).
 */
export const MANAGED_POLICIES: Record<string, PolicyDocument> = {
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
  },
  'arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:GetSamplingStatisticSummaries'],
        Resource: ['*'],
      },
    ],
  },
  'arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess': {
    Version: '2012-10-17',
    Statement: [
      {
        Action: ['dynamodb:*', 'dax:*', 'application-autoscaling:DeleteScalingPolicy', 'cloudwatch:DeleteAlarms', 'cloudwatch:DescribeAlarms', 'kms:DescribeKey', 'kms:ListAliases', 'lambda:CreateFunction', 'lambda:ListFunctions', 'sns:CreateTopic', 'sns:DeleteTopic'],
        Effect: 'Allow',
        Resource: '*',
      },
    ],
  },
  'arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole': {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' },
    ],
  },
};
