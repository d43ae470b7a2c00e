import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { freezeSandbox } from '../sandbox/operations';
import { readAccountQuotas } from '../sandbox/quotas';
import { adminCredentials, partitionOf } from '../sandbox/session';
import type { FreezeEffect, QuotaReader } from './pool';
import { ORGANIZATIONS_REGION } from './organizations';
import { PoolError } from './state-machine';
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
 * The clean-up engine (src/pool/cleanup, `cleanAccount`), loaded when a command needs it. Resolved by
 * name so the pool does not depend on the engine's internals.
 */
export function loadCleaner(): AccountCleaner {
  const path = './cleanup';
  let engine: { cleanAccount?: AccountCleaner };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved at run time: the engine is a separate module
    engine = require(path) as { cleanAccount?: AccountCleaner };
  } catch (e) {
    if ((e as { code?: string }).code === 'MODULE_NOT_FOUND' && String((e as Error).message).includes(path)) {
      throw new PoolError('failed', 'this SkillProof has no clean-up engine (src/pool/cleanup); accounts cannot be cleaned, so none are joined, released or returned to the pool');
    }
    throw e;
  }
  if (typeof engine.cleanAccount !== 'function') throw new PoolError('failed', 'src/pool/cleanup does not export cleanAccount');
  return engine.cleanAccount;
}
