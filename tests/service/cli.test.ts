import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type DeleteStackCommandOutput,
  type DescribeStackEventsCommandOutput,
  type DescribeStacksCommandOutput,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import type { CliIo } from '../../src/cli/io';
import { main } from '../../src/cli/main';
import { setSpawn } from '../../src/cli/service';
import { deployCommands } from '../../src/service/deploy';

const POOL = '444455556666,777788889999';
let dir: string;
let prebuilt: string;
let savedPath: string | undefined;

/** The CLI with captured output (`skillproof service …`). */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  let exit: number | undefined;
  const io: CliIo = { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`), setExitCode: (c) => void (exit = c) };
  const code = await main(['service', ...argv], io);
  return { code: exit ?? code, out, err };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'skillproof-service-cli-'));
  // Prebuilt bundles: the real esbuild bundling takes minutes for the lifecycle function (it carries aws-cdk-lib).
  prebuilt = join(dir, 'prebuilt');
  for (const entry of ['api', 'lifecycle', 'worker']) {
    mkdirSync(join(prebuilt, entry), { recursive: true });
    writeFileSync(join(prebuilt, entry, 'index.js'), `exports.handler = async () => '${entry}';\n`);
  }
  savedPath = process.env.PATH;
});
afterAll(() => {
  process.env.PATH = savedPath;
  setSpawn(undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('skillproof service synth', () => {
  it('writes the cloud assembly: template, one asset per function, manifest', async () => {
    const out = join(dir, 'assembly');
    const r = await cli('synth', '--pool', POOL, '--out', out, '--prebuilt', prebuilt, '--stack-name', 'sp-test', '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out) as { stackName: string; templatePath: string; assets: string[]; assemblyDir: string };
    expect(result).toMatchObject({ stackName: 'sp-test', assemblyDir: out, templatePath: join(out, 'sp-test.template.json') });
    expect(result.assets).toHaveLength(3);
    expect(existsSync(join(out, 'manifest.json'))).toBe(true);
    const template = JSON.parse(readFileSync(result.templatePath, 'utf8')) as { Parameters: Record<string, unknown>; Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: unknown } } }> };
    // Assets go through the bootstrap bucket: the reason deploy needs `cdk bootstrap`.
    expect(template.Parameters).toHaveProperty('BootstrapVersion');
    const functions = Object.values(template.Resources).filter((x) => x.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(3);
    for (const fn of functions) expect(fn.Properties.Code?.S3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
  });

  it('refuses to synthesise without a sandbox pool (exit 2), and names where to give it', async () => {
    delete process.env.SKILLPROOF_SANDBOX_POOL;
    const r = await cli('synth', '--out', join(dir, 'none'), '--prebuilt', prebuilt);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--pool ID,ID or SKILLPROOF_SANDBOX_POOL/);
  });

  it('refuses prebuilt bundles that lack a function (exit 2)', async () => {
    const partial = join(dir, 'partial');
    mkdirSync(join(partial, 'api'), { recursive: true });
    writeFileSync(join(partial, 'api', 'index.js'), 'exports.handler = async () => 1;\n');
    const r = await cli('synth', '--pool', POOL, '--out', join(dir, 'partial-out'), '--prebuilt', partial);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/lacks lifecycle\/index\.js, worker\/index\.js/);
  });
});

describe('skillproof service deploy', () => {
  it('without the CDK CLI, prints the bootstrap and deploy commands and exits 1 (nothing deployed)', async () => {
    process.env.PATH = join(dir, 'empty-path');
    const out = join(dir, 'deploy-no-cdk');
    const r = await cli('deploy', '--pool', POOL, '--out', out, '--prebuilt', prebuilt, '--account', '111122223333', '--region', 'eu-west-1');
    expect(r.code).toBe(1);
    expect(r.out.trim().split('\n')).toEqual([`npx aws-cdk@2 bootstrap aws://111122223333/eu-west-1`, `npx aws-cdk@2 deploy --app ${out} skillproof-service`]);
    expect(r.err).toMatch(/not installed here, so SkillProof did not deploy/);
    expect(r.err).toMatch(/cdk bootstrap` is needed once per account and region/);
  });

  it('with the CDK CLI on PATH, runs cdk deploy on the synthesised assembly', async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'cdk'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(bin, 'cdk'), 0o755);
    process.env.PATH = bin;
    const calls: Array<[string, string[]]> = [];
    setSpawn(async (command, args) => {
      calls.push([command, args]);
      return 0;
    });
    const out = join(dir, 'deploy-cdk');
    const r = await cli('deploy', '--pool', POOL, '--out', out, '--prebuilt', prebuilt, '--json');
    expect(r.code).toBe(0);
    expect(calls).toEqual([[join(bin, 'cdk'), ['deploy', '--app', out, 'skillproof-service']]]);
    expect(JSON.parse(r.out)).toMatchObject({ deployed: true, exitCode: 0, stackName: 'skillproof-service' });
  });

  it('reports a failed cdk deploy with exit 1 and the bootstrap hint', async () => {
    setSpawn(async () => 1);
    const r = await cli('deploy', '--pool', POOL, '--out', join(dir, 'deploy-fail'), '--prebuilt', prebuilt);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cdk deploy exited with 1; if it says the environment is not bootstrapped, run cdk bootstrap first/);
  });

  it('quotes an assembly path with spaces in the printed command', () => {
    expect(deployCommands({ assemblyDir: '/tmp/my dir', stackName: 's' })[1]).toBe("npx aws-cdk@2 deploy --app '/tmp/my dir' s");
  });
});

describe('skillproof service destroy', () => {
  const cfn = mockClient(CloudFormationClient);
  const stackId = 'arn:aws:cloudformation:eu-west-1:111122223333:stack/skillproof-service/6a1b2c3d-0000-4000-8000-000000000001';
  afterAll(() => cfn.restore());
  beforeEach(() => cfn.reset());

  it('deletes the stack, waits for DELETE_COMPLETE, and names what is retained', async () => {
    const stack = (status: 'CREATE_COMPLETE' | 'DELETE_COMPLETE'): DescribeStacksCommandOutput => ({
      $metadata: {},
      Stacks: [{ StackId: stackId, StackName: 'skillproof-service', StackStatus: status, CreationTime: new Date('2026-03-01T00:00:00Z') }],
    });
    cfn.on(DescribeStacksCommand).resolvesOnce(stack('CREATE_COMPLETE')).resolves(stack('DELETE_COMPLETE'));
    const event = (id: string, status: string): NonNullable<DescribeStackEventsCommandOutput['StackEvents']>[number] => ({
      StackId: stackId,
      EventId: id,
      StackName: 'skillproof-service',
      LogicalResourceId: 'skillproof-service',
      ResourceType: 'AWS::CloudFormation::Stack',
      ResourceStatus: status as 'DELETE_COMPLETE',
      Timestamp: new Date('2026-03-13T09:00:00Z'),
    });
    cfn.on(DescribeStackEventsCommand)
      .resolvesOnce({ $metadata: {}, StackEvents: [event('e1', 'CREATE_COMPLETE')] })
      .resolves({ $metadata: {}, StackEvents: [event('e2', 'DELETE_COMPLETE'), event('e1', 'CREATE_COMPLETE')] });
    cfn.on(DeleteStackCommand).resolves({ $metadata: {} } satisfies DeleteStackCommandOutput);
    const r = await cli('destroy', '--region', 'eu-west-1', '--json');
    expect(r.code).toBe(0);
    expect(cfn.commandCalls(DeleteStackCommand)[0]!.args[0].input).toEqual({ StackName: stackId });
    expect(JSON.parse(r.out)).toEqual({ stackName: 'skillproof-service', stackId, status: 'DELETE_COMPLETE', retained: ['the DynamoDB table (deletion protection on)', 'the evidence bucket', 'the access-log bucket'] });
  });

  it('says there is nothing to destroy when the stack does not exist (exit 1)', async () => {
    cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack with id skillproof-service does not exist'), { name: 'ValidationError' }));
    const r = await cli('destroy', '--region', 'eu-west-1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no stack skillproof-service in eu-west-1: nothing to destroy/);
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });
});
