import { CreateStackCommand, DescribeStackEventsCommand, DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GetAccountSettingsCommand } from '@aws-sdk/client-lambda';
import { GetServiceQuotaCommand } from '@aws-sdk/client-service-quotas';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { loadCatalog } from '../../src/catalog/load';
import { deploySandbox, type DeployOptions } from '../../src/sandbox/deploy';
import type { StackProgress } from '../../src/sandbox/stack-watch';
import { ACCOUNT, ADMIN_ROLE, awsError, credentials, event, fast, mockAws, REGION, STACK_ID } from './aws-mocks';
import { asList, SAMPLE_OUTPUTS } from './sample-outputs';

const aws = mockAws();
afterAll(() => aws.restore());
beforeEach(() => aws.reset());

const NOW = Date.parse('2030-01-01T10:00:00Z');
const template = { Resources: { CandidateRole: { Type: 'AWS::IAM::Role' } } };
const options = (overrides: Partial<DeployOptions> = {}): DeployOptions => ({
  attemptId: 't1',
  accountId: ACCOUNT,
  region: REGION,
  pool: [ACCOUNT, '444455556666'],
  template,
  freezeAt: new Date('2030-01-01T11:30:00Z'),
  now: () => NOW,
  ...fast,
  ...overrides,
});

describe('deploySandbox', () => {
  it('assumes the admin role, creates the stack in one call, reports progress and returns the outputs', async () => {
    aws.sts.on(AssumeRoleCommand).resolves(credentials('ADMIN'));
    aws.cfn.on(CreateStackCommand).resolves({ StackId: STACK_ID });
    // DescribeStackEvents lists every event so far, newest first.
    const started = event('skillproof-t1', 'CREATE_IN_PROGRESS', 'User Initiated', 'AWS::CloudFormation::Stack');
    const role = event('CandidateRole', 'CREATE_IN_PROGRESS');
    const roleDone = event('CandidateRole', 'CREATE_COMPLETE');
    const done = event('skillproof-t1', 'CREATE_COMPLETE', undefined, 'AWS::CloudFormation::Stack');
    aws.cfn
      .on(DescribeStackEventsCommand)
      .resolvesOnce({ StackEvents: [role, started] })
      .resolves({ StackEvents: [done, roleDone, role, started] });
    aws.cfn
      .on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [{ StackName: 'skillproof-t1', StackId: STACK_ID, StackStatus: 'CREATE_IN_PROGRESS', CreationTime: new Date() }] })
      .resolves({ Stacks: [{ StackName: 'skillproof-t1', StackId: STACK_ID, StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: asList(SAMPLE_OUTPUTS) }] });
    const progress: StackProgress[] = [];

    const result = await deploySandbox(options({ onProgress: (p) => progress.push(p) }));

    expect(aws.calls()).toEqual(['AssumeRole', 'CreateStack', 'DescribeStackEvents', 'DescribeStacks', 'DescribeStackEvents', 'DescribeStacks']);
    expect(aws.sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input).toMatchObject({ RoleArn: ADMIN_ROLE, RoleSessionName: 'skillproof-deploy-t1' });
    expect(aws.cfn.commandCalls(CreateStackCommand)[0]!.args[0].input).toEqual({
      StackName: 'skillproof-t1',
      TemplateBody: JSON.stringify(template),
      Parameters: [{ ParameterKey: 'FreezeAt', ParameterValue: '2030-01-01T11:30:00' }],
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      Tags: [{ Key: 'skillproof:attempt', Value: 't1' }],
      OnFailure: 'ROLLBACK',
    });
    const client = aws.cfn.commandCalls(CreateStackCommand)[0]!.thisValue as CloudFormationClient;
    expect(await client.config.credentials()).toMatchObject({ accessKeyId: 'ADMIN' });
    expect(progress.map((p) => `${p.logicalId} ${p.status}`)).toEqual([
      'skillproof-t1 CREATE_IN_PROGRESS',
      'CandidateRole CREATE_IN_PROGRESS',
      'CandidateRole CREATE_COMPLETE',
      'skillproof-t1 CREATE_COMPLETE',
    ]);
    expect(result).toMatchObject({ stackId: STACK_ID, stackName: 'skillproof-t1', outputs: { graderRoleArn: SAMPLE_OUTPUTS.GraderRoleArn, maxSessionSeconds: 5400 } });
  });

  it('reads every page of new events, and only new ones', async () => {
    aws.sts.on(AssumeRoleCommand).resolves(credentials('ADMIN'));
    aws.cfn.on(CreateStackCommand).resolves({ StackId: STACK_ID });
    const [a, b, c] = [event('A', 'CREATE_IN_PROGRESS'), event('B', 'CREATE_IN_PROGRESS'), event('C', 'CREATE_COMPLETE')];
    aws.cfn
      .on(DescribeStackEventsCommand)
      .resolvesOnce({ StackEvents: [b], NextToken: 'page-2' })
      .resolvesOnce({ StackEvents: [a] })
      .resolvesOnce({ StackEvents: [c, b], NextToken: 'page-2' });
    aws.cfn
      .on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [{ StackName: 'skillproof-t1', StackStatus: 'CREATE_IN_PROGRESS', CreationTime: new Date() }] })
      .resolves({ Stacks: [{ StackName: 'skillproof-t1', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: asList(SAMPLE_OUTPUTS) }] });
    const seen: string[] = [];
    await deploySandbox(options({ onProgress: (p) => seen.push(p.logicalId) }));
    expect(seen).toEqual(['A', 'B', 'C']);
    expect(aws.cfn.commandCalls(DescribeStackEventsCommand).map((call) => call.args[0].input.NextToken)).toEqual([undefined, 'page-2', undefined]);
  });

  it('reports a rollback with the failed resources and their reasons', async () => {
    aws.sts.on(AssumeRoleCommand).resolves(credentials('ADMIN'));
    aws.cfn.on(CreateStackCommand).resolves({ StackId: STACK_ID });
    aws.cfn.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        event('skillproof-t1', 'ROLLBACK_COMPLETE', undefined, 'AWS::CloudFormation::Stack'),
        event('GraderRole', 'CREATE_FAILED', 'Resource creation cancelled'),
        event('ExpirySchedule', 'CREATE_FAILED', 'The ScheduleExpression at(2020-01-01T00:00:00) is in the past', 'AWS::Scheduler::Schedule'),
      ],
    });
    aws.cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'skillproof-t1', StackStatus: 'ROLLBACK_COMPLETE', CreationTime: new Date() }] });

    const error = await deploySandbox(options()).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'SandboxError',
      code: 'rolled-back',
      message: expect.stringMatching(
        /^stack skillproof-t1 failed to create in account 111122223333 \(eu-west-1\) and ended ROLLBACK_COMPLETE: ExpirySchedule \(AWS::Scheduler::Schedule\): The ScheduleExpression .* is in the past\. Destroy it \(skillproof sandbox destroy --attempt t1 --account 111122223333\)/,
      ),
    });
  });

  it('refuses to overwrite an existing sandbox, naming its status', async () => {
    aws.sts.on(AssumeRoleCommand).resolves(credentials('ADMIN'));
    aws.cfn.on(CreateStackCommand).rejects(awsError('AlreadyExistsException', 'Stack [skillproof-t1] already exists'));
    aws.cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'skillproof-t1', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date() }] });

    await expect(deploySandbox(options())).rejects.toMatchObject({
      code: 'already-exists',
      message: 'stack skillproof-t1 already exists in account 111122223333 (eu-west-1) (CREATE_COMPLETE): destroy it first (skillproof sandbox destroy --attempt t1 --account 111122223333) or use another attempt id',
    });
    expect(aws.calls()).toEqual(['AssumeRole', 'CreateStack', 'DescribeStacks']);
  });

  it('refuses an account outside the pool before calling AWS', async () => {
    await expect(deploySandbox(options({ accountId: '999999999999' }))).rejects.toMatchObject({
      code: 'account-not-in-pool',
      message: 'account 999999999999 is not in the sandbox account pool (111122223333, 444455556666); sandboxes are only deployed into pool accounts',
    });
    await expect(deploySandbox(options({ pool: [] }))).rejects.toMatchObject({ code: 'no-pool' });
    expect(aws.calls()).toEqual([]);
  });

  it('says which role it could not assume', async () => {
    aws.sts.on(AssumeRoleCommand).rejects(awsError('AccessDenied', 'User: arn:aws:iam::999988887777:user/ci is not authorized to perform: sts:AssumeRole'));
    await expect(deploySandbox(options())).rejects.toMatchObject({ code: 'access-denied', message: expect.stringContaining(`cannot assume ${ADMIN_ROLE}`) });
  });

  it('refuses a template too large for CreateStack and a freeze time in the past', async () => {
    await expect(deploySandbox(options({ template: { big: 'x'.repeat(52_000) } }))).rejects.toMatchObject({ code: 'bad-input', message: expect.stringMatching(/over the 51200/) });
    await expect(deploySandbox(options({ freezeAt: new Date(NOW - 1) }))).rejects.toMatchObject({ code: 'bad-input', message: expect.stringMatching(/in the past/) });
    expect(aws.calls()).toEqual([]);
  });

  it('gives up after the timeout, leaving the stack to be inspected', async () => {
    aws.sts.on(AssumeRoleCommand).resolves(credentials('ADMIN'));
    aws.cfn.on(CreateStackCommand).resolves({ StackId: STACK_ID });
    aws.cfn.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
    aws.cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'skillproof-t1', StackStatus: 'CREATE_IN_PROGRESS', CreationTime: new Date() }] });
    let clock = NOW;
    await expect(deploySandbox(options({ timeoutMs: 60_000, now: () => clock, sleep: async () => void (clock += 30_000) }))).rejects.toMatchObject({ code: 'timeout' });
    expect(aws.cfn.commandCalls(DescribeStacksCommand)).toHaveLength(3);
  });

  describe('account quotas', () => {
    // As the catalog declares it for serverless-safe-deploy.
    const accountQuotas = loadCatalog().get('serverless-safe-deploy').task.blueprint.accountQuotas!;
    /** GetServiceQuota as Service Quotas answers it for Lambda's concurrency quota. */
    const concurrencyQuota = (Value: number) => ({
      Quota: {
        ServiceCode: 'lambda',
        ServiceName: 'AWS Lambda',
        QuotaArn: `arn:aws:servicequotas:${REGION}:${ACCOUNT}:lambda/L-B99A9384`,
        QuotaCode: 'L-B99A9384',
        QuotaName: 'Concurrent executions',
        Value,
        Unit: 'None',
        Adjustable: true,
        GlobalQuota: false,
      },
    });
    const created = () => {
      aws.cfn.on(CreateStackCommand).resolves({ StackId: STACK_ID });
      aws.cfn.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
      aws.cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'skillproof-t1', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: asList(SAMPLE_OUTPUTS) }] });
    };

    it('refuses an account whose Lambda concurrency quota is too low, before creating anything, naming the quota, its value and how to raise it', async () => {
      aws.sts.on(AssumeRoleCommand).resolves(credentials('ADMIN'));
      aws.quotas.on(GetServiceQuotaCommand).resolves(concurrencyQuota(10));

      const error = await deploySandbox(options({ accountQuotas })).catch((e: unknown) => e);
      expect(error).toMatchObject({
        name: 'SandboxError',
        code: 'quota-too-low',
        message:
          'account 111122223333 (eu-west-1) cannot host this sandbox: lambda "Concurrent executions" (L-B99A9384) is 10, below the 110 needed for reserved concurrency for pricing-service: Lambda keeps 100 unreserved, so a lower quota refuses every reservation. ' +
          'Raise it in that account: aws service-quotas request-service-quota-increase --service-code lambda --quota-code L-B99A9384 --desired-value 110 --region eu-west-1. Or deploy to another pool account.',
      });
      expect(aws.calls()).toEqual(['AssumeRole', 'GetServiceQuota']);
      expect(aws.quotas.commandCalls(GetServiceQuotaCommand)[0]!.args[0].input).toEqual({ ServiceCode: 'lambda', QuotaCode: 'L-B99A9384' });
    });

    it('deploys into an account whose quota is high enough', async () => {
      aws.sts.on(AssumeRoleCommand).resolves(credentials('ADMIN'));
      aws.quotas.on(GetServiceQuotaCommand).resolves(concurrencyQuota(1000));
      created();
      await deploySandbox(options({ accountQuotas }));
      expect(aws.calls().slice(0, 3)).toEqual(['AssumeRole', 'GetServiceQuota', 'CreateStack']);
    });

    it("reads Lambda's own account settings when Service Quotas has no applied value", async () => {
      aws.sts.on(AssumeRoleCommand).resolves(credentials('ADMIN'));
      aws.quotas.on(GetServiceQuotaCommand).rejects(awsError('NoSuchResourceException', 'The request failed because the specified resource does not exist.'));
      aws.lambda.on(GetAccountSettingsCommand).resolves({ AccountLimit: { ConcurrentExecutions: 50, UnreservedConcurrentExecutions: 50 }, AccountUsage: { FunctionCount: 0 } });
      await expect(deploySandbox(options({ accountQuotas }))).rejects.toMatchObject({ code: 'quota-too-low', message: expect.stringContaining('(L-B99A9384) is 50, below the 110') });
      expect(aws.calls()).toEqual(['AssumeRole', 'GetServiceQuota', 'GetAccountSettings']);
    });

    it('stops, saying so, when it cannot read a quota', async () => {
      aws.sts.on(AssumeRoleCommand).resolves(credentials('ADMIN'));
      aws.quotas.on(GetServiceQuotaCommand).rejects(awsError('AccessDeniedException', 'User is not authorized to perform servicequotas:GetServiceQuota'));
      await expect(deploySandbox(options({ accountQuotas }))).rejects.toMatchObject({
        code: 'failed',
        message: expect.stringMatching(/^could not read the quota lambda "Concurrent executions" \(L-B99A9384\) of account 111122223333 \(eu-west-1\) from Service Quotas: AccessDeniedException/),
      });
      expect(aws.cfn.commandCalls(CreateStackCommand)).toHaveLength(0);
    });

    it('reads no quota for tasks that declare none', async () => {
      aws.sts.on(AssumeRoleCommand).resolves(credentials('ADMIN'));
      created();
      await deploySandbox(options({ accountQuotas: [] }));
      expect(aws.quotas.calls()).toHaveLength(0);
    });
  });
});
