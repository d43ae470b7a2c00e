import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetServiceQuotaCommand, type GetServiceQuotaCommandOutput } from '@aws-sdk/client-service-quotas';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { sandboxFreeze, serviceQuotaReader } from '../../src/pool/aws-effects';
import { ACCOUNT, ADMIN_ROLE, awsError, credentials, mockAws, REGION } from '../sandbox/aws-mocks';
import { LAMBDA_CONCURRENCY } from './support/pool-fixtures';

const aws = mockAws();
afterAll(() => aws.restore());
beforeEach(() => aws.reset());

const concurrency = (Value: number): GetServiceQuotaCommandOutput => ({
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
  $metadata: {},
});

describe("the pool's effects on real accounts", () => {
  it("reads a lease's quotas in the account, as its administration role", async () => {
    aws.sts.on(AssumeRoleCommand).resolves(credentials('ADMIN'));
    aws.quotas.on(GetServiceQuotaCommand).resolves(concurrency(10));
    const readings = await serviceQuotaReader()({ accountId: ACCOUNT, region: REGION }, [LAMBDA_CONCURRENCY]);
    expect(readings).toEqual([{ quota: LAMBDA_CONCURRENCY, value: 10, source: 'service-quotas' }]);
    expect(aws.calls()).toEqual(['AssumeRole', 'GetServiceQuota']);
    expect(aws.sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input).toMatchObject({ RoleArn: ADMIN_ROLE, RoleSessionName: 'skillproof-pool-quotas' });
  });

  it('freezing an account whose sandbox was never deployed (or is gone) has nobody to freeze out', async () => {
    aws.sts.on(AssumeRoleCommand).resolves(credentials('ADMIN'));
    aws.cfn.on(DescribeStacksCommand).rejects(awsError('ValidationError', 'Stack with id skillproof-att-1 does not exist'));
    await expect(sandboxFreeze()({ accountId: ACCOUNT, attemptId: 'att-1', leaseId: 'lse-1', region: REGION })).resolves.toBeUndefined();
  });

  it('a freeze refused by AWS is an error (the pool keeps the request and retries)', async () => {
    aws.sts.on(AssumeRoleCommand).rejects(awsError('AccessDenied', 'not authorized to perform sts:AssumeRole'));
    await expect(sandboxFreeze()({ accountId: ACCOUNT, attemptId: 'att-1', leaseId: 'lse-1', region: REGION })).rejects.toThrow(/cannot assume/);
  });
});
