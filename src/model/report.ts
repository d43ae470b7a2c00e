import { z } from 'zod';
import { OUTCOMES, VISIBILITIES } from './grader';
import { TRACKS } from './task';

export const REPORT_FORMAT = 'skillproof.report/v1';
export const STATUSES = ['passed', 'failed', 'incomplete'] as const;
export type Status = (typeof STATUSES)[number];

export const checkResultSchema = z.strictObject({
  id: z.string(),
  title: z.string(),
  points: z.number(),
  critical: z.boolean(),
  visibility: z.enum(VISIBILITIES),
  outcome: z.enum(OUTCOMES),
  message: z.string(),
  /** Shown when the outcome is FAIL. */
  hint: z.string().optional(),
  /** Assessor detail: what was expected and found, and on which resource. */
  expected: z.unknown().optional(),
  actual: z.unknown().optional(),
  resource: z.string().optional(),
  /** Sequence numbers of the evidence transcript entries this check used. */
  evidence: z.array(z.number().int()),
  durationMs: z.number(),
});
export type CheckResult = z.infer<typeof checkResultSchema>;

export const reportSchema = z.strictObject({
  format: z.literal(REPORT_FORMAT),
  task: z.strictObject({ id: z.string(), title: z.string(), track: z.enum(TRACKS) }),
  attemptId: z.string(),
  mode: z.enum(['live', 'replay', 'simulate']),
  scope: z.enum(['final', 'progress']),
  region: z.string(),
  accountId: z.string(),
  startedAt: z.string(),
  durationMs: z.number(),
  status: z.enum(STATUSES),
  /** Why the run is incomplete when no check could be run at all (e.g. wrong account). */
  error: z.string().optional(),
  score: z.strictObject({
    earned: z.number(),
    possible: z.number(),
    passMark: z.number(),
    criticalFailed: z.array(z.string()),
  }),
  counts: z.strictObject({ PASS: z.number(), FAIL: z.number(), ERROR: z.number(), SKIPPED: z.number() }),
  checks: z.array(checkResultSchema),
});
export type Report = z.infer<typeof reportSchema>;
