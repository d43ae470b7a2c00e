import type { Command } from 'commander';
import type { AccountPool, AccountPoolOptions, CleanResult } from '../pool/pool';
import type { PoolError } from '../pool/state-machine';
import type { PoolAccountRecord, PoolAccountState } from '../store/pool-types';
import type { SqliteStore } from '../store/sqlite-store';
import { actor } from './attempt';
import { CliError, EXIT, printJson, type CliIo } from './io';
import { formatColumns } from './table';

/** Environment defaults, so an operator sets them once. */
const ENV = {
  pool: 'SKILLPROOF_SANDBOX_POOL',
  ou: 'SKILLPROOF_SANDBOX_OU',
  regions: 'SKILLPROOF_SANDBOX_REGIONS',
  cooldown: 'SKILLPROOF_POOL_COOLDOWN_MINUTES',
} as const;

interface PoolOpts {
  dataDir?: string;
  json?: boolean;
  region?: string;
  adminRole?: string;
  cooldown?: string;
}

/** What the tests replace: the clean-up engine, the freeze, quota reads. */
export type PoolOverrides = Partial<Pick<AccountPoolOptions, 'cleaner' | 'freeze' | 'readQuotas' | 'now'>>;

/** A refused or impossible request is a usage error (2); a pool that cannot serve, or an account quarantined, is a failure (1). */
const USAGE_CODES = new Set(['bad-input', 'not-found', 'refused']);

function isPoolError(e: unknown): e is PoolError {
  return e instanceof Error && e.name === 'PoolError';
}

function cooldownMs(text: string | undefined): number | undefined {
  const value = text ?? process.env[ENV.cooldown];
  if (value === undefined) return undefined;
  const minutes = Number(value);
  if (!Number.isInteger(minutes) || minutes < 0 || minutes > 7 * 24 * 60) throw new CliError(`the cooldown must be whole minutes from 0 to 10080, got "${value}"`);
  return minutes * 60_000;
}

function region(opts: PoolOpts): string {
  const value = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!value) throw new CliError('no AWS region: pass --region or set AWS_REGION');
  return value;
}

const list = (text: string | undefined) => (text ?? '').split(/[\s,]+/).filter(Boolean);

/** Opens the store and the pool for one command; errors a person can act on become CliErrors. */
async function withPool<T>(opts: PoolOpts, overrides: PoolOverrides, needs: { cleaner?: boolean }, fn: (pool: AccountPool, store: SqliteStore) => Promise<T>): Promise<T> {
  const { resolveDataDir } = require('../store/data-dir') as typeof import('../store/data-dir');
  const { SqliteStore } = require('../store/sqlite-store') as typeof import('../store/sqlite-store');
  const { AccountPool } = require('../pool/pool') as typeof import('../pool/pool');
  try {
    const effects = require('../pool/aws-effects') as typeof import('../pool/aws-effects');
    const cleaner = overrides.cleaner ?? (needs.cleaner ? effects.loadCleaner() : undefined);
    const cooldown = cooldownMs(opts.cooldown);
    const store = SqliteStore.open(resolveDataDir(opts.dataDir ? { dataDir: opts.dataDir } : {}));
    try {
      const pool = new AccountPool({
        store: store.pool,
        ...(cleaner ? { cleaner } : {}),
        freeze: overrides.freeze ?? effects.sandboxFreeze(opts.adminRole),
        readQuotas: overrides.readQuotas ?? effects.serviceQuotaReader(opts.adminRole),
        ...(overrides.now ? { now: overrides.now } : {}),
        ...(cooldown !== undefined ? { cooldownMs: cooldown } : {}),
      });
      return await fn(pool, store);
    } finally {
      store.close();
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    if (isPoolError(e)) throw new CliError(e.message, USAGE_CODES.has(e.code) ? EXIT.usage : EXIT.failed);
    if (e instanceof Error && ['StoreError', 'PoolConflictError', 'ConstraintViolationError', 'SandboxError'].includes(e.name)) throw new CliError(e.message, EXIT.failed);
    if (e instanceof Error && ['NotFoundError', 'SchemaVersionError', 'DefinitionError'].includes(e.name)) throw new CliError(e.message, EXIT.usage);
    if (e instanceof Error && ['CredentialsProviderError', 'ExpiredToken', 'ExpiredTokenException'].includes(e.name)) {
      throw new CliError(`AWS credentials problem: ${e.message}. Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for the organisation's management (or delegated administrator) account.`, EXIT.failed);
    }
    throw e;
  }
}

function note(a: PoolAccountRecord, now: Date): string {
  if (a.state === 'quarantined') return a.quarantineReason ?? '';
  if (a.state === 'retired') return `${a.retiredReason ?? ''} (${a.retiredBy})`;
  if (a.pending) return `${a.pending} requested`;
  if (a.state === 'available' && a.cooldownUntil && Date.parse(a.cooldownUntil) > now.getTime()) return 'cooling down';
  return '';
}

function accountsTable(accounts: PoolAccountRecord[], now: Date): string {
  return formatColumns(accounts, [
    { header: 'ACCOUNT', cell: (a) => a.accountId },
    { header: 'NAME', cell: (a) => a.name ?? '' },
    { header: 'STATE', cell: (a) => a.state },
    { header: 'ATTEMPT', cell: (a) => a.attemptId ?? '' },
    { header: 'LEASE', cell: (a) => a.leaseId ?? a.cleanupId ?? '' },
    { header: 'COOLDOWN UNTIL', cell: (a) => a.cooldownUntil ?? '' },
    { header: 'NOTE', cell: (a) => note(a, now) },
  ]);
}

/** Prints an account after an action; a clean-up that ended in quarantine exits 1 with the reason. */
function report(io: CliIo, opts: PoolOpts, verb: string, result: PoolAccountRecord | CleanResult): void {
  const account = 'account' in result ? result.account : result;
  if (opts.json) printJson(io, result);
  else io.out(`${account.accountId}: ${verb}, now ${account.state}${account.cooldownUntil ? ` (leasable from ${account.cooldownUntil})` : ''}`);
  if ('cleanup' in result && result.cleanup.status !== 'clean') {
    io.err(`clean-up ${result.cleanup.id} did not verify account ${account.accountId} empty: ${account.quarantineReason ?? result.cleanup.error ?? result.cleanup.status}`);
    io.setExitCode(EXIT.failed);
  }
}

/** Task and assessment ids → the quotas their blueprints need (merged), from the catalog. */
function quotasFor(ids: string[]) {
  const { loadCatalog } = require('../catalog/load') as typeof import('../catalog/load');
  const { mergeAccountQuotas } = require('../../cdk/lib/blueprint-merge') as typeof import('../../cdk/lib/blueprint-merge');
  const catalog = loadCatalog();
  const taskIds = ids.flatMap((id) => (catalog.has(id) === 'assessment' ? catalog.assessment(id).tasks : [id]));
  return mergeAccountQuotas(taskIds.map((id) => catalog.get(id).task.blueprint));
}

const dataDir = (c: Command) => c.option('--data-dir <dir>', 'data directory (default: SKILLPROOF_HOME, else ~/.skillproof)').option('--json', 'print JSON');
const effects = (c: Command) =>
  c
    .option('--region <region>', 'AWS region of the sandboxes (default: AWS_REGION)')
    .option('--admin-role <name>', 'role SkillProof assumes in a pool account (default: OrganizationAccountAccessRole)')
    .option('--cooldown <minutes>', `rest after a clean-up before the next lease (default: ${ENV.cooldown}, else 30)`);

/** The pool the portal's admin pages manage; without the clean-up engine, its clean-ups are refused with the reason. */
export function accountPool(store: SqliteStore): AccountPool {
  const { AccountPool } = require('../pool/pool') as typeof import('../pool/pool');
  const effects = require('../pool/aws-effects') as typeof import('../pool/aws-effects');
  let cleaner: AccountPoolOptions['cleaner'];
  try {
    cleaner = effects.loadCleaner();
  } catch (e) {
    if (!isPoolError(e)) throw e;
  }
  const cooldown = cooldownMs(undefined);
  return new AccountPool({
    store: store.pool,
    ...(cleaner ? { cleaner } : {}),
    freeze: effects.sandboxFreeze(),
    readQuotas: effects.serviceQuotaReader(),
    ...(cooldown !== undefined ? { cooldownMs: cooldown } : {}),
  });
}

/** `skillproof pool`: the sandbox account pool. */
export function register(program: Command, io: CliIo, overrides: PoolOverrides = {}): void {
  const pool = program.command('pool').description('the sandbox account pool: leases, clean-up between attempts, quarantine, and the pool from AWS Organizations');

  dataDir(pool.command('list').description('every pool account, its state, lease, cooldown and quarantine reason'))
    .option('--state <state>', 'only accounts in this state')
    .action((opts: PoolOpts & { state?: string }) =>
      withPool(opts, overrides, {}, async (p) => {
        const { POOL_ACCOUNT_STATES } = require('../store/pool-types') as typeof import('../store/pool-types');
        if (opts.state && !(POOL_ACCOUNT_STATES as readonly string[]).includes(opts.state)) throw new CliError(`--state must be one of ${POOL_ACCOUNT_STATES.join(', ')}`);
        const accounts = await p.store.listPoolAccounts(opts.state ? { state: opts.state as PoolAccountState } : {});
        if (opts.json) return printJson(io, { accounts });
        if (accounts.length === 0) return io.out('The pool is empty; `skillproof pool sync --ou <ou-id>` adds the accounts of the sandbox OU.');
        io.out(accountsTable(accounts, new Date()));
      }),
    );

  dataDir(pool.command('show <account>').description("one account: its state, leases and clean-ups, newest first")).action((accountId: string, opts: PoolOpts) =>
    withPool(opts, overrides, {}, async (p) => {
      const account = await p.get(accountId);
      const { allowedActions } = require('../pool/state-machine') as typeof import('../pool/state-machine');
      const leases = await p.store.listPoolLeases({ accountId });
      const cleanups = await p.store.listPoolCleanups(accountId);
      if (opts.json) return printJson(io, { account, actions: allowedActions(account), leases, cleanups });
      io.out(`Account ${account.accountId}${account.name ? ` (${account.name})` : ''}: ${account.state}${account.pending ? `, ${account.pending} requested` : ''}`);
      const facts: Array<[string, string | null]> = [
        ['source', `${account.source}${account.ouId ? ` (${account.ouId})` : ''}`],
        ['lease', account.leaseId ? `${account.leaseId} for attempt ${account.attemptId}` : null],
        ['clean-up', account.cleanupId],
        ['cooldown until', account.cooldownUntil],
        ['verified clean', account.verifiedCleanAt],
        ['quarantined', account.quarantinedAt ? `${account.quarantinedAt}: ${account.quarantineReason}` : null],
        ['retired', account.retiredAt ? `${account.retiredAt} by ${account.retiredBy}: ${account.retiredReason}` : null],
        ['joined', account.joinedAt],
        ['actions', allowedActions(account).join(', ') || 'none'],
      ];
      for (const [k, v] of facts) if (v) io.out(`  ${k.padEnd(15)} ${v}`);
      if (leases.length > 0) {
        io.out('\nLeases');
        io.out(formatColumns(leases, [
          { header: 'LEASE', cell: (l) => l.id },
          { header: 'ATTEMPT', cell: (l) => l.attemptId },
          { header: 'REGION', cell: (l) => l.region },
          { header: 'LEASED', cell: (l) => l.leasedAt },
          { header: 'ENDED', cell: (l) => l.endedAt ?? '' },
          { header: 'WHY', cell: (l) => l.endReason ?? '' },
        ], '  '));
      }
      if (cleanups.length > 0) {
        io.out('\nClean-ups');
        io.out(formatColumns(cleanups, [
          { header: 'CLEAN-UP', cell: (c) => c.id },
          { header: 'KIND', cell: (c) => c.kind },
          { header: 'STATUS', cell: (c) => c.status },
          { header: 'STARTED', cell: (c) => c.startedAt },
          { header: 'REMOVED', cell: (c) => c.removed.length },
          { header: 'REMAINING', cell: (c) => c.remaining.map((r) => `${r.arn} (${r.reason})`).join('; ') || (c.error ?? '') },
        ], '  '));
      }
    }),
  );

  effects(dataDir(pool.command('sync').description('reconcile the pool with the accounts of the sandbox OU (or, without --ou, the configured list): new accounts join after an initial clean-up verifies them empty; accounts that left are retired')))
    .option('--ou <ou-id>', `the sandbox OU (default: ${ENV.ou}; the SandboxOuId output of the SandboxOrgStack)`)
    .option('--recursive', 'also the accounts of OUs nested in it (they inherit its service control policy)')
    .option('--regions <list>', `regions each clean-up covers, comma-separated (default: ${ENV.regions}, else --region)`)
    .option('--pool <ids>', `the configured account list to reconcile with (default: ${ENV.pool})`)
    .option('--no-clean', 'do not run the initial clean-ups now (`skillproof pool clean` runs them)')
    .action((opts: PoolOpts & { ou?: string; recursive?: boolean; regions?: string; pool?: string; clean: boolean }) =>
      withPool(opts, overrides, { cleaner: opts.clean }, async (p) => {
        const { parsePool } = require('../sandbox/session') as typeof import('../sandbox/session');
        const { syncPool, listOuAccounts, checkOuId } = require('../pool/organizations') as typeof import('../pool/organizations');
        const configured = parsePool(opts.pool ?? process.env[ENV.pool]);
        const regions = list(opts.regions ?? process.env[ENV.regions]);
        if (regions.length === 0) regions.push(region(opts));
        const ouId = opts.ou ?? process.env[ENV.ou];
        let source: Parameters<typeof syncPool>[1] = { ouId: null };
        if (ouId) {
          checkOuId(ouId);
          const { organizationsClient } = require('../pool/aws-effects') as typeof import('../pool/aws-effects');
          const client = organizationsClient(regions[0] as string);
          try {
            source = { ouId, accounts: await listOuAccounts(client, ouId, { recursive: Boolean(opts.recursive) }) };
          } finally {
            client.destroy();
          }
        } else if (configured.length === 0) {
          throw new CliError(`nothing to sync from: pass --ou <ou-id> (or set ${ENV.ou}), or list accounts with --pool / ${ENV.pool}`);
        }
        const result = await syncPool(p, source, { regions, configured, clean: opts.clean, actor: actor('admin') });
        if (opts.json) printJson(io, result);
        else {
          io.out(`synced the pool with ${result.ouId ?? 'the configured list'}:`);
          const line = (label: string, items: string[]) => items.length && io.out(`  ${label.padEnd(12)} ${items.join(', ')}`);
          line('joined', result.joined);
          line('rejoined', result.rejoined);
          line('retired', result.retired.map((r) => `${r.accountId} (${r.reason})`));
          line('passed over', result.passedOver.map((r) => `${r.accountId} (${r.reason})`));
          line('unchanged', result.unchanged);
          line('cleaned', result.cleaned.map((c) => `${c.accountId} → ${c.state}${c.reason ? ` (${c.reason})` : ''}`));
          if (result.configuredOutsideOu.length) io.err(`warning: ${ENV.pool} lists accounts that are not ACTIVE in ${result.ouId}: ${result.configuredOutsideOu.join(', ')}; remove them from it`);
          if (result.missingFromConfigured.length && configured.length) io.err(`note: ${ENV.pool} lacks pool accounts ${result.missingFromConfigured.join(', ')}; \`sandbox deploy\` refuses accounts it does not list`);
        }
        if (result.cleaned.some((c) => c.state !== 'available')) io.setExitCode(EXIT.failed);
      }),
    );

  effects(dataDir(pool.command('lease <ids...>').description("lease an available account to an attempt, skipping any below a quota the tasks or assessment need")))
    .requiredOption('--attempt <id>', 'the attempt the account is for')
    .option('--cleanup-regions <list>', `regions the clean-up after the lease covers (default: ${ENV.regions}, else --region)`)
    .action((ids: string[], opts: PoolOpts & { attempt: string; cleanupRegions?: string }) =>
      withPool(opts, overrides, {}, async (p) => {
        const quotas = quotasFor(ids);
        const result = await p.lease({ attemptId: opts.attempt, region: region(opts), quotas, cleanupRegions: list(opts.cleanupRegions ?? process.env[ENV.regions]) }, actor('admin'));
        if (opts.json) return printJson(io, result);
        for (const s of result.skipped) io.err(`skipped ${s.message}`);
        io.out(`${result.account.accountId}: leased to attempt ${opts.attempt} (lease ${result.lease.id}${result.resumed ? ', which it already held' : ''})`);
      }),
    );

  effects(dataDir(pool.command('freeze <account>').description("freeze the leased account's sandbox (the candidate's role denied everything)"))).action((accountId: string, opts: PoolOpts) =>
    withPool(opts, overrides, {}, async (p) => report(io, opts, 'frozen', await p.freeze(accountId, actor('admin')))),
  );

  effects(dataDir(pool.command('release <account>').description('end the lease: freeze the candidate out, then clean the account (quarantined if the clean-up does not verify it empty)')))
    .option('--reason <text>', 'why, for the audit log')
    .option('--no-clean', 'leave it in cleaning (`skillproof pool clean` runs the clean-up)')
    .action((accountId: string, opts: PoolOpts & { reason?: string; clean: boolean }) =>
      withPool(opts, overrides, { cleaner: opts.clean }, async (p) =>
        report(io, opts, 'released', await p.release(accountId, actor('admin'), { clean: opts.clean, ...(opts.reason ? { reason: opts.reason } : {}) })),
      ),
    );

  effects(dataDir(pool.command('clean [account]').description("run an account's clean-up (a quarantined account: a fresh check); without an account, finish every interrupted freeze, release and clean-up")))
    .option('--regions <list>', "regions a quarantined account's check covers (default: those of its last clean-up)")
    .action((accountId: string | undefined, opts: PoolOpts & { regions?: string }) =>
      withPool(opts, overrides, { cleaner: true }, async (p) => {
        if (accountId) {
          const regions = list(opts.regions);
          return report(io, opts, 'cleaned', await p.clean(accountId, actor('admin'), regions.length ? { regions } : {}));
        }
        const done = await p.resume(actor('admin'));
        if (opts.json) printJson(io, { resumed: done });
        else if (done.length === 0) io.out('nothing to finish: no freeze, release or clean-up was interrupted');
        else for (const d of done) io.out(`${d.accountId}: ${d.did} → ${d.state}${d.error ? ` (${d.error})` : ''}`);
        if (done.some((d) => d.state === 'error' || d.state === 'quarantined')) io.setExitCode(EXIT.failed);
      }),
    );

  dataDir(pool.command('quarantine <account>').description('take an account out of use; a lease it is under ends'))
    .requiredOption('--reason <text>', 'why (shown with the account)')
    .action((accountId: string, opts: PoolOpts & { reason: string }) =>
      withPool(opts, overrides, {}, async (p) => report(io, opts, 'quarantined', await p.quarantine(accountId, opts.reason, actor('admin')))),
    );

  dataDir(pool.command('unquarantine <account>').description('return a quarantined account to the pool, once a clean-up run since the quarantine verified it empty'))
    .option('--cooldown <minutes>', `rest before the next lease (default: ${ENV.cooldown}, else 30)`)
    .action((accountId: string, opts: PoolOpts) => withPool(opts, overrides, {}, async (p) => report(io, opts, 'unquarantined', await p.unquarantine(accountId, actor('admin')))));

  dataDir(pool.command('retire <account>').description('take an account out of the pool for good (it stays in the history)'))
    .requiredOption('--reason <text>', 'why')
    .action((accountId: string, opts: PoolOpts & { reason: string }) =>
      withPool(opts, overrides, {}, async (p) => report(io, opts, 'retired', await p.retire(accountId, opts.reason, actor('admin')))),
    );
}
