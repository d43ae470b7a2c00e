import { z } from 'zod';
import { ATTEMPT_STATES } from '../store/types';

/** Request bodies and queries, shared by the JSON API and the HTML forms. */

const kebab = z.string().regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'must be a kebab-case id such as aws-serverless');

export const signInRequest = z.strictObject({
  accessCode: z.string().trim().min(1, 'is required').max(64, 'is at most 64 characters'),
});

export const submitRequest = z.strictObject({
  confirm: z.literal(true, { error: 'must be true: submitting freezes the sandbox and cannot be undone' }),
});

export const reasonRequest = z.strictObject({
  reason: z.string().trim().min(3, 'must say why, in at least 3 characters').max(500, 'is at most 500 characters'),
});

export const accessCodeRequest = z.strictObject({
  expiresInHours: z.number().int().min(1).max(24 * 90).optional().describe('default 168 (one week)'),
});

export const sandboxRequest = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('aws'),
    accountId: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
    roleArn: z.string().min(20).max(2048),
    externalId: z.string().min(2).max(1224),
  }),
  z.strictObject({ kind: z.literal('replay'), path: z.string().min(1).max(4096).describe('recorded evidence: a file, or a folder with one file per task') }),
]);

export const createAttemptRequest = z.strictObject({
  candidate: z.string().trim().min(1).max(254).describe('pseudonymous id or e-mail address (kept only as a salted hash)'),
  target: kebab.describe('an assessment id (leads to a credential) or a task id (practice)'),
  sandbox: sandboxRequest,
  timeLimitMinutes: z.number().int().min(1).max(7 * 24 * 60).nullable().optional().describe("default: the assessment's or task's time limit"),
  accessCodeExpiresInHours: z.number().int().min(1).max(24 * 90).optional(),
});
export type CreateAttemptRequest = z.infer<typeof createAttemptRequest>;

export const createTokenRequest = z.strictObject({
  name: z.string().trim().min(1).max(64).regex(/^[\w .@-]+$/, 'may hold letters, digits, spaces and . _ @ -'),
});

export const verifyRequest = z.strictObject({
  jwt: z.string().trim().min(1, 'is required').max(32_768, 'is at most 32 KiB'),
});

export const attemptFilterQuery = z.strictObject({
  state: z.enum(ATTEMPT_STATES).optional(),
  assessment: kebab.optional().describe('assessment or task id the attempt is for'),
  candidate: z.string().max(254).optional().describe('candidate id or e-mail address'),
});
export type AttemptFilterQuery = z.infer<typeof attemptFilterQuery>;

export const auditQuery = z.strictObject({
  subject: z.string().max(200).optional(),
});
