/** Records the contract tests build on, made through the store's own interface. */
import type { AuditInput, NewGradingRun } from '../../../src/store/types';
import { bundleOf, replaySandbox } from '../../attempts/support/fixtures';
import type { AnyStore } from './backends';

export const audit = (action: string, subject = 'att-1', data?: Record<string, unknown>): AuditInput => ({ actor: 'system', action, subject, ...(data ? { data } : {}) });

export async function seedCandidate(store: AnyStore, id = 'cand-1', emailHash: string | null = null) {
  return store.ensureCandidate({ id, subjectId: `urn:uuid:subject-${id}`, emailHash }, audit('candidate.created', id));
}

export async function seedAttempt(store: AnyStore, id = 'att-1', candidateId = 'cand-1') {
  await seedCandidate(store, candidateId);
  return store.createAttempt(
    { id, candidateId, kind: 'assessment', targetId: 'aws-serverless', taskIds: ['task-a', 'task-b'], sandbox: replaySandbox, timeLimitSeconds: 3600 },
    audit('attempt.created', id),
  );
}

export function finalRun(overrides: Partial<NewGradingRun> = {}): NewGradingRun {
  return {
    id: 'run-1',
    attemptId: 'att-1',
    taskId: 'task-a',
    scope: 'final',
    round: 1,
    status: 'passed',
    report: { ok: true, checks: [{ id: 'table-exists', outcome: 'PASS' }] },
    bundle: bundleOf({ task: 'task-a' }),
    startedAt: '2026-03-01T09:00:00.000Z',
    finishedAt: '2026-03-01T09:00:01.000Z',
    ...overrides,
  };
}

/** An attempt taken through to graded (passed) with a final run per task, as the attempt service does. */
export async function gradedAttempt(store: AnyStore, id = 'att-1') {
  let attempt = await seedAttempt(store, id);
  attempt = await store.updateAttempt(
    { attemptId: id, expectedVersion: attempt.version, patch: { state: 'active', startedAt: '2026-03-01T09:00:00Z' } },
    audit('attempt.started', id),
  );
  attempt = await store.updateAttempt(
    { attemptId: id, expectedVersion: attempt.version, patch: { state: 'submitted', submittedAt: '2026-03-01T09:30:00Z', finalRound: 1 } },
    audit('attempt.submitted', id),
  );
  for (const taskId of attempt.taskIds) {
    await store.recordGradingRun(finalRun({ id: `run-${id}-${taskId}`, attemptId: id, taskId, bundle: bundleOf({ id, taskId }) }), audit('grading.final-run', id));
  }
  return store.updateAttempt(
    { attemptId: id, expectedVersion: attempt.version, patch: { state: 'graded', result: 'passed', gradedAt: '2026-03-01T09:31:00Z' } },
    audit('attempt.graded', id),
  );
}

export const allocationRequest = (attemptId: string, credentialId = `urn:uuid:cred-${attemptId}`) => ({
  attemptId,
  credentialId,
  validFrom: '2026-03-01T09:31:00Z',
  listUrl: (n: number) => `https://badges.example.com/status/${n}`,
});

export const ISSUER_KEY = { kid: 'did:web:x.example#k1', issuerId: 'did:web:x.example', alg: 'ES256' as const, publicJwk: { kty: 'EC', crv: 'P-256' } };

/** Allocates a slot for a graded attempt and issues its credential (the attempt becomes credentialed). */
export async function issueCredential(store: AnyStore, attemptId = 'att-1') {
  const allocation = await store.allocateStatusIndex(allocationRequest(attemptId), audit('credential.status-allocated', attemptId));
  await store.putIssuerKey(ISSUER_KEY, audit('issuer.key-registered', ISSUER_KEY.kid));
  const attempt = (await store.getAttempt(attemptId))!;
  return store.insertCredential(
    {
      id: allocation.credentialId,
      attemptId,
      statusListId: allocation.listId,
      statusIndex: allocation.index,
      kid: ISSUER_KEY.kid,
      jwt: 'header.payload.signature',
      credential: { id: allocation.credentialId, type: ['VerifiableCredential'] },
      validFrom: allocation.validFrom,
      validUntil: null,
    },
    { attemptId, expectedVersion: attempt.version, patch: { state: 'credentialed' } },
    audit('credential.issued', allocation.credentialId),
  );
}
