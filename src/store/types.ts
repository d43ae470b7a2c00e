/**
 * What SkillProof persists, and the small interface every backend implements. Each mutating
 * method is one atomic state change that also appends its audit entry; the domain rules (which
 * transition is legal, when a credential may be issued) live in the services, and the store only
 * guarantees atomicity, uniqueness and compare-and-set on an attempt's `version`.
 */

export const ATTEMPT_STATES = ['created', 'active', 'submitted', 'graded', 'credentialed', 'expired', 'cancelled'] as const;
export type AttemptState = (typeof ATTEMPT_STATES)[number];

export const RUN_STATUSES = ['passed', 'failed', 'incomplete'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export type GradeScope = 'progress' | 'final';

/** Bitstring Status List v1.0 minimum list size (16 KiB), for herd privacy. */
export const MIN_STATUS_LIST_BITS = 131_072;

/** Where the candidate's resources are: a real account the grader assumes a role in, or a recorded transcript. */
export type SandboxRef =
  | { kind: 'aws'; accountId: string; roleArn: string; externalId: string }
  | { kind: 'replay'; path: string };

/** An assessment leads to a credential; practice on a single task never does. */
export type AttemptKind = 'assessment' | 'practice';

export interface CandidateRecord {
  /** Pseudonymous handle; never an e-mail address. */
  id: string;
  /** Stable random URI used as `credentialSubject.id`, so credentials do not reveal the handle. */
  subjectId: string;
  /** `sha256$<hex>` of the normalised e-mail and the installation salt, when the candidate gave one. */
  emailHash: string | null;
  createdAt: string;
}

export interface AttemptRecord {
  id: string;
  candidateId: string;
  kind: AttemptKind;
  /** Assessment id, or the task id of a practice attempt. */
  targetId: string;
  taskIds: string[];
  sandbox: SandboxRef;
  state: AttemptState;
  result: RunStatus | null;
  timeLimitSeconds: number | null;
  /** 0 before submit; each authoritative grading round (submit, then each admin re-run) increments it. */
  finalRound: number;
  /** Incremented by every update; updates must name the version they read. */
  version: number;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  expiresAt: string | null;
  submittedAt: string | null;
  frozenAt: string | null;
  gradedAt: string | null;
  lastCheckAt: string | null;
}

export interface NewAttempt {
  id: string;
  candidateId: string;
  kind: AttemptKind;
  targetId: string;
  taskIds: string[];
  sandbox: SandboxRef;
  timeLimitSeconds: number | null;
}

export type AttemptPatch = Partial<
  Pick<
    AttemptRecord,
    'state' | 'result' | 'finalRound' | 'startedAt' | 'expiresAt' | 'submittedAt' | 'frozenAt' | 'gradedAt' | 'lastCheckAt'
  >
>;

/** A compare-and-set update of an attempt, applied in the same transaction as the change it belongs to. */
export interface AttemptUpdate {
  attemptId: string;
  expectedVersion: number;
  patch: AttemptPatch;
}

export interface EvidenceBundle {
  sha256: string;
  json: string;
}

export interface GradingRunRecord {
  id: string;
  attemptId: string;
  taskId: string;
  scope: GradeScope;
  /** The attempt's `finalRound` when the run was recorded (progress runs carry 0). */
  round: number;
  status: RunStatus;
  report: unknown;
  bundleSha256: string;
  startedAt: string;
  finishedAt: string;
}

export interface NewGradingRun {
  id: string;
  attemptId: string;
  taskId: string;
  scope: GradeScope;
  round: number;
  status: RunStatus;
  report: unknown;
  bundle: EvidenceBundle;
  startedAt: string;
  finishedAt: string;
}

export interface StatusListRecord {
  id: number;
  url: string;
  purpose: 'revocation';
  sizeBits: number;
  createdAt: string;
}

/**
 * A reserved slot in a status list, made before signing so a retry after a crash reuses the same
 * index, credential id and validity start: re-issuing produces the same credential.
 */
export interface StatusAllocation {
  listId: number;
  listUrl: string;
  index: number;
  attemptId: string;
  credentialId: string;
  validFrom: string;
  allocatedAt: string;
}

export interface AllocationRequest {
  attemptId: string;
  credentialId: string;
  validFrom: string;
  /** URL of the status list credential for a new list with this number. */
  listUrl: (listId: number) => string;
  sizeBits?: number;
}

export interface CredentialRecord {
  /** The credential's `id` (`urn:uuid:...`), also the JWT's `jti`. */
  id: string;
  attemptId: string;
  candidateId: string;
  statusListId: number;
  statusIndex: number;
  kid: string;
  jwt: string;
  credential: Record<string, unknown>;
  validFrom: string;
  validUntil: string | null;
  issuedAt: string;
  revokedAt: string | null;
  revocationReason: string | null;
}

export interface NewCredential {
  id: string;
  attemptId: string;
  statusListId: number;
  statusIndex: number;
  kid: string;
  jwt: string;
  credential: Record<string, unknown>;
  validFrom: string;
  validUntil: string | null;
}

export interface IssuerKeyRecord {
  kid: string;
  issuerId: string;
  alg: 'ES256' | 'EdDSA';
  publicJwk: Record<string, unknown>;
  createdAt: string;
  retiredAt: string | null;
}

export interface AuditInput {
  /** Who did it: `system`, `candidate:<id>`, `admin:<name>`. */
  actor: string;
  /** Dotted verb, e.g. `attempt.submitted`, `credential.revoked`. */
  action: string;
  /** The id of what it was done to. */
  subject: string;
  data?: Record<string, unknown>;
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  data: Record<string, unknown>;
  /** `hash` of the previous entry; 64 zeros for the first. */
  prevHash: string;
  /** sha256 of the canonical JSON of every other field. */
  hash: string;
}

export interface AuditChainReport {
  ok: boolean;
  entries: number;
  /** The first entry that does not match the chain, with what is wrong. */
  brokenAt?: { seq: number; problem: string };
}

export interface IntegrityReport {
  ok: boolean;
  problems: string[];
  auditChain: AuditChainReport;
}

export interface AttemptFilter {
  candidateId?: string;
  state?: AttemptState;
}

export interface Store {
  /** Random per installation; salts e-mail hashes and credential identifiers. */
  installationSalt(): Promise<string>;

  /** Returns the candidate with this id, creating it (with the given subject id and e-mail hash) if absent. */
  ensureCandidate(candidate: Omit<CandidateRecord, 'createdAt'>, audit: AuditInput): Promise<CandidateRecord>;
  getCandidate(id: string): Promise<CandidateRecord | undefined>;
  findCandidateByEmailHash(emailHash: string): Promise<CandidateRecord | undefined>;

  createAttempt(attempt: NewAttempt, audit: AuditInput): Promise<AttemptRecord>;
  getAttempt(id: string): Promise<AttemptRecord | undefined>;
  listAttempts(filter?: AttemptFilter): Promise<AttemptRecord[]>;
  /** Throws ConcurrentModificationError when the attempt's version is no longer `expectedVersion`. */
  updateAttempt(update: AttemptUpdate, audit: AuditInput): Promise<AttemptRecord>;

  /**
   * Stores the run's evidence bundle (content-addressed, verified against its hash) and the run.
   * A second final run for the same attempt, round and task is refused with DuplicateFinalRunError.
   */
  recordGradingRun(run: NewGradingRun, audit: AuditInput, attemptUpdate?: AttemptUpdate): Promise<GradingRunRecord>;
  listGradingRuns(attemptId: string, filter?: { scope?: GradeScope; round?: number }): Promise<GradingRunRecord[]>;
  getEvidenceBundle(sha256: string): Promise<EvidenceBundle | undefined>;

  /** Idempotent per attempt: a second call returns the first allocation unchanged. */
  allocateStatusIndex(request: AllocationRequest, audit: AuditInput): Promise<StatusAllocation>;
  getStatusAllocation(attemptId: string): Promise<StatusAllocation | undefined>;
  getStatusList(listId: number): Promise<StatusListRecord | undefined>;
  getStatusListByUrl(url: string): Promise<StatusListRecord | undefined>;
  listStatusLists(): Promise<StatusListRecord[]>;
  revokedIndices(listId: number): Promise<number[]>;

  /**
   * Inserts the attempt's credential and applies `attemptUpdate`, atomically. If the attempt already
   * has a credential, nothing changes and that one is returned with `created: false`.
   */
  insertCredential(
    credential: NewCredential,
    attemptUpdate: AttemptUpdate,
    audit: AuditInput,
  ): Promise<{ credential: CredentialRecord; created: boolean }>;
  getCredential(id: string): Promise<CredentialRecord | undefined>;
  getCredentialByAttempt(attemptId: string): Promise<CredentialRecord | undefined>;
  listCredentials(filter?: { candidateId?: string }): Promise<CredentialRecord[]>;
  /** Idempotent: revoking a revoked credential keeps the first reason and time. */
  revokeCredential(id: string, reason: string, audit: AuditInput): Promise<CredentialRecord>;

  /** Idempotent per kid. */
  putIssuerKey(key: Omit<IssuerKeyRecord, 'createdAt' | 'retiredAt'>, audit: AuditInput): Promise<IssuerKeyRecord>;
  getIssuerKey(kid: string): Promise<IssuerKeyRecord | undefined>;
  listIssuerKeys(): Promise<IssuerKeyRecord[]>;

  appendAudit(entry: AuditInput): Promise<AuditEntry>;
  listAudit(filter?: { subject?: string }): Promise<AuditEntry[]>;
  verifyAuditChain(): Promise<AuditChainReport>;
  /** Storage-level check, audit chain, and cross-table invariants. */
  integrityCheck(): Promise<IntegrityReport>;

  close(): void;
}

/** An administrator's token for the portal and API; only its sha256 is kept. */
export interface AdminTokenRecord {
  id: string;
  name: string;
  tokenHash: string;
  createdAt: string;
  revokedAt: string | null;
}

/** A candidate's sign-in code for one attempt; only its sha256 is kept. */
export interface AccessCodeRecord {
  id: string;
  codeHash: string;
  attemptId: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export type SessionKind = 'candidate' | 'admin';

/** A signed-in browser or API client, found by the sha256 of its bearer token. */
export interface SessionRecord {
  tokenHash: string;
  kind: SessionKind;
  /** Candidate sessions: whose attempts it may see, and the access code it was opened with. */
  candidateId: string | null;
  accessCodeId: string | null;
  /** Admin sessions: the admin token it was opened with. */
  adminTokenId: string | null;
  createdAt: string;
  expiresAt: string;
}

export type NewSession = Omit<SessionRecord, 'createdAt'>;

/**
 * Sign-in state of the web portal and API, kept beside `Store` rather than in it so another
 * backend can implement the grading store first. Revoking an access code or admin token ends the
 * sessions opened with it.
 */
export interface AccessStore {
  createAdminToken(token: Pick<AdminTokenRecord, 'id' | 'name' | 'tokenHash'>, audit: AuditInput): Promise<AdminTokenRecord>;
  findAdminTokenByHash(tokenHash: string): Promise<AdminTokenRecord | undefined>;
  getAdminToken(id: string): Promise<AdminTokenRecord | undefined>;
  listAdminTokens(): Promise<AdminTokenRecord[]>;
  /** Idempotent: a revoked token keeps its first revocation time. */
  revokeAdminToken(id: string, audit: AuditInput): Promise<AdminTokenRecord>;

  createAccessCode(code: Pick<AccessCodeRecord, 'id' | 'codeHash' | 'attemptId' | 'expiresAt'>, audit: AuditInput): Promise<AccessCodeRecord>;
  findAccessCodeByHash(codeHash: string): Promise<AccessCodeRecord | undefined>;
  listAccessCodes(attemptId: string): Promise<AccessCodeRecord[]>;
  /** Idempotent, like revokeAdminToken. */
  revokeAccessCode(id: string, audit: AuditInput): Promise<AccessCodeRecord>;

  createSession(session: NewSession, audit: AuditInput): Promise<SessionRecord>;
  /** The session, unless it expired by `at` (an ISO instant) or its access code or admin token was revoked. */
  findActiveSession(tokenHash: string, at: string): Promise<SessionRecord | undefined>;
  deleteSession(tokenHash: string): Promise<void>;
  /** Removes sessions that expired by `at`; returns how many. */
  deleteExpiredSessions(at: string): Promise<number>;
}
