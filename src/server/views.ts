import { z } from 'zod';
import { ATTEMPT_STATES, RUN_STATUSES } from '../store/types';

/**
 * The JSON shapes the API answers with. The OpenAPI document is generated from these schemas and
 * the handlers are typed by them, so the documentation cannot drift from what is sent.
 */

const isoTime = z.string().describe('ISO 8601 date-time');
const runStatus = z.enum(RUN_STATUSES);

export const errorSchema = z.object({
  error: z.object({
    status: z.number().int(),
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    retryAfterSeconds: z.number().int().optional(),
  }),
});

export const checkViewSchema = z.object({
  id: z.string(),
  title: z.string(),
  points: z.number(),
  critical: z.boolean(),
  visibility: z.enum(['visible', 'on-submit', 'hidden']),
  outcome: z.enum(['PASS', 'FAIL', 'ERROR', 'SKIPPED']),
  message: z.string(),
  hint: z.string().optional(),
});
export type CheckView = z.infer<typeof checkViewSchema>;

export const taskRunViewSchema = z.object({
  taskId: z.string(),
  title: z.string(),
  runId: z.string(),
  status: runStatus,
  finishedAt: isoTime,
  checks: z.array(checkViewSchema),
  /** Checks graded but not shown to the candidate. */
  hiddenChecks: z.number().int(),
});
export type TaskRunView = z.infer<typeof taskRunViewSchema>;

export const progressViewSchema = z.object({
  checkedAt: isoTime,
  nextCheckAt: isoTime.nullable(),
  tasks: z.array(taskRunViewSchema),
  /** Service mode: the check was queued (these grading jobs); its runs show in the attempt's progress once graded. */
  queued: z.array(z.string()).optional(),
});
export type ProgressView = z.infer<typeof progressViewSchema>;

export const resultViewSchema = z.object({
  result: runStatus,
  round: z.number().int(),
  gradedAt: isoTime.nullable(),
  tasks: z.array(taskRunViewSchema),
});
export type ResultView = z.infer<typeof resultViewSchema>;

export const CREDENTIAL_STATUSES = ['valid', 'revoked', 'expired'] as const;
export type CredentialStatus = (typeof CREDENTIAL_STATUSES)[number];

export const credentialSummarySchema = z.object({
  id: z.string(),
  status: z.enum(CREDENTIAL_STATUSES),
  issuedAt: isoTime,
  validFrom: isoTime,
  validUntil: isoTime.nullable(),
  revokedAt: isoTime.nullable(),
  /** The public verification page: the link to share. */
  shareUrl: z.string(),
});
export type CredentialSummary = z.infer<typeof credentialSummarySchema>;

export const attemptSummarySchema = z.object({
  id: z.string(),
  kind: z.enum(['assessment', 'practice']),
  targetId: z.string(),
  title: z.string(),
  state: z.enum(ATTEMPT_STATES),
  result: runStatus.nullable(),
  createdAt: isoTime,
  startedAt: isoTime.nullable(),
  expiresAt: isoTime.nullable(),
  submittedAt: isoTime.nullable(),
  gradedAt: isoTime.nullable(),
});
export type AttemptSummary = z.infer<typeof attemptSummarySchema>;

export const gradingViewSchema = z.object({
  /** running: a final grading is in progress in this server; interrupted: submitted, but no grading is running (resume it). */
  state: z.enum(['idle', 'running', 'interrupted']),
  error: z.string().nullable(),
});
export type GradingView = z.infer<typeof gradingViewSchema>;

export const CANDIDATE_ACTIONS = ['start', 'sandbox-access', 'check', 'submit', 'resume-grading'] as const;
export type CandidateAction = (typeof CANDIDATE_ACTIONS)[number];

export const candidateAttemptSchema = attemptSummarySchema.extend({
  tasks: z.array(z.object({ id: z.string(), title: z.string() })),
  sandbox: z.enum(['aws', 'replay']),
  grading: gradingViewSchema,
  actions: z.array(z.enum(CANDIDATE_ACTIONS)),
  progress: progressViewSchema.nullable(),
  /** The final grading, check by check (checks hidden from candidates are counted, not shown). */
  resultDetail: resultViewSchema.nullable(),
  credential: credentialSummarySchema.nullable(),
  /** A passed assessment whose credential has not been issued yet. */
  credentialPending: z.boolean(),
});
export type CandidateAttemptView = z.infer<typeof candidateAttemptSchema>;

export const instructionsSchema = z.object({
  tasks: z.array(z.object({ id: z.string(), title: z.string(), markdown: z.string(), html: z.string() })),
});

export const sandboxAccessSchema = z.object({
  accountId: z.string(),
  region: z.string(),
  roleArn: z.string(),
  consoleUrl: z.string().nullable(),
  credentials: z.object({ accessKeyId: z.string(), secretAccessKey: z.string(), sessionToken: z.string(), expiration: isoTime }),
  sandboxExpiresAt: isoTime,
});
export type SandboxAccessView = z.infer<typeof sandboxAccessSchema>;

export const signInResultSchema = z.object({
  token: z.string().describe('send as Authorization: Bearer <token>'),
  expiresAt: isoTime,
  candidateId: z.string(),
  attemptId: z.string(),
});

export const candidateCredentialSchema = credentialSummarySchema.extend({
  jwt: z.string(),
  credential: z.record(z.string(), z.unknown()).describe('the Open Badges 3.0 credential (the JWT payload without its registered claims)'),
});

// ── public ────────────────────────────────────────────────────────────────────────────────────

export const VERIFICATION_STATUSES = ['valid', 'revoked', 'expired', 'invalid'] as const;

export const credentialFactsSchema = z.object({
  id: z.string().nullable(),
  issuer: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
  achievement: z.object({ id: z.string(), name: z.string(), description: z.string().nullable(), criteria: z.string().nullable() }).nullable(),
  validFrom: z.string().nullable(),
  validUntil: z.string().nullable(),
  evidence: z.array(z.object({ id: z.string(), name: z.string().nullable(), sha256: z.string().nullable() })),
});
export type CredentialFacts = z.infer<typeof credentialFactsSchema>;

export const verificationSchema = z.object({
  status: z.enum(VERIFICATION_STATUSES),
  /** Why it is not valid (signature, expired, not-yet-valid, revoked, malformed, unknown-key, status-unavailable). */
  reason: z.string().nullable(),
  message: z.string().nullable(),
  statusChecked: z.boolean(),
  verifiedAt: isoTime,
  credential: credentialFactsSchema.nullable(),
});
export type VerificationView = z.infer<typeof verificationSchema>;

export const publicCredentialSchema = verificationSchema.extend({
  revokedAt: isoTime.nullable(),
  jwtUrl: z.string(),
});
export type PublicCredentialView = z.infer<typeof publicCredentialSchema>;

// ── admin ─────────────────────────────────────────────────────────────────────────────────────

export const assessmentViewSchema = z.object({
  id: z.string(),
  title: z.string(),
  track: z.string(),
  description: z.string(),
  tasks: z.array(z.string()),
  timeLimitMinutes: z.number(),
  validForDays: z.number().nullable(),
});

export const taskViewSchema = z.object({
  id: z.string(),
  title: z.string(),
  track: z.string(),
  summary: z.string(),
  timeLimitMinutes: z.number(),
  checks: z.number().int(),
});

export const catalogViewSchema = z.object({ assessments: z.array(assessmentViewSchema), tasks: z.array(taskViewSchema) });

export const runSummarySchema = z.object({
  id: z.string(),
  taskId: z.string(),
  scope: z.enum(['progress', 'final']),
  round: z.number().int(),
  status: runStatus,
  bundleSha256: z.string(),
  startedAt: isoTime,
  finishedAt: isoTime,
});
export const runDetailSchema = runSummarySchema.extend({ report: z.unknown().describe('the grading report (skillproof.report/v1) with assessor detail') });

export const accessCodeViewSchema = z.object({
  id: z.string(),
  attemptId: z.string(),
  createdAt: isoTime,
  expiresAt: isoTime.nullable(),
  revokedAt: isoTime.nullable(),
});

export const newAccessCodeSchema = accessCodeViewSchema.extend({ code: z.string().describe('shown once; give it to the candidate') });

export const adminCredentialSchema = credentialSummarySchema.extend({
  attemptId: z.string(),
  candidateId: z.string(),
  kid: z.string(),
  statusListIndex: z.number().int(),
  revocationReason: z.string().nullable(),
});
export type AdminCredentialView = z.infer<typeof adminCredentialSchema>;

export const ADMIN_ACTIONS = ['regrade', 'issue-credential'] as const;

export const adminAttemptSchema = attemptSummarySchema.extend({
  candidateId: z.string(),
  taskIds: z.array(z.string()),
  sandbox: z.union([
    z.object({ kind: z.literal('aws'), accountId: z.string(), roleArn: z.string() }),
    z.object({ kind: z.literal('replay'), path: z.string() }),
  ]),
  timeLimitSeconds: z.number().nullable(),
  finalRound: z.number().int(),
  frozenAt: isoTime.nullable(),
  lastCheckAt: isoTime.nullable(),
  updatedAt: isoTime,
  grading: gradingViewSchema,
  actions: z.array(z.enum(ADMIN_ACTIONS)),
  runs: z.array(runSummarySchema),
  accessCodes: z.array(accessCodeViewSchema),
  credential: adminCredentialSchema.nullable(),
});
export type AdminAttemptView = z.infer<typeof adminAttemptSchema>;

export const createdAttemptSchema = z.object({ attempt: adminAttemptSchema, accessCode: newAccessCodeSchema });

export const auditViewSchema = z.object({
  chain: z.object({ ok: z.boolean(), entries: z.number().int(), brokenAt: z.object({ seq: z.number().int(), problem: z.string() }).optional() }),
  entries: z.array(
    z.object({ seq: z.number().int(), at: isoTime, actor: z.string(), action: z.string(), subject: z.string(), data: z.record(z.string(), z.unknown()), hash: z.string() }),
  ),
});

export const adminTokenViewSchema = z.object({ id: z.string(), name: z.string(), createdAt: isoTime, revokedAt: isoTime.nullable() });
export const newAdminTokenSchema = adminTokenViewSchema.extend({ token: z.string().describe('shown once') });
