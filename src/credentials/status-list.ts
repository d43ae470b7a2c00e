import { gunzipSync, gzipSync } from 'node:zlib';
import { MIN_STATUS_LIST_BITS } from '../store/types';
import { VC_CONTEXT_V2 } from './open-badge';

export { MIN_STATUS_LIST_BITS };

/**
 * Bitstring Status List v1.0: a bitstring of at least 16 KiB (131,072 entries) where bit `i` (the
 * left-most bit of the first byte is bit 0) is 1 when the credential at index `i` is revoked,
 * GZIP-compressed, base64url-encoded without padding, and multibase-prefixed with `u`.
 */

/** Refuse to inflate more than this from an untrusted list (a gzip bomb is a few KB). */
const MAX_DECODED_BYTES = 16 * 1024 * 1024;

export class StatusListError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StatusListError';
  }
}

export function encodeStatusList(revoked: Iterable<number>, sizeBits = MIN_STATUS_LIST_BITS): string {
  if (sizeBits < MIN_STATUS_LIST_BITS || sizeBits % 8 !== 0) {
    throw new StatusListError(`A status list needs at least ${MIN_STATUS_LIST_BITS} bits, in whole bytes; got ${sizeBits}.`);
  }
  const bits = new Uint8Array(sizeBits / 8);
  for (const index of revoked) {
    if (!Number.isInteger(index) || index < 0 || index >= sizeBits) {
      throw new StatusListError(`Status index ${index} is outside the list (0..${sizeBits - 1}).`);
    }
    bits[index >> 3] = (bits[index >> 3] ?? 0) | (0x80 >> (index & 7));
  }
  return `u${gzipSync(bits).toString('base64url')}`;
}

/** The raw bitstring of an `encodedList`. */
export function decodeStatusList(encodedList: string): Uint8Array {
  if (!encodedList.startsWith('u')) {
    throw new StatusListError('encodedList must be multibase base64url (start with "u").');
  }
  const body = encodedList.slice(1);
  if (!/^[A-Za-z0-9_-]*$/.test(body)) throw new StatusListError('encodedList is not base64url.');
  let bits: Buffer;
  try {
    bits = gunzipSync(Buffer.from(body, 'base64url'), { maxOutputLength: MAX_DECODED_BYTES });
  } catch (e) {
    throw new StatusListError(`encodedList could not be decompressed (not GZIP, or larger than 16 MiB): ${e instanceof Error ? e.message : String(e)}`);
  }
  if (bits.length * 8 < MIN_STATUS_LIST_BITS) {
    throw new StatusListError(`The status list holds ${bits.length * 8} bits; at least ${MIN_STATUS_LIST_BITS} are required.`);
  }
  return new Uint8Array(bits.buffer, bits.byteOffset, bits.length);
}

export function isBitSet(bits: Uint8Array, index: number): boolean {
  if (!Number.isInteger(index) || index < 0 || index >= bits.length * 8) {
    throw new StatusListError(`Status index ${index} is outside the list (0..${bits.length * 8 - 1}).`);
  }
  return ((bits[index >> 3] ?? 0) & (0x80 >> (index & 7))) !== 0;
}

export interface BitstringStatusListCredential {
  '@context': [typeof VC_CONTEXT_V2];
  id: string;
  type: ['VerifiableCredential', 'BitstringStatusListCredential'];
  issuer: string;
  validFrom: string;
  validUntil?: string;
  credentialSubject: {
    id: string;
    type: 'BitstringStatusList';
    statusPurpose: 'revocation';
    encodedList: string;
  };
}

export function buildStatusListCredential(input: {
  listUrl: string;
  issuerId: string;
  validFrom: string;
  validUntil?: string;
  encodedList: string;
}): BitstringStatusListCredential {
  return {
    '@context': [VC_CONTEXT_V2],
    id: input.listUrl,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: input.issuerId,
    validFrom: input.validFrom,
    ...(input.validUntil ? { validUntil: input.validUntil } : {}),
    credentialSubject: {
      id: `${input.listUrl}#list`,
      type: 'BitstringStatusList',
      statusPurpose: 'revocation',
      encodedList: input.encodedList,
    },
  };
}
