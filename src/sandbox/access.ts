import { STSClient } from '@aws-sdk/client-sts';
import { parseSandboxOutputs } from '../../cdk/lib/sandbox-outputs';
import { isFrozen, openSandbox, type OpenSandbox } from './operations';
import { assumeRole, knownPartitionOf, partitionOf, POOL_ENV, SandboxError, type TemporaryCredentials } from './session';

/** STS refuses sessions shorter than this. */
const MIN_SESSION_SECONDS = 900;
/** Role chaining (assuming a role with temporary credentials) caps a session at one hour. */
const CHAINED_SESSION_SECONDS = 3600;

/** Where a partition's console sign-in happens: its federation endpoint and the console page a session opens on. */
export interface ConsoleEndpoints {
  federation: string;
  destination: (region: string) => string;
}

/**
 * The federation endpoint and console of each partition that has a public console sign-in. The `aws`
 * endpoint is the one the IAM User Guide's "Enable custom identity broker access to the AWS console"
 * uses (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_enable-console-custom-url.html;
 * the same page exists for China at docs.amazonaws.cn). The GovCloud (US) User Guide ("AWS Identity and
 * Access Management in AWS GovCloud (US)") names its console sign-in host, https://signin.amazonaws-us-gov.com.
 * The `/federation` path and the China and GovCloud console hosts are those public brokers use (aws-vault's
 * generateLoginURL, the AWS Toolkit for JetBrains' AwsConsoleUrlFactory, Teleport's federation URLs); no live
 * China or GovCloud account has confirmed them here. The `aws` console has per-Region hosts; the China and
 * GovCloud consoles are opened on their one host with the Region as a parameter.
 */
export const CONSOLE_ENDPOINTS: Readonly<Record<string, ConsoleEndpoints>> = {
  aws: {
    federation: 'https://signin.aws.amazon.com/federation',
    destination: (region) => `https://${region}.console.aws.amazon.com/console/home?region=${region}`,
  },
  'aws-cn': {
    federation: 'https://signin.amazonaws.cn/federation',
    destination: (region) => `https://console.amazonaws.cn/console/home?region=${region}`,
  },
  'aws-us-gov': {
    federation: 'https://signin.amazonaws-us-gov.com/federation',
    destination: (region) => `https://console.amazonaws-us-gov.com/console/home?region=${region}`,
  },
};

/** The console sign-in endpoints for a region, or a SandboxError saying why there are none (never another partition's URL). */
export function consoleEndpoints(region: string): ConsoleEndpoints {
  const partition = knownPartitionOf(region);
  const endpoints = partition === undefined ? undefined : CONSOLE_ENDPOINTS[partition];
  if (!endpoints) {
    const where = partition === undefined ? 'which is in no AWS partition SkillProof knows' : `which is in partition ${partition}`;
    throw new SandboxError(
      'bad-input',
      `no console sign-in URL for region "${region}", ${where}: console URLs are made for ${Object.keys(CONSOLE_ENDPOINTS).join(', ')}; run access with --no-console for credentials only`,
    );
  }
  return endpoints;
}

export interface AccessOptions {
  attemptId: string;
  region: string;
  /** The sandbox's account; when omitted, the pool is searched for the attempt's stack. */
  accountId?: string;
  pool: readonly string[];
  adminRoleName?: string;
  /** Also make an AWS console sign-in URL (default true); partitions aws, aws-cn and aws-us-gov. */
  console?: boolean;
  now?: () => number;
  fetch?: typeof fetch;
}

export interface SandboxAccess {
  attemptId: string;
  accountId: string;
  region: string;
  roleArn: string;
  credentials: TemporaryCredentials;
  /** When the sandbox freezes; the credentials never outlive it by more than STS's 15-minute minimum. */
  sandboxExpiresAt: Date;
  /** True when role chaining capped the session at one hour: run access again for more. */
  cappedByRoleChaining: boolean;
  consoleUrl?: string;
}

async function findInPool(options: AccessOptions): Promise<OpenSandbox> {
  if (options.accountId) return openSandbox({ ...options, accountId: options.accountId }, 'access');
  if (options.pool.length === 0) {
    throw new SandboxError('no-pool', `no sandbox account pool is configured to search for attempt ${options.attemptId}: pass --account, or --pool / ${POOL_ENV}`);
  }
  const misses: string[] = [];
  for (const accountId of options.pool) {
    try {
      return await openSandbox({ ...options, accountId }, 'access');
    } catch (e) {
      if (!(e instanceof SandboxError) || !['not-found', 'access-denied'].includes(e.code)) throw e;
      misses.push(`${accountId}: ${e.code}`);
    }
  }
  throw new SandboxError('not-found', `no sandbox for attempt ${options.attemptId} in the pool (${misses.join(', ')}); pass --account if you know where it is`);
}

/** Asks the federation endpoint for a sign-in token and builds a console URL from it. */
async function consoleUrl(
  endpoints: ConsoleEndpoints,
  credentials: TemporaryCredentials,
  region: string,
  sessionSeconds: number | undefined,
  fetchImpl: typeof fetch,
): Promise<string> {
  const session = JSON.stringify({ sessionId: credentials.accessKeyId, sessionKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken });
  const tokenQuery = new URLSearchParams({ Action: 'getSigninToken', Session: session });
  if (sessionSeconds !== undefined) tokenQuery.set('SessionDuration', String(sessionSeconds));
  const response = await fetchImpl(`${endpoints.federation}?${tokenQuery.toString()}`);
  const body = response.ok ? ((await response.json()) as { SigninToken?: unknown }) : {};
  if (typeof body.SigninToken !== 'string') {
    throw new SandboxError('failed', `the AWS federation endpoint ${endpoints.federation} gave no sign-in token (HTTP ${response.status}); the credentials still work from the CLI`);
  }
  const login = new URLSearchParams({ Action: 'login', Issuer: 'skillproof', Destination: endpoints.destination(region), SigninToken: body.SigninToken });
  return `${endpoints.federation}?${login.toString()}`;
}

/**
 * Temporary credentials for the candidate role, valid for the time the attempt has left (or one hour when
 * role chaining caps it), and a console sign-in URL. Refuses a sandbox that has expired or is frozen.
 */
export async function sandboxAccess(options: AccessOptions): Promise<SandboxAccess> {
  const now = options.now ?? Date.now;
  // Before any AWS call: a region without a console sign-in is the caller's input to fix.
  const endpoints = (options.console ?? true) ? consoleEndpoints(options.region) : undefined;
  const sandbox = await findInPool(options);
  try {
    const accountId = sandbox.stack.StackId?.split(':')[4] ?? options.accountId ?? '';
    const outputs = parseSandboxOutputs(sandbox.stack.Outputs ?? [], sandbox.names.stack);
    const expiresAt = new Date(outputs.expiresAt);
    const remaining = Math.floor((expiresAt.getTime() - now()) / 1000);
    if (remaining <= 0) throw new SandboxError('expired', `the sandbox of attempt ${options.attemptId} expired at ${outputs.expiresAt}`);
    if (await isFrozen(sandbox.iam, outputs.candidateRoleName, outputs.freezePolicyArn)) {
      throw new SandboxError('frozen', `the sandbox of attempt ${options.attemptId} is frozen (submitted, expired or over budget); no more candidate access`);
    }

    // A sandbox that trusts its own account (the default) is entered through the admin session.
    const viaAdmin = outputs.candidatePrincipalArn === `arn:${partitionOf(options.region)}:iam::${accountId}:root`;
    const sts = viaAdmin ? new STSClient({ region: options.region, credentials: sandbox.credentials }) : new STSClient({ region: options.region });
    const request = { roleArn: outputs.candidateRoleArn, sessionName: `candidate-${options.attemptId}` };
    let duration = Math.max(MIN_SESSION_SECONDS, Math.min(remaining, outputs.maxSessionSeconds));
    let capped = false;
    if (viaAdmin && duration > CHAINED_SESSION_SECONDS) {
      duration = CHAINED_SESSION_SECONDS;
      capped = true;
    }
    let credentials: TemporaryCredentials;
    try {
      credentials = await assumeRole(sts, { ...request, durationSeconds: duration });
    } catch (e) {
      // The hub's own credentials may be a role session too: then STS allows one hour, no more.
      if (!(e instanceof Error && e.name === 'ValidationError' && /chaining/i.test(e.message)) || duration <= CHAINED_SESSION_SECONDS) throw e;
      duration = CHAINED_SESSION_SECONDS;
      capped = true;
      credentials = await assumeRole(sts, { ...request, durationSeconds: duration });
    } finally {
      sts.destroy();
    }
    const access: SandboxAccess = {
      attemptId: options.attemptId,
      accountId,
      region: options.region,
      roleArn: outputs.candidateRoleArn,
      credentials,
      sandboxExpiresAt: expiresAt,
      cappedByRoleChaining: capped,
    };
    if (endpoints) {
      access.consoleUrl = await consoleUrl(endpoints, credentials, options.region, duration > CHAINED_SESSION_SECONDS ? duration : undefined, options.fetch ?? fetch);
    }
    return access;
  } finally {
    sandbox.close();
  }
}
