import { defineTask } from '../../src';

export default defineTask({
  id: 'serverless-safe-deploy',
  title: 'Safe deploy: versions, a weighted alias and an error alarm',
  track: 'aws-serverless',
  summary:
    'Ship a new release of the pricing-service Lambda function as a canary: published versions, an alias live that shifts part of the traffic, an alarm on the alias\'s errors, reserved concurrency, JSON logs and a log group with retention.',
  timeLimitMinutes: 60,
  blueprint: {
    candidate: {
      services: ['lambda', 'iam', 'logs', 'cloudwatch', 'sns', 'codedeploy', 'cloudformation'],
      // Provisioned concurrency is billed by the hour and is not what the task asks for; function URLs would open the function to the internet.
      deniedActions: ['lambda:PutProvisionedConcurrencyConfig', 'lambda:CreateFunctionUrlConfig', 'lambda:UpdateFunctionUrlConfig'],
      solutionActions: [
        'cloudformation:CreateStack',
        'iam:CreateRole',
        'iam:AttachRolePolicy',
        'iam:PutRolePolicy',
        'iam:PassRole',
        'lambda:CreateFunction',
        'lambda:UpdateFunctionCode',
        'lambda:PublishVersion',
        'lambda:CreateAlias',
        'lambda:UpdateAlias',
        'lambda:PutFunctionConcurrency',
        'logs:CreateLogGroup',
        'logs:PutRetentionPolicy',
        'cloudwatch:PutMetricAlarm',
      ],
    },
    grader: {
      reads: [
        'lambda:ListVersionsByFunction',
        'lambda:GetAlias',
        'lambda:GetFunctionConfiguration',
        'lambda:GetFunctionConcurrency',
        'lambda:GetAccountSettings',
        'logs:DescribeLogGroups',
        'cloudwatch:DescribeAlarms',
        'cloudwatch:GetMetricData',
      ],
      probes: ['lambda:InvokeFunction'],
      probeResources: { 'lambda:InvokeFunction': ['arn:aws:lambda:{region}:{account}:function:pricing-service', 'arn:aws:lambda:{region}:{account}:function:pricing-service:*'] },
    },
    seed: [],
    // Lambda keeps 100 of the account's concurrency unreserved, so reserving any needs a quota above 100; 110 leaves room for up to 10.
    accountQuotas: [{ serviceCode: 'lambda', quotaCode: 'L-B99A9384', name: 'Concurrent executions', minimum: 110, why: 'reserved concurrency for pricing-service: Lambda keeps 100 unreserved, so a lower quota refuses every reservation' }],
    budgetUsd: 5,
  },
  passRule: { passMark: 1 },
});
