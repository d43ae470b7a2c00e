import type { Command } from 'commander';
import { storeOption } from './attempt';
import { withCatalog } from './catalog';
import { CliError, EXIT, type CliIo } from './io';

interface ServeOpts {
  port: string;
  host: string;
  dataDir?: string;
  store?: string;
  region?: string;
  publicUrl?: string;
  trustProxy?: boolean | string;
}

/** --trust-proxy alone trusts the connecting peer; with a value, only those comma-separated proxy addresses. */
function trustProxy(value: boolean | string | undefined, origin: string | undefined): boolean | string[] | undefined {
  if (value === undefined || value === false) return undefined;
  if (!origin) throw new CliError('--trust-proxy is for a portal behind a reverse proxy; give the address people reach it at with --public-url too');
  if (value === true) return true;
  const list = value.split(',').map((a) => a.trim()).filter(Boolean);
  const { isIP } = require('node:net') as typeof import('node:net');
  const bad = list.find((a) => !isIP(a));
  if (bad !== undefined || list.length === 0) throw new CliError(`--trust-proxy takes the proxies' IP addresses, comma-separated; "${bad ?? value}" is not one`);
  return list;
}

function port(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new CliError(`--port must be a whole number from 0 to 65535, got "${text}"`);
  return value;
}

function publicUrl(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
  } catch {
    // reported below
  }
  throw new CliError(`--public-url must be an http(s) URL such as https://badges.example.com, got "${text}"`);
}

/** `skillproof serve`: the web portal and JSON API. */
export function register(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('serve the web portal and JSON API (candidates, admins, public credential verification)')
    .option('--port <port>', 'TCP port (0 picks a free one)', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--data-dir <dir>', 'data directory (default: SKILLPROOF_HOME, else ~/.skillproof)')
    .addOption(storeOption())
    .option('--region <region>', 'AWS region of the sandboxes (default: AWS_REGION)')
    .option('--public-url <url>', 'the address people reach the portal at, when behind a proxy (share links; https turns on Secure cookies)')
    .option(
      '--trust-proxy [addresses]',
      "with --public-url: take the client's address from X-Forwarded-For (the entry the proxy added) for sign-in rate limits; only from these proxy IPs if given",
    )
    .action((opts: ServeOpts) =>
      withCatalog(async (catalog) => {
        const { resolveDataDir } = require('../store/data-dir') as typeof import('../store/data-dir');
        const { openStore, resolveStoreSpec, describeStoreSpec } = require('../store/open-store') as typeof import('../store/open-store');
        const { startPortalServer } = require('../server/app') as typeof import('../server/app');
        const { portalCohorts } = require('../cohorts/progress') as typeof import('../cohorts/progress');
        const { parsePool, POOL_ENV } = require('../sandbox/session') as typeof import('../sandbox/session');
        const listenPort = port(opts.port);
        const origin = publicUrl(opts.publicUrl);
        const proxies = trustProxy(opts.trustProxy, origin);
        const dataDir = resolveDataDir(opts.dataDir ? { dataDir: opts.dataDir } : {});
        const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
        let spec: ReturnType<typeof resolveStoreSpec>;
        let store: ReturnType<typeof openStore>;
        try {
          spec = resolveStoreSpec({ ...(opts.store ? { store: opts.store } : {}), dataDir });
          store = openStore(spec);
        } catch (e) {
          if ((e as Error).name === 'StoreSpecError') throw new CliError((e as Error).message, EXIT.usage);
          throw e;
        }
        const { accountPool } = require('./pool') as typeof import('./pool');
        const { SqliteStore } = require('../store/sqlite-store') as typeof import('../store/sqlite-store');
        const cohorts = portalCohorts(store, catalog);
        let running: Awaited<ReturnType<typeof startPortalServer>>;
        try {
          running = await startPortalServer({
            dataDir,
            store,
            ...('setBadgeShownName' in store ? { badges: store as typeof store & import('../store/badge-types').BadgeStore } : {}),
            // The cohort pages show what `skillproof cohort show` computes, from the same store.
            ...(cohorts ? { cohorts } : {}),
            catalog,
            host: opts.host,
            port: listenPort,
            pool: parsePool(process.env[POOL_ENV]),
            // The account pool lives in the SQLite store (the DynamoDB store keeps no pool yet).
            ...(store instanceof SqliteStore ? { accountPool: accountPool(store) } : {}),
            ...(region ? { region } : {}),
            ...(origin ? { publicUrl: origin } : {}),
            ...(proxies ? { trustProxy: proxies } : {}),
            log: (line) => io.err(line),
          });
        } catch (e) {
          store.close();
          const code = (e as { code?: string }).code;
          if (code === 'EADDRINUSE') throw new CliError(`${opts.host}:${opts.port} is already in use; pick another --port.`, EXIT.failed);
          if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new CliError(`cannot listen on ${opts.host}: no such local address.`, EXIT.usage);
          throw e;
        }
        io.out(`SkillProof portal listening on ${running.url} (data directory ${dataDir}, store ${describeStoreSpec(spec)})`);
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            io.err('shutting down: letting running gradings finish (at most 10 s)…');
            void running.close().finally(() => {
              store.close();
              resolve();
            });
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      }),
    );
}
