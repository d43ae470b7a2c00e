/**
 * Synthesising, deploying and destroying the ServiceStack. Unlike a sandbox, the service has code
 * assets (its Lambda bundles), so it deploys through the CDK's asset publishing into a bootstrapped
 * environment (`cdk bootstrap`); destroying needs no assets and is one CloudFormation call.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { CloudFormationClient, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { App } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { SERVICE_ENTRIES, ServiceStack, type ServiceEntry } from '../../cdk/lib/service-stack';
import { REPO_ROOT } from '../catalog/load';
import { describeStack, latestEventId, watchStack, type WatchOptions } from '../sandbox/stack-watch';

export const DEFAULT_SERVICE_STACK_NAME = 'skillproof-service';

/** Why a service operation stopped: bad input (usage) or AWS said no (failed). */
export class ServiceError extends Error {
  constructor(
    readonly code: 'bad-input' | 'not-found' | 'failed' | 'no-cdk',
    message: string,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

export interface ServiceSynthOptions {
  /** The cloud assembly directory (template, asset bundles, manifest). */
  outDir: string;
  poolAccountIds: string[];
  stackName?: string;
  /** Pin the stack to an account and region (default: environment-agnostic, resolved at deploy). */
  account?: string;
  region?: string;
  alarmEmails?: string[];
  publicUrl?: string;
  /** The credentials' issuer id (default: did:web of publicUrl's host). */
  issuerId?: string;
  workerConcurrency?: number;
  /** Prebuilt bundles (`<dir>/<api|lifecycle|worker>/index.js`) instead of esbuild at synth time. */
  prebuiltDir?: string;
}

export interface ServiceSynthResult {
  stackName: string;
  assemblyDir: string;
  templatePath: string;
  /** The asset directories (one bundle per function) the deploy uploads to the bootstrap bucket. */
  assets: string[];
}

function prebuilt(dir: string): (entry: ServiceEntry) => Code {
  const missing = (Object.keys(SERVICE_ENTRIES) as ServiceEntry[]).filter((e) => !existsSync(join(dir, e, 'index.js')));
  if (missing.length > 0) throw new ServiceError('bad-input', `--prebuilt ${dir} lacks ${missing.map((e) => `${e}/index.js`).join(', ')} (one bundle per function, exporting handler)`);
  return (entry) => Code.fromAsset(join(dir, entry));
}

/** Writes the service's cloud assembly (offline: no AWS call). Bundling each function with esbuild takes a while. */
export function synthService(options: ServiceSynthOptions): ServiceSynthResult {
  const stackName = options.stackName ?? DEFAULT_SERVICE_STACK_NAME;
  if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName)) throw new ServiceError('bad-input', `"${stackName}" cannot name a CloudFormation stack (letters, digits, hyphens; a letter first)`);
  const assemblyDir = resolve(options.outDir);
  mkdirSync(assemblyDir, { recursive: true });
  const app = new App({ outdir: assemblyDir });
  const env = options.account || options.region ? { env: { ...(options.account ? { account: options.account } : {}), ...(options.region ? { region: options.region } : {}) } } : {};
  try {
    // The construct id is the stack name too, so `cdk deploy <name>` and the template file use it.
    new ServiceStack(app, stackName, {
      stackName,
      ...env,
      poolAccountIds: options.poolAccountIds,
      ...(options.alarmEmails?.length ? { alarmEmails: options.alarmEmails } : {}),
      ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
      ...(options.issuerId ? { issuerId: options.issuerId } : {}),
      ...(options.workerConcurrency !== undefined ? { workerConcurrency: options.workerConcurrency } : {}),
      ...(options.prebuiltDir ? { code: prebuilt(options.prebuiltDir) } : {}),
    });
  } catch (e) {
    if (e instanceof ServiceError) throw e;
    throw new ServiceError('bad-input', (e as Error).message);
  }
  const artifact = app.synth().getStackByName(stackName);
  const assets = readdirSync(assemblyDir)
    .filter((name) => name.startsWith('asset.') && statSync(join(assemblyDir, name)).isDirectory())
    .map((name) => join(assemblyDir, name))
    .sort();
  return { stackName, assemblyDir, templatePath: join(assemblyDir, artifact.templateFile), assets };
}

/** The AWS CDK CLI, if installed: the project's own (node_modules/.bin/cdk), else one on PATH. */
export function findCdkCli(env: NodeJS.ProcessEnv = process.env, root: string = REPO_ROOT): string | undefined {
  const local = join(root, 'node_modules', '.bin', 'cdk');
  if (existsSync(local)) return local;
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'cdk');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The commands that deploy a synthesised assembly: bootstrap once per account and region, then deploy. */
export function deployCommands(result: Pick<ServiceSynthResult, 'assemblyDir' | 'stackName'>, target: { account?: string; region?: string } = {}, cdk = 'npx aws-cdk@2'): string[] {
  const environment = target.account && target.region ? ` aws://${target.account}/${target.region}` : '';
  return [`${cdk} bootstrap${environment}`, `${cdk} deploy --app ${quote(result.assemblyDir)} ${result.stackName}`];
}

function quote(path: string): string {
  return /^[\w./:-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`;
}

export interface DestroyServiceOptions extends WatchOptions {
  stackName?: string;
  region: string;
  cfn?: CloudFormationClient;
}

/** The retained resources: deleting the stack leaves them, with the data a credential may point at. */
export const RETAINED = ['the DynamoDB table (deletion protection on)', 'the evidence bucket', 'the access-log bucket'];

/**
 * Deletes the service stack with the standard credential chain and waits for DELETE_COMPLETE. The
 * table and buckets are retained: credentials already issued point at their evidence.
 */
export async function destroyService(options: DestroyServiceOptions): Promise<{ stackName: string; stackId: string; status: string; retained: string[] }> {
  const stackName = options.stackName ?? DEFAULT_SERVICE_STACK_NAME;
  const cfn = options.cfn ?? new CloudFormationClient({ region: options.region });
  try {
    const stack = await describeStack(cfn, stackName);
    if (!stack?.StackId) throw new ServiceError('not-found', `no stack ${stackName} in ${options.region}: nothing to destroy (check --region and --stack-name)`);
    const watermark = await latestEventId(cfn, stack.StackId);
    await cfn.send(new DeleteStackCommand({ StackName: stack.StackId }));
    const { stack: final, failures } = await watchStack(cfn, stack.StackId, watermark, options);
    if (final.StackStatus !== 'DELETE_COMPLETE') {
      throw new ServiceError('failed', `stack ${stackName} did not delete (${final.StackStatus}): ${failures.join('; ') || final.StackStatusReason || 'no reason given'}`);
    }
    return { stackName, stackId: stack.StackId, status: final.StackStatus, retained: RETAINED };
  } finally {
    if (!options.cfn) cfn.destroy();
  }
}
