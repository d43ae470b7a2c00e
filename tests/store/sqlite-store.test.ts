import Database from 'better-sqlite3';
import { join } from 'node:path';
import { canonicalJson } from '../../src/store/canonical-json';
import { resolveDataDir } from '../../src/store/data-dir';
import {
  ConcurrentModificationError,
  ConstraintViolationError,
  DuplicateFinalRunError,
  EvidenceHashMismatchError,
  SchemaVersionError,
} from '../../src/store/errors';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../src/store/migrations';
import { DATABASE_FILE, SqliteStore } from '../../src/store/sqlite-store';
import { MIN_STATUS_LIST_BITS, type AuditInput, type NewGradingRun } from '../../src/store/types';
import { bundleOf, replaySandbox, tempStore } from '../attempts/support/fixtures';

const audit = (action: string, subject = 'att-1'): AuditInput => ({ actor: 'system', action, subject });

async function seedAttempt(store: SqliteStore, id = 'att-1') {
  await store.ensureCandidate({ id: 'cand-1', subjectId: 'urn:uuid:00000000-0000-4000-8000-000000000001', emailHash: null }, audit('candidate.created', 'cand-1'));
  return store.createAttempt(
    { id, candidateId: 'cand-1', kind: 'assessment', targetId: 'aws-serverless', taskIds: ['task-a', 'task-b'], sandbox: replaySandbox, timeLimitSeconds: 3600 },
    audit('attempt.created', id),
  );
}

function finalRun(overrides: Partial<NewGradingRun> = {}): NewGradingRun {
  return {
    id: 'run-1',
    attemptId: 'att-1',
    taskId: 'task-a',
    scope: 'final',
    round: 1,
    status: 'passed',
    report: { ok: true },
    bundle: bundleOf({ task: 'task-a' }),
    startedAt: '2026-03-01T09:00:00.000Z',
    finishedAt: '2026-03-01T09:00:01.000Z',
    ...overrides,
  };
}

/** Takes an attempt through to graded (passed) with its final runs, as the attempt service would. */
async function gradedAttempt(store: SqliteStore, id = 'att-1') {
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

describe('SqliteStore', () => {
  let ctx: ReturnType<typeof tempStore>;
  beforeEach(() => {
    ctx = tempStore();
  });
  afterEach(() => ctx.cleanup());

  describe('opening a data directory', () => {
    it('migrates a fresh directory to the latest schema, in WAL mode with foreign keys on', () => {
      expect(ctx.store.appliedMigrations().map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(ctx.store.appliedMigrations().at(-1)?.version).toBe(LATEST_SCHEMA_VERSION);
      const raw = new Database(join(ctx.dir, DATABASE_FILE), { readonly: true });
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      raw.close();
    });

    it('enforces foreign keys: a run cannot point at an attempt that does not exist', async () => {
      const write = ctx.store.recordGradingRun(finalRun({ attemptId: 'att-missing' }), audit('grading.final-run'));
      await expect(write).rejects.toBeInstanceOf(ConstraintViolationError);
      await expect(write).rejects.toThrow(/FOREIGN KEY constraint failed/);
    });

    it('does not re-apply migrations when reopened, and keeps the installation salt', async () => {
      const before = ctx.store.appliedMigrations();
      const salt = await ctx.store.installationSalt();
      ctx.store.close();
      const reopened = SqliteStore.open(ctx.dir);
      expect(reopened.appliedMigrations()).toEqual(before);
      expect(await reopened.installationSalt()).toBe(salt);
      reopened.close();
    });

    it('refuses a database written by a newer SkillProof, naming the versions', () => {
      ctx.store.close();
      const raw = new Database(join(ctx.dir, DATABASE_FILE));
      raw.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'now')").run();
      raw.close();
      expect(() => SqliteStore.open(ctx.dir)).toThrow(SchemaVersionError);
      expect(() => SqliteStore.open(ctx.dir)).toThrow(new RegExp(`schema version 999.*supports \\(${LATEST_SCHEMA_VERSION}\\)`));
    });

    it('takes the data directory from --data-dir, then SKILLPROOF_HOME, then ~/.skillproof', () => {
      expect(resolveDataDir({ dataDir: '/a', env: { SKILLPROOF_HOME: '/b' }, home: '/h' })).toBe('/a');
      expect(resolveDataDir({ env: { SKILLPROOF_HOME: '/b' }, home: '/h' })).toBe('/b');
      expect(resolveDataDir({ env: {}, home: '/h' })).toBe('/h/.skillproof');
    });
  });

  describe('attempts', () => {
    it('applies an update only against the version it was read at', async () => {
      const attempt = await seedAttempt(ctx.store);
      await ctx.store.updateAttempt({ attemptId: attempt.id, expectedVersion: attempt.version, patch: { state: 'active' } }, audit('attempt.started'));
      await expect(
        ctx.store.updateAttempt({ attemptId: attempt.id, expectedVersion: attempt.version, patch: { state: 'cancelled' } }, audit('attempt.cancelled')),
      ).rejects.toBeInstanceOf(ConcurrentModificationError);
      expect((await ctx.store.getAttempt(attempt.id))?.state).toBe('active');
    });

    it('writes the audit entry in the same transaction as the change: a refused change leaves no entry', async () => {
      const attempt = await seedAttempt(ctx.store);
      const before = (await ctx.store.listAudit()).length;
      await expect(
        ctx.store.updateAttempt({ attemptId: attempt.id, expectedVersion: 99, patch: { state: 'active' } }, audit('attempt.started')),
      ).rejects.toThrow();
      // The schema itself refuses a graded attempt without a result.
      await expect(
        ctx.store.updateAttempt({ attemptId: attempt.id, expectedVersion: attempt.version, patch: { state: 'graded' } }, audit('attempt.graded')),
      ).rejects.toThrow(/CHECK constraint/);
      expect(await ctx.store.listAudit()).toHaveLength(before);
    });
  });

  describe('grading runs and evidence', () => {
    it('stores a bundle once by its sha256 and links runs to it', async () => {
      await gradedAttempt(ctx.store);
      const runs = await ctx.store.listGradingRuns('att-1', { scope: 'final', round: 1 });
      expect(runs.map((r) => r.taskId)).toEqual(['task-a', 'task-b']);
      for (const run of runs) {
        const bundle = await ctx.store.getEvidenceBundle(run.bundleSha256);
        expect(bundle?.sha256).toBe(run.bundleSha256);
      }
    });

    it('refuses a bundle whose content does not match its hash', async () => {
      await seedAttempt(ctx.store);
      const bundle = bundleOf({ task: 'task-a' });
      await expect(
        ctx.store.recordGradingRun(finalRun({ bundle: { sha256: bundle.sha256, json: bundle.json.replace('task-a', 'task-b') } }), audit('grading.final-run')),
      ).rejects.toBeInstanceOf(EvidenceHashMismatchError);
      expect(await ctx.store.getEvidenceBundle(bundle.sha256)).toBeUndefined();
    });

    it('accepts a pretty-printed bundle whose hash is over its canonical JSON', async () => {
      await seedAttempt(ctx.store);
      const { sha256 } = bundleOf({ b: 1, a: [1, 2] });
      const pretty = JSON.stringify({ b: 1, a: [1, 2] }, null, 2);
      await ctx.store.recordGradingRun(finalRun({ bundle: { sha256, json: pretty } }), audit('grading.final-run'));
      expect(canonicalJson(JSON.parse((await ctx.store.getEvidenceBundle(sha256))?.json ?? 'null'))).toBe('{"a":[1,2],"b":1}');
    });

    it('keeps one final run per task and round', async () => {
      await seedAttempt(ctx.store);
      await ctx.store.recordGradingRun(finalRun(), audit('grading.final-run'));
      await expect(ctx.store.recordGradingRun(finalRun({ id: 'run-2' }), audit('grading.final-run'))).rejects.toBeInstanceOf(DuplicateFinalRunError);
      await ctx.store.recordGradingRun(finalRun({ id: 'run-3', round: 2 }), audit('grading.final-run'));
      await ctx.store.recordGradingRun(finalRun({ id: 'run-4', scope: 'progress', round: 0 }), audit('grading.progress-run'));
      await ctx.store.recordGradingRun(finalRun({ id: 'run-5', scope: 'progress', round: 0 }), audit('grading.progress-run'));
      expect(await ctx.store.listGradingRuns('att-1')).toHaveLength(4);
    });
  });

  describe('status-list allocations', () => {
    const request = (attemptId: string, credentialId = `urn:uuid:${attemptId}`) => ({
      attemptId,
      credentialId,
      validFrom: '2026-03-01T09:31:00Z',
      listUrl: (n: number) => `https://badges.example.com/status/${n}`,
    });

    it('returns the same slot when asked twice for one attempt', async () => {
      await gradedAttempt(ctx.store);
      const first = await ctx.store.allocateStatusIndex(request('att-1'), audit('credential.status-allocated'));
      const second = await ctx.store.allocateStatusIndex(request('att-1', 'urn:uuid:other'), audit('credential.status-allocated'));
      expect(second).toEqual(first);
      expect(first.listUrl).toBe('https://badges.example.com/status/1');
      const list = await ctx.store.getStatusList(first.listId);
      expect(list?.sizeBits).toBeGreaterThanOrEqual(MIN_STATUS_LIST_BITS);
      expect(first.index).toBeGreaterThanOrEqual(0);
      expect(first.index).toBeLessThan(list?.sizeBits ?? 0);
    });

    it('hands out distinct indexes to different attempts', async () => {
      const indexes = new Set<number>();
      for (let i = 0; i < 20; i += 1) {
        await gradedAttempt(ctx.store, `att-${i}`);
        indexes.add((await ctx.store.allocateStatusIndex(request(`att-${i}`), audit('credential.status-allocated', `att-${i}`))).index);
      }
      expect(indexes.size).toBe(20);
    });

    it('refuses a list smaller than 131,072 bits', async () => {
      await gradedAttempt(ctx.store);
      await expect(ctx.store.allocateStatusIndex({ ...request('att-1'), sizeBits: 1024 }, audit('x'))).rejects.toThrow(/at least 131072 bits/);
    });
  });

  describe('credentials', () => {
    async function allocateAndInsert(credentialId = 'urn:uuid:c1') {
      const attempt = (await ctx.store.getAttempt('att-1'))!;
      const allocation = await ctx.store.allocateStatusIndex(
        { attemptId: 'att-1', credentialId, validFrom: '2026-03-01T09:31:00Z', listUrl: (n) => `https://x.example/status/${n}` },
        audit('credential.status-allocated'),
      );
      await ctx.store.putIssuerKey({ kid: 'did:web:x.example#k1', issuerId: 'did:web:x.example', alg: 'ES256', publicJwk: { kty: 'EC' } }, audit('issuer.key-registered', 'k1'));
      return ctx.store.insertCredential(
        {
          id: allocation.credentialId,
          attemptId: 'att-1',
          statusListId: allocation.listId,
          statusIndex: allocation.index,
          kid: 'did:web:x.example#k1',
          jwt: 'header.payload.signature',
          credential: { id: allocation.credentialId },
          validFrom: allocation.validFrom,
          validUntil: null,
        },
        { attemptId: 'att-1', expectedVersion: attempt.version, patch: { state: 'credentialed' } },
        audit('credential.issued', allocation.credentialId),
      );
    }

    it('keeps one credential per attempt: a second insert returns the first', async () => {
      await gradedAttempt(ctx.store);
      const first = await allocateAndInsert();
      const second = await allocateAndInsert();
      expect(first.created).toBe(true);
      expect(second.created).toBe(false);
      expect(second.credential).toEqual(first.credential);
      expect(await ctx.store.listCredentials()).toHaveLength(1);
      expect((await ctx.store.getAttempt('att-1'))?.state).toBe('credentialed');
    });

    it('has a UNIQUE constraint on the attempt, so not even raw SQL can add a second credential', async () => {
      await gradedAttempt(ctx.store);
      await allocateAndInsert();
      const raw = new Database(join(ctx.dir, DATABASE_FILE));
      raw.pragma('foreign_keys = OFF');
      expect(() =>
        raw
          .prepare(
            `INSERT INTO credentials (id, attempt_id, candidate_id, list_id, idx, kid, jwt, credential_json, valid_from, issued_at)
             SELECT 'urn:uuid:dup', attempt_id, candidate_id, list_id, idx + 1, kid, jwt, credential_json, valid_from, issued_at FROM credentials`,
          )
          .run(),
      ).toThrow(/UNIQUE constraint failed: credentials.attempt_id/);
      raw.close();
    });

    it('never changes or deletes an issued credential, and revokes it only once', async () => {
      await gradedAttempt(ctx.store);
      const { credential } = await allocateAndInsert();
      const raw = new Database(join(ctx.dir, DATABASE_FILE));
      expect(() => raw.prepare("UPDATE credentials SET jwt = 'forged'").run()).toThrow(/immutable/);
      expect(() => raw.prepare('DELETE FROM credentials').run()).toThrow(/never deleted/);
      raw.close();
      const revoked = await ctx.store.revokeCredential(credential.id, 'exam misconduct', audit('credential.revoked', credential.id));
      const again = await ctx.store.revokeCredential(credential.id, 'another reason', audit('credential.revoked', credential.id));
      expect(again.revocationReason).toBe('exam misconduct');
      expect(again.revokedAt).toBe(revoked.revokedAt);
      expect(await ctx.store.revokedIndices(credential.statusListId)).toEqual([credential.statusIndex]);
      expect((await ctx.store.listAudit({ subject: credential.id })).filter((e) => e.action === 'credential.revoked')).toHaveLength(1);
    });

    it('refuses a credential that does not match the attempt’s allocation', async () => {
      await gradedAttempt(ctx.store);
      await allocateAndInsert('urn:uuid:c1');
      await gradedAttempt(ctx.store, 'att-2');
      await expect(
        ctx.store.insertCredential(
          { id: 'urn:uuid:stray', attemptId: 'att-2', statusListId: 1, statusIndex: 0, kid: 'did:web:x.example#k1', jwt: 'j', credential: {}, validFrom: 'v', validUntil: null },
          { attemptId: 'att-2', expectedVersion: 1, patch: { state: 'credentialed' } },
          audit('credential.issued'),
        ),
      ).rejects.toThrow(/does not match the status-list allocation/);
    });
  });

  describe('integrityCheck', () => {
    it('passes on a consistent store', async () => {
      await gradedAttempt(ctx.store);
      expect(await ctx.store.integrityCheck()).toMatchObject({ ok: true, problems: [] });
    });

    it('reports an attempt marked credentialed without a credential', async () => {
      await gradedAttempt(ctx.store);
      const raw = new Database(join(ctx.dir, DATABASE_FILE));
      raw.prepare("UPDATE attempts SET state = 'credentialed' WHERE id = 'att-1'").run();
      raw.close();
      const report = await ctx.store.integrityCheck();
      expect(report.ok).toBe(false);
      expect(report.problems).toContain('attempt att-1 is credentialed but has no credential');
    });

    it('reports a graded attempt missing the final run of one of its tasks', async () => {
      await gradedAttempt(ctx.store);
      const raw = new Database(join(ctx.dir, DATABASE_FILE));
      raw.prepare(`UPDATE attempts SET task_ids = '["task-a","task-b","task-c"]' WHERE id = 'att-1'`).run();
      raw.close();
      expect((await ctx.store.integrityCheck()).problems).toContain('attempt att-1 is graded without a final run for every task');
    });
  });
});
