import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';

/** Why a sandbox operation stopped; the CLI turns each into a message and an exit code. */
export type SandboxErrorCode =
  | 'bad-input'
  | 'no-pool'
  | 'account-not-in-pool'
  | 'access-denied'
  | 'already-exists'
  | 'not-found'
  | 'rolled-back'
  | 'failed'
  | 'timeout'
  | 'expired'
  | 'frozen'
  | 'quota-too-low';

/** An error a person will read: what happened, where (account, stack), and what to do. */
export class SandboxError extends Error {
  constructor(
    readonly code: SandboxErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SandboxError';
  }
}

/** Where a sandbox lives and how SkillProof gets in. */
export interface SandboxTarget {
  accountId: string;
  region: string;
  /** The role SkillProof assumes in a pool account (default OrganizationAccountAccessRole). */
  adminRoleName?: string;
}

export const DEFAULT_ADMIN_ROLE_NAME = 'OrganizationAccountAccessRole';
/** Environment variable holding the account pool, comma-separated. */
export const POOL_ENV = 'SKILLPROOF_SANDBOX_POOL';

const ACCOUNT_ID = /^\d{12}$/;

/** Parses an account pool: 12-digit ids separated by commas, spaces or new lines. */
export function parsePool(text: string | undefined): string[] {
  const ids = (text ?? '').split(/[\s,]+/).filter((id) => id.length > 0);
  const bad = ids.filter((id) => !ACCOUNT_ID.test(id));
  if (bad.length > 0) throw new SandboxError('bad-input', `the account pool has entries that are not 12-digit account ids: ${bad.join(', ')}`);
  return [...new Set(ids)];
}

/**
 * Refuses any account outside the pool: a sandbox grants a stranger broad rights, so deploying one into
 * the wrong account (production, the management account) must be impossible by typo.
 */
export function checkPool(accountId: string, pool: readonly string[]): void {
  if (!ACCOUNT_ID.test(accountId)) throw new SandboxError('bad-input', `"${accountId}" is not an AWS account id (12 digits)`);
  if (pool.length === 0) {
    throw new SandboxError('no-pool', `no sandbox account pool is configured: pass --pool ID,ID or set ${POOL_ENV} (the PoolAccountIds output of the SandboxOrgStack)`);
  }
  if (!pool.includes(accountId)) {
    throw new SandboxError('account-not-in-pool', `account ${accountId} is not in the sandbox account pool (${pool.join(', ')}); sandboxes are only deployed into pool accounts`);
  }
}

export interface TemporaryCredentials extends AwsCredentialIdentity {
  sessionToken: string;
  expiration: Date;
}

function errorName(e: unknown): string {
  return e instanceof Error ? e.name : '';
}

/** STS AssumeRole, with the error a person needs when it is refused. */
export async function assumeRole(
  sts: STSClient,
  input: { roleArn: string; sessionName: string; durationSeconds?: number; externalId?: string },
): Promise<TemporaryCredentials> {
  try {
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: input.roleArn,
        RoleSessionName: input.sessionName.slice(0, 64),
        DurationSeconds: input.durationSeconds,
        ExternalId: input.externalId,
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new SandboxError('failed', `STS AssumeRole for ${input.roleArn} returned no credentials`);
    }
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
  } catch (e) {
    if (e instanceof SandboxError) throw e;
    if (errorName(e) === 'AccessDenied' || errorName(e) === 'AccessDeniedException') {
      throw new SandboxError('access-denied', `cannot assume ${input.roleArn}: ${(e as Error).message}. Check that your AWS credentials may assume it and that it trusts them.`);
    }
    throw e;
  }
}

/**
 * Region names of each partition, as the SDK's endpoint rules match them (the `regionRegex` of every
 * partition in @aws-sdk/core's util-endpoints partitions data). Order matters only for readability:
 * the patterns do not overlap.
 */
const PARTITION_REGIONS: readonly (readonly [string, RegExp])[] = [
  ['aws', /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/],
  ['aws-cn', /^cn-\w+-\d+$/],
  ['aws-us-gov', /^us-gov-\w+-\d+$/],
  ['aws-iso', /^us-iso-\w+-\d+$/],
  ['aws-iso-b', /^us-isob-\w+-\d+$/],
  ['aws-iso-e', /^eu-isoe-\w+-\d+$/],
  ['aws-iso-f', /^us-isof-\w+-\d+$/],
  ['aws-eusc', /^eusc-de-\w+-\d+$/],
];

/** The partition whose region names `region` follows, or undefined when it follows none. */
export function knownPartitionOf(region: string): string | undefined {
  return PARTITION_REGIONS.find(([, pattern]) => pattern.test(region))?.[0];
}

/** The ARN partition of a region (aws, aws-cn, aws-us-gov, the ISO partitions); `aws` for a name no partition claims. */
export function partitionOf(region: string): string {
  return knownPartitionOf(region) ?? 'aws';
}

/** Credentials for SkillProof's administration role in a pool account (from the ambient credentials). */
export async function adminCredentials(target: SandboxTarget, purpose: string): Promise<TemporaryCredentials> {
  const roleArn = `arn:${partitionOf(target.region)}:iam::${target.accountId}:role/${target.adminRoleName ?? DEFAULT_ADMIN_ROLE_NAME}`;
  const sts = new STSClient({ region: target.region });
  try {
    return await assumeRole(sts, { roleArn, sessionName: `skillproof-${purpose}` });
  } finally {
    sts.destroy();
  }
}
