import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStackCommand, DescribeStackEventsCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetServiceQuotaCommand } from '@aws-sdk/client-service-quotas';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { Command } from 'commander';
import { CliError, type CliIo } from '../../src/cli/io';
import { register } from '../../src/cli/sandbox';
import { ACCOUNT, credentials, event, mockAws, STACK_ID } from './aws-mocks';
import { asList, SAMPLE_OUTPUTS } from './sample-outputs';

const aws = mockAws();
afterAll(() => aws.restore());
beforeEach(() => aws.reset());

async function run(...argv: string[]): Promise<{ out: string; err: string; error?: CliError }> {
  return runWith({ interactive: false }, ...argv);
}

/** `interactive`: stderr is a terminal, so long operations show progress there. */
async function runWith(tty: { interactive: boolean }, ...argv: string[]): Promise<{ out: string; err: string; error?: CliError }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`), errRaw: (t) => void (err += t), setExitCode: () => undefined, ...tty };
  const program = new Command('skillproof').exitOverride();
  register(program, io);
  try {
    await program.parseAsync(['sandbox', ...argv], { from: 'user' });
    return { out, err };
  } catch (e) {
    if (e instanceof CliError) return { out, err, error: e };
    throw e;
  }
}

describe('skillproof sandbox', () => {
  it('loads neither the CDK nor the AWS SDK until a command runs (so --help stays fast)', () => {
    const loaded = execFileSync(
      process.execPath,
      ['-e', "require('tsx/cjs/api').register(); require('./src/cli/sandbox.ts'); console.log(Object.keys(require.cache).filter((k) => /aws-cdk-lib|@aws-sdk/.test(k)).length)"],
      { cwd: join(__dirname, '..', '..'), encoding: 'utf8' },
    );
    expect(loaded.trim()).toBe('0');
  });

  it('synth writes the template of a catalog task', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skillproof-cli-'));
    try {
      const { out, error } = await run('synth', 'serverless-orders-api', '--attempt', 't1', '--out', dir, '--external-id', 'ext-42', '--json');
      expect(error).toBeUndefined();
      const summary = JSON.parse(out) as { template: string; externalId: string; stackName: string };
      expect(summary).toMatchObject({ stackName: 'skillproof-t1', externalId: 'ext-42', template: join(dir, 'skillproof-t1.template.json') });
      expect(JSON.parse(readFileSync(summary.template, 'utf8'))).toHaveProperty('Resources');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('deploy creates the stack and prints how to grade it, with progress on stderr when it is a terminal', async () => {
    aws.sts.on(AssumeRoleCommand).resolves(credentials('ADMIN'));
    aws.cfn.on(CreateStackCommand).resolves({ StackId: STACK_ID });
    aws.cfn.on(DescribeStackEventsCommand).resolves({ StackEvents: [event('skillproof-t1', 'CREATE_COMPLETE', undefined, 'AWS::CloudFormation::Stack')] });
    aws.cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'skillproof-t1', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: asList(SAMPLE_OUTPUTS) }] });

    const { out, err, error } = await runWith({ interactive: true }, 'deploy', 'serverless-orders-api', '--attempt', 't1', '--account', ACCOUNT, '--region', 'eu-west-1', '--pool', ACCOUNT, '--external-id', 'ext-42');

    expect(error).toBeUndefined();
    expect(err).toContain('synthesising the sandbox of serverless-orders-api with the CDK');
    expect(err).toMatch(/CREATE_COMPLETE\s+AWS::CloudFormation::Stack\s+skillproof-t1/);
    expect(out).toContain(`grade with:     skillproof grade serverless-orders-api --role-arn ${SAMPLE_OUTPUTS.GraderRoleArn} --external-id ext-42 --account ${ACCOUNT}`);
    const template = JSON.parse(aws.cfn.commandCalls(CreateStackCommand)[0]!.args[0].input.TemplateBody!) as { Resources: object };
    expect(JSON.stringify(template)).toContain('skillproof-t1-candidate');
  });

  it('deploy keeps stderr quiet when it is not a terminal, and with --json', async () => {
    aws.sts.on(AssumeRoleCommand).resolves(credentials('ADMIN'));
    aws.cfn.on(CreateStackCommand).resolves({ StackId: STACK_ID });
    aws.cfn.on(DescribeStackEventsCommand).resolves({ StackEvents: [event('skillproof-t1', 'CREATE_COMPLETE', undefined, 'AWS::CloudFormation::Stack')] });
    aws.cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'skillproof-t1', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: asList(SAMPLE_OUTPUTS) }] });
    const args = ['deploy', 'serverless-orders-api', '--attempt', 't1', '--account', ACCOUNT, '--region', 'eu-west-1', '--pool', ACCOUNT, '--external-id', 'ext-42'];

    const piped = await run(...args);
    expect(piped).toMatchObject({ err: '', out: expect.stringContaining('grade with:') });
    const json = await runWith({ interactive: true }, ...args, '--json');
    expect(json.err).toBe('');
    expect(JSON.parse(json.out)).toMatchObject({ stackName: 'skillproof-t1' });
  });

  it("deploy of an assessment checks the quotas its tasks declare, and refuses a low one with exit 1", async () => {
    aws.sts.on(AssumeRoleCommand).resolves(credentials('ADMIN'));
    aws.quotas.on(GetServiceQuotaCommand).resolves({ Quota: { ServiceCode: 'lambda', QuotaCode: 'L-B99A9384', QuotaName: 'Concurrent executions', Value: 10 } });

    const { error } = await run('deploy', 'aws-serverless', '--attempt', 't1', '--account', ACCOUNT, '--region', 'eu-west-1', '--pool', ACCOUNT);

    expect(error).toMatchObject({ exitCode: 1, message: expect.stringMatching(/^account 111122223333 \(eu-west-1\) cannot host this sandbox: lambda "Concurrent executions" \(L-B99A9384\) is 10, below the 110 needed/) });
    expect(aws.calls()).toEqual(['AssumeRole', 'GetServiceQuota']);
  });

  it('turns bad input into usage errors (exit 2) and AWS trouble into failures (exit 1)', async () => {
    expect((await run('synth', 'serverless-orders-api', '--attempt', 'Bad_Id')).error).toMatchObject({ exitCode: 2, message: expect.stringMatching(/cannot name a sandbox/) });
    expect((await run('synth', 'no-such-task', '--attempt', 't1')).error).toMatchObject({ exitCode: 2, message: expect.stringMatching(/no task "no-such-task"/) });
    const outside = await run('deploy', 'serverless-orders-api', '--attempt', 't1', '--account', '999999999999', '--region', 'eu-west-1', '--pool', ACCOUNT);
    expect(outside.error).toMatchObject({ exitCode: 2, message: expect.stringMatching(/not in the sandbox account pool/) });
    aws.sts.on(AssumeRoleCommand).resolves(credentials('ADMIN'));
    aws.cfn.on(DescribeStacksCommand).resolves({ Stacks: [] });
    const missing = await run('freeze', '--attempt', 't1', '--account', ACCOUNT, '--region', 'eu-west-1', '--pool', ACCOUNT);
    expect(missing.error).toMatchObject({ exitCode: 1, message: expect.stringMatching(/no sandbox for attempt t1/) });
    expect(aws.calls()).toEqual(['AssumeRole', 'DescribeStacks']);
  });
});
