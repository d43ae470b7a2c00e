import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompactSign, createLocalJWKSet, decodeJwt, exportJWK, generateKeyPair, jwtVerify, type JSONWebKeySet, type JWTPayload, type KeyLike } from 'jose';
import { issueCredential, localStatusListResolver, revokeCredential, statusListCredentialJwt } from '../../src/credentials/issue';
import { ISSUER_DIR } from '../../src/credentials/issuer-keys';
import { signVcJwt, type SignableCredential } from '../../src/credentials/vc-jwt';
import { createVerifier, type VerifierOptions } from '../../src/credentials/verify';
import type { CredentialRecord } from '../../src/store/types';
import { issuingContext, type IssuingContext } from './support/issuing';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const DAY = 86_400_000;

async function sign(payload: JWTPayload, header: Record<string, unknown>, key: KeyLike): Promise<string> {
  return new CompactSign(Buffer.from(JSON.stringify(payload))).setProtectedHeader(header as { alg: string }).sign(key);
}

describe.each(['ES256', 'EdDSA'] as const)('verifying an issued credential (%s)', (alg) => {
  let ctx: IssuingContext;
  let issued: CredentialRecord;
  let jwks: JSONWebKeySet;
  let payload: JWTPayload;

  beforeEach(async () => {
    ctx = await issuingContext(alg);
    issued = (await issueCredential({ ...ctx.options, validForDays: 30 }, (await ctx.gradedAttempt()).id)).credential;
    jwks = JSON.parse(readFileSync(join(ctx.dir, ISSUER_DIR, 'jwks.json'), 'utf8')) as JSONWebKeySet;
    payload = decodeJwt(issued.jwt);
  });
  afterEach(() => ctx.cleanup());

  const verifier = (options: Partial<VerifierOptions> = {}) =>
    createVerifier({ jwks, resolveStatusList: localStatusListResolver({ store: ctx.store, issuer: ctx.issuer }), ...options });
  const header = () => ({ alg, kid: ctx.issuer.kid, typ: 'JWT' });

  it('accepts it, having checked its revocation status, and names the status list it read with its validity', async () => {
    const statusUrl = (issued.credential as { credentialStatus: { statusListCredential: string } }).credentialStatus.statusListCredential;
    expect(await verifier()(issued.jwt)).toEqual({
      valid: true,
      credential: issued.credential,
      statusChecked: true,
      statusList: { url: statusUrl, validFrom: expect.stringMatching(/^\d{4}-/), validUntil: expect.stringMatching(/^\d{4}-/) },
    });
  });

  it('verifies with jose’s generic jwtVerify given only the exported JWKS', async () => {
    const { payload: verified, protectedHeader } = await jwtVerify(issued.jwt, createLocalJWKSet(jwks), { typ: 'JWT', issuer: ctx.issuer.id });
    expect(protectedHeader).toEqual(header());
    expect(verified.jti).toBe(issued.id);
    expect(jwks.keys.every((k) => !('d' in k))).toBe(true);
  });

  it('accepts the VCDM 1.1-style form with the credential in a `vc` claim', async () => {
    const { iss, jti, sub, nbf, exp } = payload;
    const legacy = await sign({ vc: issued.credential, iss, jti, sub, nbf, exp }, header(), ctx.issuer.key.privateKey);
    expect(await verifier()(legacy)).toMatchObject({ valid: true, credential: issued.credential });
  });

  it('says when the revocation status was not checked (no resolver given)', async () => {
    expect(await createVerifier({ jwks })(issued.jwt)).toEqual({ valid: true, credential: issued.credential, statusChecked: false });
  });

  describe('rejects', () => {
    it('a tampered payload', async () => {
      const [h, , s] = issued.jwt.split('.');
      const forged = `${h}.${b64({ ...payload, name: 'AWS Solutions Architect Professional' })}.${s}`;
      expect(await verifier()(forged)).toMatchObject({ valid: false, reason: 'signature' });
    });

    it('a changed header', async () => {
      const [, p, s] = issued.jwt.split('.');
      expect(await verifier()(`${b64({ typ: 'JWT', kid: ctx.issuer.kid, alg })}.${p}.${s}`)).toMatchObject({ valid: false, reason: 'signature' });
    });

    it('alg "none"', async () => {
      const [, p] = issued.jwt.split('.');
      for (const h of [{ alg: 'none', typ: 'JWT' }, { alg: 'none', kid: ctx.issuer.kid }]) {
        expect(await verifier()(`${b64(h)}.${p}.`)).toMatchObject({ valid: false, reason: 'signature', message: expect.stringContaining('"none" is not accepted') });
      }
    });

    it('HS256 keyed with the public key (algorithm confusion)', async () => {
      const secret = Buffer.from(JSON.stringify(jwks.keys[0]));
      const forged = await sign(payload, { alg: 'HS256', kid: ctx.issuer.kid, typ: 'JWT' }, secret as unknown as KeyLike);
      expect(await verifier()(forged)).toMatchObject({ valid: false, reason: 'signature' });
    });

    it('a foreign key claiming the issuer’s key id', async () => {
      const { privateKey } = await generateKeyPair(alg, { crv: alg === 'EdDSA' ? 'Ed25519' : undefined });
      expect(await verifier()(await sign(payload, header(), privateKey))).toMatchObject({ valid: false, reason: 'signature' });
    });

    it('a foreign key under its own key id', async () => {
      const { privateKey } = await generateKeyPair(alg, { crv: alg === 'EdDSA' ? 'Ed25519' : undefined });
      const forged = await sign(payload, { ...header(), kid: 'did:web:badges.skillproof.example#not-our-key' }, privateKey);
      expect(await verifier()(forged)).toMatchObject({ valid: false, reason: 'unknown-key' });
    });

    it('a key of another issuer that shares the key set', async () => {
      const { privateKey, publicKey } = await generateKeyPair(alg, { crv: alg === 'EdDSA' ? 'Ed25519' : undefined });
      const kid = 'did:web:other-issuer.example#key-1';
      const shared = { keys: [...jwks.keys, { ...(await exportJWK(publicKey)), kid, alg }] };
      const forged = await sign(payload, { ...header(), kid }, privateKey);
      expect(await verifier({ jwks: shared })(forged)).toMatchObject({ valid: false, reason: 'unknown-key', message: expect.stringContaining('does not belong') });
    });

    it('an expired credential, still showing what it was', async () => {
      const later = new Date(Date.now() + 31 * DAY);
      expect(await verifier({ now: () => later })(issued.jwt)).toMatchObject({ valid: false, reason: 'expired', credential: issued.credential });
    });

    it('a credential not yet valid', async () => {
      const earlier = new Date(Date.now() - DAY);
      expect(await verifier({ now: () => earlier })(issued.jwt)).toMatchObject({ valid: false, reason: 'not-yet-valid' });
    });

    it('a revoked credential, naming the status bit', async () => {
      await revokeCredential({ store: ctx.store, actor: 'admin:grace' }, issued.id, 'identity fraud');
      expect(await verifier()(issued.jwt)).toMatchObject({
        valid: false,
        reason: 'revoked',
        statusChecked: true,
        message: `revocation bit ${issued.statusIndex} is set in https://badges.skillproof.example/status/1`,
        credential: issued.credential,
      });
    });

    it('a typ other than "JWT", even when properly signed', async () => {
      const forged = await sign(payload, { ...header(), typ: 'vc+jwt' }, ctx.issuer.key.privateKey);
      expect(await verifier()(forged)).toMatchObject({ valid: false, reason: 'malformed', message: expect.stringContaining('typ must be "JWT"') });
    });

    it('JOSE header parameters beyond alg, kid and typ', async () => {
      const forged = await sign(payload, { ...header(), jwk: jwks.keys[0] }, ctx.issuer.key.privateKey);
      expect(await verifier()(forged)).toMatchObject({ valid: false, reason: 'malformed', message: expect.stringContaining('jwk') });
    });

    it('claims that disagree with the credential', async () => {
      for (const claims of [{ jti: 'urn:uuid:00000000-0000-4000-8000-000000000000' }, { iss: 'did:web:elsewhere.example' }, { nbf: Number(payload.nbf) - 60 }, { sub: undefined }]) {
        const forged = await sign({ ...payload, ...claims }, header(), ctx.issuer.key.privateKey);
        expect(await verifier()(forged)).toMatchObject({ valid: false, reason: 'malformed' });
      }
    });

    it('a signed document that is not an OpenBadgeCredential', async () => {
      const statusList = await statusListCredentialJwt({ store: ctx.store, issuer: ctx.issuer }, 1);
      expect(await verifier()(statusList)).toMatchObject({ valid: false, reason: 'malformed', message: expect.stringContaining('credential') });
      const vc11 = { ...issued.credential, '@context': ['https://www.w3.org/2018/credentials/v1'] } as unknown as SignableCredential;
      const noContext = await signVcJwt(vc11, ctx.issuer.key);
      expect(await verifier()(noContext)).toMatchObject({ valid: false, reason: 'malformed', message: expect.stringContaining('@context') });
    });

    it.each(['', 'not a jwt', 'a.b', 'a.b.c.d', '!!!.???.***', `${b64('not json')}.${b64({})}.sig`])('the malformed input %j', async (input) => {
      expect(await verifier()(input)).toMatchObject({ valid: false, reason: 'malformed' });
    });
  });

  describe('with the status list', () => {
    it('unavailable, refuses to call the credential valid', async () => {
      const result = await verifier({ resolveStatusList: async () => undefined })(issued.jwt);
      expect(result).toMatchObject({ valid: false, reason: 'status-unavailable', statusChecked: true });
    });

    it('stale (its own validity passed), refuses it: an old list could hide a revocation', async () => {
      const old = await statusListCredentialJwt({ store: ctx.store, issuer: ctx.issuer, validForSeconds: 60 }, 1);
      const later = new Date(Date.now() + 120_000);
      const result = await verifier({ resolveStatusList: async () => old, now: () => later })(issued.jwt);
      expect(result).toMatchObject({ valid: false, reason: 'status-unavailable', message: expect.stringContaining('expired') });
    });

    it('signed by someone else, refuses it', async () => {
      const { privateKey } = await generateKeyPair(alg, { crv: alg === 'EdDSA' ? 'Ed25519' : undefined });
      const genuine = decodeJwt(await statusListCredentialJwt({ store: ctx.store, issuer: ctx.issuer }, 1));
      const forged = await sign(genuine, header(), privateKey);
      expect(await verifier({ resolveStatusList: async () => forged })(issued.jwt)).toMatchObject({ valid: false, reason: 'status-unavailable' });
    });
  });
});
