import { STSClient } from '@aws-sdk/client-sts';
import { parseSandboxOutputs } from '../../cdk/lib/sandbox-outputs';
import { isFrozen, openSandbox, type OpenSandbox } from './operations';
import { assumeRole, partitionOf, POOL_ENV, SandboxError, type TemporaryCredentials } from './session';

/** STS refuses sessions shorter than this. */
const MIN_SESSION_SECONDS = 900;
/** Role chaining (assuming a role with temporary credentials) caps a session at one hour. */
const CHAINED_SESSION_SECONDS = 3600;
const FEDERATION_ENDPOINT = 'https://signin.aws.amazon.com/federation';

export interface AccessOptions {
  attemptId: string;
  region: string;
  /** The sandbox's account; when omitted, the pool is searched for the attempt's stack. */
  accountId?: string;
  pool: readonly string[];
  adminRoleName?: string;
  /** Also make an AWS console sign-in URL (default true). */
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
async function consoleUrl(credentials: TemporaryCredentials, region: string, sessionSeconds: number | undefined, fetchImpl: typeof fetch): Promise<string> {
  const session = JSON.stringify({ sessionId: credentials.accessKeyId, sessionKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken });
  const tokenQuery = new URLSearchParams({ Action: 'getSigninToken', Session: session });
  if (sessionSeconds !== undefined) tokenQuery.set('SessionDuration', String(sessionSeconds));
  const response = await fetchImpl(`${FEDERATION_ENDPOINT}?${tokenQuery.toString()}`);
  const body = response.ok ? ((await response.json()) as { SigninToken?: unknown }) : {};
  if (typeof body.SigninToken !== 'string') {
    throw new SandboxError('failed', `the AWS federation endpoint gave no sign-in token (HTTP ${response.status}); the credentials still work from the CLI`);
  }
  const login = new URLSearchParams({
    Action: 'login',
    Issuer: 'skillproof',
    Destination: `https://${region}.console.aws.amazon.com/console/home?region=${region}`,
    SigninToken: body.SigninToken,
  });
  return `${FEDERATION_ENDPOINT}?${login.toString()}`;
}

/**
 * Temporary credentials for the candidate role, valid for the time the attempt has left (or one hour when
 * role chaining caps it), and a console sign-in URL. Refuses a sandbox that has expired or is frozen.
 */
export async function sandboxAccess(options: AccessOptions): Promise<SandboxAccess> {
  const now = options.now ?? Date.now;
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
    if ((options.console ?? true) && partitionOf(options.region) === 'aws') {
      access.consoleUrl = await consoleUrl(credentials, options.region, duration > CHAINED_SESSION_SECONDS ? duration : undefined, options.fetch ?? fetch);
    }
    return access;
  } finally {
    sandbox.close();
  }
}
