import type { Command } from 'commander';
import type { SandboxError } from '../sandbox/session';
import type { StackProgress } from '../sandbox/stack-watch';
import { CliError, EXIT, printJson, type CliIo } from './io';
import { startProgress } from './progress';

/** Environment defaults, so an operator sets them once rather than on every command. */
const ENV = {
  pool: 'SKILLPROOF_SANDBOX_POOL',
  graderPrincipal: 'SKILLPROOF_GRADER_PRINCIPAL',
  candidatePrincipal: 'SKILLPROOF_CANDIDATE_PRINCIPAL',
} as const;

interface TargetOpts {
  attempt: string;
  account?: string;
  region?: string;
  adminRole?: string;
  pool?: string;
  json?: boolean;
}

interface SynthOpts {
  attempt: string;
  out?: string;
  externalId?: string;
  graderPrincipal?: string;
  candidatePrincipal?: string;
  timeLimit?: string;
  budgetEmail?: string[];
  json?: boolean;
}

type DeployOpts = SynthOpts & TargetOpts;

/** Bad input is a usage error (2); anything that went wrong in AWS is a failure (1). */
const USAGE_CODES = new Set(['bad-input', 'no-pool', 'account-not-in-pool']);

function isSandboxError(e: unknown): e is SandboxError {
  return e instanceof Error && e.name === 'SandboxError';
}

/** Runs an action, turning every error a person can act on into a CliError. */
async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (e) {
    if (e instanceof CliError) throw e;
    if (isSandboxError(e)) throw new CliError(e.message, USAGE_CODES.has(e.code) ? EXIT.usage : EXIT.failed);
    if (e instanceof Error && e.name === 'DefinitionError') throw new CliError(e.message, EXIT.usage);
    if (e instanceof Error && ['CredentialsProviderError', 'ExpiredToken', 'ExpiredTokenException'].includes(e.name)) {
      throw new CliError(`AWS credentials problem: ${e.message}. Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for the account that may assume the pool's admin role.`, EXIT.failed);
    }
    throw e;
  }
}

/** --region, else the SDK's own resolution (AWS_REGION, then the profile's region). */
async function resolveRegion(region: string | undefined): Promise<string> {
  if (region) return region;
  const { STSClient } = require('@aws-sdk/client-sts') as typeof import('@aws-sdk/client-sts');
  const client = new STSClient({});
  try {
    return await client.config.region();
  } catch {
    throw new CliError('no AWS region: pass --region or set AWS_REGION (or a region in your AWS_PROFILE)');
  } finally {
    client.destroy();
  }
}

function pool(opts: TargetOpts): string[] {
  const { parsePool } = require('../sandbox/session') as typeof import('../sandbox/session');
  return parsePool(opts.pool ?? process.env[ENV.pool]);
}

function timeLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const minutes = Number(text);
  if (!Number.isInteger(minutes) || minutes < 10 || minutes > 24 * 60) throw new CliError(`--time-limit must be whole minutes between 10 and 1440, got "${text}"`);
  return minutes;
}

function synth(ids: string[], opts: SynthOpts, outDir: string | undefined, leaseStart?: Date) {
  const { synthSandbox } = require('../sandbox/synth') as typeof import('../sandbox/synth');
  return synthSandbox(ids, opts.attempt, outDir, {
    leaseStart,
    externalId: opts.externalId,
    graderPrincipalArn: opts.graderPrincipal ?? process.env[ENV.graderPrincipal],
    candidatePrincipalArn: opts.candidatePrincipal ?? process.env[ENV.candidatePrincipal],
    timeLimitMinutes: timeLimit(opts.timeLimit),
    budgetAlertEmails: opts.budgetEmail,
  });
}

function progressLine(p: StackProgress): string {
  const time = p.timestamp.toISOString().slice(11, 19);
  return `  ${time}  ${p.status.padEnd(20)}  ${p.resourceType.padEnd(30)}  ${p.logicalId}${p.reason && p.status.endsWith('FAILED') ? `  ${p.reason}` : ''}`;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function addSynthOptions(command: Command): Command {
  return command
    .requiredOption('--attempt <id>', 'attempt id (lower-case letters, digits, hyphens; names the stack skillproof-<id>)')
    .option('--external-id <id>', 'sts:ExternalId the grader must present (default: a random UUID, printed)')
    .option('--grader-principal <arn>', `principal trusted to assume GraderRole (default: ${ENV.graderPrincipal}, else the sandbox account)`)
    .option('--candidate-principal <arn>', `principal trusted to assume CandidateRole (default: ${ENV.candidatePrincipal}, else the sandbox account)`)
    .option('--time-limit <minutes>', "candidate time (default: the assessment's or the tasks' time limits)")
    .option('--budget-email <address>', 'also send the budget alert to this address (repeatable)', collect);
}

function addTargetOptions(command: Command, accountRequired: boolean): Command {
  const withAccount = accountRequired
    ? command.requiredOption('--account <id>', 'the pool account holding the sandbox')
    : command.option('--account <id>', 'the pool account holding the sandbox (default: search the pool)');
  return withAccount
    .option('--region <region>', 'AWS region (default: AWS_REGION or your profile)')
    .option('--admin-role <name>', 'role SkillProof assumes in the account (default: OrganizationAccountAccessRole)')
    .option('--pool <ids>', `account pool, comma-separated (default: ${ENV.pool})`);
}

export function register(program: Command, io: CliIo): void {
  const sandbox = program.command('sandbox').description("per-attempt AWS sandboxes: synthesise, deploy, freeze, destroy, and the candidate's access");

  addSynthOptions(sandbox.command('synth <ids...>').description("write the CloudFormation template of an attempt's sandbox (offline), for a task, an assessment, or several tasks at once"))
    .option('--out <dir>', 'directory for <stack>.template.json', 'cdk.out')
    .option('--json', 'print the result as JSON')
    .action((ids: string[], opts: SynthOpts) =>
      run(async () => {
        const started = Date.now();
        const progress = startProgress(io, opts);
        progress.status(`synthesising the sandbox of ${ids.join(', ')} with the CDK (about 10 s)…`);
        let result;
        try {
          result = synth(ids, opts, opts.out);
        } finally {
          progress.done();
        }
        const summary = { stackName: result.stackName, tasks: result.tasks, template: result.templatePath, externalId: result.externalId, timeLimitMinutes: result.timeLimitMinutes, synthMs: Date.now() - started };
        if (opts.json) return printJson(io, summary);
        io.out(`wrote ${result.templatePath} (stack ${result.stackName}, tasks ${result.tasks.join(', ')}, ${result.timeLimitMinutes} min, in ${summary.synthMs} ms)`);
        io.out(`external id: ${result.externalId}`);
      }),
    );

  addTargetOptions(addSynthOptions(sandbox.command('deploy <ids...>').description('create the sandbox stack in a pool account with one CloudFormation call, showing progress')), true)
    .option('--json', 'print the result as JSON')
    .action((ids: string[], opts: DeployOpts) =>
      run(async () => {
        const region = await resolveRegion(opts.region);
        const accountPool = pool(opts);
        const { checkPool } = require('../sandbox/session') as typeof import('../sandbox/session');
        checkPool(opts.account as string, accountPool);
        const progress = startProgress(io, opts);
        progress.status(`synthesising the sandbox of ${ids.join(', ')} with the CDK (about 10 s)…`);
        // One moment for both ends of the lease: the budget counts from it, the freeze is the time limit after it.
        const leaseStart = new Date();
        let result;
        try {
          result = synth(ids, opts, undefined, leaseStart);
        } finally {
          progress.done();
        }
        const { deploySandbox } = require('../sandbox/deploy') as typeof import('../sandbox/deploy');
        const freezeAt = new Date(leaseStart.getTime() + result.timeLimitMinutes * 60_000);
        progress.line(`deploying ${result.stackName} to account ${opts.account} (${region}); the candidate role freezes at ${freezeAt.toISOString()}`);
        progress.status('waiting for CloudFormation…');
        const deployed = await deploySandbox({
          attemptId: opts.attempt,
          accountId: opts.account as string,
          region,
          adminRoleName: opts.adminRole,
          pool: accountPool,
          template: result.template,
          accountQuotas: result.accountQuotas,
          freezeAt,
          onProgress: (p) => progress.line(progressLine(p)),
        }).finally(() => progress.done());
        const summary = { ...deployed, externalId: result.externalId, tasks: result.tasks };
        if (opts.json) return printJson(io, summary);
        io.out(`sandbox ${deployed.stackName} is ready in account ${deployed.accountId} (${deployed.region}) until ${deployed.outputs.expiresAt}`);
        io.out(`candidate role: ${deployed.outputs.candidateRoleArn} (roles they create: path ${deployed.outputs.candidateRolePath}, boundary ${deployed.outputs.candidateBoundaryArn})`);
        io.out(`grader role:    ${deployed.outputs.graderRoleArn}`);
        io.out(`external id:    ${result.externalId}`);
        io.out(`grade with:     skillproof grade ${result.tasks[0]} --role-arn ${deployed.outputs.graderRoleArn} --external-id ${result.externalId} --account ${deployed.accountId} --region ${deployed.region} --attempt ${opts.attempt}`);
      }),
    );

  addTargetOptions(sandbox.command('destroy').description("delete an attempt's sandbox stack and wait until it is gone"), true)
    .requiredOption('--attempt <id>', 'attempt id')
    .option('--json', 'print the result as JSON')
    .action((opts: TargetOpts) =>
      run(async () => {
        const region = await resolveRegion(opts.region);
        const { destroySandbox } = require('../sandbox/operations') as typeof import('../sandbox/operations');
        const progress = startProgress(io, opts);
        progress.line(`destroying the sandbox of attempt ${opts.attempt} in account ${opts.account} (${region})`);
        progress.status('waiting for CloudFormation…');
        const result = await destroySandbox({
          attemptId: opts.attempt,
          accountId: opts.account as string,
          region,
          adminRoleName: opts.adminRole,
          pool: pool(opts),
          onProgress: (p) => progress.line(progressLine(p)),
        }).finally(() => progress.done());
        if (opts.json) return printJson(io, result);
        io.out(`${result.stackName}: ${result.status}`);
      }),
    );

  addTargetOptions(sandbox.command('freeze').description('attach the deny-all policy to the candidate role (before the final grading run)'), true)
    .requiredOption('--attempt <id>', 'attempt id')
    .option('--json', 'print the result as JSON')
    .action((opts: TargetOpts) =>
      run(async () => {
        const region = await resolveRegion(opts.region);
        const { freezeSandbox } = require('../sandbox/operations') as typeof import('../sandbox/operations');
        const result = await freezeSandbox({ attemptId: opts.attempt, accountId: opts.account as string, region, adminRoleName: opts.adminRole, pool: pool(opts) });
        if (opts.json) return printJson(io, result);
        io.out(`${result.roleName} is frozen${result.alreadyFrozen ? ' (it already was)' : ''}: ${result.freezePolicyArn} attached`);
      }),
    );

  addTargetOptions(sandbox.command('access').description("the candidate's temporary credentials and an AWS console sign-in URL, valid for the time left"), false)
    .requiredOption('--attempt <id>', 'attempt id')
    .option('--json', 'print the result as JSON')
    .option('--no-console', 'skip the console sign-in URL (for AWS-compatible endpoints)')
    .action((opts: TargetOpts & { console: boolean }) =>
      run(async () => {
        const region = await resolveRegion(opts.region);
        const { sandboxAccess } = require('../sandbox/access') as typeof import('../sandbox/access');
        const access = await sandboxAccess({
          attemptId: opts.attempt,
          accountId: opts.account,
          region,
          adminRoleName: opts.adminRole,
          pool: pool(opts),
          console: opts.console && !process.env.AWS_ENDPOINT_URL,
        });
        if (opts.json) return printJson(io, access);
        const c = access.credentials;
        io.out(`# attempt ${access.attemptId}: account ${access.accountId} (${access.region}), credentials valid until ${c.expiration.toISOString()}, sandbox until ${access.sandboxExpiresAt.toISOString()}`);
        if (access.cappedByRoleChaining) io.out('# role chaining limits these credentials to one hour: run sandbox access again for more');
        io.out(`export AWS_ACCESS_KEY_ID=${c.accessKeyId}`);
        io.out(`export AWS_SECRET_ACCESS_KEY=${c.secretAccessKey}`);
        io.out(`export AWS_SESSION_TOKEN=${c.sessionToken}`);
        io.out(`export AWS_REGION=${access.region}`);
        if (access.consoleUrl) io.out(`# console: ${access.consoleUrl}`);
      }),
    );
}
