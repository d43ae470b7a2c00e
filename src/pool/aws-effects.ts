import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { freezeSandbox } from '../sandbox/operations';
import { readAccountQuotas } from '../sandbox/quotas';
import { adminCredentials, DEFAULT_ADMIN_ROLE_NAME, partitionOf } from '../sandbox/session';
import { cleanAccount } from './cleanup';
import type { FreezeEffect, QuotaReader } from './pool';
import { ORGANIZATIONS_REGION } from './organizations';
import type { AccountCleaner } from './types';

/** The pool's effects on real accounts: the freeze, quota reads, Organizations, the clean-up engine. */

/**
 * Freezes the attempt's sandbox (the deny-all policy on its candidate role), as its administration
 * role. An account without that sandbox (never deployed, or destroyed) has nobody to freeze out.
 */
export function sandboxFreeze(adminRoleName?: string): FreezeEffect {
  return async ({ accountId, attemptId, region }) => {
    try {
      await freezeSandbox({ attemptId, accountId, region, pool: [accountId], ...(adminRoleName ? { adminRoleName } : {}) });
    } catch (e) {
      if (e instanceof Error && e.name === 'SandboxError' && (e as { code?: string }).code === 'not-found') return;
      throw e;
    }
  };
}

/** Reads quotas in the account as its administration role (Service Quotas, then the service's own answer). */
export function serviceQuotaReader(adminRoleName?: string): QuotaReader {
  return async ({ accountId, region }, quotas) => {
    const target = { accountId, region, ...(adminRoleName ? { adminRoleName } : {}) };
    const credentials = await adminCredentials(target, 'pool-quotas');
    return readAccountQuotas({ accountId, region, credentials }, quotas);
  };
}

/** An Organizations client for the partition of `region` (the ambient credentials: the management or a delegated account). */
export function organizationsClient(region: string): OrganizationsClient {
  return new OrganizationsClient({ region: ORGANIZATIONS_REGION[partitionOf(region)] ?? 'us-east-1' });
}

/**
 * The clean-up engine (src/pool/cleanup, `cleanAccount`) run as the account's administration role:
 * credentials are assumed again whenever they near expiry (a clean-up waits for stack and agent
 * deletions and may outlive one role session), and that role is the platform's, never the candidate's.
 * The pool's journal keeps JSON values; the engine writes strings, which are JSON too.
 */
export function loadCleaner(adminRoleName?: string): AccountCleaner {
  return async (target, journal) => {
    const role = { accountId: target.accountId, region: target.regions[0] ?? 'us-east-1', ...(adminRoleName ? { adminRoleName } : {}) };
    const credentials = async () => adminCredentials(role, 'pool-cleanup');
    return cleanAccount(
      target,
      {
        get: async (key) => {
          const value = await journal.get(key);
          return value === undefined || value === null ? undefined : typeof value === 'string' ? value : JSON.stringify(value);
        },
        put: (key, value) => journal.put(key, value),
      },
      { credentials, platformRoleNames: [adminRoleName ?? DEFAULT_ADMIN_ROLE_NAME] },
    );
  };
}
