import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * The portal's bearer secrets. Each kind has its own prefix, so a secret pasted in the wrong place
 * is recognised, and only its sha256 is stored: all of them carry at least 80 random bits, so a
 * fast hash is enough (there is nothing to brute-force from a leaked database).
 */
export const ADMIN_TOKEN_PREFIX = 'spa_';
export const SESSION_TOKEN_PREFIX = 'sps_';

/** Crockford-like alphabet without 0/O, 1/I/L: codes are read aloud and typed by hand. */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 16;

export function newAdminToken(): string {
  return `${ADMIN_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function newSessionToken(): string {
  return `${SESSION_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** `ABCD-EFGH-JKMN-PQRS`: 16 characters of a 31-letter alphabet, about 79 bits. */
export function newAccessCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i += 1) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return (code.match(/.{4}/g) as string[]).join('-');
}

/** What a person may type for a code: any case, with or without hyphens and spaces. */
export function normaliseAccessCode(input: string): string {
  return input.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

/**
 * The CSRF token for a form: bound to the browser's random CSRF cookie and to the session cookie
 * the form is for, so a token taken from one session or browser is useless in another.
 */
export function csrfToken(csrfCookie: string, sessionToken: string | undefined): string {
  return createHash('sha256').update(`csrf\u0000${csrfCookie}\u0000${sessionToken ?? ''}`).digest('base64url');
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
