import { createHash, verify } from 'node:crypto';
import { GetPublicKeyCommand, SignCommand } from '@aws-sdk/client-kms';
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, jwtVerify } from 'jose';
import { issuerEvidenceSigner } from '../../src/attempts/grading';
import { issueCredential, localStatusListResolver, statusListCredentialJwt } from '../../src/credentials/issue';
import { remoteIssuer, type Issuer } from '../../src/credentials/issuer-keys';
import { kmsSigner, KmsIssuerKeyError } from '../../src/credentials/kms-signer';
import { derToJoseSignature, signCompactJws } from '../../src/credentials/signer';
import { createVerifier } from '../../src/credentials/verify';
import { checkBundleSignature } from '../../src/evidence/signature';
import type { EvidenceBundle } from '../../src/evidence/bundle';
import { issuingContext, serverlessAchievement, type IssuingContext } from './support/issuing';
import { KMS_KEY_ARN, mockKmsKey } from './support/kms-key';

const ISSUER = 'did:web:badges.skillproof.example';

describe('derToJoseSignature', () => {
  const der = (...integers: number[][]) => {
    const body = integers.flatMap((i) => [0x02, i.length, ...i]);
    return new Uint8Array([0x30, body.length, ...body]);
  };
  const r = Array.from({ length: 32 }, (_, i) => i + 1);

  it('left-pads short integers and drops the sign byte of high ones, giving 64 bytes', () => {
    const out = derToJoseSignature(der([0x00, 0x80, ...r.slice(1)], [0x05]));
    expect(Buffer.from(out).toString('hex')).toBe(`80${Buffer.from(r.slice(1)).toString('hex')}${'00'.repeat(31)}05`);
  });

  it.each([
    ['not a SEQUENCE', new Uint8Array([0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01])],
    ['trailing bytes', new Uint8Array([...der(r, r), 0x00])],
    ['an INTEGER longer than the curve', der([0x01, ...r], r)],
    ['a negative INTEGER', der([0x80, ...r.slice(1)], r)],
    ['one INTEGER only', der(r)],
  ])('refuses %s', (_, bytes) => {
    expect(() => derToJoseSignature(bytes)).toThrow(/not a DER ECDSA signature/);
  });
});

describe('the issuer key in AWS KMS', () => {
  let key: ReturnType<typeof mockKmsKey>;
  beforeEach(() => {
    key = mockKmsKey();
  });
  afterEach(() => key.kms.restore());

  it('publishes the public key KMS returns, with the kid derived from it as for a local key', async () => {
    const signer = await kmsSigner({ kms: key.client, keyId: 'alias/skillproof-issuer', issuerId: ISSUER });
    const jwk = await exportJWK(key.publicKey);
    expect(signer.publicJwk).toEqual({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y });
    expect(signer.kid).toBe(`${ISSUER}#${await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! })}`);
    expect(signer.keyArn).toBe(KMS_KEY_ARN);
    expect(key.kms.commandCalls(GetPublicKeyCommand)[0]!.args[0].input).toEqual({ KeyId: 'alias/skillproof-issuer' });
  });

  it('refuses a key that cannot sign ES256', async () => {
    key.kms.on(GetPublicKeyCommand).resolves({ $metadata: {}, KeyId: KMS_KEY_ARN, KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT', EncryptionAlgorithms: ['RSAES_OAEP_SHA_256'] });
    await expect(kmsSigner({ kms: key.client, keyId: KMS_KEY_ARN, issuerId: ISSUER })).rejects.toThrow(KmsIssuerKeyError);
  });

  it('sends KMS the SHA-256 digest of the signing input and returns R || S that verifies as ES256', async () => {
    const signer = await kmsSigner({ kms: key.client, keyId: KMS_KEY_ARN, issuerId: ISSUER });
    // Enough signatures that some R or S has a high bit (DER sign byte) or a leading zero byte.
    for (let i = 0; i < 12; i++) {
      const input = new TextEncoder().encode(`header.payload-${i}-${'x'.repeat(5000)}`);
      const signature = await signer.sign(input);
      expect(signature).toHaveLength(64);
      expect(verify('sha256', input, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
      expect(key.kms.commandCalls(SignCommand)[i]!.args[0].input).toEqual({
        KeyId: KMS_KEY_ARN,
        Message: createHash('sha256').update(input).digest(),
        MessageType: 'DIGEST',
        SigningAlgorithm: 'ECDSA_SHA_256',
      });
    }
  });

  it('refuses to sign a header for another algorithm', async () => {
    const signer = await kmsSigner({ kms: key.client, keyId: KMS_KEY_ARN, issuerId: ISSUER });
    await expect(signCompactJws(new Uint8Array([1]), { alg: 'EdDSA', kid: signer.kid }, signer)).rejects.toThrow(/signs ES256/);
  });

  describe('issuing through it', () => {
    let ctx: IssuingContext;
    let issuer: Issuer;
    beforeEach(async () => {
      ctx = await issuingContext();
      issuer = await remoteIssuer(await kmsSigner({ kms: key.client, keyId: KMS_KEY_ARN, issuerId: ISSUER }), ctx.store, { id: ISSUER, name: 'SkillProof Service' });
    });
    afterEach(() => ctx.cleanup());

    it('signs a credential that the verifier accepts with the published JWKS and the signed status list', async () => {
      const attempt = await ctx.gradedAttempt();
      const { credential } = await issueCredential({ store: ctx.store, issuer, achievement: () => serverlessAchievement }, attempt.id);
      expect(credential.kid).toBe(issuer.kid);
      expect(issuer.jwks.keys).toEqual([expect.objectContaining({ kid: issuer.kid, alg: 'ES256', use: 'sig', kty: 'EC', crv: 'P-256' })]);
      expect(await ctx.store.getIssuerKey(issuer.kid)).toMatchObject({ issuerId: ISSUER, alg: 'ES256' });

      const verdict = await createVerifier({ jwks: issuer.jwks, resolveStatusList: localStatusListResolver({ store: ctx.store, issuer }) })(credential.jwt);
      expect(verdict).toMatchObject({ valid: true, statusChecked: true, credential: credential.credential });
      await expect(jwtVerify(credential.jwt, createLocalJWKSet(issuer.jwks), { typ: 'JWT', issuer: ISSUER })).resolves.toBeDefined();
      const list = await statusListCredentialJwt({ store: ctx.store, issuer }, (credential.credential as { credentialStatus: { statusListCredential: string } }).credentialStatus.statusListCredential);
      await expect(jwtVerify(list, createLocalJWKSet(issuer.jwks))).resolves.toBeDefined();
    });

    it('signs evidence bundles that check as the issuer’s', async () => {
      const bundle = { format: 'skillproof.evidence/v1', task: { id: 't', title: 'T', track: 'aws-serverless' }, transcript: [] } as unknown as EvidenceBundle;
      const signed = await issuerEvidenceSigner(async () => issuer)(bundle);
      expect(await checkBundleSignature(signed, issuer.jwks)).toMatchObject({ state: 'valid', issuer: ISSUER, kid: issuer.kid });
      expect(await checkBundleSignature({ ...signed, transcript: [{}] } as unknown as EvidenceBundle, issuer.jwks)).toMatchObject({ state: 'invalid' });
    });
  });
});
