import { SignJWT, type JWTPayload, type KeyLike } from 'jose';
import { isRemoteSigner, signCompactJws, type IssuerSigningKey } from './signer';

/**
 * VC-JWT as Open Badges 3.0 §8.2 "JSON Web Token Proof Format" describes it for VCDM 2.0: the JWT
 * payload is the credential itself plus the registered claims `iss` (issuer.id), `jti` (id),
 * `sub` (credentialSubject.id), `nbf` (validFrom) and `exp` (validUntil); the JOSE header holds
 * only `alg`, `kid` and `typ: "JWT"` (additional JOSE headers are not allowed).
 */

export const SIGNING_ALGORITHMS = ['ES256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];
export const JWT_TYP = 'JWT';
export const ALLOWED_HEADER_PARAMETERS: readonly string[] = ['alg', 'kid', 'typ'];
/** Claims the JWT adds around the credential; everything else in the payload is the credential. */
export const REGISTERED_CLAIMS: readonly string[] = ['iss', 'jti', 'sub', 'nbf', 'exp', 'iat', 'aud'];

export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: KeyLike;
}

/** The minimum a VC needs to be mapped onto JWT claims. */
export interface SignableCredential {
  id: string;
  issuer: string | { id: string };
  validFrom: string;
  validUntil?: string;
  credentialSubject: { id?: string };
}

export const issuerIdOf = (issuer: string | { id: string }): string => (typeof issuer === 'string' ? issuer : issuer.id);
export const toNumericDate = (dateTime: string): number => Math.floor(Date.parse(dateTime) / 1000);

export function jwtClaimsFor(credential: SignableCredential): JWTPayload {
  return {
    iss: issuerIdOf(credential.issuer),
    jti: credential.id,
    ...(credential.credentialSubject.id ? { sub: credential.credentialSubject.id } : {}),
    nbf: toNumericDate(credential.validFrom),
    ...(credential.validUntil ? { exp: toNumericDate(credential.validUntil) } : {}),
  };
}

export async function signVcJwt(credential: SignableCredential, key: IssuerSigningKey): Promise<string> {
  const payload = { ...(credential as unknown as JWTPayload), ...jwtClaimsFor(credential) };
  const header = { alg: key.alg, kid: key.kid, typ: JWT_TYP };
  if (isRemoteSigner(key)) return signCompactJws(new TextEncoder().encode(JSON.stringify(payload)), header, key);
  return new SignJWT(payload).setProtectedHeader(header).sign(key.privateKey);
}
