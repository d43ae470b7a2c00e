/**
 * A stand-in for an AWS KMS ECC_NIST_P256 SIGN_VERIFY key, behind aws-sdk-client-mock: GetPublicKey
 * answers as KMS does (PublicKey: DER SubjectPublicKeyInfo; KeySpec, KeyUsage, SigningAlgorithms),
 * and Sign with MessageType DIGEST signs the 32-byte digest itself (no second hash) and returns the
 * signature DER-encoded (ANSI X9.62), as KMS does. Node's crypto always hashes what it signs, so
 * ECDSA over the digest is computed here with BigInt arithmetic on the P-256 curve.
 */
import { createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand, type GetPublicKeyCommandOutput, type SignCommandOutput } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';

// P-256 (SEC 2 / FIPS 186-4 D.1.2.3).
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const A = P - 3n;
const G: Point = [0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n, 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n];
type Point = [bigint, bigint] | null;

const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;
function inverse(a: bigint, m: bigint): bigint {
  let [r0, r1, t0, t1] = [mod(a, m), m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, t0, t1] = [r1, r0 - q * r1, t1, t0 - q * t1];
  }
  return mod(t0, m);
}
function add(p: Point, q: Point): Point {
  if (!p) return q;
  if (!q) return p;
  if (p[0] === q[0] && mod(p[1] + q[1], P) === 0n) return null;
  const l = p[0] === q[0] && p[1] === q[1] ? mod((3n * p[0] * p[0] + A) * inverse(2n * p[1], P), P) : mod((q[1] - p[1]) * inverse(q[0] - p[0], P), P);
  const x = mod(l * l - p[0] - q[0], P);
  return [x, mod(l * (p[0] - x) - p[1], P)];
}
function multiply(k: bigint, p: Point): Point {
  let result: Point = null;
  for (let addend = p; k > 0n; k >>= 1n, addend = add(addend, addend)) if (k & 1n) result = add(result, addend);
  return result;
}
const toBig = (bytes: Uint8Array) => BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);

/** DER INTEGER: minimal big-endian bytes, a 0x00 in front when the high bit is set. */
function derInteger(n: bigint): Buffer {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

/** ECDSA over a digest (no hashing), DER-encoded. */
export function signDigestDer(privateKey: KeyObject, digest: Uint8Array): Uint8Array {
  const d = toBig(Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url'));
  const e = toBig(digest);
  for (;;) {
    const k = mod(toBig(randomBytes(32)), N);
    if (k === 0n) continue;
    const r = mod(multiply(k, G)![0], N);
    const s = mod(inverse(k, N) * (e + r * d), N);
    if (r === 0n || s === 0n) continue;
    const body = Buffer.concat([derInteger(r), derInteger(s)]);
    return new Uint8Array(Buffer.concat([Buffer.from([0x30, body.length]), body]));
  }
}

export const KMS_KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** A mocked KMS client holding one P-256 signing key; `signed` lists the Sign requests it answered. */
export function mockKmsKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kms = mockClient(KMSClient);
  const publicKeyOutput: GetPublicKeyCommandOutput = {
    $metadata: { httpStatusCode: 200 },
    KeyId: KMS_KEY_ARN,
    PublicKey: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
    CustomerMasterKeySpec: 'ECC_NIST_P256',
    KeySpec: 'ECC_NIST_P256',
    KeyUsage: 'SIGN_VERIFY',
    SigningAlgorithms: ['ECDSA_SHA_256'],
  };
  kms.on(GetPublicKeyCommand).resolves(publicKeyOutput);
  kms.on(SignCommand).callsFake((input: SignCommand['input']): SignCommandOutput => {
    if (input.MessageType !== 'DIGEST' || input.SigningAlgorithm !== 'ECDSA_SHA_256' || input.Message?.length !== 32) {
      throw Object.assign(new Error('the test key signs 32-byte SHA-256 digests only'), { name: 'ValidationException' });
    }
    return { $metadata: { httpStatusCode: 200 }, KeyId: KMS_KEY_ARN, Signature: signDigestDer(privateKey, input.Message), SigningAlgorithm: 'ECDSA_SHA_256' };
  });
  return { kms, client: new KMSClient({ region: 'eu-west-1' }), privateKey, publicKey: createPublicKey(publicKey.export({ format: 'pem', type: 'spki' })) };
}
