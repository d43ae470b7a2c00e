import Database from 'better-sqlite3';
import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { auditHash, checkAuditChain, GENESIS_HASH } from './audit-chain';
import { canonicalJson, sha256Hex } from './canonical-json';
import { ensureDataDir } from './data-dir';
import {
  ConcurrentModificationError,
  ConstraintViolationError,
  DuplicateFinalRunError,
  DuplicateRunIdError,
  EvidenceHashMismatchError,
  NotFoundError,
  SchemaVersionError,
  StoreError,
} from './errors';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations';
import type { BadgeSettingsRecord, BadgeStore } from './badge-types';
import { SqliteBadges } from './sqlite-badges';
import { SqliteCohortStore } from './sqlite-cohorts';
import type { CohortStore } from './cohort-types';
import type { PoolStore } from './pool-types';
import { SqlitePoolStore } from './sqlite-pool';
import { bundleHash } from '../evidence/bundle';
import type {
  AccessCodeRecord,
  AccessStore,
  AdminTokenRecord,
  AllocationRequest,
  AttemptFilter,
  AttemptPatch,
  AttemptRecord,
  AttemptUpdate,
  AuditChainReport,
  AuditEntry,
  AuditInput,
  CandidateRecord,
  CredentialRecord,
  EvidenceBundle,
  GradeScope,
  GradingRunRecord,
  IntegrityReport,
  IssuerKeyRecord,
  NewAttempt,
  NewCredential,
  NewGradingRun,
  NewSession,
  SessionRecord,
  StatusAllocation,
  StatusListRecord,
  Store,
} from './types';
import { MIN_STATUS_LIST_BITS } from './types';

export const DATABASE_FILE = 'skillproof.db';

export interface SqliteStoreOptions {
  /** Clock for timestamps the store itself writes (audit entries, created/updated times). */
  now?: () => Date;
}

type Row = Record<string, unknown>;

/** The embedded, single-file backend: one SQLite database in WAL mode inside the data directory. */
export class SqliteStore implements Store, AccessStore, BadgeStore, CohortStore {
  private readonly db: Database.Database;
  private readonly badges: SqliteBadges;
  private readonly now: () => Date;
  /** Cohorts (src/store/sqlite-cohorts.ts), in the same database, transactions and audit chain. */
  readonly cohorts: SqliteCohortStore;
  private poolStore?: SqlitePoolStore;

  /** Opens (creating and migrating if needed) `<dataDir>/skillproof.db`. */
  static open(dataDir: string, options: SqliteStoreOptions = {}): SqliteStore {
    ensureDataDir(dataDir);
    return new SqliteStore(join(dataDir, DATABASE_FILE), options);
  }

  constructor(
    readonly path: string,
    options: SqliteStoreOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    // FULL makes a committed credential survive power loss, not just a process kill.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.badges = new SqliteBadges({ db: this.db, tx: (fn) => this.tx(fn), audit: (a) => this.audit(a), stamp: () => this.stamp() });
    this.cohorts = new SqliteCohortStore({ db: this.db, tx: (fn) => this.tx(fn), audit: (entry) => void this.audit(entry), stamp: () => this.stamp() });
  }


  // ── CohortStore: delegated to src/store/sqlite-cohorts.ts (same connection and audit chain) ──
  createProgramme(...args: Parameters<CohortStore['createProgramme']>): ReturnType<CohortStore['createProgramme']> {
    return this.cohorts.createProgramme(...args);
  }
  getProgramme(...args: Parameters<CohortStore['getProgramme']>): ReturnType<CohortStore['getProgramme']> {
    return this.cohorts.getProgramme(...args);
  }
  listProgrammes(...args: Parameters<CohortStore['listProgrammes']>): ReturnType<CohortStore['listProgrammes']> {
    return this.cohorts.listProgrammes(...args);
  }
  createCohort(...args: Parameters<CohortStore['createCohort']>): ReturnType<CohortStore['createCohort']> {
    return this.cohorts.createCohort(...args);
  }
  getCohort(...args: Parameters<CohortStore['getCohort']>): ReturnType<CohortStore['getCohort']> {
    return this.cohorts.getCohort(...args);
  }
  listCohorts(...args: Parameters<CohortStore['listCohorts']>): ReturnType<CohortStore['listCohorts']> {
    return this.cohorts.listCohorts(...args);
  }
  updateCohort(...args: Parameters<CohortStore['updateCohort']>): ReturnType<CohortStore['updateCohort']> {
    return this.cohorts.updateCohort(...args);
  }
  applyImport(...args: Parameters<CohortStore['applyImport']>): ReturnType<CohortStore['applyImport']> {
    return this.cohorts.applyImport(...args);
  }
  getGroup(...args: Parameters<CohortStore['getGroup']>): ReturnType<CohortStore['getGroup']> {
    return this.cohorts.getGroup(...args);
  }
  listGroups(...args: Parameters<CohortStore['listGroups']>): ReturnType<CohortStore['listGroups']> {
    return this.cohorts.listGroups(...args);
  }
  getMember(...args: Parameters<CohortStore['getMember']>): ReturnType<CohortStore['getMember']> {
    return this.cohorts.getMember(...args);
  }
  listMembers(...args: Parameters<CohortStore['listMembers']>): ReturnType<CohortStore['listMembers']> {
    return this.cohorts.listMembers(...args);
  }
  updateMember(...args: Parameters<CohortStore['updateMember']>): ReturnType<CohortStore['updateMember']> {
    return this.cohorts.updateMember(...args);
  }
  createBulkRun(...args: Parameters<CohortStore['createBulkRun']>): ReturnType<CohortStore['createBulkRun']> {
    return this.cohorts.createBulkRun(...args);
  }
  getBulkRun(...args: Parameters<CohortStore['getBulkRun']>): ReturnType<CohortStore['getBulkRun']> {
    return this.cohorts.getBulkRun(...args);
  }
  listBulkItems(...args: Parameters<CohortStore['listBulkItems']>): ReturnType<CohortStore['listBulkItems']> {
    return this.cohorts.listBulkItems(...args);
  }
  updateBulkItem(...args: Parameters<CohortStore['updateBulkItem']>): ReturnType<CohortStore['updateBulkItem']> {
    return this.cohorts.updateBulkItem(...args);
  }
  finishBulkRun(...args: Parameters<CohortStore['finishBulkRun']>): ReturnType<CohortStore['finishBulkRun']> {
    return this.cohorts.finishBulkRun(...args);
  }

  /** Schema versions applied to this database, in order. */
  appliedMigrations(): Array<{ version: number; name: string; appliedAt: string }> {
    return (this.db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all() as Row[]).map((r) => ({
      version: Number(r.version),
      name: String(r.name),
      appliedAt: String(r.applied_at),
    }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** The sandbox account pool, in this database and audit chain (src/store/sqlite-pool.ts). */
  get pool(): PoolStore {
    return (this.poolStore ??= new SqlitePoolStore({ db: this.db, tx: (fn) => this.tx(fn), audit: (entry) => this.audit(entry), stamp: () => this.stamp() }));
  }

  async installationSalt(): Promise<string> {
    return this.setting('identity_salt') as string;
  }

  // ── candidates ──────────────────────────────────────────────────────────────────────────────

  async ensureCandidate(candidate: Omit<CandidateRecord, 'createdAt'>, audit: AuditInput): Promise<CandidateRecord> {
    return this.tx(() => {
      const existing = this.candidateRow(candidate.id);
      if (existing) return existing;
      this.db
        .prepare('INSERT INTO candidates (id, subject_id, email_hash, created_at) VALUES (?, ?, ?, ?)')
        .run(candidate.id, candidate.subjectId, candidate.emailHash, this.stamp());
      this.audit(audit);
      return this.candidateRow(candidate.id) as CandidateRecord;
    });
  }

  async getCandidate(id: string): Promise<CandidateRecord | undefined> {
    return this.candidateRow(id);
  }

  async findCandidateByEmailHash(emailHash: string): Promise<CandidateRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM candidates WHERE email_hash = ?').get(emailHash) as Row | undefined;
    return row && toCandidate(row);
  }

  // ── attempts ────────────────────────────────────────────────────────────────────────────────

  async createAttempt(attempt: NewAttempt, audit: AuditInput): Promise<AttemptRecord> {
    return this.tx(() => {
      const at = this.stamp();
      this.db
        .prepare(
          `INSERT INTO attempts (id, candidate_id, kind, target_id, task_ids, sandbox, state, time_limit_seconds, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 'created', ?, ?, ?)`,
        )
        .run(
          attempt.id,
          attempt.candidateId,
          attempt.kind,
          attempt.targetId,
          JSON.stringify(attempt.taskIds),
          JSON.stringify(attempt.sandbox),
          attempt.timeLimitSeconds,
          at,
          at,
        );
      this.audit(audit);
      return this.attemptRow(attempt.id) as AttemptRecord;
    });
  }

  async getAttempt(id: string): Promise<AttemptRecord | undefined> {
    return this.attemptRow(id);
  }

  async listAttempts(filter: AttemptFilter = {}): Promise<AttemptRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM attempts
         WHERE (@candidateId IS NULL OR candidate_id = @candidateId) AND (@state IS NULL OR state = @state)
         ORDER BY created_at, id`,
      )
      .all({ candidateId: filter.candidateId ?? null, state: filter.state ?? null }) as Row[];
    return rows.map(toAttempt);
  }

  async updateAttempt(update: AttemptUpdate, audit: AuditInput): Promise<AttemptRecord> {
    return this.tx(() => {
      this.applyAttemptUpdate(update);
      this.audit(audit);
      return this.attemptRow(update.attemptId) as AttemptRecord;
    });
  }

  // ── grading runs and evidence ───────────────────────────────────────────────────────────────

  async recordGradingRun(run: NewGradingRun, audit: AuditInput, attemptUpdate?: AttemptUpdate): Promise<GradingRunRecord> {
    verifyBundleHash(run.bundle);
    return this.tx(() => {
      this.db
        .prepare('INSERT OR IGNORE INTO evidence_bundles (sha256, json, size_bytes, created_at) VALUES (?, ?, ?, ?)')
        .run(run.bundle.sha256, run.bundle.json, Buffer.byteLength(run.bundle.json), this.stamp());
      try {
        this.db
          .prepare(
            `INSERT INTO grading_runs (id, attempt_id, task_id, scope, round, status, report, bundle_sha256, started_at, finished_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            run.id,
            run.attemptId,
            run.taskId,
            run.scope,
            run.round,
            run.status,
            JSON.stringify(run.report ?? null),
            run.bundle.sha256,
            run.startedAt,
            run.finishedAt,
          );
      } catch (e) {
        // The same final run again is the task's duplicate final run, as the DynamoDB store reports it.
        const finalTaken = () =>
          run.scope === 'final' &&
          this.db.prepare("SELECT 1 FROM grading_runs WHERE attempt_id = ? AND round = ? AND task_id = ? AND scope = 'final'").get(run.attemptId, run.round, run.taskId) !== undefined;
        if (driverErrorCode(e) === 'SQLITE_CONSTRAINT_PRIMARYKEY' && !finalTaken()) throw new DuplicateRunIdError(run.id);
        if (driverErrorCode(e) === 'SQLITE_CONSTRAINT_PRIMARYKEY' || isUniqueViolation(e, 'grading_runs')) throw new DuplicateFinalRunError(run.attemptId, run.round, run.taskId);
        throw e;
      }
      if (attemptUpdate) this.applyAttemptUpdate(attemptUpdate);
      this.audit(audit);
      return toRun(this.db.prepare('SELECT * FROM grading_runs WHERE id = ?').get(run.id) as Row);
    });
  }

  async listGradingRuns(attemptId: string, filter: { scope?: GradeScope; round?: number } = {}): Promise<GradingRunRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM grading_runs
         WHERE attempt_id = @attemptId AND (@scope IS NULL OR scope = @scope) AND (@round IS NULL OR round = @round)
         ORDER BY rowid`,
      )
      .all({ attemptId, scope: filter.scope ?? null, round: filter.round ?? null }) as Row[];
    return rows.map(toRun);
  }

  async getEvidenceBundle(sha256: string): Promise<EvidenceBundle | undefined> {
    const row = this.db.prepare('SELECT sha256, json FROM evidence_bundles WHERE sha256 = ?').get(sha256) as Row | undefined;
    return row && { sha256: String(row.sha256), json: String(row.json) };
  }

  // ── status lists ────────────────────────────────────────────────────────────────────────────

  async allocateStatusIndex(request: AllocationRequest, audit: AuditInput): Promise<StatusAllocation> {
    const sizeBits = request.sizeBits ?? MIN_STATUS_LIST_BITS;
    if (sizeBits < MIN_STATUS_LIST_BITS || sizeBits % 8 !== 0) {
      throw new StoreError(`A status list must hold at least ${MIN_STATUS_LIST_BITS} bits, in whole bytes; got ${sizeBits}.`);
    }
    return this.tx(() => {
      const existing = this.allocationRow(request.attemptId);
      if (existing) return existing;
      const list = this.listWithRoom() ?? this.createStatusList(request.listUrl, sizeBits);
      const index = this.freeIndex(list);
      this.db
        .prepare(
          'INSERT INTO status_allocations (list_id, idx, attempt_id, credential_id, valid_from, allocated_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(list.id, index, request.attemptId, request.credentialId, request.validFrom, this.stamp());
      this.audit({ ...audit, data: { ...audit.data, statusList: list.url, statusIndex: index } });
      return this.allocationRow(request.attemptId) as StatusAllocation;
    });
  }

  async getStatusAllocation(attemptId: string): Promise<StatusAllocation | undefined> {
    return this.allocationRow(attemptId);
  }

  async getStatusList(listId: number): Promise<StatusListRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM status_lists WHERE id = ?').get(listId) as Row | undefined;
    return row && toStatusList(row);
  }

  async getStatusListByUrl(url: string): Promise<StatusListRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM status_lists WHERE url = ?').get(url) as Row | undefined;
    return row && toStatusList(row);
  }

  async listStatusLists(): Promise<StatusListRecord[]> {
    return (this.db.prepare('SELECT * FROM status_lists ORDER BY id').all() as Row[]).map(toStatusList);
  }

  async revokedIndices(listId: number): Promise<number[]> {
    const rows = this.db
      .prepare('SELECT idx FROM credentials WHERE list_id = ? AND revoked_at IS NOT NULL ORDER BY idx')
      .all(listId) as Row[];
    return rows.map((r) => Number(r.idx));
  }

  // ── credentials ─────────────────────────────────────────────────────────────────────────────

  async insertCredential(
    credential: NewCredential,
    attemptUpdate: AttemptUpdate,
    audit: AuditInput,
  ): Promise<{ credential: CredentialRecord; created: boolean }> {
    return this.tx(() => {
      const existing = this.credentialRow('attempt_id', credential.attemptId);
      if (existing) return { credential: existing, created: false };
      const allocation = this.allocationRow(credential.attemptId);
      if (
        !allocation ||
        allocation.credentialId !== credential.id ||
        allocation.listId !== credential.statusListId ||
        allocation.index !== credential.statusIndex
      ) {
        throw new StoreError(
          `Credential ${credential.id} does not match the status-list allocation of attempt ${credential.attemptId}; allocate first and sign with the allocated id and index.`,
        );
      }
      const attempt = this.attemptRow(credential.attemptId);
      if (!attempt) throw new NotFoundError('attempt', credential.attemptId);
      this.applyAttemptUpdate(attemptUpdate);
      this.db
        .prepare(
          `INSERT INTO credentials (id, attempt_id, candidate_id, list_id, idx, kid, jwt, credential_json, valid_from, valid_until, issued_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          credential.id,
          credential.attemptId,
          attempt.candidateId,
          credential.statusListId,
          credential.statusIndex,
          credential.kid,
          credential.jwt,
          JSON.stringify(credential.credential),
          credential.validFrom,
          credential.validUntil,
          this.stamp(),
        );
      this.audit(audit);
      return { credential: this.credentialRow('id', credential.id) as CredentialRecord, created: true };
    });
  }

  async getCredential(id: string): Promise<CredentialRecord | undefined> {
    return this.credentialRow('id', id);
  }

  async getCredentialByAttempt(attemptId: string): Promise<CredentialRecord | undefined> {
    return this.credentialRow('attempt_id', attemptId);
  }

  async listCredentials(filter: { candidateId?: string } = {}): Promise<CredentialRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM credentials WHERE (@candidateId IS NULL OR candidate_id = @candidateId) ORDER BY issued_at, id')
      .all({ candidateId: filter.candidateId ?? null }) as Row[];
    return rows.map(toCredential);
  }

  async revokeCredential(id: string, reason: string, audit: AuditInput): Promise<CredentialRecord> {
    if (!reason.trim()) throw new StoreError(`Revoking credential ${id} needs a reason (--reason TEXT).`);
    return this.tx(() => {
      const existing = this.credentialRow('id', id);
      if (!existing) throw new NotFoundError('credential', id);
      if (existing.revokedAt) return existing;
      this.db.prepare('UPDATE credentials SET revoked_at = ?, revocation_reason = ? WHERE id = ?').run(this.stamp(), reason, id);
      this.audit(audit);
      return this.credentialRow('id', id) as CredentialRecord;
    });
  }

  // ── issuer keys ─────────────────────────────────────────────────────────────────────────────

  async putIssuerKey(key: Omit<IssuerKeyRecord, 'createdAt' | 'retiredAt'>, audit: AuditInput): Promise<IssuerKeyRecord> {
    return this.tx(() => {
      const existing = this.issuerKeyRow(key.kid);
      if (existing) return existing;
      this.db
        .prepare('INSERT INTO issuer_keys (kid, issuer_id, alg, public_jwk, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(key.kid, key.issuerId, key.alg, JSON.stringify(key.publicJwk), this.stamp());
      this.audit(audit);
      return this.issuerKeyRow(key.kid) as IssuerKeyRecord;
    });
  }

  async getIssuerKey(kid: string): Promise<IssuerKeyRecord | undefined> {
    return this.issuerKeyRow(kid);
  }

  async listIssuerKeys(): Promise<IssuerKeyRecord[]> {
    return (this.db.prepare('SELECT * FROM issuer_keys ORDER BY created_at, kid').all() as Row[]).map(toIssuerKey);
  }

  // ── audit log ───────────────────────────────────────────────────────────────────────────────

  async appendAudit(entry: AuditInput): Promise<AuditEntry> {
    return this.tx(() => this.audit(entry));
  }

  async listAudit(filter: { subject?: string } = {}): Promise<AuditEntry[]> {
    const rows = this.db
      .prepare('SELECT * FROM audit_log WHERE (@subject IS NULL OR subject = @subject) ORDER BY seq')
      .all({ subject: filter.subject ?? null }) as Row[];
    return rows.map(toAuditEntry);
  }

  async verifyAuditChain(): Promise<AuditChainReport> {
    const rows = this.db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as IterableIterator<Row>;
    return checkAuditChain(
      (function* () {
        for (const row of rows) yield toAuditEntry(row);
      })(),
      () => this.setting('audit_head'),
    );
  }

  async integrityCheck(): Promise<IntegrityReport> {
    const problems: string[] = [];
    const storage = (this.db.pragma('integrity_check') as Row[]).map((r) => String(r.integrity_check));
    if (storage.length !== 1 || storage[0] !== 'ok') problems.push(...storage.map((s) => `sqlite integrity_check: ${s}`));
    for (const r of this.db.pragma('foreign_key_check') as Row[]) {
      problems.push(`foreign key: ${String(r.table)} row ${String(r.rowid)} points at a missing ${String(r.parent)}`);
    }
    const auditChain = await this.verifyAuditChain();
    if (!auditChain.ok) problems.push(`audit log: entry ${auditChain.brokenAt?.seq}: ${auditChain.brokenAt?.problem}`);

    const invariants: Array<[string, string]> = [
      [
        `SELECT attempt_id AS id FROM credentials GROUP BY attempt_id HAVING COUNT(*) > 1`,
        'attempt {id} has more than one credential',
      ],
      [
        `SELECT a.id FROM attempts a LEFT JOIN credentials c ON c.attempt_id = a.id WHERE a.state = 'credentialed' AND c.id IS NULL`,
        'attempt {id} is credentialed but has no credential',
      ],
      [
        `SELECT c.id FROM credentials c JOIN attempts a ON a.id = c.attempt_id WHERE a.state <> 'credentialed'`,
        'credential {id} belongs to an attempt that is not credentialed',
      ],
      [
        `SELECT c.id FROM credentials c JOIN status_allocations s ON s.list_id = c.list_id AND s.idx = c.idx
         WHERE s.credential_id <> c.id OR s.attempt_id <> c.attempt_id`,
        'credential {id} does not match its status-list allocation',
      ],
      [
        `SELECT s.credential_id AS id FROM status_allocations s JOIN status_lists l ON l.id = s.list_id WHERE s.idx >= l.size_bits`,
        'status allocation for credential {id} lies outside its list',
      ],
      [
        `SELECT a.id FROM attempts a WHERE a.state IN ('graded', 'credentialed') AND EXISTS (
           SELECT 1 FROM json_each(a.task_ids) t WHERE NOT EXISTS (
             SELECT 1 FROM grading_runs r WHERE r.attempt_id = a.id AND r.scope = 'final' AND r.round = a.final_round AND r.task_id = t.value))`,
        'attempt {id} is graded without a final run for every task',
      ],
      [
        `SELECT id FROM attempts WHERE state IN ('submitted', 'graded', 'credentialed') AND (submitted_at IS NULL OR final_round < 1)`,
        'attempt {id} is past submission but has no submission time or round',
      ],
      [`SELECT id FROM attempts WHERE state = 'active' AND started_at IS NULL`, 'attempt {id} is active but was never started'],
    ];
    for (const [sql, message] of invariants) {
      for (const row of this.db.prepare(sql).all() as Row[]) problems.push(message.replace('{id}', String(row.id)));
    }
    for (const row of this.db.prepare('SELECT sha256, json FROM evidence_bundles').iterate() as IterableIterator<Row>) {
      const bundle = { sha256: String(row.sha256), json: String(row.json) };
      if (!bundleHashMatches(bundle)) problems.push(`evidence bundle ${bundle.sha256} does not match its content`);
    }
    return { ok: problems.length === 0, problems, auditChain };
  }

  // ── portal access: admin tokens, access codes, sessions ─────────────────────────────────────

  async createAdminToken(token: Pick<AdminTokenRecord, 'id' | 'name' | 'tokenHash'>, audit: AuditInput): Promise<AdminTokenRecord> {
    return this.tx(() => {
      this.db
        .prepare('INSERT INTO admin_tokens (id, name, token_hash, created_at) VALUES (?, ?, ?, ?)')
        .run(token.id, token.name, token.tokenHash, this.stamp());
      this.audit(audit);
      return this.adminTokenRow('id', token.id) as AdminTokenRecord;
    });
  }

  async findAdminTokenByHash(tokenHash: string): Promise<AdminTokenRecord | undefined> {
    return this.adminTokenRow('token_hash', tokenHash);
  }

  async getAdminToken(id: string): Promise<AdminTokenRecord | undefined> {
    return this.adminTokenRow('id', id);
  }

  async listAdminTokens(): Promise<AdminTokenRecord[]> {
    return (this.db.prepare('SELECT * FROM admin_tokens ORDER BY created_at, id').all() as Row[]).map(toAdminToken);
  }

  async revokeAdminToken(id: string, audit: AuditInput): Promise<AdminTokenRecord> {
    return this.tx(() => {
      const existing = this.adminTokenRow('id', id);
      if (!existing) throw new NotFoundError('admin token', id);
      if (existing.revokedAt) return existing;
      this.db.prepare('UPDATE admin_tokens SET revoked_at = ? WHERE id = ?').run(this.stamp(), id);
      this.audit(audit);
      return this.adminTokenRow('id', id) as AdminTokenRecord;
    });
  }

  async createAccessCode(code: Pick<AccessCodeRecord, 'id' | 'codeHash' | 'attemptId' | 'expiresAt'>, audit: AuditInput): Promise<AccessCodeRecord> {
    return this.tx(() => {
      if (!this.attemptRow(code.attemptId)) throw new NotFoundError('attempt', code.attemptId);
      this.db
        .prepare('INSERT INTO access_codes (id, code_hash, attempt_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
        .run(code.id, code.codeHash, code.attemptId, this.stamp(), code.expiresAt);
      this.audit(audit);
      return this.accessCodeRow('id', code.id) as AccessCodeRecord;
    });
  }

  async findAccessCodeByHash(codeHash: string): Promise<AccessCodeRecord | undefined> {
    return this.accessCodeRow('code_hash', codeHash);
  }

  async listAccessCodes(attemptId: string): Promise<AccessCodeRecord[]> {
    return (this.db.prepare('SELECT * FROM access_codes WHERE attempt_id = ? ORDER BY created_at, id').all(attemptId) as Row[]).map(toAccessCode);
  }

  async revokeAccessCode(id: string, audit: AuditInput): Promise<AccessCodeRecord> {
    return this.tx(() => {
      const existing = this.accessCodeRow('id', id);
      if (!existing) throw new NotFoundError('access code', id);
      if (existing.revokedAt) return existing;
      this.db.prepare('UPDATE access_codes SET revoked_at = ? WHERE id = ?').run(this.stamp(), id);
      this.audit(audit);
      return this.accessCodeRow('id', id) as AccessCodeRecord;
    });
  }

  async createSession(session: NewSession, audit: AuditInput): Promise<SessionRecord> {
    return this.tx(() => {
      this.db
        .prepare(
          `INSERT INTO sessions (token_hash, kind, candidate_id, access_code_id, admin_token_id, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(session.tokenHash, session.kind, session.candidateId, session.accessCodeId, session.adminTokenId, this.stamp(), session.expiresAt);
      this.audit(audit);
      return toSession(this.db.prepare('SELECT * FROM sessions WHERE token_hash = ?').get(session.tokenHash) as Row);
    });
  }

  async findActiveSession(tokenHash: string, at: string): Promise<SessionRecord | undefined> {
    const row = this.db
      .prepare(
        `SELECT s.* FROM sessions s
         LEFT JOIN access_codes c ON c.id = s.access_code_id
         LEFT JOIN admin_tokens t ON t.id = s.admin_token_id
         WHERE s.token_hash = ? AND s.expires_at > ? AND c.revoked_at IS NULL AND t.revoked_at IS NULL`,
      )
      .get(tokenHash, at) as Row | undefined;
    return row && toSession(row);
  }

  async deleteSession(tokenHash: string): Promise<void> {
    this.db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash);
  }

  async deleteExpiredSessions(at: string): Promise<number> {
    return this.db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(at).changes;
  }

  // ── badges (src/store/sqlite-badges.ts) ──────────────────────────────────────────────────────

  async getBadgeSettings(credentialId: string): Promise<BadgeSettingsRecord | undefined> {
    return this.badges.get(credentialId);
  }

  async setBadgeShownName(credentialId: string, shownName: string | null, audit: AuditInput): Promise<BadgeSettingsRecord> {
    return this.badges.setShownName(credentialId, shownName, audit);
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────

  private migrate(): void {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT',
    );
    const current = Number((this.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as Row).v ?? 0);
    if (current > LATEST_SCHEMA_VERSION) throw new SchemaVersionError(this.path, current, LATEST_SCHEMA_VERSION);
    // By set, not by the highest number: features own numbers (cohorts 3, pool 4, badges 5) and may
    // land in any order, so a database may hold 5 before 3 exists; 3 must still be applied then.
    const applied = new Set((this.db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((r) => Number(r.version)));
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      this.tx(() => {
        this.db.exec(migration.sql);
        this.db
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(migration.version, migration.name, this.stamp());
      });
    }
    this.db.prepare("INSERT OR IGNORE INTO settings (key, value) VALUES ('identity_salt', ?)").run(randomBytes(16).toString('hex'));
  }

  /**
   * Runs `fn` in one IMMEDIATE transaction (takes the write lock up front, so two processes never
   * deadlock on upgrade). Constraint violations surface as ConstraintViolationError, not driver errors.
   */
  private tx<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (e) {
      const code = driverErrorCode(e);
      if (code?.startsWith('SQLITE_CONSTRAINT')) throw new ConstraintViolationError(code, String((e as { message?: unknown }).message));
      throw e;
    }
  }

  private stamp(): string {
    return this.now().toISOString();
  }

  private setting(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as Row | undefined;
    return row === undefined ? undefined : String(row.value);
  }

  /** Appends one entry to the hash chain; must run inside the transaction of the change it records. */
  private audit(input: AuditInput): AuditEntry {
    const last = this.db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as Row | undefined;
    const partial = {
      seq: last ? Number(last.seq) + 1 : 1,
      at: this.stamp(),
      actor: input.actor,
      action: input.action,
      subject: input.subject,
      data: JSON.parse(canonicalJson(input.data ?? {})) as Record<string, unknown>,
      prevHash: last ? String(last.hash) : GENESIS_HASH,
    };
    const entry: AuditEntry = { ...partial, hash: auditHash(partial) };
    this.db
      .prepare('INSERT INTO audit_log (seq, at, actor, action, subject, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(entry.seq, entry.at, entry.actor, entry.action, entry.subject, canonicalJson(entry.data), entry.prevHash, entry.hash);
    this.db
      .prepare("INSERT INTO settings (key, value) VALUES ('audit_head', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
      .run(`${entry.seq}:${entry.hash}`);
    return entry;
  }

  private applyAttemptUpdate({ attemptId, expectedVersion, patch }: AttemptUpdate): void {
    const sets: string[] = [];
    const values: Record<string, unknown> = { id: attemptId, expectedVersion, updatedAt: this.stamp() };
    for (const [key, column] of Object.entries(PATCH_COLUMNS) as Array<[keyof AttemptPatch, string]>) {
      if (patch[key] === undefined) continue;
      sets.push(`${column} = @${key}`);
      values[key] = patch[key];
    }
    const changed = this.db
      .prepare(
        `UPDATE attempts SET ${[...sets, 'version = version + 1', 'updated_at = @updatedAt'].join(', ')}
         WHERE id = @id AND version = @expectedVersion`,
      )
      .run(values).changes;
    if (changed === 0) {
      const current = this.attemptRow(attemptId);
      if (!current) throw new NotFoundError('attempt', attemptId);
      throw new ConcurrentModificationError(attemptId, expectedVersion, current.version);
    }
  }

  private listWithRoom(): StatusListRecord | undefined {
    const row = this.db
      .prepare(
        `SELECT l.* FROM status_lists l
         WHERE (SELECT COUNT(*) FROM status_allocations s WHERE s.list_id = l.id) < l.size_bits
         ORDER BY l.id DESC LIMIT 1`,
      )
      .get() as Row | undefined;
    return row && toStatusList(row);
  }

  private createStatusList(listUrl: (listId: number) => string, sizeBits: number): StatusListRecord {
    const id = Number((this.db.prepare('SELECT COALESCE(MAX(id), 0) + 1 AS id FROM status_lists').get() as Row).id);
    this.db
      .prepare("INSERT INTO status_lists (id, url, purpose, size_bits, created_at) VALUES (?, ?, 'revocation', ?, ?)")
      .run(id, listUrl(id), sizeBits, this.stamp());
    return toStatusList(this.db.prepare('SELECT * FROM status_lists WHERE id = ?').get(id) as Row);
  }

  /**
   * A random free index: sequential indexes would let anyone who sees two credentials infer their
   * issue order and the issuer's volume (Bitstring Status List, privacy considerations).
   */
  private freeIndex(list: StatusListRecord): number {
    const taken = this.db.prepare('SELECT 1 FROM status_allocations WHERE list_id = ? AND idx = ?');
    for (let i = 0; i < 32; i += 1) {
      const candidate = randomInt(list.sizeBits);
      if (!taken.get(list.id, candidate)) return candidate;
    }
    const used = new Set(
      (this.db.prepare('SELECT idx FROM status_allocations WHERE list_id = ?').all(list.id) as Row[]).map((r) => Number(r.idx)),
    );
    for (let index = 0; index < list.sizeBits; index += 1) if (!used.has(index)) return index;
    throw new StoreError(`Status list ${list.url} is full.`);
  }

  private candidateRow(id: string): CandidateRecord | undefined {
    const row = this.db.prepare('SELECT * FROM candidates WHERE id = ?').get(id) as Row | undefined;
    return row && toCandidate(row);
  }

  private attemptRow(id: string): AttemptRecord | undefined {
    const row = this.db.prepare('SELECT * FROM attempts WHERE id = ?').get(id) as Row | undefined;
    return row && toAttempt(row);
  }

  private allocationRow(attemptId: string): StatusAllocation | undefined {
    const row = this.db
      .prepare('SELECT s.*, l.url FROM status_allocations s JOIN status_lists l ON l.id = s.list_id WHERE s.attempt_id = ?')
      .get(attemptId) as Row | undefined;
    return (
      row && {
        listId: Number(row.list_id),
        listUrl: String(row.url),
        index: Number(row.idx),
        attemptId: String(row.attempt_id),
        credentialId: String(row.credential_id),
        validFrom: String(row.valid_from),
        allocatedAt: String(row.allocated_at),
      }
    );
  }

  private credentialRow(column: 'id' | 'attempt_id', value: string): CredentialRecord | undefined {
    const row = this.db.prepare(`SELECT * FROM credentials WHERE ${column} = ?`).get(value) as Row | undefined;
    return row && toCredential(row);
  }

  private adminTokenRow(column: 'id' | 'token_hash', value: string): AdminTokenRecord | undefined {
    const row = this.db.prepare(`SELECT * FROM admin_tokens WHERE ${column} = ?`).get(value) as Row | undefined;
    return row && toAdminToken(row);
  }

  private accessCodeRow(column: 'id' | 'code_hash', value: string): AccessCodeRecord | undefined {
    const row = this.db.prepare(`SELECT * FROM access_codes WHERE ${column} = ?`).get(value) as Row | undefined;
    return row && toAccessCode(row);
  }

  private issuerKeyRow(kid: string): IssuerKeyRecord | undefined {
    const row = this.db.prepare('SELECT * FROM issuer_keys WHERE kid = ?').get(kid) as Row | undefined;
    return row && toIssuerKey(row);
  }
}

const PATCH_COLUMNS: Record<keyof AttemptPatch, string> = {
  state: 'state',
  result: 'result',
  finalRound: 'final_round',
  startedAt: 'started_at',
  expiresAt: 'expires_at',
  submittedAt: 'submitted_at',
  frozenAt: 'frozen_at',
  gradedAt: 'graded_at',
  lastCheckAt: 'last_check_at',
};

/**
 * A bundle's hash may be over its exact text or over its canonical JSON (the evidence format
 * hashes canonical JSON; a caller may hand over a pretty-printed copy of it).
 */
/** The hash is of the exact text, or the evidence format's own seal (canonical JSON without its sha256 field). */
function bundleHashMatches(bundle: EvidenceBundle): boolean {
  if (sha256Hex(bundle.json) === bundle.sha256) return true;
  try {
    return bundleHash(JSON.parse(bundle.json) as Parameters<typeof bundleHash>[0]) === bundle.sha256;
  } catch {
    return false;
  }
}

function verifyBundleHash(bundle: EvidenceBundle): void {
  if (!/^[0-9a-f]{64}$/.test(bundle.sha256)) {
    throw new StoreError(`Evidence bundle hash "${bundle.sha256}" is not a lower-case hex sha256 (64 characters).`);
  }
  if (!bundleHashMatches(bundle)) throw new EvidenceHashMismatchError(bundle.sha256, sha256Hex(bundle.json));
}

/**
 * The SQLite error code of a driver error. Checked structurally, not with instanceof: the native
 * driver may create its errors in another JavaScript realm (as under jest's per-file contexts).
 */
function driverErrorCode(e: unknown): string | undefined {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

function isUniqueViolation(e: unknown, table: string): boolean {
  return driverErrorCode(e) === 'SQLITE_CONSTRAINT_UNIQUE' && String((e as { message?: unknown }).message).includes(`${table}.`);
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toCandidate(r: Row): CandidateRecord {
  return { id: String(r.id), subjectId: String(r.subject_id), emailHash: str(r.email_hash), createdAt: String(r.created_at) };
}

function toAttempt(r: Row): AttemptRecord {
  return {
    id: String(r.id),
    candidateId: String(r.candidate_id),
    kind: r.kind as AttemptRecord['kind'],
    targetId: String(r.target_id),
    taskIds: JSON.parse(String(r.task_ids)) as string[],
    sandbox: JSON.parse(String(r.sandbox)) as AttemptRecord['sandbox'],
    state: r.state as AttemptRecord['state'],
    result: (r.result ?? null) as AttemptRecord['result'],
    timeLimitSeconds: r.time_limit_seconds === null ? null : Number(r.time_limit_seconds),
    finalRound: Number(r.final_round),
    version: Number(r.version),
    createdAt: String(r.created_at),
    updatedAt: String(r.updated_at),
    startedAt: str(r.started_at),
    expiresAt: str(r.expires_at),
    submittedAt: str(r.submitted_at),
    frozenAt: str(r.frozen_at),
    gradedAt: str(r.graded_at),
    lastCheckAt: str(r.last_check_at),
  };
}

function toRun(r: Row): GradingRunRecord {
  return {
    id: String(r.id),
    attemptId: String(r.attempt_id),
    taskId: String(r.task_id),
    scope: r.scope as GradeScope,
    round: Number(r.round),
    status: r.status as GradingRunRecord['status'],
    report: JSON.parse(String(r.report)) as unknown,
    bundleSha256: String(r.bundle_sha256),
    startedAt: String(r.started_at),
    finishedAt: String(r.finished_at),
  };
}

function toStatusList(r: Row): StatusListRecord {
  return { id: Number(r.id), url: String(r.url), purpose: 'revocation', sizeBits: Number(r.size_bits), createdAt: String(r.created_at) };
}

function toCredential(r: Row): CredentialRecord {
  return {
    id: String(r.id),
    attemptId: String(r.attempt_id),
    candidateId: String(r.candidate_id),
    statusListId: Number(r.list_id),
    statusIndex: Number(r.idx),
    kid: String(r.kid),
    jwt: String(r.jwt),
    credential: JSON.parse(String(r.credential_json)) as Record<string, unknown>,
    validFrom: String(r.valid_from),
    validUntil: str(r.valid_until),
    issuedAt: String(r.issued_at),
    revokedAt: str(r.revoked_at),
    revocationReason: str(r.revocation_reason),
  };
}

function toIssuerKey(r: Row): IssuerKeyRecord {
  return {
    kid: String(r.kid),
    issuerId: String(r.issuer_id),
    alg: r.alg as IssuerKeyRecord['alg'],
    publicJwk: JSON.parse(String(r.public_jwk)) as Record<string, unknown>,
    createdAt: String(r.created_at),
    retiredAt: str(r.retired_at),
  };
}

function toAuditEntry(r: Row): AuditEntry {
  return {
    seq: Number(r.seq),
    at: String(r.at),
    actor: String(r.actor),
    action: String(r.action),
    subject: String(r.subject),
    data: JSON.parse(String(r.data)) as Record<string, unknown>,
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
  };
}

function toAdminToken(r: Row): AdminTokenRecord {
  return { id: String(r.id), name: String(r.name), tokenHash: String(r.token_hash), createdAt: String(r.created_at), revokedAt: str(r.revoked_at) };
}

function toAccessCode(r: Row): AccessCodeRecord {
  return {
    id: String(r.id),
    codeHash: String(r.code_hash),
    attemptId: String(r.attempt_id),
    createdAt: String(r.created_at),
    expiresAt: str(r.expires_at),
    revokedAt: str(r.revoked_at),
  };
}

function toSession(r: Row): SessionRecord {
  return {
    tokenHash: String(r.token_hash),
    kind: r.kind as SessionRecord['kind'],
    candidateId: str(r.candidate_id),
    accessCodeId: str(r.access_code_id),
    adminTokenId: str(r.admin_token_id),
    createdAt: String(r.created_at),
    expiresAt: String(r.expires_at),
  };
}
