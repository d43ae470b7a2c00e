import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, importPKCS8, type JSONWebKeySet, type JWK } from 'jose';
import type { Store } from '../store/types';
import type { IssuerProfile } from './open-badge';
import type { IssuerSigningKey } from './signer';
import { SIGNING_ALGORITHMS, type SigningAlgorithm, type SigningKey } from './vc-jwt';

/**
 * The issuer's signing key lives in `<data-dir>/issuer/`: `private-key.pem` (PKCS#8, mode 0600),
 * `issuer.json` (public metadata, written last: its presence means the issuer is initialised),
 * `jwks.json` (public JWKS) and, for a did:web issuer, `did.json` (the DID document to publish at
 * the did:web location). The store records the key's metadata so credentials can name it.
 */

export const ISSUER_DIR = 'issuer';
export const PRIVATE_KEY_FILE = 'private-key.pem';
const METADATA_FILE = 'issuer.json';
export const JWKS_FILE = 'jwks.json';
export const DID_FILE = 'did.json';

export class IssuerKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IssuerKeyError';
  }
}

export interface InitIssuerOptions {
  /** `did:web:<host>[:path]` or an https URL; default `did:web:localhost`. */
  id?: string;
  name?: string;
  url?: string;
  alg?: SigningAlgorithm;
  /** Where status list credentials are published; derived from the id by default. */
  statusListBaseUrl?: string;
  actor?: string;
}

export interface DidDocument {
  '@context': string[];
  id: string;
  verificationMethod: Array<{ id: string; type: 'JsonWebKey2020'; controller: string; publicKeyJwk: JWK }>;
  assertionMethod: string[];
}

/** What anyone may see: enough to verify the issuer's credentials offline. */
export interface IssuerPublicInfo {
  id: string;
  name: string;
  url?: string;
  alg: SigningAlgorithm;
  kid: string;
  statusListBaseUrl: string;
  createdAt: string;
  jwks: JSONWebKeySet;
  didDocument?: DidDocument;
}

/** A loaded issuer, able to sign. */
export interface Issuer extends IssuerPublicInfo {
  profile: IssuerProfile;
  /** https base the issuer publishes under (achievement ids default to `<baseUrl>/achievements/<id>`). */
  baseUrl: string;
  /** The data directory's private key, or a remote signer (the service's KMS key). */
  key: IssuerSigningKey;
  statusListUrl(listId: number): string;
}

/** An issuer whose private key is in this process (the data directory's). */
export interface LocalIssuer extends Issuer {
  key: SigningKey;
}

interface IssuerMetadata {
  id: string;
  name: string;
  url?: string;
  alg: SigningAlgorithm;
  kid: string;
  statusListBaseUrl: string;
  createdAt: string;
  publicJwk: JWK;
}

/** `did:web:example.com:badges` → `https://example.com/badges` (the base the DID resolves under). */
export function didWebBaseUrl(did: string): string {
  const match = /^did:web:([^:#?/]+)((?::[^:#?/]+)*)$/.exec(did);
  if (!match) throw new IssuerKeyError(`"${did}" is not a did:web identifier such as did:web:badges.example.com.`);
  const host = decodeURIComponent(match[1] as string);
  const path = (match[2] ?? '').split(':').filter(Boolean).map(decodeURIComponent);
  return `https://${host}${path.length ? `/${path.join('/')}` : ''}`;
}

function issuerBaseUrl(issuerId: string): string {
  if (issuerId.startsWith('did:web:')) return didWebBaseUrl(issuerId);
  const url = new URL(issuerId);
  return `${url.origin}${url.pathname.replace(/\/$/, '')}`;
}

function validateIssuerId(id: string): void {
  if (id.startsWith('did:web:')) {
    didWebBaseUrl(id);
    return;
  }
  let url: URL;
  try {
    url = new URL(id);
  } catch {
    throw new IssuerKeyError(`Issuer id "${id}" must be a did:web identifier or an https URL.`);
  }
  if (url.protocol !== 'https:') throw new IssuerKeyError(`Issuer id "${id}" must use https.`);
}

export function buildDidDocument(did: string, kid: string, publicJwk: JWK): DidDocument {
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'],
    id: did,
    verificationMethod: [{ id: kid, type: 'JsonWebKey2020', controller: did, publicKeyJwk: publicJwk }],
    assertionMethod: [kid],
  };
}

/**
 * Creates the issuer key pair and its public exports; idempotent (an initialised issuer is
 * returned as is, and a conflicting id or algorithm is refused rather than replacing the key).
 */
export async function initIssuer(dataDir: string, store: Store, options: InitIssuerOptions = {}): Promise<IssuerPublicInfo> {
  const dir = join(dataDir, ISSUER_DIR);
  if (existsSync(join(dir, METADATA_FILE))) {
    const existing = await loadIssuer(dataDir, store);
    if ((options.id && options.id !== existing.id) || (options.alg && options.alg !== existing.alg)) {
      throw new IssuerKeyError(
        `An issuer already exists in ${dir} (${existing.id}, ${existing.alg}); it is kept, because credentials it signed must stay verifiable.`,
      );
    }
    return publicInfo(existing);
  }
  const id = options.id ?? 'did:web:localhost';
  validateIssuerId(id);
  const alg = options.alg ?? 'ES256';
  if (!SIGNING_ALGORITHMS.includes(alg)) throw new IssuerKeyError(`Signing algorithm must be one of ${SIGNING_ALGORITHMS.join(', ')}; got ${alg}.`);

  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = await generateKeyPair(alg, { crv: alg === 'EdDSA' ? 'Ed25519' : undefined, extractable: true });
  const exported = await exportJWK(publicKey);
  const publicJwk: JWK = { kty: exported.kty, crv: exported.crv, x: exported.x, ...(exported.y ? { y: exported.y } : {}) };
  const kid = `${id}#${await calculateJwkThumbprint(publicJwk)}`;
  const metadata: IssuerMetadata = {
    id,
    name: options.name ?? 'SkillProof',
    ...(options.url ? { url: options.url } : {}),
    alg,
    kid,
    statusListBaseUrl: (options.statusListBaseUrl ?? `${issuerBaseUrl(id)}/status`).replace(/\/$/, ''),
    createdAt: new Date().toISOString(),
    publicJwk,
  };
  writeFileAtomic(join(dir, PRIVATE_KEY_FILE), await exportPKCS8(privateKey), 0o600);
  const info = toPublicInfo(metadata);
  writeFileAtomic(join(dir, JWKS_FILE), `${JSON.stringify(info.jwks, null, 2)}\n`, 0o644);
  if (info.didDocument) writeFileAtomic(join(dir, DID_FILE), `${JSON.stringify(info.didDocument, null, 2)}\n`, 0o644);
  writeFileAtomic(join(dir, METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`, 0o644);
  await registerKey(store, metadata, options.actor ?? 'system');
  return info;
}

/** Reads the issuer, refusing a private key that others can read; registers its key in `store` when given. */
export async function loadIssuer(dataDir: string, store?: Store): Promise<LocalIssuer> {
  const dir = join(dataDir, ISSUER_DIR);
  const metadata = readMetadata(dir);
  const keyPath = join(dir, PRIVATE_KEY_FILE);
  if (!existsSync(keyPath)) throw new IssuerKeyError(`The issuer private key ${keyPath} is missing; restore it from backup (credentials cannot be issued without it).`);
  if (process.platform !== 'win32') {
    const mode = statSync(keyPath).mode & 0o777;
    if (mode & 0o077) {
      throw new IssuerKeyError(`The issuer private key ${keyPath} is readable by others (mode ${mode.toString(8)}); run \`chmod 600 ${keyPath}\`.`);
    }
  }
  const privateKey = await importPKCS8(readFileSync(keyPath, 'utf8'), metadata.alg);
  if (store) await registerKey(store, metadata, 'system');
  const info = toPublicInfo(metadata);
  return {
    ...info,
    profile: { id: metadata.id, name: metadata.name, ...(metadata.url ? { url: metadata.url } : {}) },
    baseUrl: issuerBaseUrl(metadata.id),
    key: { kid: metadata.kid, alg: metadata.alg, privateKey },
    statusListUrl: (listId: number) => `${metadata.statusListBaseUrl}/${listId}`,
  };
}

/**
 * An issuer whose key signs elsewhere (the service's KMS key): its public JWK and kid come from the
 * signer, the rest as `issuer init` would set it; the key is registered in `store` as `loadIssuer` does.
 */
export async function remoteIssuer(
  key: IssuerSigningKey & { publicJwk: JWK },
  store: Store,
  options: { id: string; name?: string; url?: string; statusListBaseUrl?: string },
): Promise<Issuer> {
  validateIssuerId(options.id);
  const publicJwk: JWK = { kty: key.publicJwk.kty, crv: key.publicJwk.crv, x: key.publicJwk.x, ...(key.publicJwk.y ? { y: key.publicJwk.y } : {}) };
  const registered = await store.putIssuerKey(
    { kid: key.kid, issuerId: options.id, alg: key.alg, publicJwk: { ...publicJwk } },
    { actor: 'system', action: 'issuer.key-registered', subject: key.kid, data: { issuerId: options.id, alg: key.alg } },
  );
  const metadata: IssuerMetadata = {
    id: options.id,
    name: options.name ?? 'SkillProof',
    ...(options.url ? { url: options.url } : {}),
    alg: key.alg,
    kid: key.kid,
    statusListBaseUrl: (options.statusListBaseUrl ?? `${issuerBaseUrl(options.id)}/status`).replace(/\/$/, ''),
    createdAt: registered.createdAt,
    publicJwk,
  };
  return {
    ...toPublicInfo(metadata),
    profile: { id: metadata.id, name: metadata.name, ...(metadata.url ? { url: metadata.url } : {}) },
    baseUrl: issuerBaseUrl(metadata.id),
    key,
    statusListUrl: (listId: number) => `${metadata.statusListBaseUrl}/${listId}`,
  };
}

/** Whether `skillproof issuer init` has run in this data directory. */
export function hasIssuer(dataDir: string): boolean {
  return existsSync(join(dataDir, ISSUER_DIR, METADATA_FILE));
}

/** The public side only (what `issuer show` prints); never touches the private key. */
export function readIssuerPublicInfo(dataDir: string): IssuerPublicInfo {
  return toPublicInfo(readMetadata(join(dataDir, ISSUER_DIR)));
}

export function publicInfo(issuer: Issuer): IssuerPublicInfo {
  const { profile: _profile, key: _key, statusListUrl: _statusListUrl, baseUrl: _baseUrl, ...info } = issuer;
  return info;
}

function toPublicInfo(m: IssuerMetadata): IssuerPublicInfo {
  return {
    id: m.id,
    name: m.name,
    ...(m.url ? { url: m.url } : {}),
    alg: m.alg,
    kid: m.kid,
    statusListBaseUrl: m.statusListBaseUrl,
    createdAt: m.createdAt,
    jwks: { keys: [{ ...m.publicJwk, kid: m.kid, alg: m.alg, use: 'sig' }] },
    ...(m.id.startsWith('did:web:') ? { didDocument: buildDidDocument(m.id, m.kid, m.publicJwk) } : {}),
  };
}

function readMetadata(dir: string): IssuerMetadata {
  const path = join(dir, METADATA_FILE);
  if (!existsSync(path)) throw new IssuerKeyError(`No issuer in ${dir}; run \`skillproof issuer init\` first.`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as IssuerMetadata;
  } catch (e) {
    throw new IssuerKeyError(`${path} is not valid JSON (${e instanceof Error ? e.message : String(e)}); restore it from backup.`);
  }
}

async function registerKey(store: Store, m: IssuerMetadata, actor: string): Promise<void> {
  await store.putIssuerKey(
    { kid: m.kid, issuerId: m.id, alg: m.alg, publicJwk: { ...m.publicJwk } },
    { actor, action: 'issuer.key-registered', subject: m.kid, data: { issuerId: m.id, alg: m.alg } },
  );
}

/** Writes through a fresh temporary file, fsyncs and renames, so a crash leaves the old file or the new one. */
function writeFileAtomic(path: string, data: string, mode: number): void {
  const tmp = `${path}.tmp`;
  if (existsSync(tmp)) unlinkSync(tmp);
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
