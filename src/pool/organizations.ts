import {
  ListAccountsForParentCommand,
  ListChildrenCommand,
  type Account,
  type ListAccountsForParentCommandOutput,
  type ListChildrenCommandOutput,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import type { PoolAccountRecord } from '../store/pool-types';
import type { AccountPool } from './pool';
import { PoolError } from './state-machine';

/**
 * The pool from AWS Organizations: the accounts of the sandbox OU, reconciled with the pool SkillProof
 * keeps. New accounts join only through an initial clean-up that verifies them empty; accounts that
 * left the OU (or stopped being ACTIVE) are retired, and stay in the history.
 */

/** Organizations is a global service with one endpoint per partition, called through this region. */
export const ORGANIZATIONS_REGION: Record<string, string> = { aws: 'us-east-1', 'aws-cn': 'cn-northwest-1', 'aws-us-gov': 'us-gov-west-1' };

export interface OuAccount {
  accountId: string;
  name: string | null;
  email: string | null;
  arn: string | null;
  /** The account's `State` (ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED, PENDING_ACTIVATION), or its older `Status`. */
  state: string;
  /** The OU it sits in directly (a nested OU with `recursive`). */
  parentId: string;
}

const OU_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;

export function checkOuId(ouId: string): void {
  if (!OU_ID.test(ouId)) throw new PoolError('bad-input', `"${ouId}" is not an organizational unit id (ou-xxxx-xxxxxxxx): the SandboxOuId output of the SandboxOrgStack`);
}

/**
 * `State` replaces `Status`, which Organizations retires in September 2026 (the SDK model's note on
 * Account.Status); until then both may come, and either may be missing.
 */
function stateOf(account: Account): string {
  return account.State ?? account.Status ?? 'UNKNOWN';
}

/**
 * Every account of the OU (ListAccountsForParent, all pages). With `recursive`, also those of the
 * OUs nested in it (ListChildren), each of which inherits the sandbox OU's service control policy.
 */
export async function listOuAccounts(client: OrganizationsClient, ouId: string, options: { recursive?: boolean } = {}): Promise<OuAccount[]> {
  checkOuId(ouId);
  const found: OuAccount[] = [];
  const parents = [ouId];
  for (let parentId = parents.shift(); parentId !== undefined; parentId = parents.shift()) {
    let token: string | undefined;
    do {
      const page: ListAccountsForParentCommandOutput = await client.send(new ListAccountsForParentCommand({ ParentId: parentId, NextToken: token }));
      for (const account of page.Accounts ?? []) {
        if (!account.Id) continue;
        found.push({ accountId: account.Id, name: account.Name ?? null, email: account.Email ?? null, arn: account.Arn ?? null, state: stateOf(account), parentId });
      }
      token = page.NextToken;
    } while (token);
    if (!options.recursive) break;
    token = undefined;
    do {
      const page: ListChildrenCommandOutput = await client.send(new ListChildrenCommand({ ParentId: parentId, ChildType: 'ORGANIZATIONAL_UNIT', NextToken: token }));
      for (const child of page.Children ?? []) if (child.Id) parents.push(child.Id);
      token = page.NextToken;
    } while (token);
  }
  return found;
}

export interface SyncReport {
  /** The OU, or null when the configured list was the source. */
  ouId: string | null;
  joined: string[];
  /** Accounts retired because they left the OU, and came back. */
  rejoined: string[];
  retired: Array<{ accountId: string; reason: string }>;
  /** In the OU but not taken: not ACTIVE, or retired by an administrator. */
  passedOver: Array<{ accountId: string; reason: string }>;
  unchanged: string[];
  /** Accounts of the configured list (SKILLPROOF_SANDBOX_POOL) that are not ACTIVE in the OU. */
  configuredOutsideOu: string[];
  /** Accounts of the pool the configured list lacks (sandbox deploy refuses accounts it does not list). */
  missingFromConfigured: string[];
  /** The outcome of the initial clean-ups this sync ran. */
  cleaned: Array<{ accountId: string; state: PoolAccountRecord['state']; reason?: string }>;
}

export interface SyncOptions {
  /** Regions every initial clean-up covers. */
  regions: string[];
  /** The configured pool (SKILLPROOF_SANDBOX_POOL / --pool), to reconcile with. */
  configured: readonly string[];
  /** Run the initial clean-ups now (default true); otherwise `pool clean` runs them. */
  clean?: boolean;
  actor: string;
}

/** Reconciles the pool with the OU's accounts (`ouId` given) or, without an OU, adds the configured accounts. */
export async function syncPool(pool: AccountPool, source: { ouId: string; accounts: readonly OuAccount[] } | { ouId: null }, options: SyncOptions): Promise<SyncReport> {
  const report: SyncReport = { ouId: source.ouId, joined: [], rejoined: [], retired: [], passedOver: [], unchanged: [], configuredOutsideOu: [], missingFromConfigured: [], cleaned: [] };
  const known = new Map((await pool.store.listPoolAccounts()).map((a) => [a.accountId, a]));
  const wanted: Array<{ accountId: string; name: string | null; email: string | null; arn: string | null }> = [];
  if (source.ouId === null) {
    options.configured.forEach((accountId) => wanted.push({ accountId, name: null, email: null, arn: null }));
  } else {
    for (const account of source.accounts) {
      if (account.state === 'ACTIVE') wanted.push(account);
      else report.passedOver.push({ accountId: account.accountId, reason: `its state is ${account.state}, not ACTIVE` });
    }
  }
  const wantedIds = new Set(wanted.map((w) => w.accountId));
  const toClean: string[] = [];

  for (const account of wanted) {
    const facts = { ...account, source: source.ouId === null ? ('configured' as const) : ('organizations' as const), ouId: source.ouId };
    const existing = known.get(account.accountId);
    if (!existing) {
      await pool.join(facts, options.regions, options.actor);
      report.joined.push(account.accountId);
      toClean.push(account.accountId);
    } else if (existing.state === 'retired' && existing.retiredBy === 'sync') {
      await pool.join(facts, options.regions, options.actor);
      report.rejoined.push(account.accountId);
      toClean.push(account.accountId);
    } else if (existing.state === 'retired') {
      report.passedOver.push({ accountId: account.accountId, reason: `retired by an administrator (${existing.retiredReason ?? 'no reason'}); it stays out of the pool` });
    } else {
      // An account found in the OU is known to be there now (it may have come from the configured list).
      const changed = source.ouId !== null && (['name', 'email', 'arn'] as const).some((k) => existing[k] !== account[k]) || (source.ouId !== null && (existing.ouId !== source.ouId || existing.source !== 'organizations'));
      if (changed) await pool.describe(existing, facts, options.actor);
      report.unchanged.push(account.accountId);
      // A join whose initial clean-up was interrupted is finished by this sync.
      if (existing.state === 'cleaning') toClean.push(account.accountId);
    }
  }

  if (source.ouId !== null) {
    for (const account of known.values()) {
      if (account.state === 'retired' || account.ouId !== source.ouId || wantedIds.has(account.accountId)) continue;
      const inOu = source.accounts.find((a) => a.accountId === account.accountId);
      const reason = inOu ? `no longer ACTIVE in ${source.ouId} (${inOu.state})` : `no longer in ${source.ouId}`;
      await pool.retire(account.accountId, reason, options.actor, 'sync');
      report.retired.push({ accountId: account.accountId, reason });
    }
    report.configuredOutsideOu = options.configured.filter((id) => !wantedIds.has(id));
  }
  const inPool = (await pool.store.listPoolAccounts()).filter((a) => a.state !== 'retired').map((a) => a.accountId);
  report.missingFromConfigured = inPool.filter((id) => !options.configured.includes(id));

  if (options.clean !== false) {
    for (const accountId of toClean) {
      try {
        const { account } = await pool.clean(accountId, options.actor);
        report.cleaned.push({ accountId, state: account.state, ...(account.quarantineReason ? { reason: account.quarantineReason } : {}) });
      } catch (e) {
        report.cleaned.push({ accountId, state: (await pool.get(accountId)).state, reason: e instanceof Error ? e.message : String(e) });
      }
    }
  }
  return report;
}
