import { join } from 'node:path';
import { Option, type Command } from 'commander';
import type { IssuerPublicInfo } from '../credentials/issuer-keys';
import type { SigningAlgorithm } from '../credentials/vc-jwt';
import { actor, dataDirOption, storeOption, withWorkspace, type DataDirOpts, type Workspace } from './attempt';
import { printJson, type CliIo } from './io';

interface InitOpts extends DataDirOpts {
  id?: string;
  name?: string;
  alg?: SigningAlgorithm;
  json?: boolean;
}

/** Where a did:web document must be served: `/.well-known/did.json` for a bare host, `<path>/did.json` otherwise. */
function didDocumentUrl(did: string): string {
  const { didWebBaseUrl } = require('../credentials/issuer-keys') as typeof import('../credentials/issuer-keys');
  const base = didWebBaseUrl(did);
  return new URL(base).pathname === '/' ? `${base}/.well-known/did.json` : `${base}/did.json`;
}

function view(ws: Workspace, info: IssuerPublicInfo) {
  const { DID_FILE, ISSUER_DIR, JWKS_FILE, PRIVATE_KEY_FILE } = require('../credentials/issuer-keys') as typeof import('../credentials/issuer-keys');
  const dir = join(ws.dataDir, ISSUER_DIR);
  return {
    ...info,
    ...(info.didDocument ? { didDocumentUrl: didDocumentUrl(info.id) } : {}),
    files: {
      privateKey: join(dir, PRIVATE_KEY_FILE),
      jwks: join(dir, JWKS_FILE),
      ...(info.didDocument ? { didDocument: join(dir, DID_FILE) } : {}),
    },
  };
}

function printView(io: CliIo, v: ReturnType<typeof view>): void {
  io.out(`  key id       ${v.kid} (${v.alg})`);
  io.out(`  private key  ${v.files.privateKey} (mode 600: keep it secret and backed up)`);
  io.out(`  public JWKS  ${v.files.jwks}`);
  if (v.files.didDocument) io.out(`  did:web      ${v.files.didDocument}; publish it at ${v.didDocumentUrl ?? ''}`);
  io.out(`  status lists ${v.statusListBaseUrl}/<n>`);
}

async function init(ws: Workspace, io: CliIo, opts: InitOpts): Promise<void> {
  const { initIssuer, readIssuerPublicInfo } = require('../credentials/issuer-keys') as typeof import('../credentials/issuer-keys');
  let existed = true;
  try {
    readIssuerPublicInfo(ws.dataDir);
  } catch {
    existed = false;
  }
  const info = await initIssuer(ws.dataDir, ws.store, {
    ...(opts.id ? { id: opts.id } : {}),
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.alg ? { alg: opts.alg } : {}),
    actor: actor('admin'),
  });
  const v = view(ws, info);
  if (opts.json) return printJson(io, { ...v, created: !existed });
  io.out(
    existed
      ? `Issuer ${info.id} ("${info.name}") already exists in ${ws.dataDir}; it is kept, so the credentials it signed stay verifiable.`
      : `Issuer ${info.id} ("${info.name}") created in ${ws.dataDir}.`,
  );
  printView(io, v);
}

async function show(ws: Workspace, io: CliIo, opts: { json?: boolean }): Promise<void> {
  const { readIssuerPublicInfo } = require('../credentials/issuer-keys') as typeof import('../credentials/issuer-keys');
  const v = view(ws, readIssuerPublicInfo(ws.dataDir));
  if (opts.json) return printJson(io, v);
  io.out(`Issuer ${v.id} ("${v.name}"), created ${v.createdAt}`);
  printView(io, v);
  io.out('\nPublic JWKS (verifies every credential this issuer signs):');
  io.out(JSON.stringify(v.jwks, null, 2));
  if (v.didDocument) {
    io.out('\ndid:web document:');
    io.out(JSON.stringify(v.didDocument, null, 2));
  }
}

export function register(program: Command, io: CliIo): void {
  const issuer = program.command('issuer').description("the credential issuer: its signing key, public JWKS and did:web document");
  issuer
    .command('init')
    .description('create the issuer key pair (idempotent: an existing issuer is kept)')
    .option('--id <did-or-url>', 'issuer id: did:web:<host>[:path] or an https URL (default did:web:localhost)')
    .option('--name <name>', 'issuer name shown in credentials (default SkillProof)')
    .addOption(new Option('--alg <alg>', 'signing algorithm (default ES256)').choices(['ES256', 'EdDSA']))
    .addOption(dataDirOption())
    .addOption(storeOption())
    .option('--json', 'print JSON')
    .action((opts: InitOpts) => withWorkspace(opts, (ws) => init(ws, io, opts)));
  issuer
    .command('show')
    .description('show the issuer: id, key id, public JWKS and did:web document')
    .addOption(dataDirOption())
    .addOption(storeOption())
    .option('--json', 'print JSON')
    .action((opts: DataDirOpts & { json?: boolean }) => withWorkspace(opts, (ws) => show(ws, io, opts)));
  issuer
    .command('jwks')
    .description("print the issuer's public JWKS alone: the file `credential verify --jwks` takes (serve also publishes it at /.well-known/jwks.json)")
    .addOption(dataDirOption())
    .addOption(storeOption())
    .action((opts: DataDirOpts) => withWorkspace(opts, (ws) => jwks(ws, io)));
  issuer
    .command('status-list [list]')
    .description('print a status list credential (signed now, valid one day) to publish at its URL, for verifiers to check revocation (default list 1)')
    .addOption(dataDirOption())
    .addOption(storeOption())
    .action((list: string | undefined, opts: DataDirOpts) => withWorkspace(opts, (ws) => statusList(ws, io, list ?? '1')));
}

async function jwks(ws: Workspace, io: CliIo): Promise<void> {
  const { readIssuerPublicInfo } = require('../credentials/issuer-keys') as typeof import('../credentials/issuer-keys');
  printJson(io, readIssuerPublicInfo(ws.dataDir).jwks);
}

async function statusList(ws: Workspace, io: CliIo, list: string): Promise<void> {
  const { loadIssuer } = require('../credentials/issuer-keys') as typeof import('../credentials/issuer-keys');
  const { statusListCredentialJwt } = require('../credentials/issue') as typeof import('../credentials/issue');
  const issuer = await loadIssuer(ws.dataDir, ws.store);
  io.out(await statusListCredentialJwt({ store: ws.store, issuer }, /^\d+$/.test(list) ? Number(list) : list));
}
