import type { Command } from 'commander';
import { CliError, EXIT, printJson, type CliIo } from './io';

interface SynthOpts {
  out: string;
  pool?: string;
  stackName?: string;
  account?: string;
  region?: string;
  alarmEmail?: string[];
  publicUrl?: string;
  issuerId?: string;
  workerConcurrency?: string;
  prebuilt?: string;
  json?: boolean;
}

interface DestroyOpts {
  stackName?: string;
  region?: string;
  json?: boolean;
}

/** What a child process does; injected by tests. */
export type Spawn = (command: string, args: string[]) => Promise<number>;

const spawnInherit: Spawn = (command, args) =>
  new Promise((resolve, reject) => {
    const { spawn } = require('node:child_process') as typeof import('node:child_process');
    const child = spawn(command, args, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });

let spawnImpl: Spawn = spawnInherit;
/** Tests replace how `service deploy` runs the CDK CLI. */
export function setSpawn(spawn: Spawn | undefined): void {
  spawnImpl = spawn ?? spawnInherit;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (e) {
    if (e instanceof CliError) throw e;
    if (e instanceof Error && (e.name === 'ServiceError' || e.name === 'SandboxError')) {
      const code = (e as { code?: string }).code;
      throw new CliError(e.message, code === 'bad-input' || code === 'no-pool' ? EXIT.usage : EXIT.failed);
    }
    if (e instanceof Error && ['CredentialsProviderError', 'ExpiredToken', 'ExpiredTokenException'].includes(e.name)) {
      throw new CliError(`AWS credentials problem: ${e.message}. Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for the account that hosts the service.`, EXIT.failed);
    }
    throw e;
  }
}

function synth(opts: SynthOpts) {
  const { parsePool, POOL_ENV } = require('../sandbox/session') as typeof import('../sandbox/session');
  const pool = parsePool(opts.pool ?? process.env[POOL_ENV]);
  if (pool.length === 0) throw new CliError(`name the sandbox account pool with --pool ID,ID or ${POOL_ENV}: the service may assume roles only in those accounts`);
  let concurrency: number | undefined;
  if (opts.workerConcurrency !== undefined) {
    concurrency = Number(opts.workerConcurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) throw new CliError(`--worker-concurrency must be a whole number from 1 to 1000, got "${opts.workerConcurrency}"`);
  }
  if (opts.account !== undefined && !/^\d{12}$/.test(opts.account)) throw new CliError(`--account must be a 12-digit account id, got "${opts.account}"`);
  const { synthService } = require('../service/deploy') as typeof import('../service/deploy');
  return synthService({
    outDir: opts.out,
    poolAccountIds: pool,
    ...(opts.stackName ? { stackName: opts.stackName } : {}),
    ...(opts.account ? { account: opts.account } : {}),
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.alarmEmail ? { alarmEmails: opts.alarmEmail } : {}),
    ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}),
    ...(opts.issuerId ? { issuerId: opts.issuerId } : {}),
    ...(concurrency !== undefined ? { workerConcurrency: concurrency } : {}),
    ...(opts.prebuilt ? { prebuiltDir: opts.prebuilt } : {}),
  });
}

function addSynthOptions(command: Command): Command {
  return command
    .option('--out <dir>', 'cloud assembly directory (template, bundles, manifest)', 'cdk.out/service')
    .option('--pool <ids>', 'sandbox account pool, comma-separated (default: SKILLPROOF_SANDBOX_POOL); the only accounts whose roles the service may assume')
    .option('--stack-name <name>', 'CloudFormation stack name (default: skillproof-service)')
    .option('--account <id>', 'pin the stack to this account (default: the deploying credentials decide)')
    .option('--region <region>', 'pin the stack to this region (default: the deploying credentials decide)')
    .option('--alarm-email <address>', 'subscribe this address to the alarms topic (repeatable)', collect)
    .option('--public-url <url>', 'the address people reach the portal at, if not the API URL (a custom domain)')
    .option('--issuer-id <id>', "the credentials' issuer (did:web:<host> or an https URL; default: did:web of --public-url). Without either, credentials wait for an administrator")
    .option('--worker-concurrency <n>', 'grading functions running at once (reserved concurrency; default 10)')
    .option('--prebuilt <dir>', 'use prebuilt bundles <dir>/{api,lifecycle,worker}/index.js instead of bundling with esbuild')
    .option('--json', 'print the result as JSON');
}

/** `skillproof service synth|deploy|destroy`: SkillProof itself on AWS (docs/service.md). */
export function register(program: Command, io: CliIo): void {
  const service = program.command('service').description('SkillProof as a service on AWS (Lambda, SQS, Step Functions, DynamoDB): synthesise, deploy, destroy');

  addSynthOptions(service.command('synth').description('write the service stack (template and Lambda bundles) as a cloud assembly, offline')).action((opts: SynthOpts) =>
    run(async () => {
      const started = Date.now();
      if (!opts.json) io.err('bundling the Lambda functions with esbuild and synthesising the stack (a minute or two)…');
      const result = synth(opts);
      const summary = { ...result, synthMs: Date.now() - started };
      if (opts.json) return printJson(io, summary);
      io.out(`wrote ${result.templatePath} (stack ${result.stackName}, ${result.assets.length} function bundles, in ${summary.synthMs} ms)`);
      io.out(`deploy it with: skillproof service deploy --out ${opts.out}   (or: ${require('../service/deploy').deployCommands(result).join(' && ')})`);
    }),
  );

  addSynthOptions(service.command('deploy').description('synthesise, then deploy with the AWS CDK CLI into a bootstrapped account (cdk bootstrap: the bundles are uploaded as assets)')).action((opts: SynthOpts) =>
    run(async () => {
      const { deployCommands, findCdkCli } = require('../service/deploy') as typeof import('../service/deploy');
      if (!opts.json) io.err('bundling the Lambda functions with esbuild and synthesising the stack (a minute or two)…');
      const result = synth(opts);
      const cdk = findCdkCli();
      const target = { ...(opts.account ? { account: opts.account } : {}), ...(opts.region ? { region: opts.region } : {}) };
      if (!cdk) {
        const commands = deployCommands(result, target);
        if (opts.json) printJson(io, { deployed: false, reason: 'the AWS CDK CLI is not installed', ...result, commands });
        else {
          io.err('The AWS CDK CLI (aws-cdk) is not installed here, so SkillProof did not deploy. The assembly is ready; run, with credentials for the target account:');
          for (const command of commands) io.out(command);
          io.err('`cdk bootstrap` is needed once per account and region: the service has code assets (its Lambda bundles), which deploy through the bootstrap bucket.');
        }
        io.setExitCode(EXIT.failed);
        return;
      }
      const args = ['deploy', '--app', result.assemblyDir, result.stackName];
      io.err(`running ${cdk} ${args.join(' ')} (it asks before changing IAM; the account must be bootstrapped: ${deployCommands(result, target, 'cdk')[0]})`);
      const code = await spawnImpl(cdk, args);
      if (opts.json) printJson(io, { deployed: code === 0, exitCode: code, ...result });
      if (code !== 0) throw new CliError(`cdk deploy exited with ${code}; if it says the environment is not bootstrapped, run ${deployCommands(result, target, 'cdk')[0]} first`, EXIT.failed);
    }),
  );

  service
    .command('destroy')
    .description('delete the service stack (CloudFormation, your standard AWS credentials); the table and evidence buckets are retained')
    .option('--stack-name <name>', 'CloudFormation stack name (default: skillproof-service)')
    .option('--region <region>', 'AWS region (default: AWS_REGION or your profile)')
    .option('--json', 'print the result as JSON')
    .action((opts: DestroyOpts) =>
      run(async () => {
        const { destroyService } = require('../service/deploy') as typeof import('../service/deploy');
        const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
        if (!region) throw new CliError('no AWS region: pass --region or set AWS_REGION');
        if (!opts.json) io.err(`deleting ${opts.stackName ?? 'skillproof-service'} in ${region}; waiting for CloudFormation…`);
        const result = await destroyService({
          region,
          ...(opts.stackName ? { stackName: opts.stackName } : {}),
          onProgress: (p) => {
            if (!opts.json) io.err(`  ${p.status.padEnd(20)}  ${p.resourceType.padEnd(30)}  ${p.logicalId}`);
          },
        });
        if (opts.json) return printJson(io, result);
        io.out(`${result.stackName}: ${result.status}; retained (delete them yourself when no credential needs them): ${result.retained.join(', ')}`);
      }),
    );
}
