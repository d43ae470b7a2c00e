import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { AccountQuota } from '../model/task';
import { SandboxError } from './session';

/** Where the quotas are read: the sandbox account and region, as its admin role. */
export interface QuotaTarget {
  accountId: string;
  region: string;
  credentials: AwsCredentialIdentity;
}

/** One quota's value in the account, and where it was read. */
export interface QuotaReading {
  quota: AccountQuota;
  value: number;
  source: 'service-quotas' | 'lambda-account-settings';
}

/**
 * Quotas whose applied value the owning service reports itself, for accounts where Service Quotas has
 * no applied value (it answers NoSuchResourceException for a quota never changed, in some accounts).
 * Lambda's GetAccountSettings reports AccountLimit.ConcurrentExecutions, the value Lambda enforces.
 */
const SERVICE_READERS: Record<string, (target: QuotaTarget) => Promise<number | undefined>> = {
  'lambda/L-B99A9384': async (target) => {
    const lambda = new LambdaClient({ region: target.region, credentials: target.credentials });
    try {
      return (await lambda.send(new GetAccountSettingsCommand({}))).AccountLimit?.ConcurrentExecutions;
    } finally {
      lambda.destroy();
    }
  },
};

const errorName = (e: unknown) => (e instanceof Error ? e.name : '');

async function readQuota(sq: ServiceQuotasClient, target: QuotaTarget, quota: AccountQuota): Promise<QuotaReading> {
  const where = `account ${target.accountId} (${target.region})`;
  try {
    const res = await sq.send(new GetServiceQuotaCommand({ ServiceCode: quota.serviceCode, QuotaCode: quota.quotaCode }));
    if (res.Quota?.Value !== undefined) return { quota, value: res.Quota.Value, source: 'service-quotas' };
  } catch (e) {
    if (errorName(e) !== 'NoSuchResourceException') {
      throw new SandboxError('failed', `could not read the quota ${quota.serviceCode} "${quota.name}" (${quota.quotaCode}) of ${where} from Service Quotas: ${errorName(e) || 'error'}: ${(e as Error).message}`);
    }
  }
  const reader = SERVICE_READERS[`${quota.serviceCode}/${quota.quotaCode}`];
  const value = reader ? await reader(target) : undefined;
  if (value === undefined) throw new SandboxError('failed', `Service Quotas has no value for ${quota.serviceCode} "${quota.name}" (${quota.quotaCode}) in ${where}, and SkillProof has no other way to read it`);
  return { quota, value, source: 'lambda-account-settings' };
}

/**
 * Reads every quota the sandbox's tasks need and refuses an account below any minimum, with a message
 * naming the quota, its value, what needs it and how to raise it. Returns the readings otherwise.
 */
export async function checkAccountQuotas(target: QuotaTarget, quotas: readonly AccountQuota[]): Promise<QuotaReading[]> {
  const readings = await readAccountQuotas(target, quotas);
  const low = readings.filter((r) => r.value < r.quota.minimum);
  if (low.length > 0) {
    const where = `account ${target.accountId} (${target.region})`;
    const lines = low.map(
      ({ quota, value }) =>
        `${quota.serviceCode} "${quota.name}" (${quota.quotaCode}) is ${value}, below the ${quota.minimum} needed for ${quota.why}. Raise it in that account: aws service-quotas request-service-quota-increase --service-code ${quota.serviceCode} --quota-code ${quota.quotaCode} --desired-value ${quota.minimum} --region ${target.region}`,
    );
    throw new SandboxError('quota-too-low', `${where} cannot host this sandbox: ${lines.join('; ')}. Or deploy to another pool account.`);
  }
  return readings;
}

/** Reads every quota the sandbox's tasks need, without judging them (the pool skips an account below one). */
export async function readAccountQuotas(target: QuotaTarget, quotas: readonly AccountQuota[]): Promise<QuotaReading[]> {
  if (quotas.length === 0) return [];
  const sq = new ServiceQuotasClient({ region: target.region, credentials: target.credentials });
  try {
    const readings: QuotaReading[] = [];
    for (const quota of quotas) readings.push(await readQuota(sq, target, quota));
    return readings;
  } finally {
    sq.destroy();
  }
}
