import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ISSUER_DIR, didWebBaseUrl, initIssuer, loadIssuer, readIssuerPublicInfo, IssuerKeyError } from '../../src/credentials/issuer-keys';
import { tempStore } from '../attempts/support/fixtures';

const posix = process.platform === 'win32' ? describe.skip : describe;

describe('issuer keys', () => {
  let ctx: ReturnType<typeof tempStore>;
  beforeEach(() => {
    ctx = tempStore();
  });
  afterEach(() => ctx.cleanup());
  const file = (name: string) => join(ctx.dir, ISSUER_DIR, name);

  it('creates an ES256 key pair by default and exports a public JWKS and a did:web document', async () => {
    const info = await initIssuer(ctx.dir, ctx.store, { id: 'did:web:badges.example.com', name: 'Example Academy' });
    expect(info).toMatchObject({ id: 'did:web:badges.example.com', name: 'Example Academy', alg: 'ES256', statusListBaseUrl: 'https://badges.example.com/status' });
    expect(info.kid).toMatch(/^did:web:badges\.example\.com#[A-Za-z0-9_-]{43}$/);

    const jwks = JSON.parse(readFileSync(file('jwks.json'), 'utf8'));
    expect(jwks).toEqual(info.jwks);
    expect(jwks.keys).toEqual([{ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: info.kid, alg: 'ES256', use: 'sig' }]);

    const did = JSON.parse(readFileSync(file('did.json'), 'utf8'));
    expect(did).toEqual({
      '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'],
      id: 'did:web:badges.example.com',
      verificationMethod: [{ id: info.kid, type: 'JsonWebKey2020', controller: 'did:web:badges.example.com', publicKeyJwk: expect.objectContaining({ kty: 'EC' }) }],
      assertionMethod: [info.kid],
    });
    expect(JSON.stringify([jwks, did, JSON.parse(readFileSync(file('issuer.json'), 'utf8'))])).not.toMatch(/"d"/);
    expect(await ctx.store.getIssuerKey(info.kid)).toMatchObject({ issuerId: 'did:web:badges.example.com', alg: 'ES256' });
  });

  posix('file permissions', () => {
    it('stores the private key readable by its owner only (0600)', async () => {
      await initIssuer(ctx.dir, ctx.store);
      expect(statSync(file('private-key.pem')).mode & 0o777).toBe(0o600);
      expect(statSync(join(ctx.dir, ISSUER_DIR)).mode & 0o077).toBe(0);
    });

    it('refuses to load a private key that others can read', async () => {
      await initIssuer(ctx.dir, ctx.store);
      chmodSync(file('private-key.pem'), 0o644);
      await expect(loadIssuer(ctx.dir)).rejects.toThrow(/readable by others \(mode 644\); run `chmod 600/);
    });
  });

  it('offers EdDSA (Ed25519) as an option', async () => {
    const info = await initIssuer(ctx.dir, ctx.store, { alg: 'EdDSA' });
    expect(info.jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    expect((await loadIssuer(ctx.dir)).key.alg).toBe('EdDSA');
  });

  it('is idempotent, and never replaces an existing key', async () => {
    const first = await initIssuer(ctx.dir, ctx.store, { id: 'did:web:badges.example.com' });
    expect(await initIssuer(ctx.dir, ctx.store)).toEqual(first);
    await expect(initIssuer(ctx.dir, ctx.store, { id: 'did:web:other.example.com' })).rejects.toThrow(/already exists .* it is kept/);
    await expect(initIssuer(ctx.dir, ctx.store, { alg: 'EdDSA' })).rejects.toThrow(IssuerKeyError);
    expect(readIssuerPublicInfo(ctx.dir)).toEqual(first);
  });

  it('accepts an https issuer id, with no DID document', async () => {
    const info = await initIssuer(ctx.dir, ctx.store, { id: 'https://skillproof.example.org/issuer/' });
    expect(info.didDocument).toBeUndefined();
    expect(existsSync(file('did.json'))).toBe(false);
    expect(info.statusListBaseUrl).toBe('https://skillproof.example.org/issuer/status');
  });

  it.each(['http://insecure.example.org', 'did:key:z6Mk', 'not a uri'])('refuses the issuer id %s', async (id) => {
    await expect(initIssuer(ctx.dir, ctx.store, { id })).rejects.toThrow(IssuerKeyError);
  });

  it('says what to do when there is no issuer yet', async () => {
    await expect(loadIssuer(ctx.dir)).rejects.toThrow(/No issuer in .*; run `skillproof issuer init` first/);
  });

  it('maps did:web identifiers to their https location', () => {
    expect(didWebBaseUrl('did:web:example.com')).toBe('https://example.com');
    expect(didWebBaseUrl('did:web:example.com:users:alice')).toBe('https://example.com/users/alice');
    expect(didWebBaseUrl('did:web:localhost%3A8443')).toBe('https://localhost:8443');
  });
});
