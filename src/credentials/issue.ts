import { randomUUID } from 'node:crypto';
import { hashIdentity } from '../attempts/candidate';
import { AttemptNotFoundError } from '../attempts/errors';
import { nextState } from '../attempts/state-machine';
import { ConcurrentModificationError, NotFoundError } from '../store/errors';
import type { AttemptRecord, CredentialRecord, Store } from '../store/types';
import type { Issuer } from './issuer-keys';
import { buildOpenBadgeCredential, toDateTimeStamp, type AchievementInput } from './open-badge';
import { buildStatusListCredential, encodeStatusList } from './status-list';
import { signVcJwt } from './vc-jwt';
import type { StatusListResolver } from './verify';

export interface IssuanceOptions {
  store: Store;
  issuer: Issuer;
  /** What the attempt's assessment certifies (the caller takes it from the catalog). The id defaults to `<issuer>/achievements/<assessment-id>`. */
  achievement: (attempt: AttemptRecord) => Omit<AchievementInput, 'id'> & { id?: string } | Promise<Omit<AchievementInput, 'id'> & { id?: string }>;
  /** Sets `validUntil` this many days after `validFrom`; absent, the credential does not expire. */
  validForDays?: number;
  now?: () => Date;
  actor?: string;
}

export interface IssuanceResult {
  credential: CredentialRecord;
  /** False when the attempt already had its credential (a retry, or another process won). */
  created: boolean;
}

/**
 * Issues the one credential of a passed assessment attempt. Idempotent and crash-safe: the status
 * index, credential id and validFrom are reserved in one transaction before signing, and the
 * credential is inserted together with the attempt's move to `credentialed` in another, so a
 * retry after a crash at any point signs the same credential and never a second one.
 */
export async function issueCredential(options: IssuanceOptions, attemptId: string): Promise<IssuanceResult> {
  const { store, issuer } = options;
  const actor = options.actor ?? 'system';
  const now = options.now ?? (() => new Date());

  const attempt = await store.getAttempt(attemptId);
  if (!attempt) throw new AttemptNotFoundError(attemptId);
  const existing = await store.getCredentialByAttempt(attemptId);
  if (existing) return { credential: existing, created: false };
  const to = nextState(attempt, 'credential');

  const candidate = await store.getCandidate(attempt.candidateId);
  if (!candidate) throw new NotFoundError('candidate', attempt.candidateId);
  const salt = await store.installationSalt();
  const allocation = await store.allocateStatusIndex(
    {
      attemptId,
      credentialId: `urn:uuid:${randomUUID()}`,
      validFrom: toDateTimeStamp(now()),
      listUrl: (listId) => issuer.statusListUrl(listId),
    },
    { actor, action: 'credential.status-allocated', subject: attemptId },
  );

  const finals = await store.listGradingRuns(attemptId, { scope: 'final', round: attempt.finalRound });
  const described = await options.achievement(attempt);
  const achievement: AchievementInput = { ...described, id: described.id ?? `${issuer.baseUrl}/achievements/${attempt.targetId}` };
  const validUntil =
    options.validForDays === undefined ? undefined : new Date(Date.parse(allocation.validFrom) + options.validForDays * 86_400_000);
  const credential = buildOpenBadgeCredential({
    id: allocation.credentialId,
    issuer: issuer.profile,
    validFrom: allocation.validFrom,
    ...(validUntil ? { validUntil } : {}),
    subject: {
      id: candidate.subjectId,
      identifiers: [
        { identityType: 'identifier', identityHash: hashIdentity(candidate.id, salt), salt },
        ...(candidate.emailHash ? [{ identityType: 'emailAddress' as const, identityHash: candidate.emailHash, salt }] : []),
      ],
    },
    achievement,
    evidence: finals.map((run) => ({
      sha256: run.bundleSha256,
      name: `Final grading of task ${run.taskId}`,
      narrative:
        `Task ${run.taskId} ${run.status} its final grading run. The evidence bundle with this sha256 records every ` +
        "call the grader made to the candidate's AWS resources; replaying it through the same grader gives the same outcome.",
    })),
    status: { listUrl: allocation.listUrl, index: allocation.index },
  });
  const jwt = await signVcJwt(credential, issuer.key);

  try {
    return await store.insertCredential(
      {
        id: credential.id,
        attemptId,
        statusListId: allocation.listId,
        statusIndex: allocation.index,
        kid: issuer.key.kid,
        jwt,
        credential: credential as unknown as Record<string, unknown>,
        validFrom: credential.validFrom,
        validUntil: credential.validUntil ?? null,
      },
      { attemptId, expectedVersion: attempt.version, patch: { state: to } },
      { actor, action: 'credential.issued', subject: credential.id, data: { attemptId, kid: issuer.key.kid, statusList: allocation.listUrl, statusIndex: allocation.index } },
    );
  } catch (e) {
    if (e instanceof ConcurrentModificationError) {
      const winner = await store.getCredentialByAttempt(attemptId);
      if (winner) return { credential: winner, created: false };
    }
    throw e;
  }
}

/** Accepts a credential id with or without its `urn:uuid:` prefix. */
export function normaliseCredentialId(id: string): string {
  const trimmed = id.trim();
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(trimmed) ? `urn:uuid:${trimmed.toLowerCase()}` : trimmed;
}

/** Revokes a credential (idempotent); its status list bit is set from then on. */
export async function revokeCredential(
  options: { store: Store; actor?: string },
  credentialId: string,
  reason: string,
): Promise<CredentialRecord> {
  const id = normaliseCredentialId(credentialId);
  return options.store.revokeCredential(id, reason, { actor: options.actor ?? 'system', action: 'credential.revoked', subject: id, data: { reason } });
}

export interface StatusListPublishing {
  store: Store;
  issuer: Issuer;
  now?: () => Date;
  /** How long a signed status list stays valid; a short life stops an old list being replayed to hide a revocation. Default one day. */
  validForSeconds?: number;
}

/** The signed Bitstring Status List credential for a list (by number or URL), reflecting revocations now. */
export async function statusListCredentialJwt(options: StatusListPublishing, list: number | string): Promise<string> {
  const record = typeof list === 'number' ? await options.store.getStatusList(list) : await options.store.getStatusListByUrl(list);
  if (!record) throw new NotFoundError('status list', String(list));
  const now = (options.now ?? (() => new Date()))();
  const validFrom = toDateTimeStamp(now);
  const validUntil = toDateTimeStamp(new Date(Date.parse(validFrom) + (options.validForSeconds ?? 86_400) * 1000));
  const credential = buildStatusListCredential({
    listUrl: record.url,
    issuerId: options.issuer.id,
    validFrom,
    validUntil,
    encodedList: encodeStatusList(await options.store.revokedIndices(record.id), record.sizeBits),
  });
  return signVcJwt(credential, options.issuer.key);
}

/** Resolves this installation's own status lists from the store (for local verification). */
export function localStatusListResolver(options: StatusListPublishing): StatusListResolver {
  return async (url) => ((await options.store.getStatusListByUrl(url)) ? statusListCredentialJwt(options, url) : undefined);
}
