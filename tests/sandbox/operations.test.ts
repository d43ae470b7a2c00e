import { DeleteStackCommand, DescribeStackEventsCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { AttachRolePolicyCommand, DetachRolePolicyCommand, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { destroySandbox, freezeSandbox } from '../../src/sandbox/operations';
import { ACCOUNT, awsError, credentials, event, fast, mockAws, REGION, STACK_ID } from './aws-mocks';
import { asList, SAMPLE_OUTPUTS } from './sample-outputs';

const aws = mockAws();
afterAll(() => aws.restore());
beforeEach(() => {
  aws.reset();
  aws.sts.on(AssumeRoleCommand).resolves(credentials('ADMIN'));
});

const target = { attemptId: 't1', accountId: ACCOUNT, region: REGION, pool: [ACCOUNT] };
const FREEZE_ARN = `arn:aws:iam::${ACCOUNT}:policy/skillproof/skillproof-t1-freeze`;
const deployed = { StackName: 'skillproof-t1', StackId: STACK_ID, StackStatus: 'CREATE_COMPLETE' as const, CreationTime: new Date(), Outputs: asList(SAMPLE_OUTPUTS) };
const notFound = awsError('ValidationError', 'Stack with id skillproof-t1 does not exist');

describe('destroySandbox', () => {
  it('detaches the freeze policy, deletes the stack and waits for DELETE_COMPLETE', async () => {
    const before = event('skillproof-t1', 'CREATE_COMPLETE', undefined, 'AWS::CloudFormation::Stack');
    const deleting = event('skillproof-t1', 'DELETE_IN_PROGRESS', 'User Initiated', 'AWS::CloudFormation::Stack');
    const deleted = event('skillproof-t1', 'DELETE_COMPLETE', undefined, 'AWS::CloudFormation::Stack');
    aws.cfn
      .on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [deployed] })
      .resolves({ Stacks: [{ ...deployed, StackStatus: 'DELETE_COMPLETE' }] });
    aws.cfn.on(DescribeStackEventsCommand).resolvesOnce({ StackEvents: [before] }).resolves({ StackEvents: [deleted, deleting, before] });
    aws.cfn.on(DeleteStackCommand).resolves({});
    aws.iam.on(DetachRolePolicyCommand).resolves({});
    const progress: string[] = [];

    const result = await destroySandbox({ ...target, ...fast, onProgress: (p) => progress.push(p.status) });

    expect(aws.calls()).toEqual(['AssumeRole', 'DescribeStacks', 'DetachRolePolicy', 'DescribeStackEvents', 'DeleteStack', 'DescribeStackEvents', 'DescribeStacks']);
    expect(aws.iam.commandCalls(DetachRolePolicyCommand)[0]!.args[0].input).toEqual({ RoleName: 'skillproof-t1-candidate', PolicyArn: FREEZE_ARN });
    expect(aws.cfn.commandCalls(DeleteStackCommand)[0]!.args[0].input).toEqual({ StackName: STACK_ID });
    expect(progress).toEqual(['DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
    expect(result).toEqual({ stackId: STACK_ID, stackName: 'skillproof-t1', status: 'DELETE_COMPLETE' });
  });

  it('goes on when the freeze policy was never attached', async () => {
    aws.cfn.on(DescribeStacksCommand).resolvesOnce({ Stacks: [deployed] }).resolves({ Stacks: [{ ...deployed, StackStatus: 'DELETE_COMPLETE' }] });
    aws.cfn.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
    aws.iam.on(DetachRolePolicyCommand).rejects(awsError('NoSuchEntityException', 'Policy is not attached to role'));
    await expect(destroySandbox({ ...target, ...fast })).resolves.toMatchObject({ status: 'DELETE_COMPLETE' });
  });

  it('reports resources that would not delete', async () => {
    aws.cfn.on(DescribeStacksCommand).resolvesOnce({ Stacks: [deployed] }).resolves({ Stacks: [{ ...deployed, StackStatus: 'DELETE_FAILED' }] });
    aws.cfn
      .on(DescribeStackEventsCommand)
      .resolvesOnce({ StackEvents: [] })
      .resolves({ StackEvents: [event('SeedsBucketcatalog', 'DELETE_FAILED', 'The bucket you tried to delete is not empty', 'AWS::S3::Bucket')] });
    aws.iam.on(DetachRolePolicyCommand).resolves({});
    await expect(destroySandbox({ ...target, ...fast })).rejects.toMatchObject({
      code: 'failed',
      message: expect.stringContaining('did not delete (DELETE_FAILED): SeedsBucketcatalog (AWS::S3::Bucket): The bucket you tried to delete is not empty'),
    });
  });

  it('says so when there is no sandbox for the attempt', async () => {
    aws.cfn.on(DescribeStacksCommand).rejects(notFound);
    await expect(destroySandbox({ ...target, ...fast })).rejects.toMatchObject({
      code: 'not-found',
      message: `no sandbox for attempt t1 in account ${ACCOUNT} (${REGION}): stack skillproof-t1 does not exist`,
    });
  });

  it('refuses an account outside the pool before calling AWS', async () => {
    await expect(destroySandbox({ ...target, accountId: '999999999999' })).rejects.toMatchObject({ code: 'account-not-in-pool' });
    expect(aws.calls()).toEqual([]);
  });
});

describe('freezeSandbox', () => {
  it('attaches the deny-all policy to the candidate role and checks that IAM lists it', async () => {
    aws.cfn.on(DescribeStacksCommand).resolves({ Stacks: [deployed] });
    aws.iam
      .on(ListAttachedRolePoliciesCommand)
      .resolvesOnce({ AttachedPolicies: [] })
      .resolves({ AttachedPolicies: [{ PolicyName: 'skillproof-t1-freeze', PolicyArn: FREEZE_ARN }] });
    aws.iam.on(AttachRolePolicyCommand).resolves({});

    await expect(freezeSandbox(target)).resolves.toEqual({ roleName: 'skillproof-t1-candidate', freezePolicyArn: FREEZE_ARN, alreadyFrozen: false });
    expect(aws.calls()).toEqual(['AssumeRole', 'DescribeStacks', 'ListAttachedRolePolicies', 'AttachRolePolicy', 'ListAttachedRolePolicies']);
    expect(aws.iam.commandCalls(AttachRolePolicyCommand)[0]!.args[0].input).toEqual({ RoleName: 'skillproof-t1-candidate', PolicyArn: FREEZE_ARN });
  });

  it('does nothing to a sandbox that is frozen already (expiry or budget got there first)', async () => {
    aws.cfn.on(DescribeStacksCommand).resolves({ Stacks: [deployed] });
    aws.iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: FREEZE_ARN }] });
    await expect(freezeSandbox(target)).resolves.toMatchObject({ alreadyFrozen: true });
    expect(aws.iam.commandCalls(AttachRolePolicyCommand)).toHaveLength(0);
  });
});
