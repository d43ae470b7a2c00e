import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { sandboxAccess, type AccessOptions } from '../../src/sandbox/access';
import { ACCOUNT, ADMIN_ROLE, awsError, credentials, mockAws, REGION, STACK_ID } from './aws-mocks';
import { asList, SAMPLE_OUTPUTS } from './sample-outputs';

const aws = mockAws();
afterAll(() => aws.restore());

const CANDIDATE_ROLE = SAMPLE_OUTPUTS.CandidateRoleArn;
const NOW = Date.parse('2030-01-01T10:30:00Z'); // 90 minutes before ExpiresAt
const HUB = 'arn:aws:iam::999988887777:role/skillproof-hub';
const stack = (outputs: Record<string, string> = {}) => ({
  Stacks: [{ StackName: 'skillproof-t1', StackId: STACK_ID, StackStatus: 'CREATE_COMPLETE' as const, CreationTime: new Date(), Outputs: asList({ ...SAMPLE_OUTPUTS, ...outputs }) }],
});

let federation: string[];
const fakeFetch = (async (url: string) => {
  federation.push(url);
  return { ok: true, status: 200, json: async () => ({ SigninToken: 'TOKEN123' }) };
}) as unknown as typeof fetch;

const options = (overrides: Partial<AccessOptions> = {}): AccessOptions => ({ attemptId: 't1', accountId: ACCOUNT, region: REGION, pool: [ACCOUNT], now: () => NOW, fetch: fakeFetch, ...overrides });

beforeEach(() => {
  aws.reset();
  federation = [];
  aws.sts.on(AssumeRoleCommand, { RoleArn: ADMIN_ROLE }).resolves(credentials('ADMIN'));
  aws.sts.on(AssumeRoleCommand, { RoleArn: CANDIDATE_ROLE }).resolves(credentials('CANDIDATE', new Date('2030-01-01T12:00:00Z')));
  aws.iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
});

describe('sandboxAccess', () => {
  it('gives the hub credentials for the candidate role lasting the time left, and a console sign-in URL', async () => {
    aws.cfn.on(DescribeStacksCommand).resolves(stack({ CandidatePrincipalArn: HUB }));

    const access = await sandboxAccess(options());

    expect(aws.calls()).toEqual(['AssumeRole', 'DescribeStacks', 'ListAttachedRolePolicies', 'AssumeRole']);
    const candidateCall = aws.sts.commandCalls(AssumeRoleCommand, { RoleArn: CANDIDATE_ROLE })[0]!;
    expect(candidateCall.args[0].input).toEqual({ RoleArn: CANDIDATE_ROLE, RoleSessionName: 'candidate-t1', DurationSeconds: 5400 });
    expect(access).toMatchObject({ accountId: ACCOUNT, roleArn: CANDIDATE_ROLE, cappedByRoleChaining: false, credentials: { accessKeyId: 'CANDIDATE', sessionToken: 'CANDIDATE-token' } });

    const tokenRequest = new URL(federation[0]!);
    expect(tokenRequest.origin + tokenRequest.pathname).toBe('https://signin.aws.amazon.com/federation');
    expect(tokenRequest.searchParams.get('Action')).toBe('getSigninToken');
    expect(JSON.parse(tokenRequest.searchParams.get('Session')!)).toEqual({ sessionId: 'CANDIDATE', sessionKey: 'CANDIDATE-secret', sessionToken: 'CANDIDATE-token' });
    expect(tokenRequest.searchParams.get('SessionDuration')).toBe('5400');
    const login = new URL(access.consoleUrl!);
    expect(Object.fromEntries(login.searchParams)).toEqual({
      Action: 'login',
      Issuer: 'skillproof',
      Destination: 'https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1',
      SigninToken: 'TOKEN123',
    });
  });

  it('enters a sandbox that trusts its own account through the admin session, for at most an hour', async () => {
    aws.cfn.on(DescribeStacksCommand).resolves(stack());
    const access = await sandboxAccess(options());
    const candidateCall = aws.sts.commandCalls(AssumeRoleCommand, { RoleArn: CANDIDATE_ROLE })[0]!;
    expect(candidateCall.args[0].input.DurationSeconds).toBe(3600);
    expect(await (candidateCall.thisValue as STSClient).config.credentials()).toMatchObject({ accessKeyId: 'ADMIN' });
    expect(access.cappedByRoleChaining).toBe(true);
    expect(new URL(federation[0]!).searchParams.has('SessionDuration')).toBe(false);
  });

  it('falls back to one hour when the hub itself is a role session (role chaining)', async () => {
    aws.cfn.on(DescribeStacksCommand).resolves(stack({ CandidatePrincipalArn: HUB }));
    aws.sts
      .on(AssumeRoleCommand, { RoleArn: CANDIDATE_ROLE, DurationSeconds: 5400 })
      .rejects(awsError('ValidationError', 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.'));
    const access = await sandboxAccess(options());
    expect(aws.sts.commandCalls(AssumeRoleCommand, { RoleArn: CANDIDATE_ROLE }).map((c) => c.args[0].input.DurationSeconds)).toEqual([5400, 3600]);
    expect(access.cappedByRoleChaining).toBe(true);
  });

  it('finds the sandbox in the pool when no account is given', async () => {
    aws.sts.on(AssumeRoleCommand, { RoleArn: 'arn:aws:iam::444455556666:role/OrganizationAccountAccessRole' }).resolves(credentials('OTHER'));
    aws.cfn
      .on(DescribeStacksCommand)
      .rejectsOnce(awsError('ValidationError', 'Stack with id skillproof-t1 does not exist'))
      .resolves(stack({ CandidatePrincipalArn: HUB }));
    const access = await sandboxAccess(options({ accountId: undefined, pool: ['444455556666', ACCOUNT], console: false }));
    expect(access.accountId).toBe(ACCOUNT);
    expect(access.consoleUrl).toBeUndefined();
    expect(federation).toEqual([]);
  });

  it('refuses a sandbox that has expired or is frozen', async () => {
    aws.cfn.on(DescribeStacksCommand).resolves(stack());
    await expect(sandboxAccess(options({ now: () => Date.parse('2030-01-01T12:00:01Z') }))).rejects.toMatchObject({ code: 'expired' });
    aws.iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: SAMPLE_OUTPUTS.FreezePolicyArn }] });
    await expect(sandboxAccess(options())).rejects.toMatchObject({ code: 'frozen' });
    expect(aws.sts.commandCalls(AssumeRoleCommand, { RoleArn: CANDIDATE_ROLE })).toHaveLength(0);
  });

  describe('console sign-in in each partition', () => {
    const partitions = [
      {
        partition: 'aws-cn',
        region: 'cn-northwest-1',
        endpoint: 'https://signin.amazonaws.cn/federation',
        destination: 'https://console.amazonaws.cn/console/home?region=cn-northwest-1',
      },
      {
        partition: 'aws-us-gov',
        region: 'us-gov-west-1',
        endpoint: 'https://signin.amazonaws-us-gov.com/federation',
        destination: 'https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1',
      },
      {
        partition: 'aws',
        region: 'ap-southeast-2',
        endpoint: 'https://signin.aws.amazon.com/federation',
        destination: 'https://ap-southeast-2.console.aws.amazon.com/console/home?region=ap-southeast-2',
      },
    ];

    it.each(partitions)('asks $partition\'s federation endpoint for the token and opens its console in the region', async ({ partition, region, endpoint, destination }) => {
      const candidateRole = `arn:${partition}:iam::${ACCOUNT}:role/skillproof/skillproof-t1-candidate`;
      aws.sts.on(AssumeRoleCommand, { RoleArn: `arn:${partition}:iam::${ACCOUNT}:role/OrganizationAccountAccessRole` }).resolves(credentials('ADMIN'));
      aws.sts.on(AssumeRoleCommand, { RoleArn: candidateRole }).resolves(credentials('CANDIDATE', new Date('2030-01-01T12:00:00Z')));
      aws.cfn.on(DescribeStacksCommand).resolves(stack({ Region: region, CandidateRoleArn: candidateRole, CandidatePrincipalArn: `arn:${partition}:iam::999988887777:role/skillproof-hub` }));

      const access = await sandboxAccess(options({ region }));

      expect(federation).toHaveLength(1);
      const tokenRequest = new URL(federation[0]!);
      expect(tokenRequest.origin + tokenRequest.pathname).toBe(endpoint);
      expect(Object.fromEntries(tokenRequest.searchParams)).toEqual({
        Action: 'getSigninToken',
        Session: JSON.stringify({ sessionId: 'CANDIDATE', sessionKey: 'CANDIDATE-secret', sessionToken: 'CANDIDATE-token' }),
        SessionDuration: '5400',
      });
      const login = new URL(access.consoleUrl!);
      expect(login.origin + login.pathname).toBe(endpoint);
      expect(Object.fromEntries(login.searchParams)).toEqual({ Action: 'login', Issuer: 'skillproof', Destination: destination, SigninToken: 'TOKEN123' });
      expect(new URL(login.searchParams.get('Destination')!).searchParams.get('region')).toBe(region);
    });

    it('refuses a console URL for a partition without a public console sign-in, or a region no partition has, before calling AWS', async () => {
      await expect(sandboxAccess(options({ region: 'us-iso-east-1' }))).rejects.toMatchObject({
        code: 'bad-input',
        message: expect.stringMatching(/region "us-iso-east-1", which is in partition aws-iso: console URLs are made for aws, aws-cn, aws-us-gov; run access with --no-console/),
      });
      await expect(sandboxAccess(options({ region: 'mars-north-1' }))).rejects.toMatchObject({
        code: 'bad-input',
        message: expect.stringMatching(/region "mars-north-1", which is in no AWS partition SkillProof knows/),
      });
      expect(aws.calls()).toEqual([]);
      expect(federation).toEqual([]);
    });

    it('still gives credentials in such a region when no console URL is asked for', async () => {
      const candidateRole = `arn:aws-iso:iam::${ACCOUNT}:role/skillproof/skillproof-t1-candidate`;
      aws.sts.on(AssumeRoleCommand, { RoleArn: `arn:aws-iso:iam::${ACCOUNT}:role/OrganizationAccountAccessRole` }).resolves(credentials('ADMIN'));
      aws.sts.on(AssumeRoleCommand, { RoleArn: candidateRole }).resolves(credentials('CANDIDATE'));
      aws.cfn.on(DescribeStacksCommand).resolves(stack({ Region: 'us-iso-east-1', CandidateRoleArn: candidateRole, CandidatePrincipalArn: HUB }));
      const access = await sandboxAccess(options({ region: 'us-iso-east-1', console: false }));
      expect(access.credentials.accessKeyId).toBe('CANDIDATE');
      expect(access.consoleUrl).toBeUndefined();
    });
  });

  it('refuses an account outside the pool, and a search without a pool', async () => {
    await expect(sandboxAccess(options({ accountId: '999999999999' }))).rejects.toMatchObject({ code: 'account-not-in-pool' });
    await expect(sandboxAccess(options({ accountId: undefined, pool: [] }))).rejects.toMatchObject({ code: 'no-pool' });
    expect(aws.calls()).toEqual([]);
  });
});
