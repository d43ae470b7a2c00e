import fc from 'fast-check';
import { decodeJwt, type JWTPayload } from 'jose';
import { gunzipSync, gzipSync } from 'node:zlib';
import { issueCredential, revokeCredential, statusListCredentialJwt } from '../../src/credentials/issue';
import {
  decodeStatusList,
  encodeStatusList,
  isBitSet,
  MIN_STATUS_LIST_BITS,
  StatusListError,
  type BitstringStatusListCredential,
} from '../../src/credentials/status-list';
import { createVerifier } from '../../src/credentials/verify';
import { issuingContext } from './support/issuing';

describe('Bitstring Status List', () => {
  describe('encodedList', () => {
    it('is a multibase ("u") base64url, unpadded, GZIP of at least 131,072 bits', () => {
      const encoded = encodeStatusList([]);
      expect(encoded).toMatch(/^u[A-Za-z0-9_-]+$/);
      const bits = gunzipSync(Buffer.from(encoded.slice(1), 'base64url'));
      expect(bits.length * 8).toBe(MIN_STATUS_LIST_BITS);
      expect(bits.every((byte) => byte === 0)).toBe(true);
    });

    it('numbers bits from the left: index 0 is the most significant bit of the first byte', () => {
      const bits = gunzipSync(Buffer.from(encodeStatusList([0, 9, 131_071]).slice(1), 'base64url'));
      expect(bits[0]).toBe(0x80);
      expect(bits[1]).toBe(0x40);
      expect(bits[bits.length - 1]).toBe(0x01);
    });

    it('decodes to exactly the indexes that were set', () => {
      fc.assert(
        fc.property(fc.uniqueArray(fc.integer({ min: 0, max: MIN_STATUS_LIST_BITS - 1 }), { maxLength: 50 }), (revoked) => {
          const bits = decodeStatusList(encodeStatusList(revoked));
          const set = new Set(revoked);
          const probes = [...revoked, ...revoked.map((i) => (i + 1) % MIN_STATUS_LIST_BITS), 0, MIN_STATUS_LIST_BITS - 1];
          return probes.every((i) => isBitSet(bits, i) === set.has(i));
        }),
        { numRuns: 50 },
      );
    });

    it.each<[string, () => unknown, RegExp]>([
      ['a list under 131,072 bits', () => encodeStatusList([], 8 * 1024), /at least 131072 bits/],
      ['an index outside the list', () => encodeStatusList([MIN_STATUS_LIST_BITS]), /outside the list/],
      ['an encodedList without the multibase prefix', () => decodeStatusList('H4sIAAAA'), /start with "u"/],
      ['an encodedList that is not GZIP', () => decodeStatusList(`u${Buffer.from('plain').toString('base64url')}`), /could not be decompressed/],
      ['a decoded list that is too short', () => decodeStatusList(`u${gzipSync(Buffer.alloc(100)).toString('base64url')}`), /at least 131072 are required/],
      ['a gzip bomb', () => decodeStatusList(`u${gzipSync(Buffer.alloc(64 * 1024 * 1024)).toString('base64url')}`), /could not be decompressed/],
    ])('refuses %s', (_what, run, message) => {
      expect(run).toThrow(StatusListError);
      expect(run).toThrow(message);
    });
  });

  describe('status list credential', () => {
    it('is a signed BitstringStatusListCredential with the revoked bits set', async () => {
      const ctx = await issuingContext();
      try {
        const first = (await issueCredential(ctx.options, (await ctx.gradedAttempt()).id)).credential;
        const second = (await issueCredential(ctx.options, (await ctx.gradedAttempt()).id)).credential;
        await revokeCredential({ store: ctx.store }, first.id, 'issued in error');
        const jwt = await statusListCredentialJwt({ store: ctx.store, issuer: ctx.issuer }, 'https://badges.skillproof.example/status/1');
        const list = decodeJwt(jwt) as JWTPayload & BitstringStatusListCredential;
        expect(list).toMatchObject({
          '@context': ['https://www.w3.org/ns/credentials/v2'],
          id: 'https://badges.skillproof.example/status/1',
          type: ['VerifiableCredential', 'BitstringStatusListCredential'],
          issuer: ctx.issuer.id,
          credentialSubject: { id: 'https://badges.skillproof.example/status/1#list', type: 'BitstringStatusList', statusPurpose: 'revocation' },
          iss: ctx.issuer.id,
          jti: 'https://badges.skillproof.example/status/1',
        });
        expect(Number(list.exp) - Number(list.nbf)).toBe(86_400);
        const bits = decodeStatusList(list.credentialSubject.encodedList);
        expect(isBitSet(bits, first.statusIndex)).toBe(true);
        expect(isBitSet(bits, second.statusIndex)).toBe(false);

        const verify = createVerifier({ jwks: ctx.issuer.jwks, resolveStatusList: async () => jwt });
        expect(await verify(first.jwt)).toMatchObject({ valid: false, reason: 'revoked' });
        expect(await verify(second.jwt)).toMatchObject({ valid: true });
      } finally {
        ctx.cleanup();
      }
    });
  });
});
