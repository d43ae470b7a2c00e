import { randomBytes, randomUUID } from 'node:crypto';
import { sha256Hex } from '../store/canonical-json';
import { ConstraintViolationError } from '../store/errors';
import type { CandidateRecord, Store } from '../store/types';
import { InvalidAttemptInputError } from './errors';

const CANDIDATE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Open Badges identity hash: `sha256$` + hex sha256 of the identity followed by the salt. */
export function hashIdentity(identity: string, salt: string): string {
  return `sha256$${sha256Hex(identity + salt)}`;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function looksLikeEmail(value: string): boolean {
  return EMAIL.test(value.trim());
}

/**
 * Finds or creates the candidate for `--candidate <id-or-email>`. An e-mail address is kept only
 * as its salted hash; the candidate then gets a generated pseudonymous id.
 */
export async function resolveCandidate(store: Store, idOrEmail: string, actor = 'system'): Promise<CandidateRecord> {
  const value = idOrEmail.trim();
  if (looksLikeEmail(value)) {
    const emailHash = hashIdentity(normaliseEmail(value), await store.installationSalt());
    const known = await store.findCandidateByEmailHash(emailHash);
    if (known) return known;
    const id = `cand-${randomBytes(6).toString('hex')}`;
    try {
      return await store.ensureCandidate(
        { id, subjectId: `urn:uuid:${randomUUID()}`, emailHash },
        { actor, action: 'candidate.created', subject: id, data: { identifiedBy: 'email-hash' } },
      );
    } catch (e) {
      // Another process registered the same address between our lookup and our insert.
      const winner = e instanceof ConstraintViolationError ? await store.findCandidateByEmailHash(emailHash) : undefined;
      if (winner) return winner;
      throw e;
    }
  }
  if (value.includes('@') || !CANDIDATE_ID.test(value)) {
    throw new InvalidAttemptInputError(
      `Candidate "${idOrEmail}" is neither an e-mail address nor a pseudonymous id (letters, digits, ".", "_", "-", at most 64 characters).`,
    );
  }
  return (
    (await store.getCandidate(value)) ??
    store.ensureCandidate(
      { id: value, subjectId: `urn:uuid:${randomUUID()}`, emailHash: null },
      { actor, action: 'candidate.created', subject: value, data: { identifiedBy: 'id' } },
    )
  );
}
