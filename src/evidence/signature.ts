import { compactVerify, createLocalJWKSet, decodeProtectedHeader, errors, type JSONWebKeySet } from 'jose';
import { signCompactJws, type IssuerSigningKey } from '../credentials/signer';
import { SIGNING_ALGORITHMS } from '../credentials/vc-jwt';
import { bundleHash, type EvidenceBundle } from './bundle';

/**
 * The issuer's signature on an evidence bundle: a JWS with a detached payload (RFC 7515 appendix
 * F), stored as `header..signature` in the bundle's `signature` field. The payload is
 * `urn:sha256:<hash>`, the same id a credential's evidence entry carries, and the hash is over the
 * bundle's canonical JSON without its `sha256` and `signature` fields. Anyone can recompute the
 * sha256 seal after editing a bundle; only the issuer's key can sign the new hash.
 */
export const EVIDENCE_SIGNATURE_TYP = 'skillproof-evidence+jws';

export interface EvidenceSigner {
  issuerId: string;
  /** The issuer's key: held in this process, or a remote signer (the service's KMS key). */
  key: IssuerSigningKey;
}

export type SignatureCheck =
  /** No signature: the seal shows the content is intact, not who produced it. */
  | { state: 'unsigned' }
  /** Signed, and the signature verifies with the key set given. */
  | { state: 'valid'; issuer: string; kid: string; signedAt: string }
  /** Signed, but no key set was given to check it with (or it has no key of that id). */
  | { state: 'unverified'; issuer: string; kid: string; signedAt: string; reason: string }
  /** Signed, and the signature does not match this content: it was changed after signing. */
  | { state: 'invalid'; issuer?: string; kid?: string; reason: string };

const payloadOf = (sha256: string) => new TextEncoder().encode(`urn:sha256:${sha256}`);

/** Signs a sealed bundle; the result is the same bundle with its `signature`. */
export async function signBundle(bundle: EvidenceBundle, signer: EvidenceSigner, now: () => Date = () => new Date()): Promise<EvidenceBundle> {
  const sha256 = bundleHash(bundle);
  if (bundle.sha256 && bundle.sha256 !== sha256) throw new Error(`refusing to sign evidence whose content does not match its sha256 (${bundle.sha256.slice(0, 12)}…)`);
  const protectedHeader = { alg: signer.key.alg, kid: signer.key.kid, typ: EVIDENCE_SIGNATURE_TYP, iss: signer.issuerId, iat: Math.floor(now().getTime() / 1000) };
  const jws = await signCompactJws(payloadOf(sha256), protectedHeader, signer.key);
  const [header, , signature] = jws.split('.');
  return { ...bundle, sha256, signature: `${header}..${signature}` };
}

/** Checks a bundle's signature against the issuer's public key set (when given). */
export async function checkBundleSignature(bundle: EvidenceBundle, jwks?: JSONWebKeySet): Promise<SignatureCheck> {
  if (!bundle.signature) return { state: 'unsigned' };
  const [header = '', , signature = ''] = bundle.signature.split('.');
  let protectedHeader: Record<string, unknown>;
  try {
    protectedHeader = decodeProtectedHeader(bundle.signature) as Record<string, unknown>;
  } catch {
    return { state: 'invalid', reason: 'the signature header is not base64url-encoded JSON' };
  }
  const issuer = typeof protectedHeader.iss === 'string' ? protectedHeader.iss : undefined;
  const kid = typeof protectedHeader.kid === 'string' ? protectedHeader.kid : undefined;
  const iat = typeof protectedHeader.iat === 'number' ? protectedHeader.iat : undefined;
  if (protectedHeader.typ !== EVIDENCE_SIGNATURE_TYP || !issuer || !kid || iat === undefined) {
    return { state: 'invalid', ...(issuer ? { issuer } : {}), ...(kid ? { kid } : {}), reason: `the signature header is not a SkillProof evidence signature (typ ${EVIDENCE_SIGNATURE_TYP}, iss, kid, iat)` };
  }
  const signedAt = new Date(iat * 1000).toISOString();
  if (!jwks) return { state: 'unverified', issuer, kid, signedAt, reason: "no issuer key set to check it with" };
  const payload = Buffer.from(payloadOf(bundleHash(bundle))).toString('base64url');
  try {
    await compactVerify(`${header}.${payload}.${signature}`, createLocalJWKSet(jwks), { algorithms: [...SIGNING_ALGORITHMS] });
    return { state: 'valid', issuer, kid, signedAt };
  } catch (e) {
    if (e instanceof errors.JWKSNoMatchingKey) return { state: 'unverified', issuer, kid, signedAt, reason: `the key set given has no key ${kid}` };
    if (e instanceof errors.JWSSignatureVerificationFailed) {
      return { state: 'invalid', issuer, kid, reason: 'the signature does not match this content: the bundle was changed after the issuer signed it' };
    }
    return { state: 'invalid', issuer, kid, reason: e instanceof Error ? e.message : String(e) };
  }
}
