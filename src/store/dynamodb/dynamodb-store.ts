/**
 * `Store`, `AccessStore` and `CohortStore` on one DynamoDB table (see table.ts for the table,
 * table-access.ts for the item keys, commit-log.ts for how a change and its audit entry are made
 * atomic with single-item conditional writes, and docs/dynamodb-store.md for the whole design).
 * Evidence bundles go to a BlobStore (S3 in the service), not into items.
 *
 * Every constraint SqliteStore's schema enforces (foreign keys, uniqueness, CHECKs) is checked
 * here while deciding a change, and raises the same error classes, so callers behave the same on
 * both backends.
 */
import { DeleteItemCommand, DynamoDBClient, PutItemCommand, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { randomBytes, randomInt } from 'node:crypto';
import type { BadgeSettingsRecord, BadgeStore } from '../badge-types';
import type { BlobStore } from '../blobs/blob-store';
import type {
  BulkItemRecord,
  BulkItemState,
  BulkRunRecord,
  CohortPatch,
  CohortRecord,
  CohortStore,
  GroupRecord,
  ImportPlan,
  ImportResult,
  MemberPatch,
  MemberRecord,
  NewCohort,
  ProgrammeRecord,
} from '../cohort-types';
import { ConcurrentModificationError, ConstraintViolationError, DuplicateFinalRunError, DuplicateRunIdError, NotFoundError, StoreError } from '../errors';
import { verifyBundleHash } from '../evidence-hash';
import {
  ATTEMPT_STATES,
  MIN_STATUS_LIST_BITS,
  type AccessCodeRecord,
  type AccessStore,
  type AdminTokenRecord,
  type AllocationRequest,
  type AttemptFilter,
  type AttemptRecord,
  type AttemptUpdate,
  type AuditChainReport,
  type AuditEntry,
  type AuditInput,
  type CandidateRecord,
  type CredentialRecord,
  type EvidenceBundle,
  type GradeScope,
  type GradingRunRecord,
  type IntegrityReport,
  type IssuerKeyRecord,
  type NewAttempt,
  type NewCredential,
  type NewGradingRun,
  type NewSession,
  type SessionRecord,
  type StatusAllocation,
  type StatusListRecord,
  type Store,
} from '../types';
import { checkAuditChain } from '../audit-chain';
import { CommitLog, toAuditEntry, type CommitContext, type Decision, type Write } from './commit-log';
import { DynamoCohorts } from './dynamodb-cohorts';
import { toItem } from './marshal';
import { isConditionalCheckFailed, keys, recordItem, recordOf, TableAccess, type Key } from './table-access';

export interface DynamoDbStoreOptions {
  /** A client, or the configuration to make one (region, endpoint, credentials: the SDK's defaults otherwise). */
  client?: DynamoDBClient | DynamoDBClientConfig;
  tableName: string;
  /** Where evidence bundles are kept (S3BlobStore in the service). */
  blobs: BlobStore;
  /** Clock for timestamps the store itself writes. */
  now?: () => Date;
}

/** A run as stored: the record plus the audit entry that committed it, for insertion order. */
type StoredRun = GradingRunRecord & { seq: number };
type StoredStatusList = StatusListRecord & { allocated: number };

export class DynamoDbStore implements Store, AccessStore, CohortStore, BadgeStore {
  readonly tableName: string;
  readonly blobs: BlobStore;
  private readonly client: DynamoDBClient;
  private readonly ownsClient: boolean;
  private readonly access: TableAccess;
  private readonly log: CommitLog;
  /** The same cohort methods as on the store itself (SqliteStore offers both too). */
  get cohorts(): CohortStore {
    return this;
  }
  private readonly cohortImpl: DynamoCohorts;

  constructor(options: DynamoDbStoreOptions) {
    this.ownsClient = !(options.client instanceof DynamoDBClient);
    this.client = options.client instanceof DynamoDBClient ? options.client : new DynamoDBClient(options.client ?? {});
    this.tableName = options.tableName;
    this.blobs = options.blobs;
    this.access = new TableAccess(this.client, this.tableName);
    this.log = new CommitLog(this.access, options.now ?? (() => new Date()));
    this.cohortImpl = new DynamoCohorts(this.access, (a, b) => this.commit(a, b));
  }

  close(): void {
    if (this.ownsClient) this.client.destroy();
  }

  async installationSalt(): Promise<string> {
    const key = keys.meta('SALT');
    const existing = await this.access.get(key);
    if (existing?.value?.S) return existing.value.S;
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem({ ...key, type: 'setting', value: randomBytes(16).toString('hex') }),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
    }
    return String((await this.access.get(key))?.value?.S);
  }

  // ── candidates ──────────────────────────────────────────────────────────────────────────────

  async ensureCandidate(candidate: Omit<CandidateRecord, 'createdAt'>, audit: AuditInput): Promise<CandidateRecord> {
    return this.commit<CandidateRecord>(audit, async ({ at }) => {
      const existing = await this.access.getRecord<CandidateRecord>(keys.candidate(candidate.id));
      if (existing) return { unchanged: existing };
      const record: CandidateRecord = { id: candidate.id, subjectId: candidate.subjectId, emailHash: candidate.emailHash, createdAt: at };
      const writes: Write[] = [once(keys.candidate(record.id), 'candidate', record)];
      await this.claim(writes, keys.candidateSubject(record.subjectId), 'candidates.subject_id', { candidateId: record.id });
      if (record.emailHash) await this.claim(writes, keys.candidateEmail(record.emailHash), 'candidates.email_hash', { candidateId: record.id });
      return { writes, result: record };
    });
  }

  async getCandidate(id: string): Promise<CandidateRecord | undefined> {
    return this.access.getRecord<CandidateRecord>(keys.candidate(id));
  }

  async findCandidateByEmailHash(emailHash: string): Promise<CandidateRecord | undefined> {
    const claim = await this.access.getRecord<{ candidateId: string }>(keys.candidateEmail(emailHash));
    return claim && this.getCandidate(claim.candidateId);
  }

  // ── attempts ────────────────────────────────────────────────────────────────────────────────

  async createAttempt(attempt: NewAttempt, audit: AuditInput): Promise<AttemptRecord> {
    return this.commit<AttemptRecord>(audit, async ({ at }) => {
      if (await this.access.get(keys.attempt(attempt.id))) throw new ConstraintViolationError('attempts.id', `attempt ${attempt.id} already exists`);
      if (!(await this.access.get(keys.candidate(attempt.candidateId)))) {
        throw new ConstraintViolationError('attempts.candidate_id', `attempt ${attempt.id} names candidate ${attempt.candidateId}, which does not exist`);
      }
      const record: AttemptRecord = {
        id: attempt.id,
        candidateId: attempt.candidateId,
        kind: attempt.kind,
        targetId: attempt.targetId,
        taskIds: attempt.taskIds,
        sandbox: attempt.sandbox,
        state: 'created',
        result: null,
        timeLimitSeconds: attempt.timeLimitSeconds,
        finalRound: 0,
        version: 1,
        createdAt: at,
        updatedAt: at,
        startedAt: null,
        expiresAt: null,
        submittedAt: null,
        frozenAt: null,
        gradedAt: null,
        lastCheckAt: null,
      };
      checkAttempt(record);
      return { writes: [attemptWrite(record, 'create')], result: record };
    });
  }

  async getAttempt(id: string): Promise<AttemptRecord | undefined> {
    return this.access.getRecord<AttemptRecord>(keys.attempt(id));
  }

  async listAttempts(filter: AttemptFilter = {}): Promise<AttemptRecord[]> {
    let items;
    if (filter.candidateId) items = await this.access.index('gsi2', `CANDATT#${filter.candidateId}`);
    else if (filter.state) items = await this.access.index('gsi1', `ATTSTATE#${filter.state}`);
    else items = (await Promise.all(ATTEMPT_STATES.map((s) => this.access.index('gsi1', `ATTSTATE#${s}`)))).flat();
    return items
      .map((i) => recordOf<AttemptRecord>(i))
      .filter((a) => !filter.state || a.state === filter.state)
      .sort((a, b) => compare(a.createdAt, b.createdAt) || compare(a.id, b.id));
  }

  async updateAttempt(update: AttemptUpdate, audit: AuditInput): Promise<AttemptRecord> {
    return this.commit<AttemptRecord>(audit, async ({ at }) => {
      const next = await this.patchedAttempt(update, at);
      return { writes: [attemptWrite(next, 'replace')], result: next };
    });
  }

  // ── grading runs and evidence ───────────────────────────────────────────────────────────────

  async recordGradingRun(run: NewGradingRun, audit: AuditInput, attemptUpdate?: AttemptUpdate): Promise<GradingRunRecord> {
    verifyBundleHash(run.bundle);
    // Content-addressed and idempotent: a bundle stored for a change that is then refused is harmless.
    await this.blobs.put(run.bundle);
    return this.commit<GradingRunRecord>(audit, async ({ seq, at }) => {
      const key = run.scope === 'final' ? keys.finalRun(run.attemptId, run.round, run.taskId) : keys.progressRun(run.attemptId, run.id);
      // One round trip for everything the decision reads.
      const [attemptItem, runIdClaim, existingRun] = await this.access.getMany([keys.attempt(run.attemptId), keys.runId(run.id), key]);
      if (!attemptItem) {
        throw new ConstraintViolationError('grading_runs.attempt_id', `run ${run.id} names attempt ${run.attemptId}, which does not exist (FOREIGN KEY)`);
      }
      if (run.scope === 'final' && existingRun) throw new DuplicateFinalRunError(run.attemptId, run.round, run.taskId);
      if (runIdClaim || existingRun) throw new DuplicateRunIdError(run.id);
      const record: GradingRunRecord = {
        id: run.id,
        attemptId: run.attemptId,
        taskId: run.taskId,
        scope: run.scope,
        round: run.round,
        status: run.status,
        report: run.report ?? null,
        bundleSha256: run.bundle.sha256,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
      };
      const stored: StoredRun = { ...record, seq };
      const writes: Write[] = [once(key, 'grading-run', stored), once(keys.runId(run.id), 'run-id', { attemptId: run.attemptId, key })];
      if (attemptUpdate) writes.push(attemptWrite(await this.patchedAttempt(attemptUpdate, at, recordOf<AttemptRecord>(attemptItem)), 'replace'));
      return { writes, result: record };
    });
  }

  async listGradingRuns(attemptId: string, filter: { scope?: GradeScope; round?: number } = {}): Promise<GradingRunRecord[]> {
    const runs = (await this.access.partition(`ATT#${attemptId}`, 'RUN#')).map((i) => recordOf<StoredRun>(i));
    return runs
      .filter((r) => (filter.scope === undefined || r.scope === filter.scope) && (filter.round === undefined || r.round === filter.round))
      .sort((a, b) => a.seq - b.seq)
      .map(({ seq: _seq, ...run }) => run);
  }

  async getEvidenceBundle(sha256: string): Promise<EvidenceBundle | undefined> {
    return this.blobs.get(sha256);
  }

  // ── status lists ────────────────────────────────────────────────────────────────────────────

  async allocateStatusIndex(request: AllocationRequest, audit: AuditInput): Promise<StatusAllocation> {
    const sizeBits = request.sizeBits ?? MIN_STATUS_LIST_BITS;
    if (sizeBits < MIN_STATUS_LIST_BITS || sizeBits % 8 !== 0) {
      throw new StoreError(`A status list must hold at least ${MIN_STATUS_LIST_BITS} bits, in whole bytes; got ${sizeBits}.`);
    }
    return this.commit<StatusAllocation>(audit, async ({ at }) => {
      const [existing, attempt] = await this.access.getMany([keys.allocation(request.attemptId), keys.attempt(request.attemptId)]);
      if (existing) return { unchanged: recordOf<StatusAllocation>(existing) };
      if (!attempt) {
        throw new ConstraintViolationError('status_allocations.attempt_id', `attempt ${request.attemptId} does not exist (FOREIGN KEY)`);
      }
      const writes: Write[] = [];
      const [latest] = (await this.access.partition('SLIST', undefined, { descending: true, limit: 1 })).map((i) => recordOf<StoredStatusList>(i));
      let list: StoredStatusList;
      if (latest && latest.allocated < latest.sizeBits) list = latest;
      else {
        const id = (latest?.id ?? 0) + 1;
        list = { id, url: request.listUrl(id), purpose: 'revocation', sizeBits, createdAt: at, allocated: 0 };
        await this.claim(writes, keys.statusListUrl(list.url), 'status_lists.url', { listId: id });
      }
      const index = await this.freeIndex(list);
      const allocation: StatusAllocation = {
        listId: list.id,
        listUrl: list.url,
        index,
        attemptId: request.attemptId,
        credentialId: request.credentialId,
        validFrom: request.validFrom,
        allocatedAt: at,
      };
      writes.push(
        // The per-list counter: a list never hands out more indexes than it has bits.
        { mode: latest === list ? 'replace' : 'create', item: recordItem(keys.statusList(list.id), 'status-list', { ...list, allocated: list.allocated + 1 }) },
        // The per-index claim: created only if absent, so no index is ever handed out twice.
        once(keys.statusIndex(list.id, index), 'status-index', { attemptId: request.attemptId, credentialId: request.credentialId }),
        once(keys.allocation(request.attemptId), 'status-allocation', allocation),
      );
      return { writes, result: allocation, auditData: { statusList: list.url, statusIndex: index } };
    });
  }

  async getStatusAllocation(attemptId: string): Promise<StatusAllocation | undefined> {
    return this.access.getRecord<StatusAllocation>(keys.allocation(attemptId));
  }

  async getStatusList(listId: number): Promise<StatusListRecord | undefined> {
    const list = await this.access.getRecord<StoredStatusList>(keys.statusList(listId));
    return list && publicList(list);
  }

  async getStatusListByUrl(url: string): Promise<StatusListRecord | undefined> {
    const claim = await this.access.getRecord<{ listId: number }>(keys.statusListUrl(url));
    return claim && this.getStatusList(claim.listId);
  }

  async listStatusLists(): Promise<StatusListRecord[]> {
    return (await this.access.partition('SLIST')).map((i) => publicList(recordOf<StoredStatusList>(i)));
  }

  async revokedIndices(listId: number): Promise<number[]> {
    return (await this.access.partition(`SLISTREV#${listId}`)).map((i) => recordOf<{ index: number }>(i).index);
  }

  // ── credentials ─────────────────────────────────────────────────────────────────────────────

  async insertCredential(
    credential: NewCredential,
    attemptUpdate: AttemptUpdate,
    audit: AuditInput,
  ): Promise<{ credential: CredentialRecord; created: boolean }> {
    return this.commit<{ credential: CredentialRecord; created: boolean }>(audit, async ({ at }) => {
      const [pointerItem, allocationItem, attemptItem, issuerKey, credentialItem] = await this.access.getMany([
        keys.attemptCredential(credential.attemptId),
        keys.allocation(credential.attemptId),
        keys.attempt(credential.attemptId),
        keys.issuerKey(credential.kid),
        keys.credential(credential.id),
      ]);
      const pointer = pointerItem && recordOf<{ credentialId: string }>(pointerItem);
      const existing = pointer && (await this.getCredential(pointer.credentialId));
      if (existing) return { unchanged: { credential: existing, created: false } };
      const allocation = allocationItem && recordOf<StatusAllocation>(allocationItem);
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
      const attempt = attemptItem && recordOf<AttemptRecord>(attemptItem);
      if (!attempt) throw new NotFoundError('attempt', credential.attemptId);
      if (!issuerKey) {
        throw new ConstraintViolationError('credentials.kid', `credential ${credential.id} names issuer key ${credential.kid}, which is not registered (FOREIGN KEY)`);
      }
      if (credentialItem) throw new ConstraintViolationError('credentials.id', `credential ${credential.id} already exists`);
      const next = await this.patchedAttempt(attemptUpdate, at, attempt);
      const record: CredentialRecord = {
        id: credential.id,
        attemptId: credential.attemptId,
        candidateId: attempt.candidateId,
        statusListId: credential.statusListId,
        statusIndex: credential.statusIndex,
        kid: credential.kid,
        jwt: credential.jwt,
        credential: credential.credential,
        validFrom: credential.validFrom,
        validUntil: credential.validUntil,
        issuedAt: at,
        revokedAt: null,
        revocationReason: null,
      };
      const writes: Write[] = [
        attemptWrite(next, 'replace'),
        credentialWrite(record, 'create'),
        once(keys.attemptCredential(record.attemptId), 'attempt-credential', { credentialId: record.id }),
      ];
      return { writes, result: { credential: record, created: true } };
    });
  }

  async getCredential(id: string): Promise<CredentialRecord | undefined> {
    return this.access.getRecord<CredentialRecord>(keys.credential(id));
  }

  async getCredentialByAttempt(attemptId: string): Promise<CredentialRecord | undefined> {
    const pointer = await this.access.getRecord<{ credentialId: string }>(keys.attemptCredential(attemptId));
    return pointer && this.getCredential(pointer.credentialId);
  }

  async listCredentials(filter: { candidateId?: string } = {}): Promise<CredentialRecord[]> {
    const items = filter.candidateId ? await this.access.index('gsi2', `CANDCRED#${filter.candidateId}`) : await this.access.index('gsi1', 'CREDS');
    return items.map((i) => recordOf<CredentialRecord>(i)).sort((a, b) => compare(a.issuedAt, b.issuedAt) || compare(a.id, b.id));
  }

  async revokeCredential(id: string, reason: string, audit: AuditInput): Promise<CredentialRecord> {
    if (!reason.trim()) throw new StoreError(`Revoking credential ${id} needs a reason (--reason TEXT).`);
    return this.commit<CredentialRecord>(audit, async ({ at }) => {
      const existing = await this.getCredential(id);
      if (!existing) throw new NotFoundError('credential', id);
      if (existing.revokedAt) return { unchanged: existing };
      const revoked: CredentialRecord = { ...existing, revokedAt: at, revocationReason: reason };
      return {
        writes: [
          credentialWrite(revoked, 'replace'),
          once(keys.revocation(revoked.statusListId, revoked.statusIndex), 'revocation', { index: revoked.statusIndex, credentialId: id }),
        ],
        result: revoked,
      };
    });
  }

  // ── badge settings ──────────────────────────────────────────────────────────────────────────

  async getBadgeSettings(credentialId: string): Promise<BadgeSettingsRecord | undefined> {
    return this.access.getRecord<BadgeSettingsRecord>(keys.badgeSettings(credentialId));
  }

  async setBadgeShownName(credentialId: string, shownName: string | null, audit: AuditInput): Promise<BadgeSettingsRecord> {
    return this.commit<BadgeSettingsRecord>(audit, async ({ at }) => {
      // SqliteStore's CHECK on badge_settings.shown_name.
      if (shownName !== null && !([...shownName].length >= 1 && [...shownName].length <= 80)) {
        throw new ConstraintViolationError('badge_settings.shown_name', 'CHECK constraint failed: a shown name has 1 to 80 characters');
      }
      if (!(await this.access.get(keys.credential(credentialId)))) throw new NotFoundError('credential', credentialId);
      const record: BadgeSettingsRecord = { credentialId, shownName, updatedAt: at };
      return { writes: [{ mode: 'replace', item: recordItem(keys.badgeSettings(credentialId), 'badge-settings', record) }], result: record };
    });
  }

  // ── issuer keys ─────────────────────────────────────────────────────────────────────────────

  async putIssuerKey(key: Omit<IssuerKeyRecord, 'createdAt' | 'retiredAt'>, audit: AuditInput): Promise<IssuerKeyRecord> {
    return this.commit<IssuerKeyRecord>(audit, async ({ at }) => {
      const existing = await this.getIssuerKey(key.kid);
      if (existing) return { unchanged: existing };
      const record: IssuerKeyRecord = { kid: key.kid, issuerId: key.issuerId, alg: key.alg, publicJwk: key.publicJwk, createdAt: at, retiredAt: null };
      return { writes: [once(keys.issuerKey(key.kid), 'issuer-key', record)], result: record };
    });
  }

  async getIssuerKey(kid: string): Promise<IssuerKeyRecord | undefined> {
    return this.access.getRecord<IssuerKeyRecord>(keys.issuerKey(kid));
  }

  async listIssuerKeys(): Promise<IssuerKeyRecord[]> {
    return (await this.access.partition('ISSUERKEY')).map((i) => recordOf<IssuerKeyRecord>(i)).sort((a, b) => compare(a.createdAt, b.createdAt) || compare(a.kid, b.kid));
  }

  // ── audit log ───────────────────────────────────────────────────────────────────────────────

  async appendAudit(entry: AuditInput): Promise<AuditEntry> {
    return this.log.append(entry);
  }

  async listAudit(filter: { subject?: string } = {}): Promise<AuditEntry[]> {
    const items = filter.subject ? await this.access.index('gsi1', `AUDSUBJ#${filter.subject}`) : await this.access.partition('AUDIT');
    return items.map(toAuditEntry).sort((a, b) => a.seq - b.seq);
  }

  /** Rolls forward any committed change not yet applied (after a crash); integrityCheck does this first. */
  async recover(): Promise<void> {
    await this.log.recover();
  }

  async verifyAuditChain(): Promise<AuditChainReport> {
    await this.log.recover();
    const entries = (await this.access.partition('AUDIT')).map(toAuditEntry);
    return checkAuditChain(entries, async () => {
      const recorded = await this.log.recordedHead();
      return recorded && `${recorded.seq}:${recorded.hash}`;
    });
  }

  async integrityCheck(): Promise<IntegrityReport> {
    const auditChain = await this.verifyAuditChain();
    const problems: string[] = [];
    if (!auditChain.ok) problems.push(`audit log: entry ${auditChain.brokenAt?.seq}: ${auditChain.brokenAt?.problem}`);
    const byType = new Map<string, Array<Record<string, unknown>>>();
    for (const item of await this.access.scan()) {
      const type = item.type?.S ?? 'unknown';
      if (!item.rec?.S) continue;
      const list = byType.get(type) ?? [];
      list.push(recordOf<Record<string, unknown>>(item));
      byType.set(type, list);
    }
    const all = <T>(type: string) => (byType.get(type) ?? []) as T[];
    const attempts = new Map(all<AttemptRecord>('attempt').map((a) => [a.id, a]));
    const credentials = all<CredentialRecord>('credential');
    const allocations = new Map(all<StatusAllocation>('status-allocation').map((s) => [s.attemptId, s]));
    const lists = new Map(all<StoredStatusList>('status-list').map((l) => [l.id, l]));
    const runs = all<StoredRun>('grading-run');
    const perAttempt = new Map<string, number>();
    for (const c of credentials) perAttempt.set(c.attemptId, (perAttempt.get(c.attemptId) ?? 0) + 1);
    for (const [id, n] of perAttempt) if (n > 1) problems.push(`attempt ${id} has more than one credential`);
    for (const a of attempts.values()) {
      if (a.state === 'credentialed' && !perAttempt.has(a.id)) problems.push(`attempt ${a.id} is credentialed but has no credential`);
    }
    for (const c of credentials) {
      if (attempts.get(c.attemptId)?.state !== 'credentialed') problems.push(`credential ${c.id} belongs to an attempt that is not credentialed`);
      const s = allocations.get(c.attemptId);
      if (s && (s.credentialId !== c.id || s.listId !== c.statusListId || s.index !== c.statusIndex)) {
        problems.push(`credential ${c.id} does not match its status-list allocation`);
      }
    }
    for (const s of allocations.values()) {
      const list = lists.get(s.listId);
      if (list && s.index >= list.sizeBits) problems.push(`status allocation for credential ${s.credentialId} lies outside its list`);
    }
    const claims = new Map<number, number>();
    for (const s of allocations.values()) claims.set(s.listId, (claims.get(s.listId) ?? 0) + 1);
    for (const list of lists.values()) {
      if ((claims.get(list.id) ?? 0) > list.allocated) problems.push(`status list ${list.url} has more allocations than its counter (${list.allocated})`);
    }
    for (const a of attempts.values()) {
      if (a.state === 'graded' || a.state === 'credentialed') {
        const finals = new Set(runs.filter((r) => r.attemptId === a.id && r.scope === 'final' && r.round === a.finalRound).map((r) => r.taskId));
        if (a.taskIds.some((t) => !finals.has(t))) problems.push(`attempt ${a.id} is graded without a final run for every task`);
      }
      if (['submitted', 'graded', 'credentialed'].includes(a.state) && (a.submittedAt === null || a.finalRound < 1)) {
        problems.push(`attempt ${a.id} is past submission but has no submission time or round`);
      }
      if (a.state === 'active' && a.startedAt === null) problems.push(`attempt ${a.id} is active but was never started`);
    }
    for (const sha of new Set(runs.map((r) => r.bundleSha256))) {
      try {
        if (!(await this.blobs.get(sha))) problems.push(`evidence bundle ${sha} is missing from ${this.blobs.location}`);
      } catch {
        problems.push(`evidence bundle ${sha} does not match its content`);
      }
    }
    return { ok: problems.length === 0, problems, auditChain };
  }

  // ── portal access: admin tokens, access codes, sessions ─────────────────────────────────────

  async createAdminToken(token: Pick<AdminTokenRecord, 'id' | 'name' | 'tokenHash'>, audit: AuditInput): Promise<AdminTokenRecord> {
    return this.commit<AdminTokenRecord>(audit, async ({ at }) => {
      if (token.tokenHash.length !== 64) throw new ConstraintViolationError('admin_tokens.token_hash', 'an admin token hash must be 64 hex characters');
      if (await this.access.get(keys.adminToken(token.id))) throw new ConstraintViolationError('admin_tokens.id', `admin token ${token.id} already exists`);
      const record: AdminTokenRecord = { id: token.id, name: token.name, tokenHash: token.tokenHash, createdAt: at, revokedAt: null };
      const writes: Write[] = [adminTokenWrite(record, 'create')];
      await this.claim(writes, keys.adminTokenHash(token.tokenHash), 'admin_tokens.token_hash', { id: token.id });
      return { writes, result: record };
    });
  }

  async findAdminTokenByHash(tokenHash: string): Promise<AdminTokenRecord | undefined> {
    const claim = await this.access.getRecord<{ id: string }>(keys.adminTokenHash(tokenHash));
    return claim && this.getAdminToken(claim.id);
  }

  async getAdminToken(id: string): Promise<AdminTokenRecord | undefined> {
    return this.access.getRecord<AdminTokenRecord>(keys.adminToken(id));
  }

  async listAdminTokens(): Promise<AdminTokenRecord[]> {
    return (await this.access.index('gsi1', 'ADMTOKS')).map((i) => recordOf<AdminTokenRecord>(i)).sort((a, b) => compare(a.createdAt, b.createdAt) || compare(a.id, b.id));
  }

  async revokeAdminToken(id: string, audit: AuditInput): Promise<AdminTokenRecord> {
    return this.commit<AdminTokenRecord>(audit, async ({ at }) => {
      const existing = await this.getAdminToken(id);
      if (!existing) throw new NotFoundError('admin token', id);
      if (existing.revokedAt) return { unchanged: existing };
      const revoked = { ...existing, revokedAt: at };
      return { writes: [adminTokenWrite(revoked, 'replace')], result: revoked };
    });
  }

  async createAccessCode(code: Pick<AccessCodeRecord, 'id' | 'codeHash' | 'attemptId' | 'expiresAt'>, audit: AuditInput): Promise<AccessCodeRecord> {
    return this.commit<AccessCodeRecord>(audit, async ({ at }) => {
      if (!(await this.access.get(keys.attempt(code.attemptId)))) throw new NotFoundError('attempt', code.attemptId);
      if (code.codeHash.length !== 64) throw new ConstraintViolationError('access_codes.code_hash', 'an access code hash must be 64 hex characters');
      if (await this.access.get(keys.accessCode(code.id))) throw new ConstraintViolationError('access_codes.id', `access code ${code.id} already exists`);
      const record: AccessCodeRecord = { id: code.id, codeHash: code.codeHash, attemptId: code.attemptId, createdAt: at, expiresAt: code.expiresAt, revokedAt: null };
      const writes: Write[] = [accessCodeWrite(record, 'create')];
      await this.claim(writes, keys.accessCodeHash(code.codeHash), 'access_codes.code_hash', { id: code.id });
      return { writes, result: record };
    });
  }

  async findAccessCodeByHash(codeHash: string): Promise<AccessCodeRecord | undefined> {
    const claim = await this.access.getRecord<{ id: string }>(keys.accessCodeHash(codeHash));
    return claim && this.access.getRecord<AccessCodeRecord>(keys.accessCode(claim.id));
  }

  async listAccessCodes(attemptId: string): Promise<AccessCodeRecord[]> {
    return (await this.access.index('gsi2', `ATTCODES#${attemptId}`))
      .map((i) => recordOf<AccessCodeRecord>(i))
      .sort((a, b) => compare(a.createdAt, b.createdAt) || compare(a.id, b.id));
  }

  async revokeAccessCode(id: string, audit: AuditInput): Promise<AccessCodeRecord> {
    return this.commit<AccessCodeRecord>(audit, async ({ at }) => {
      const existing = await this.access.getRecord<AccessCodeRecord>(keys.accessCode(id));
      if (!existing) throw new NotFoundError('access code', id);
      if (existing.revokedAt) return { unchanged: existing };
      const revoked = { ...existing, revokedAt: at };
      return { writes: [accessCodeWrite(revoked, 'replace')], result: revoked };
    });
  }

  async createSession(session: NewSession, audit: AuditInput): Promise<SessionRecord> {
    return this.commit<SessionRecord>(audit, async ({ at }) => {
      const candidateSession = session.kind === 'candidate';
      if (candidateSession !== (session.candidateId !== null && session.accessCodeId !== null) || (session.kind === 'admin') !== (session.adminTokenId !== null)) {
        throw new ConstraintViolationError('sessions.kind', `a ${session.kind} session needs exactly the ${candidateSession ? 'candidate and access code' : 'admin token'} it was opened with`);
      }
      if (session.tokenHash.length !== 64) throw new ConstraintViolationError('sessions.token_hash', 'a session token hash must be 64 hex characters');
      if (session.candidateId && !(await this.access.get(keys.candidate(session.candidateId)))) {
        throw new ConstraintViolationError('sessions.candidate_id', `candidate ${session.candidateId} does not exist (FOREIGN KEY)`);
      }
      if (session.accessCodeId && !(await this.access.get(keys.accessCode(session.accessCodeId)))) {
        throw new ConstraintViolationError('sessions.access_code_id', `access code ${session.accessCodeId} does not exist (FOREIGN KEY)`);
      }
      if (session.adminTokenId && !(await this.access.get(keys.adminToken(session.adminTokenId)))) {
        throw new ConstraintViolationError('sessions.admin_token_id', `admin token ${session.adminTokenId} does not exist (FOREIGN KEY)`);
      }
      if (await this.access.get(keys.session(session.tokenHash))) throw new ConstraintViolationError('sessions.token_hash', 'that session already exists');
      const record: SessionRecord = { ...session, createdAt: at };
      const expires = Date.parse(record.expiresAt);
      const item = recordItem(keys.session(record.tokenHash), 'session', record, {
        gsi1: ['SESSEXP', `${record.expiresAt}#${record.tokenHash}`],
        ...(Number.isFinite(expires) ? { ttl: Math.ceil(expires / 1000) } : {}),
      });
      return { writes: [{ mode: 'create', item }], result: record };
    });
  }

  async findActiveSession(tokenHash: string, at: string): Promise<SessionRecord | undefined> {
    const session = await this.access.getRecord<SessionRecord>(keys.session(tokenHash));
    if (!session || !(session.expiresAt > at)) return undefined;
    if (session.accessCodeId) {
      const code = await this.access.getRecord<AccessCodeRecord>(keys.accessCode(session.accessCodeId));
      if (code?.revokedAt) return undefined;
    }
    if (session.adminTokenId) {
      const token = await this.getAdminToken(session.adminTokenId);
      if (token?.revokedAt) return undefined;
    }
    return session;
  }

  /** Not audited (as in SqliteStore), so a plain delete outside the log. */
  async deleteSession(tokenHash: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: toItem({ ...keys.session(tokenHash) }) }));
  }

  async deleteExpiredSessions(at: string): Promise<number> {
    const expired = (await this.access.index('gsi1', 'SESSEXP', { upTo: `${at}#\uffff` }))
      .map((i) => recordOf<SessionRecord>(i))
      .filter((s) => s.expiresAt <= at);
    let deleted = 0;
    for (const s of expired) {
      try {
        await this.client.send(
          new DeleteItemCommand({ TableName: this.tableName, Key: toItem({ ...keys.session(s.tokenHash) }), ConditionExpression: 'attribute_exists(pk)' }),
        );
        deleted += 1;
      } catch (e) {
        if (!isConditionalCheckFailed(e)) throw e;
      }
    }
    return deleted;
  }

  // ── cohorts (dynamodb-cohorts.ts) ───────────────────────────────────────────────────────────

  createProgramme(programme: Omit<ProgrammeRecord, 'createdAt'>, audit: AuditInput): Promise<ProgrammeRecord> {
    return this.cohortImpl.createProgramme(programme, audit);
  }
  getProgramme(id: string): Promise<ProgrammeRecord | undefined> {
    return this.cohortImpl.getProgramme(id);
  }
  listProgrammes(): Promise<ProgrammeRecord[]> {
    return this.cohortImpl.listProgrammes();
  }
  createCohort(cohort: NewCohort, audit: AuditInput): Promise<CohortRecord> {
    return this.cohortImpl.createCohort(cohort, audit);
  }
  getCohort(id: string): Promise<CohortRecord | undefined> {
    return this.cohortImpl.getCohort(id);
  }
  listCohorts(filter?: { programmeId?: string }): Promise<CohortRecord[]> {
    return this.cohortImpl.listCohorts(filter);
  }
  updateCohort(cohortId: string, expectedVersion: number, patch: CohortPatch, audit: AuditInput): Promise<CohortRecord> {
    return this.cohortImpl.updateCohort(cohortId, expectedVersion, patch, audit);
  }
  applyImport(plan: ImportPlan, audit: AuditInput): Promise<ImportResult> {
    return this.cohortImpl.applyImport(plan, audit);
  }
  getGroup(id: string): Promise<GroupRecord | undefined> {
    return this.cohortImpl.getGroup(id);
  }
  listGroups(cohortId: string): Promise<GroupRecord[]> {
    return this.cohortImpl.listGroups(cohortId);
  }
  getMember(cohortId: string, candidateId: string): Promise<MemberRecord | undefined> {
    return this.cohortImpl.getMember(cohortId, candidateId);
  }
  listMembers(filter: { cohortId?: string; groupId?: string; candidateId?: string }): Promise<MemberRecord[]> {
    return this.cohortImpl.listMembers(filter);
  }
  updateMember(cohortId: string, candidateId: string, patch: MemberPatch, audit: AuditInput): Promise<MemberRecord> {
    return this.cohortImpl.updateMember(cohortId, candidateId, patch, audit);
  }
  createBulkRun(run: Omit<BulkRunRecord, 'createdAt' | 'finishedAt'>, candidateIds: string[], audit: AuditInput): Promise<BulkRunRecord> {
    return this.cohortImpl.createBulkRun(run, candidateIds, audit);
  }
  getBulkRun(id: string): Promise<BulkRunRecord | undefined> {
    return this.cohortImpl.getBulkRun(id);
  }
  listBulkItems(runId: string): Promise<BulkItemRecord[]> {
    return this.cohortImpl.listBulkItems(runId);
  }
  updateBulkItem(runId: string, candidateId: string, change: { state: BulkItemState; attemptId?: string | null; error?: string | null }): Promise<BulkItemRecord> {
    return this.cohortImpl.updateBulkItem(runId, candidateId, change);
  }
  finishBulkRun(id: string, audit: AuditInput): Promise<BulkRunRecord> {
    return this.cohortImpl.finishBulkRun(id, audit);
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────

  private commit<T>(audit: AuditInput, decide: (ctx: CommitContext) => Promise<Decision<T>>): Promise<T> {
    return this.log.commit(audit, decide);
  }

  /** Adds a uniqueness claim to `writes`, refusing the change when the value is taken. */
  private async claim(writes: Write[], key: Key, constraint: string, record: object): Promise<void> {
    if (await this.access.get(key)) throw new ConstraintViolationError(constraint, `UNIQUE constraint failed: ${constraint}`);
    writes.push(once(key, 'claim', record));
  }

  /** The attempt after a compare-and-set update, checked against the same rules as SqliteStore's schema. */
  private async patchedAttempt({ attemptId, expectedVersion, patch }: AttemptUpdate, at: string, read?: AttemptRecord): Promise<AttemptRecord> {
    // `read`: this attempt as the same decision already read it (strongly consistent, at the same log head).
    const current = read?.id === attemptId ? read : await this.getAttempt(attemptId);
    if (!current) throw new NotFoundError('attempt', attemptId);
    if (current.version !== expectedVersion) throw new ConcurrentModificationError(attemptId, expectedVersion, current.version);
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const next: AttemptRecord = { ...current, ...defined, version: current.version + 1, updatedAt: at };
    checkAttempt(next);
    return next;
  }

  /**
   * A random free index: sequential indexes would let anyone who sees two credentials infer their
   * issue order and the issuer's volume (Bitstring Status List, privacy considerations).
   */
  private async freeIndex(list: StoredStatusList): Promise<number> {
    for (let i = 0; i < 32; i += 1) {
      const candidate = randomInt(list.sizeBits);
      if (!(await this.access.get(keys.statusIndex(list.id, candidate)))) return candidate;
    }
    const used = new Set((await this.access.partition(`SLIST#${list.id}`, 'IDX#')).map((i) => Number(i.sk?.S?.slice(4))));
    for (let index = 0; index < list.sizeBits; index += 1) if (!used.has(index)) return index;
    throw new StoreError(`Status list ${list.url} is full.`);
  }
}

/** A record created once and never changed or deleted afterwards (see Write's `once`). */
function once(key: Key, type: string, record: object): Write {
  return { mode: 'once', item: recordItem(key, type, record) };
}

function attemptWrite(a: AttemptRecord, mode: Write['mode']): Write {
  return {
    mode,
    item: recordItem(keys.attempt(a.id), 'attempt', a, {
      gsi1: [`ATTSTATE#${a.state}`, `${a.createdAt}#${a.id}`],
      gsi2: [`CANDATT#${a.candidateId}`, `${a.createdAt}#${a.id}`],
    }),
  };
}

function credentialWrite(c: CredentialRecord, mode: Write['mode']): Write {
  return {
    mode,
    item: recordItem(keys.credential(c.id), 'credential', c, {
      gsi1: ['CREDS', `${c.issuedAt}#${c.id}`],
      gsi2: [`CANDCRED#${c.candidateId}`, `${c.issuedAt}#${c.id}`],
    }),
  };
}

function adminTokenWrite(t: AdminTokenRecord, mode: Write['mode']): Write {
  return { mode, item: recordItem(keys.adminToken(t.id), 'admin-token', t, { gsi1: ['ADMTOKS', `${t.createdAt}#${t.id}`] }) };
}

function accessCodeWrite(c: AccessCodeRecord, mode: Write['mode']): Write {
  return { mode, item: recordItem(keys.accessCode(c.id), 'access-code', c, { gsi2: [`ATTCODES#${c.attemptId}`, `${c.createdAt}#${c.id}`] }) };
}

function publicList({ allocated: _allocated, ...list }: StoredStatusList): StatusListRecord {
  return list;
}

/** SqliteStore's CHECK constraints on attempts. */
function checkAttempt(a: AttemptRecord): void {
  const fail = (detail: string) => {
    throw new ConstraintViolationError('attempts.check', `CHECK constraint failed: attempt ${a.id}: ${detail}`);
  };
  if (!['assessment', 'practice'].includes(a.kind)) fail(`kind "${a.kind}" is not assessment or practice`);
  if (!Array.isArray(a.taskIds) || a.taskIds.length < 1) fail('it needs at least one task');
  if (!(ATTEMPT_STATES as readonly string[]).includes(a.state)) fail(`state "${a.state}" is unknown`);
  if (a.result !== null && !['passed', 'failed', 'incomplete'].includes(a.result)) fail(`result "${a.result}" is unknown`);
  if (a.timeLimitSeconds !== null && !(a.timeLimitSeconds > 0)) fail('its time limit must be positive');
  if (!(a.finalRound >= 0)) fail('its final round must not be negative');
  if ((a.state === 'graded' || a.state === 'credentialed') !== (a.result !== null)) fail('a result exists exactly when the attempt has been graded');
  if (a.state === 'credentialed' && !(a.kind === 'assessment' && a.result === 'passed')) fail('only a passed assessment can carry a credential');
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
