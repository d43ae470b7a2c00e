import type { Command } from 'commander';
import { storeOption } from './attempt';
import { CliError, EXIT, printJson, type CliIo } from './io';
import { formatColumns } from './table';

interface StoreOpts {
  dataDir?: string;
  store?: string;
  json?: boolean;
}

const ACTOR = 'admin:cli';

/** Opens the store of `--store` / `--data-dir` for one command and closes it afterwards. */
async function withStore<T>(opts: StoreOpts, fn: (store: import('../store/types').Store & import('../store/types').AccessStore) => Promise<T>): Promise<T> {
  const { openStore, resolveStoreSpec } = require('../store/open-store') as typeof import('../store/open-store');
  const { StoreError } = require('../store/errors') as typeof import('../store/errors');
  let store: ReturnType<typeof openStore>;
  try {
    store = openStore(resolveStoreSpec({ ...(opts.store ? { store: opts.store } : {}), ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) }));
  } catch (e) {
    if (e instanceof StoreError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
  try {
    return await fn(store);
  } catch (e) {
    if (e instanceof StoreError) throw new CliError(e.message, EXIT.failed);
    throw e;
  } finally {
    store.close();
  }
}

/** `skillproof admin`: tokens for the portal's administrators, and access codes for candidates. */
export function register(program: Command, io: CliIo): void {
  const admin = program.command('admin').description("administer the web portal: admin tokens and candidates' access codes");
  const token = admin.command('token').description('admin tokens for the portal and API (stored hashed; shown once)');

  token
    .command('create')
    .description('mint an admin token and print it once')
    .option('--name <name>', 'who or what the token is for', 'admin')
    .option('--data-dir <dir>', 'data directory (default: SKILLPROOF_HOME, else ~/.skillproof)')
    .addOption(storeOption())
    .option('--json', 'print JSON')
    .action((opts: StoreOpts & { name: string }) =>
      withStore(opts, async (store) => {
        if (!/^[\w .@-]{1,64}$/.test(opts.name)) throw new CliError(`--name may hold 1-64 letters, digits, spaces and . _ @ -; got "${opts.name}"`);
        const { createAdminToken } = require('../server/portal') as typeof import('../server/portal');
        const { token: secret, record } = await createAdminToken(store, opts.name, ACTOR);
        if (opts.json) return printJson(io, { id: record.id, name: record.name, token: secret });
        io.out(secret);
        io.err(`admin token ${record.id} (${record.name}) created. It is shown only now; SkillProof keeps only its hash. Revoke it with \`skillproof admin token revoke ${record.id}\`.`);
      }),
    );

  token
    .command('list')
    .description('list admin tokens (never the tokens themselves)')
    .option('--data-dir <dir>', 'data directory')
    .addOption(storeOption())
    .option('--json', 'print JSON')
    .action((opts: StoreOpts) =>
      withStore(opts, async (store) => {
        const tokens = (await store.listAdminTokens()).map(({ id, name, createdAt, revokedAt }) => ({ id, name, createdAt, revokedAt }));
        if (opts.json) return printJson(io, { tokens });
        if (tokens.length === 0) return io.out('No admin tokens; `skillproof admin token create` makes one.');
        io.out(
          formatColumns(tokens, [
            { header: 'TOKEN ID', cell: (t) => t.id },
            { header: 'NAME', cell: (t) => t.name },
            { header: 'CREATED', cell: (t) => t.createdAt },
            { header: 'REVOKED', cell: (t) => t.revokedAt ?? '' },
          ]),
        );
      }),
    );

  token
    .command('revoke <id>')
    .description('revoke an admin token; sessions opened with it end')
    .option('--data-dir <dir>', 'data directory')
    .addOption(storeOption())
    .action((id: string, opts: StoreOpts) =>
      withStore(opts, async (store) => {
        const record = await store.revokeAdminToken(id, { actor: ACTOR, action: 'admin-token.revoked', subject: id });
        io.out(`admin token ${record.id} revoked at ${record.revokedAt}`);
      }),
    );

  admin
    .command('access-code <attempt-id>')
    .description('create an access code a candidate signs in to the portal with (shown once)')
    .option('--expires-in-hours <hours>', 'how long it can be used to sign in', '168')
    .option('--data-dir <dir>', 'data directory')
    .addOption(storeOption())
    .option('--json', 'print JSON')
    .action((attemptId: string, opts: StoreOpts & { expiresInHours: string }) =>
      withStore(opts, async (store) => {
        const hours = Number(opts.expiresInHours);
        if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 90) throw new CliError(`--expires-in-hours must be whole hours from 1 to 2160, got "${opts.expiresInHours}"`);
        if (!(await store.getAttempt(attemptId))) throw new CliError(`No attempt "${attemptId}" in this data directory.`, EXIT.usage);
        const { createAccessCode } = require('../server/portal') as typeof import('../server/portal');
        const { code, record } = await createAccessCode(store, attemptId, { expiresInHours: hours, actor: ACTOR });
        if (opts.json) return printJson(io, { id: record.id, attemptId, code, expiresAt: record.expiresAt });
        io.out(code);
        io.err(`access code ${record.id} for attempt ${attemptId}, valid until ${record.expiresAt}; shown only now.`);
      }),
    );
}
