/**
 * A cohort world for tests: a throw-away SQLite store on a settable clock, a small catalog, and
 * helpers that record what members did (passing runs, credentials, revocations) at given instants.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CohortCatalog } from '../../../src/cohorts/catalog';
import { createCohort, type CreateCohortInput } from '../../../src/cohorts/setup';
import { canonicalJson, sha256Hex } from '../../../src/store/canonical-json';
import type { CohortRecord } from '../../../src/store/cohort-types';
import { SqliteStore } from '../../../src/store/sqlite-store';
import type { AttemptRecord, CredentialRecord } from '../../../src/store/types';

const ASSESSMENTS: Record<string, { id: string; title: string; tasks: string[] }> = {
  'aws-serverless': { id: 'aws-serverless', title: 'AWS Serverless Builder', tasks: ['t-api', 't-queue', 't-flow', 't-deploy'] },
  'aws-agentic-ai': { id: 'aws-agentic-ai', title: 'AWS Agentic AI Builder', tasks: ['t-agent', 't-rag'] },
};

export const testCatalog: CohortCatalog = {
  assessment: (id) => ASSESSMENTS[id],
  assessmentIds: () => Object.keys(ASSESSMENTS).sort(),
  taskTitle: (id) => `Task ${id}`,
};

export class SettableClock {
  constructor(private current = new Date('2026-01-15T09:00:00.000Z')) {}
  readonly now = (): Date => new Date(this.current);
  set(iso: string): void {
    this.current = new Date(iso);
  }
}

export interface World {
  dir: string;
  store: SqliteStore;
  clock: SettableClock;
  cleanup(): void;
}

export function world(): World {
  const dir = mkdtempSync(join(tmpdir(), 'skillproof-cohorts-'));
  const clock = new SettableClock();
  const store = SqliteStore.open(dir, { now: clock.now });
  return {
    dir,
    store,
    clock,
    cleanup: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function cohortIn(w: World, overrides: Partial<CreateCohortInput> = {}): Promise<CohortRecord> {
  return createCohort(
    { cohorts: w.store.cohorts, catalog: testCatalog, actor: 'admin:test' },
    { programme: 'Level Up', name: 'Spring 2026', cadenceMonths: 3, startsAt: '2026-02-02', targetAssessmentIds: ['aws-serverless'], groupSize: 10, ...overrides },
  );
}

const audit = (action: string, subject: string) => ({ actor: 'system', action, subject });
let counter = 0;

/** An active assessment attempt of `candidateId` on the store's clock. */
export async function activeAttempt(w: World, candidateId: string, assessmentId = 'aws-serverless'): Promise<AttemptRecord> {
  const id = `att-t${++counter}`;
  const created = await w.store.createAttempt(
    { id, candidateId, kind: 'assessment', targetId: assessmentId, taskIds: ASSESSMENTS[assessmentId]!.tasks, sandbox: { kind: 'replay', path: '/dev/null' }, timeLimitSeconds: null },
    audit('attempt.created', id),
  );
  return w.store.updateAttempt({ attemptId: id, expectedVersion: created.version, patch: { state: 'active', startedAt: w.clock.now().toISOString() } }, audit('attempt.started', id));
}

function bundle(value: unknown) {
  const json = canonicalJson(value);
  return { sha256: sha256Hex(json), json };
}

/** A progress run of `taskId` that finished at `at` with `status`. */
export async function progressRun(w: World, attempt: AttemptRecord, taskId: string, at: string, status: 'passed' | 'failed' = 'passed'): Promise<void> {
  const id = `run-t${++counter}`;
  await w.store.recordGradingRun(
    { id, attemptId: attempt.id, taskId, scope: 'progress', round: 0, status, report: { status }, bundle: bundle({ id }), startedAt: at, finishedAt: at },
    audit('grading.progress-run', attempt.id),
  );
}

/** Submits, grades (every task passed) and credentials the attempt, the credential issued at `at`. */
export async function earnCredential(w: World, attempt: AttemptRecord, at: string): Promise<CredentialRecord> {
  w.clock.set(at);
  await w.store.putIssuerKey({ kid: 'k1', issuerId: 'https://issuer.example', alg: 'ES256', publicJwk: { kty: 'EC' } }, audit('issuer.key', 'k1'));
  let a = await w.store.updateAttempt(
    { attemptId: attempt.id, expectedVersion: (await w.store.getAttempt(attempt.id))!.version, patch: { state: 'submitted', submittedAt: at, finalRound: 1 } },
    audit('attempt.submitted', attempt.id),
  );
  for (const taskId of a.taskIds) {
    const id = `run-t${++counter}`;
    await w.store.recordGradingRun(
      { id, attemptId: a.id, taskId, scope: 'final', round: 1, status: 'passed', report: {}, bundle: bundle({ id }), startedAt: at, finishedAt: at },
      audit('grading.final-run', a.id),
    );
  }
  a = await w.store.updateAttempt({ attemptId: a.id, expectedVersion: a.version, patch: { state: 'graded', result: 'passed', gradedAt: at } }, audit('attempt.graded', a.id));
  const allocation = await w.store.allocateStatusIndex(
    { attemptId: a.id, credentialId: `urn:uuid:00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}`, validFrom: at, listUrl: (n) => `https://issuer.example/status/${n}` },
    audit('credential.status-allocated', a.id),
  );
  const { credential } = await w.store.insertCredential(
    { id: allocation.credentialId, attemptId: a.id, statusListId: allocation.listId, statusIndex: allocation.index, kid: 'k1', jwt: 'x.y.z', credential: {}, validFrom: at, validUntil: null },
    { attemptId: a.id, expectedVersion: a.version, patch: { state: 'credentialed' } },
    audit('credential.issued', a.id),
  );
  return credential;
}
