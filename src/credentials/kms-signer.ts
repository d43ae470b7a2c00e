/**
 * The issuer's key in AWS KMS: an asymmetric key (KeySpec ECC_NIST_P256, KeyUsage SIGN_VERIFY) that
 * signs ES256 JWS without its private key ever leaving KMS.
 *
 * - Sign: the JWS signing input is hashed here (SHA-256) and sent as `MessageType: DIGEST`, because
 *   KMS takes at most 4,096 bytes of raw message and a credential's signing input can be longer;
 *   `ECDSA_SHA_256` with a digest is the same signature ES256 verifies. KMS returns the signature
 *   DER-encoded (ANSI X9.62); a JWS carries R || S, so it is converted (./signer.ts).
 * - GetPublicKey: `PublicKey` is the DER SubjectPublicKeyInfo; its JWK is what the JWKS publishes,
 *   and the kid is derived from it exactly as for a local key: `<issuer id>#<JWK thumbprint>`.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { derToJoseSignature, type Signer } from './signer';

export class KmsIssuerKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KmsIssuerKeyError';
  }
}

export interface KmsSigner extends Signer {
  /** The key's public half (P-256), as the JWKS publishes it. */
  publicJwk: JWK;
  /** The KMS key's ARN, as KMS reported it. */
  keyArn: string;
}

/** Reads the key's public half, checks it can sign ES256, and returns a signer for it. */
export async function kmsSigner(options: { kms: Pick<KMSClient, 'send'>; keyId: string; issuerId: string }): Promise<KmsSigner> {
  const { kms, keyId } = options;
  const key = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
  if (key.KeySpec !== 'ECC_NIST_P256' || key.KeyUsage !== 'SIGN_VERIFY' || !key.SigningAlgorithms?.includes('ECDSA_SHA_256')) {
    throw new KmsIssuerKeyError(
      `KMS key ${key.KeyId ?? keyId} is ${key.KeySpec ?? 'of an unknown spec'} for ${key.KeyUsage ?? 'an unknown usage'} (${(key.SigningAlgorithms ?? []).join(', ') || 'no signing algorithms'}); the issuer key must be ECC_NIST_P256 for SIGN_VERIFY with ECDSA_SHA_256 (ES256).`,
    );
  }
  if (!key.PublicKey) throw new KmsIssuerKeyError(`KMS returned no public key for ${keyId}`);
  const exported = createPublicKey({ key: Buffer.from(key.PublicKey), format: 'der', type: 'spki' }).export({ format: 'jwk' });
  if (exported.kty !== 'EC' || exported.crv !== 'P-256' || !exported.x || !exported.y) throw new KmsIssuerKeyError(`KMS key ${keyId}'s public key is not a P-256 key`);
  const publicJwk: JWK = { kty: 'EC', crv: 'P-256', x: exported.x, y: exported.y };
  const kid = `${options.issuerId}#${await calculateJwkThumbprint(publicJwk)}`;
  const keyArn = key.KeyId ?? keyId;
  return {
    kid,
    alg: 'ES256',
    publicJwk,
    keyArn,
    async sign(signingInput) {
      const digest = createHash('sha256').update(signingInput).digest();
      const out = await kms.send(new SignCommand({ KeyId: keyArn, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }));
      if (!out.Signature) throw new KmsIssuerKeyError(`KMS Sign with ${keyArn} returned no signature`);
      if (out.SigningAlgorithm && out.SigningAlgorithm !== 'ECDSA_SHA_256') throw new KmsIssuerKeyError(`KMS signed with ${out.SigningAlgorithm}, not ECDSA_SHA_256`);
      return derToJoseSignature(out.Signature, 32);
    },
  };
}
