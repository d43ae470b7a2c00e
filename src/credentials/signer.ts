/**
 * Who signs the issuer's JWS (credentials, status lists, evidence): a private key held in this
 * process (`SigningKey`, the data directory's key; signed by jose as before), or a `Signer` that
 * signs elsewhere (the service's AWS KMS key, ./kms-signer.ts) and never hands out its private key.
 */
import { CompactSign, type JWSHeaderParameters } from 'jose';
import type { SigningAlgorithm, SigningKey } from './vc-jwt';

export interface Signer {
  kid: string;
  alg: SigningAlgorithm;
  /**
   * The JWS signature over `signingInput` (RFC 7515 §5.1: ASCII(BASE64URL(header) "." BASE64URL(payload))),
   * in JOSE form: for ES256 the 64 bytes R || S (RFC 7518 §3.4), never DER.
   */
  sign(signingInput: Uint8Array): Promise<Uint8Array>;
}

/** The issuer's key: held here, or a remote signer. */
export type IssuerSigningKey = SigningKey | Signer;

export function isRemoteSigner(key: IssuerSigningKey): key is Signer {
  return typeof (key as Signer).sign === 'function';
}

/** A compact JWS of `payload` under `header` (which must name the key's alg and kid). */
export async function signCompactJws(payload: Uint8Array, header: JWSHeaderParameters & { alg: string }, key: IssuerSigningKey): Promise<string> {
  if (!isRemoteSigner(key)) return new CompactSign(payload).setProtectedHeader(header).sign(key.privateKey);
  if (header.alg !== key.alg) throw new Error(`the JWS header names ${header.alg}, but the signer signs ${key.alg}`);
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
  const signature = await key.sign(new TextEncoder().encode(input));
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

/**
 * An ECDSA signature in DER (X9.62 `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }`, what KMS
 * Sign returns) as the fixed-size R || S a JWS carries, each integer left-padded to `size` bytes
 * (32 for P-256). Throws on anything that is not exactly that structure.
 */
export function derToJoseSignature(der: Uint8Array, size = 32): Uint8Array {
  const bytes = Buffer.from(der);
  let at = 0;
  const fail = (why: string): never => {
    throw new Error(`not a DER ECDSA signature (${why}; ${bytes.length} bytes)`);
  };
  const length = (): number => {
    const first = bytes[at++] ?? fail('truncated length');
    if (first < 0x80) return first;
    const count = first & 0x7f;
    if (count === 0 || count > 2) fail('unsupported length form');
    let value = 0;
    for (let i = 0; i < count; i++) value = (value << 8) | (bytes[at++] ?? fail('truncated length'));
    return value;
  };
  const integer = (): Buffer => {
    if (bytes[at++] !== 0x02) fail('expected an INTEGER');
    const len = length();
    if (len === 0 || at + len > bytes.length) fail('bad INTEGER length');
    let value = bytes.subarray(at, at + len);
    at += len;
    if (value[0]! & 0x80) fail('negative INTEGER');
    while (value.length > 1 && value[0] === 0) value = value.subarray(1);
    if (value.length > size) fail(`INTEGER longer than ${size} bytes`);
    return Buffer.concat([Buffer.alloc(size - value.length), value]);
  };
  if (bytes[at++] !== 0x30) fail('expected a SEQUENCE');
  const seqLength = length();
  if (at + seqLength !== bytes.length) fail('SEQUENCE length does not match');
  const r = integer();
  const s = integer();
  if (at !== bytes.length) fail('trailing bytes');
  return new Uint8Array(Buffer.concat([r, s]));
}
