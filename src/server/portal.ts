import { resolve } from 'node:path';
import { AttemptService, type GradingDispatcher } from '../attempts/attempt-service';
import { hashIdentity, looksLikeEmail, normaliseEmail } from '../attempts/candidate';
import { checkReplayCoverage, createFreeze, createGrade, issuerEvidenceSigner } from '../attempts/grading';
import { checkTransition, IllegalTransitionError } from '../attempts/state-machine';
import { assessmentRule } from '../attempts/assessment-rule';
import { everyTaskMustPass, type AssessmentRule, type AttemptTarget, type Freeze, type Grade } from '../attempts/types';
import type { Catalog } from '../catalog/load';
import { issueCredential, localStatusListResolver, normaliseCredentialId, revokeCredential, statusListCredentialJwt } from '../credentials/issue';
import { assessmentIssuance } from '../credentials/assessment-achievement';
import { IssuerKeyError, loadIssuer, type Issuer } from '../credentials/issuer-keys';
import { credentialSlug } from '../credentials/paths';
import { createVerifier, type VerificationResult } from '../credentials/verify';
import { reportSchema, type Report } from '../model/report';
import type { AccountPool } from '../pool/pool';
import type {
  AccessCodeRecord,
  AccessStore,
  AdminTokenRecord,
  AttemptRecord,
  CredentialRecord,
  GradingRunRecord,
  SessionRecord,
  Store,
} from '../store/types';
import { HttpError } from './http';
import { renderMarkdown } from './markdown';
import type { AttemptFilterQuery, CreateAttemptRequest } from './requests';
import type { BadgeStore } from '../store/badge-types';
import { BadgePortal } from './badges';
import { CohortPortal, type CohortDeps } from './cohorts';
import { ADMIN_TOKEN_PREFIX, newAccessCode, newAdminToken, newId, newSessionToken, normaliseAccessCode, secretHash, SESSION_TOKEN_PREFIX } from './secrets';
import type {
  AdminAttemptView,
  AdminCredentialView,
  AttemptSummary,
  CandidateAction,
  CandidateAttemptView,
  CheckView,
  CredentialFacts,
  CredentialStatus,
  CredentialSummary,
  GradingView,
  ProgressView,
  PublicCredentialView,
  ResultView,
  SandboxAccessView,
  TaskRunView,
  VerificationView,
} from './views';

/**
 * Service mode (src/service): the attempt's lifecycle runs elsewhere (Step Functions), which deploys
 * and freezes the sandbox, grades the final round through the queue and issues the credential. The
 * portal makes the transitions and tells it.
 */
export interface AttemptLifecycle {
  /** The candidate started the attempt (also called again for an active one: starting is idempotent). */
  started(attempt: AttemptRecord): Promise<void>;
  /** The candidate submitted (or submits again while the final grading has not finished). */
  submitted(attempt: AttemptRecord): Promise<void>;
  /** An administrator re-opened the final grading: `attempt` is submitted, in its new round. */
  regrade(attempt: AttemptRecord): Promise<void>;
}

/** Hands out the candidate's temporary AWS access for an attempt's real sandbox. */
export type SandboxAccessProvider = (attempt: AttemptRecord & { sandbox: { kind: 'aws' } }) => Promise<SandboxAccessView>;

export interface PortalOptions {
  dataDir: string;
  store: Store & AccessStore;
  catalog: Catalog;
  /** Default: live grading for real sandboxes, re-grading of recorded evidence for replay ones. */
  grade?: Grade;
  freeze?: Freeze;
  now?: () => Date;
  /** Minimum time between two progress checks of one attempt (default 30 s). */
  checkIntervalMs?: number;
  /** AWS region of the sandboxes (sandbox access and freezing). */
  region?: string;
  /** Sandbox account pool; default: the attempt's own account. */
  pool?: readonly string[];
  sandboxAccess?: SandboxAccessProvider;
  /** The sandbox account pool the admin pages manage (absent: no pool page). */
  accountPool?: AccountPool;
  /** Issue the credential as soon as an assessment attempt passes (default true). */
  autoIssue?: boolean;
  candidateSessionHours?: number;
  adminSessionHours?: number;
  /** How long a submit waits for its grading before answering that grading is running (default 2 s). */
  submitWaitMs?: number;
  log?: (line: string) => void;
  /** Cohort views and store (src/cohorts); without them the cohort pages and API answer 503. */
  cohorts?: CohortDeps;
  /** Where holders' badge choices (the name shown) are kept; without it badges show no name. */
  badges?: BadgeStore;
  /** Service mode: the attempt lifecycle that grades submits and re-runs (default: graded here, in the background). */
  lifecycle?: AttemptLifecycle;
  /** Where progress checks are graded (default inline; service mode: the grading queue). */
  dispatcher?: GradingDispatcher;
  /** The issuer (service mode: its KMS key); default: the data directory's, once `skillproof issuer init` has run. */
  issuerSource?: () => Promise<Issuer | undefined>;
}

export type Principal =
  | { kind: 'candidate'; candidateId: string }
  | { kind: 'admin'; tokenId: string };

export const DEFAULT_ACCESS_CODE_HOURS = 7 * 24;

export function actorOf(principal: Principal): string {
  return principal.kind === 'candidate' ? `candidate:${principal.candidateId}` : `admin:${principal.tokenId}`;
}

/** Kept here too for the pages that import it from the portal. */
export { credentialSlug };

const CANDIDATE_RESULT_VISIBILITY: ReadonlySet<string> = new Set(['visible', 'on-submit']);
const CANDIDATE_PROGRESS_VISIBILITY: ReadonlySet<string> = new Set(['visible']);

/**
 * What the portal does, for the pages and the JSON API alike: sign-in, the candidate's attempt,
 * the administrator's work, and public verification. Authorisation is decided here, so both
 * front doors enforce the same rules.
 */
export class Portal {
  readonly attempts: AttemptService;
  readonly store: Store & AccessStore;
  readonly catalog: Catalog;
  readonly now: () => Date;
  readonly accountPool: AccountPool | undefined;
  private readonly options: PortalOptions;
  /** The shortest time between two progress checks of one attempt. */
  readonly checkIntervalMs: number;
  readonly cohorts: CohortPortal;
  readonly badges: BadgePortal;
  private readonly jobs = new Map<string, Promise<void>>();
  private readonly jobErrors = new Map<string, string>();
  private issuerCache?: Promise<Issuer>;
  private verifier?: (jwt: string) => Promise<VerificationResult>;
  private readonly log: (line: string) => void;

  constructor(options: PortalOptions) {
    this.options = options;
    this.store = options.store;
    this.catalog = options.catalog;
    this.accountPool = options.accountPool;
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.checkIntervalMs = options.checkIntervalMs ?? 30_000;
    this.cohorts = new CohortPortal(options.cohorts, this.now);
    this.badges = new BadgePortal(this, options.badges);
    this.attempts = new AttemptService({
      store: options.store,
      grade:
        options.grade ??
        createGrade(options.catalog, { ...(options.region ? { region: options.region } : {}), signEvidence: issuerEvidenceSigner(() => this.issuer()) }),
      freeze: options.freeze ?? createFreeze({ ...(options.region ? { region: options.region } : {}), ...(options.pool?.length ? { pool: options.pool } : {}) }),
      now: this.now,
      checkIntervalMs: this.checkIntervalMs,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
  }

  // ── sign-in ─────────────────────────────────────────────────────────────────────────────────

  async signInCandidate(accessCode: string): Promise<{ token: string; session: SessionRecord; attemptId: string }> {
    const code = await this.store.findAccessCodeByHash(secretHash(normaliseAccessCode(accessCode)));
    const now = this.now();
    if (!code || code.revokedAt || (code.expiresAt && Date.parse(code.expiresAt) <= now.getTime())) {
      throw new HttpError(401, 'bad-access-code', 'That access code is not valid (or no longer valid). Check it, or ask your administrator for a new one.');
    }
    const attempt = await this.attempts.get(code.attemptId);
    const hours = this.options.candidateSessionHours ?? 12;
    const until = Math.min(now.getTime() + hours * 3_600_000, code.expiresAt ? Date.parse(code.expiresAt) : Infinity);
    const token = newSessionToken();
    await this.store.deleteExpiredSessions(now.toISOString());
    const session = await this.store.createSession(
      { tokenHash: secretHash(token), kind: 'candidate', candidateId: attempt.candidateId, accessCodeId: code.id, adminTokenId: null, expiresAt: new Date(until).toISOString() },
      { actor: `candidate:${attempt.candidateId}`, action: 'session.signed-in', subject: attempt.candidateId, data: { accessCodeId: code.id, attemptId: attempt.id } },
    );
    return { token, session, attemptId: attempt.id };
  }

  async signInAdmin(adminToken: string): Promise<{ token: string; session: SessionRecord }> {
    const record = await this.activeAdminToken(adminToken.trim());
    if (!record) throw new HttpError(401, 'bad-admin-token', 'That admin token is not valid or was revoked. `skillproof admin token create` makes a new one.');
    const now = this.now();
    const token = newSessionToken();
    await this.store.deleteExpiredSessions(now.toISOString());
    const session = await this.store.createSession(
      {
        tokenHash: secretHash(token),
        kind: 'admin',
        candidateId: null,
        accessCodeId: null,
        adminTokenId: record.id,
        expiresAt: new Date(now.getTime() + (this.options.adminSessionHours ?? 8) * 3_600_000).toISOString(),
      },
      { actor: `admin:${record.id}`, action: 'session.signed-in', subject: record.id },
    );
    return { token, session };
  }

  /** The principal behind a bearer secret: an admin token, or the token of a signed-in session. */
  async authenticate(secret: string | undefined): Promise<Principal | undefined> {
    if (!secret) return undefined;
    if (secret.startsWith(ADMIN_TOKEN_PREFIX)) {
      const record = await this.activeAdminToken(secret);
      return record && { kind: 'admin', tokenId: record.id };
    }
    if (!secret.startsWith(SESSION_TOKEN_PREFIX)) return undefined;
    const session = await this.store.findActiveSession(secretHash(secret), this.now().toISOString());
    if (!session) return undefined;
    if (session.kind === 'candidate' && session.candidateId) return { kind: 'candidate', candidateId: session.candidateId };
    if (session.kind === 'admin' && session.adminTokenId) return { kind: 'admin', tokenId: session.adminTokenId };
    return undefined;
  }

  async signOut(sessionToken: string): Promise<void> {
    if (sessionToken.startsWith(SESSION_TOKEN_PREFIX)) await this.store.deleteSession(secretHash(sessionToken));
  }

  async createAdminToken(name: string, actor: string): Promise<{ token: string; record: AdminTokenRecord }> {
    return createAdminToken(this.store, name, actor);
  }

  async revokeAdminToken(id: string, actor: string): Promise<AdminTokenRecord> {
    return this.store.revokeAdminToken(id, { actor, action: 'admin-token.revoked', subject: id });
  }

  listAdminTokens(): Promise<AdminTokenRecord[]> {
    return this.store.listAdminTokens();
  }

  private async activeAdminToken(token: string): Promise<AdminTokenRecord | undefined> {
    if (!token.startsWith(ADMIN_TOKEN_PREFIX)) return undefined;
    const record = await this.store.findAdminTokenByHash(secretHash(token));
    return record && !record.revokedAt ? record : undefined;
  }

  // ── the candidate's attempt ─────────────────────────────────────────────────────────────────

  /** The attempt if it belongs to the signed-in candidate; anyone else is told it does not exist. */
  async ownAttempt(principal: Principal, id: string): Promise<AttemptRecord> {
    if (principal.kind !== 'candidate') throw new HttpError(403, 'candidates-only', 'This is for the candidate who holds the attempt; admins use /api/admin.');
    const attempt = await this.store.getAttempt(id);
    if (!attempt || attempt.candidateId !== principal.candidateId) {
      throw new HttpError(404, 'attempt-not-found', `You have no attempt "${id}". Sign in with the access code of that attempt.`);
    }
    return attempt;
  }

  async candidateAttempts(principal: Principal): Promise<AttemptSummary[]> {
    if (principal.kind !== 'candidate') throw new HttpError(403, 'candidates-only', 'This is for candidates; admins use /api/admin/attempts.');
    const attempts = await this.store.listAttempts({ candidateId: principal.candidateId });
    return attempts.map((a) => this.summary(a));
  }

  async candidateView(principal: Principal, id: string, origin: string): Promise<CandidateAttemptView> {
    const attempt = await this.attempts.expireIfOverdue((await this.ownAttempt(principal, id)).id);
    const runs = await this.store.listGradingRuns(attempt.id);
    const credential = await this.store.getCredentialByAttempt(attempt.id);
    const grading = this.grading(attempt);
    const actions: CandidateAction[] = [];
    if (attempt.state === 'created') actions.push('start');
    if (attempt.state === 'active') {
      if (attempt.sandbox.kind === 'aws') actions.push('sandbox-access');
      actions.push('check', 'submit');
    }
    if (grading.state === 'interrupted') actions.push('resume-grading');
    return {
      ...this.summary(attempt),
      tasks: attempt.taskIds.map((t) => ({ id: t, title: this.taskTitle(t) })),
      sandbox: attempt.sandbox.kind,
      grading,
      actions,
      progress: attempt.state === 'active' ? this.progressView(attempt, runs) : null,
      resultDetail: this.resultView(attempt, runs, CANDIDATE_RESULT_VISIBILITY),
      credential: credential ? this.credentialSummary(credential, origin) : null,
      credentialPending: !credential && attempt.kind === 'assessment' && attempt.state === 'graded' && attempt.result === 'passed',
    };
  }

  async instructions(principal: Principal, id: string): Promise<Array<{ id: string; title: string; markdown: string; html: string }>> {
    const attempt = await this.ownAttempt(principal, id);
    return attempt.taskIds.map((taskId) => {
      const markdown = this.catalogEntry(taskId)?.instructions ?? `Instructions for task ${taskId} are not available on this server.`;
      return { id: taskId, title: this.taskTitle(taskId), markdown, html: renderMarkdown(markdown).value };
    });
  }

  async start(principal: Principal, id: string): Promise<AttemptRecord> {
    const attempt = await this.ownAttempt(principal, id);
    const { lifecycle } = this.options;
    if (!lifecycle) return this.attempts.start(attempt.id, { actor: actorOf(principal) });
    // A start whose lifecycle could not be started is retried by starting again: the attempt is
    // active already, and the execution (named after the attempt) starts at most once.
    const started = attempt.state === 'active' ? attempt : await this.attempts.start(attempt.id, { actor: actorOf(principal) });
    await lifecycle.started(started);
    return started;
  }

  async sandboxAccess(principal: Principal, id: string): Promise<SandboxAccessView> {
    const attempt = await this.attempts.expireIfOverdue((await this.ownAttempt(principal, id)).id);
    if (attempt.state !== 'active') {
      throw new HttpError(409, 'not-active', `Attempt ${attempt.id} is ${attempt.state}; sandbox access is only given while it is active.`);
    }
    if (attempt.sandbox.kind !== 'aws') {
      throw new HttpError(409, 'no-sandbox', `Attempt ${attempt.id} is graded from recorded evidence (a demo or practice replay); it has no AWS sandbox to sign in to.`);
    }
    const provider = this.options.sandboxAccess ?? defaultSandboxAccess(this.options.region, this.options.pool ?? []);
    const access = await provider(attempt as AttemptRecord & { sandbox: { kind: 'aws' } });
    await this.store.appendAudit({ actor: actorOf(principal), action: 'sandbox.access-granted', subject: attempt.id, data: { accountId: access.accountId, until: access.credentials.expiration } });
    return access;
  }

  /** A progress run of every task, showing only the visible checks (with a hint for each that fails). */
  async check(principal: Principal, id: string): Promise<ProgressView> {
    const attempt = await this.ownAttempt(principal, id);
    const result = await this.attempts.check(attempt.id, { actor: actorOf(principal) });
    const byTask = new Map(result.runs.map((r) => [r.taskId, r]));
    return {
      checkedAt: this.now().toISOString(),
      nextCheckAt: result.nextCheckAt,
      tasks: result.attempt.taskIds.flatMap((t) => {
        const run = byTask.get(t);
        return run ? [this.taskRunView(run, CANDIDATE_PROGRESS_VISIBILITY)] : [];
      }),
      ...(result.queued ? { queued: result.queued } : {}),
    };
  }

  /** Submits (or resumes an interrupted final grading); grading continues in the background. */
  async submit(principal: Principal, id: string): Promise<void> {
    const attempt = await this.attempts.expireIfOverdue((await this.ownAttempt(principal, id)).id);
    if (attempt.state !== 'submitted') {
      const outcome = checkTransition(attempt, 'submit');
      if ('refused' in outcome) throw new IllegalTransitionError(attempt.id, attempt.state, attempt.result, 'submit', outcome.refused);
    }
    await this.runFinalGrading(attempt.id, actorOf(principal), 'submit');
  }

  async candidateCredential(principal: Principal, id: string): Promise<CredentialRecord> {
    const attempt = await this.ownAttempt(principal, id);
    const credential = await this.store.getCredentialByAttempt(attempt.id);
    if (!credential) throw new HttpError(404, 'no-credential', `Attempt ${attempt.id} has no credential${attempt.result === 'passed' ? ' yet' : ''}.`);
    return credential;
  }

  // ── administration ──────────────────────────────────────────────────────────────────────────

  catalogView() {
    return {
      assessments: this.catalog.assessments().map((a) => ({
        id: a.id,
        title: a.title,
        track: a.track,
        description: a.description,
        tasks: a.tasks,
        timeLimitMinutes: a.timeLimitMinutes,
        validForDays: a.validForDays ?? null,
      })),
      tasks: this.catalog.all().map((e) => ({
        id: e.task.id,
        title: e.task.title,
        track: e.task.track,
        summary: e.task.summary,
        timeLimitMinutes: e.task.timeLimitMinutes,
        checks: e.grader.checks.length,
      })),
    };
  }

  async adminAttempts(filter: AttemptFilterQuery): Promise<AttemptSummary[]> {
    let candidateId = filter.candidate?.trim() || undefined;
    if (candidateId && looksLikeEmail(candidateId)) {
      const known = await this.store.findCandidateByEmailHash(hashIdentity(normaliseEmail(candidateId), await this.store.installationSalt()));
      if (!known) return [];
      candidateId = known.id;
    }
    const attempts = await this.store.listAttempts({ ...(candidateId ? { candidateId } : {}), ...(filter.state ? { state: filter.state } : {}) });
    return attempts
      .filter((a) => !filter.assessment || a.targetId === filter.assessment)
      .reverse()
      .map((a) => this.summary(a));
  }

  async createAttempt(request: CreateAttemptRequest, actor: string, origin: string): Promise<{ attempt: AdminAttemptView; accessCode: { code: string; record: AccessCodeRecord } }> {
    const kind = this.catalog.has(request.target);
    if (!kind) {
      throw new HttpError(
        400,
        'unknown-target',
        `"${request.target}" is neither an assessment nor a task here. Assessments: ${this.catalog.assessments().map((a) => a.id).join(', ') || '(none)'}; tasks: ${this.catalog.ids().join(', ')}.`,
      );
    }
    const assessment = kind === 'assessment' ? this.catalog.assessment(request.target) : undefined;
    const target: AttemptTarget = assessment
      ? { kind: 'assessment', assessmentId: assessment.id, taskIds: [...assessment.tasks] }
      : { kind: 'practice', taskId: request.target };
    const taskIds = target.kind === 'assessment' ? target.taskIds : [target.taskId];
    const defaultLimit = assessment ? assessment.timeLimitMinutes : this.catalog.get(request.target).task.timeLimitMinutes;
    let sandbox = request.sandbox;
    if (sandbox.kind === 'replay') {
      sandbox = { kind: 'replay', path: resolve(sandbox.path) };
      try {
        checkReplayCoverage(sandbox.path, taskIds);
      } catch (e) {
        throw new HttpError(400, 'bad-replay-evidence', `sandbox.path: ${e instanceof Error ? e.message : String(e)}.`);
      }
    }
    const attempt = await this.attempts.create({
      candidate: request.candidate,
      target,
      sandbox,
      timeLimitMinutes: request.timeLimitMinutes === undefined ? defaultLimit : request.timeLimitMinutes,
      actor,
    });
    const accessCode = await this.createAccessCode(attempt.id, request.accessCodeExpiresInHours, actor);
    return { attempt: await this.adminView(attempt.id, origin), accessCode };
  }

  async adminView(id: string, origin: string): Promise<AdminAttemptView> {
    const attempt = await this.attempts.get(id);
    const runs = await this.store.listGradingRuns(id);
    const credential = await this.store.getCredentialByAttempt(id);
    const grading = this.grading(attempt);
    const actions: AdminAttemptView['actions'] = [];
    if (grading.state !== 'running' && 'to' in checkTransition(attempt, 'regrade')) actions.push('regrade');
    if (!credential && 'to' in checkTransition(attempt, 'credential')) actions.push('issue-credential');
    const { sandbox } = attempt;
    return {
      ...this.summary(attempt),
      candidateId: attempt.candidateId,
      taskIds: attempt.taskIds,
      // The external id is a shared secret with the grader role; it is not shown.
      sandbox: sandbox.kind === 'aws' ? { kind: 'aws', accountId: sandbox.accountId, roleArn: sandbox.roleArn } : sandbox,
      timeLimitSeconds: attempt.timeLimitSeconds,
      finalRound: attempt.finalRound,
      frozenAt: attempt.frozenAt,
      lastCheckAt: attempt.lastCheckAt,
      updatedAt: attempt.updatedAt,
      grading,
      actions,
      runs: runs.map(runSummary),
      accessCodes: (await this.store.listAccessCodes(id)).map(accessCodeView),
      credential: credential ? this.adminCredentialView(credential, origin) : null,
    };
  }

  async runDetail(attemptId: string, runId: string): Promise<ReturnType<typeof runSummary> & { report: unknown }> {
    await this.attempts.get(attemptId);
    const run = (await this.store.listGradingRuns(attemptId)).find((r) => r.id === runId);
    if (!run) throw new HttpError(404, 'run-not-found', `Attempt ${attemptId} has no grading run "${runId}".`);
    return { ...runSummary(run), report: run.report };
  }

  async evidence(sha256: string): Promise<string> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new HttpError(400, 'bad-hash', 'An evidence bundle is named by its sha256: 64 lower-case hex characters.');
    const bundle = await this.store.getEvidenceBundle(sha256);
    if (!bundle) throw new HttpError(404, 'evidence-not-found', `No evidence bundle with sha256 ${sha256} in this data directory.`);
    return bundle.json;
  }

  async createAccessCode(attemptId: string, expiresInHours: number | undefined, actor: string): Promise<{ code: string; record: AccessCodeRecord }> {
    const attempt = await this.attempts.get(attemptId);
    return createAccessCode(this.store, attempt.id, { expiresInHours, actor, now: this.now() });
  }

  async revokeAccessCode(id: string, actor: string): Promise<AccessCodeRecord> {
    return this.store.revokeAccessCode(id, { actor, action: 'access-code.revoked', subject: id });
  }

  /** Re-runs the final grading of an incomplete attempt, in the background. */
  async regrade(id: string, actor: string): Promise<void> {
    const attempt = await this.attempts.get(id);
    if (this.jobs.has(id)) throw new HttpError(409, 'grading-running', `Attempt ${id} is being graded right now; wait for it to finish.`);
    const outcome = checkTransition(attempt, 'regrade');
    if ('refused' in outcome) throw new IllegalTransitionError(attempt.id, attempt.state, attempt.result, 'regrade', outcome.refused);
    await this.runFinalGrading(id, actor, 'regrade');
  }

  async issue(attemptId: string, reason: string, actor: string): Promise<CredentialRecord> {
    const attempt = await this.attempts.get(attemptId);
    if (await this.store.getCredentialByAttempt(attemptId)) throw new HttpError(409, 'already-issued', `Attempt ${attemptId} already has its credential; a passing attempt earns exactly one.`);
    const outcome = checkTransition(attempt, 'credential');
    if ('refused' in outcome) throw new IllegalTransitionError(attempt.id, attempt.state, attempt.result, 'credential', outcome.refused);
    const issuer = await this.requireIssuer();
    await this.store.appendAudit({ actor, action: 'credential.issue-requested', subject: attemptId, data: { reason } });
    return (await issueCredential(this.issuance(issuer, attempt, actor), attemptId)).credential;
  }

  async adminCredentials(origin: string): Promise<AdminCredentialView[]> {
    return (await this.store.listCredentials()).reverse().map((c) => this.adminCredentialView(c, origin));
  }

  async adminCredential(id: string, origin: string): Promise<AdminCredentialView> {
    const credential = await this.store.getCredential(normaliseCredentialId(id));
    if (!credential) throw new HttpError(404, 'credential-not-found', `No credential "${id}" in this data directory.`);
    return this.adminCredentialView(credential, origin);
  }

  async revoke(credentialId: string, reason: string, actor: string): Promise<CredentialRecord> {
    return revokeCredential({ store: this.store, actor }, credentialId, reason);
  }

  async audit(subject: string | undefined, limit: number) {
    const [chain, entries] = await Promise.all([this.store.verifyAuditChain(), this.store.listAudit(subject ? { subject } : {})]);
    return {
      chain,
      entries: entries
        .slice(-limit)
        .reverse()
        .map(({ seq, at, actor, action, subject: s, data, hash }) => ({ seq, at, actor, action, subject: s, data, hash })),
    };
  }

  // ── public: the issuer and verification ─────────────────────────────────────────────────────

  /** The issuer, once `skillproof issuer init` has run; undefined before. */
  async issuer(): Promise<Issuer | undefined> {
    if (this.options.issuerSource) return this.options.issuerSource();
    this.issuerCache ??= loadIssuer(this.options.dataDir, this.store);
    try {
      return await this.issuerCache;
    } catch (e) {
      this.issuerCache = undefined;
      if (e instanceof IssuerKeyError) {
        this.log(`issuer unavailable: ${e.message}`);
        return undefined;
      }
      throw e;
    }
  }

  async requireIssuer(): Promise<Issuer> {
    const issuer = await this.issuer();
    if (!issuer) {
      throw new HttpError(503, 'no-issuer', 'This SkillProof installation has no credential issuer yet; an operator runs `skillproof issuer init` for its data directory.');
    }
    return issuer;
  }

  async statusListJwt(listUrl: string): Promise<string | undefined> {
    const issuer = await this.requireIssuer();
    if (!(await this.store.getStatusListByUrl(listUrl))) return undefined;
    return statusListCredentialJwt({ store: this.store, issuer, now: this.now }, listUrl);
  }

  /** Verifies a VC-JWT against this issuer's key and its status list: the same check anyone can make offline. */
  async verify(jwt: string): Promise<VerificationView> {
    const issuer = await this.requireIssuer();
    this.verifier ??= createVerifier({ jwks: issuer.jwks, resolveStatusList: localStatusListResolver({ store: this.store, issuer, now: this.now }), now: this.now });
    const result = await this.verifier(jwt);
    const status = result.valid ? 'valid' : result.reason === 'revoked' ? 'revoked' : result.reason === 'expired' ? 'expired' : 'invalid';
    return {
      status,
      reason: result.reason ?? null,
      message: result.message ?? null,
      statusChecked: result.statusChecked,
      verifiedAt: this.now().toISOString(),
      credential: result.credential ? credentialFacts(result.credential) : null,
    };
  }

  async publicCredential(id: string, origin: string): Promise<PublicCredentialView | undefined> {
    const normalised = normaliseCredentialId(id);
    if (!normalised.startsWith('urn:uuid:')) return undefined;
    const credential = await this.store.getCredential(normalised);
    if (!credential) return undefined;
    const verification = await this.verify(credential.jwt);
    return {
      ...verification,
      credential: verification.credential ?? credentialFacts(credential.credential),
      revokedAt: credential.revokedAt,
      jwtUrl: `${origin}/credentials/${credentialSlug(credential.id)}/jwt`,
    };
  }

  async publicCredentialJwt(id: string): Promise<CredentialRecord | undefined> {
    const normalised = normaliseCredentialId(id);
    return normalised.startsWith('urn:uuid:') ? this.store.getCredential(normalised) : undefined;
  }

  /** Waits for every grading running in the background (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.jobs.size > 0) await Promise.allSettled([...this.jobs.values()]);
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────

  private async runFinalGrading(id: string, actor: string, kind: 'submit' | 'regrade'): Promise<void> {
    const { lifecycle } = this.options;
    if (lifecycle) {
      // Service mode: the transition here, the freeze, grading, result and credential in the lifecycle.
      if (kind === 'submit') await lifecycle.submitted(await this.attempts.markSubmitted(id, { actor }));
      else await lifecycle.regrade(await this.attempts.requestRegrade(id, { actor }));
      return;
    }
    let job = this.jobs.get(id);
    if (!job) {
      this.jobErrors.delete(id);
      const started: Promise<void> = (async () => {
        const rule = await this.ruleFor(id);
        const graded = kind === 'submit' ? await this.attempts.submit(id, { actor, rule }) : await this.attempts.regrade(id, { actor, rule });
        await this.autoIssue(graded);
      })()
        .catch((e: unknown) => {
          const message = e instanceof Error ? e.message : String(e);
          this.jobErrors.set(id, message);
          this.log(`grading of attempt ${id} stopped: ${message}`);
        })
        .finally(() => {
          if (this.jobs.get(id) === started) this.jobs.delete(id);
        });
      job = started;
      this.jobs.set(id, job);
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([job, new Promise<void>((done) => (timer = setTimeout(done, this.options.submitWaitMs ?? 2000).unref()))]);
    clearTimeout(timer);
  }

  /** How the tasks' final runs combine: the assessment's own pass rule, or the one task of a practice attempt. */
  private async ruleFor(id: string): Promise<AssessmentRule> {
    const attempt = await this.attempts.get(id);
    return attempt.kind === 'assessment' ? assessmentRule(this.catalog.assessment(attempt.targetId)) : everyTaskMustPass;
  }

  private async autoIssue(attempt: AttemptRecord): Promise<void> {
    if (this.options.autoIssue === false || attempt.kind !== 'assessment' || attempt.state !== 'graded' || attempt.result !== 'passed') return;
    const issuer = await this.issuer();
    if (!issuer) return;
    await issueCredential(this.issuance(issuer, attempt, 'system'), attempt.id);
  }

  private issuance(issuer: Issuer, attempt: AttemptRecord, actor: string) {
    const assessment = this.catalog.assessment(attempt.targetId);
    return {
      store: this.store,
      issuer,
      now: this.now,
      actor,
      ...assessmentIssuance(assessment),
    };
  }

  private grading(attempt: AttemptRecord): GradingView {
    // Service mode: a submitted attempt is the lifecycle's to grade (it records incomplete if it cannot).
    if (this.options.lifecycle) return { state: attempt.state === 'submitted' ? 'running' : 'idle', error: null };
    const error = this.jobErrors.get(attempt.id) ?? null;
    if (this.jobs.has(attempt.id)) return { state: 'running', error: null };
    return { state: attempt.state === 'submitted' ? 'interrupted' : 'idle', error: attempt.state === 'submitted' ? error : null };
  }

  private catalogEntry(taskId: string) {
    return this.catalog.has(taskId) === 'task' ? this.catalog.get(taskId) : undefined;
  }

  private taskTitle(taskId: string): string {
    return this.catalogEntry(taskId)?.task.title ?? taskId;
  }

  private targetTitle(attempt: AttemptRecord): string {
    if (attempt.kind === 'practice') return this.taskTitle(attempt.targetId);
    return this.catalog.has(attempt.targetId) === 'assessment' ? this.catalog.assessment(attempt.targetId).title : attempt.targetId;
  }

  private summary(a: AttemptRecord): AttemptSummary {
    return {
      id: a.id,
      kind: a.kind,
      targetId: a.targetId,
      title: this.targetTitle(a),
      state: a.state,
      result: a.result,
      createdAt: a.createdAt,
      startedAt: a.startedAt,
      expiresAt: a.expiresAt,
      submittedAt: a.submittedAt,
      gradedAt: a.gradedAt,
    };
  }

  private progressView(attempt: AttemptRecord, runs: GradingRunRecord[]): ProgressView | null {
    const latest = new Map<string, GradingRunRecord>();
    for (const run of runs) if (run.scope === 'progress') latest.set(run.taskId, run);
    if (latest.size === 0) return null;
    const tasks = attempt.taskIds.flatMap((t) => {
      const run = latest.get(t);
      return run ? [this.taskRunView(run, CANDIDATE_PROGRESS_VISIBILITY)] : [];
    });
    const checkedAt = [...latest.values()].map((r) => r.finishedAt).sort().at(-1) as string;
    const next = attempt.lastCheckAt ? Date.parse(attempt.lastCheckAt) + this.checkIntervalMs : 0;
    return { checkedAt, nextCheckAt: next > this.now().getTime() ? new Date(next).toISOString() : null, tasks };
  }

  private resultView(attempt: AttemptRecord, runs: GradingRunRecord[], visibility: ReadonlySet<string>): ResultView | null {
    if (!attempt.result) return null;
    const finals = new Map(runs.filter((r) => r.scope === 'final' && r.round === attempt.finalRound).map((r) => [r.taskId, r]));
    return {
      result: attempt.result,
      round: attempt.finalRound,
      gradedAt: attempt.gradedAt,
      tasks: attempt.taskIds.flatMap((t) => {
        const run = finals.get(t);
        return run ? [this.taskRunView(run, visibility)] : [];
      }),
    };
  }

  private taskRunView(run: GradingRunRecord, visibility: ReadonlySet<string>): TaskRunView {
    const report = parseReport(run.report);
    const checks = report?.checks ?? [];
    const shown = checks.filter((c) => visibility.has(c.visibility));
    return {
      taskId: run.taskId,
      title: report?.task.title ?? this.taskTitle(run.taskId),
      runId: run.id,
      status: run.status,
      finishedAt: run.finishedAt,
      checks: shown.map(candidateCheck),
      hiddenChecks: checks.length - shown.length,
    };
  }

  private credentialStatus(c: CredentialRecord): CredentialStatus {
    if (c.revokedAt) return 'revoked';
    return c.validUntil && Date.parse(c.validUntil) <= this.now().getTime() ? 'expired' : 'valid';
  }

  private credentialSummary(c: CredentialRecord, origin: string): CredentialSummary {
    return {
      id: c.id,
      status: this.credentialStatus(c),
      issuedAt: c.issuedAt,
      validFrom: c.validFrom,
      validUntil: c.validUntil,
      revokedAt: c.revokedAt,
      shareUrl: `${origin}/credentials/${credentialSlug(c.id)}`,
    };
  }

  private adminCredentialView(c: CredentialRecord, origin: string): AdminCredentialView {
    return {
      ...this.credentialSummary(c, origin),
      attemptId: c.attemptId,
      candidateId: c.candidateId,
      kid: c.kid,
      statusListIndex: c.statusIndex,
      revocationReason: c.revocationReason,
    };
  }
}

/** Mints an admin token; the token itself is returned once and only its hash is stored. */
export async function createAdminToken(store: AccessStore, name: string, actor: string): Promise<{ token: string; record: AdminTokenRecord }> {
  const token = newAdminToken();
  const id = newId('tok');
  const record = await store.createAdminToken({ id, name, tokenHash: secretHash(token) }, { actor, action: 'admin-token.created', subject: id, data: { name } });
  return { token, record };
}

/** Mints an access code for an attempt; the code is returned once and only its hash is stored. */
export async function createAccessCode(
  store: AccessStore,
  attemptId: string,
  options: { expiresInHours?: number | undefined; actor: string; now?: Date },
): Promise<{ code: string; record: AccessCodeRecord }> {
  const code = newAccessCode();
  const id = newId('code');
  const hours = options.expiresInHours ?? DEFAULT_ACCESS_CODE_HOURS;
  const expiresAt = new Date((options.now ?? new Date()).getTime() + hours * 3_600_000).toISOString();
  const record = await store.createAccessCode(
    { id, codeHash: secretHash(normaliseAccessCode(code)), attemptId, expiresAt },
    { actor: options.actor, action: 'access-code.created', subject: attemptId, data: { accessCodeId: id, expiresInHours: hours } },
  );
  return { code, record };
}

function parseReport(report: unknown): Report | undefined {
  const parsed = reportSchema.safeParse(report);
  return parsed.success ? parsed.data : undefined;
}

/** What a candidate may see of a check: never the assessor detail (expected, actual, resource, evidence pointers). */
function candidateCheck(c: Report['checks'][number]): CheckView {
  return {
    id: c.id,
    title: c.title,
    points: c.points,
    critical: c.critical,
    visibility: c.visibility,
    outcome: c.outcome,
    message: c.message,
    ...(c.outcome !== 'PASS' && c.hint ? { hint: c.hint } : {}),
  };
}

function runSummary(r: GradingRunRecord) {
  return { id: r.id, taskId: r.taskId, scope: r.scope, round: r.round, status: r.status, bundleSha256: r.bundleSha256, startedAt: r.startedAt, finishedAt: r.finishedAt };
}

function accessCodeView(c: AccessCodeRecord) {
  return { id: c.id, attemptId: c.attemptId, createdAt: c.createdAt, expiresAt: c.expiresAt, revokedAt: c.revokedAt };
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const record = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** The facts a verifier shows, read defensively: a pasted credential may be anything that verified. */
export function credentialFacts(credential: Record<string, unknown>): CredentialFacts {
  const issuer = typeof credential.issuer === 'string' ? { id: credential.issuer } : record(credential.issuer);
  const achievement = record(record(credential.credentialSubject).achievement);
  const evidence = Array.isArray(credential.evidence) ? credential.evidence.map(record) : [];
  return {
    id: text(credential.id),
    issuer: text(issuer.id) ? { id: issuer.id as string, name: text(issuer.name) } : null,
    achievement: text(achievement.id)
      ? { id: achievement.id as string, name: text(achievement.name) ?? '', description: text(achievement.description), criteria: text(record(achievement.criteria).narrative) }
      : null,
    validFrom: text(credential.validFrom),
    validUntil: text(credential.validUntil),
    evidence: evidence.map((e) => {
      const id = text(e.id) ?? '';
      return { id, name: text(e.name), sha256: id.startsWith('urn:sha256:') ? id.slice('urn:sha256:'.length) : null };
    }),
  };
}

function defaultSandboxAccess(region: string | undefined, pool: readonly string[]): SandboxAccessProvider {
  return async (attempt) => {
    if (!region) throw new HttpError(503, 'no-region', 'This portal has no AWS region configured (serve --region, or AWS_REGION), so it cannot hand out sandbox access.');
    const { sandboxAccess } = await import('../sandbox/access');
    const access = await sandboxAccess({ attemptId: attempt.id, region, accountId: attempt.sandbox.accountId, pool: pool.length ? pool : [attempt.sandbox.accountId] });
    return {
      accountId: access.accountId,
      region: access.region,
      roleArn: access.roleArn,
      consoleUrl: access.consoleUrl ?? null,
      credentials: {
        accessKeyId: access.credentials.accessKeyId,
        secretAccessKey: access.credentials.secretAccessKey,
        sessionToken: access.credentials.sessionToken,
        expiration: access.credentials.expiration.toISOString(),
      },
      sandboxExpiresAt: access.sandboxExpiresAt.toISOString(),
    };
  };
}
