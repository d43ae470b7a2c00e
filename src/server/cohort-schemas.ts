import { z } from 'zod';
import { COHORT_CADENCES } from '../store/cohort-types';
import { VERIFICATION_STATUSES } from './views';

/**
 * JSON shapes of the cohort and badge API. They mirror src/cohorts/views.ts and
 * src/store/cohort-types.ts; the handlers return those types through these schemas, so the
 * compiler refuses a drift between them.
 */

const isoTime = z.string().describe('ISO 8601 date-time');

const milestoneRequirementSchema = z.union([
  z.object({ kind: z.literal('tasks-passed'), taskIds: z.array(z.string()) }),
  z.object({ kind: z.literal('credential'), assessmentId: z.string() }),
]);

export const milestoneSchema = z.object({ id: z.string(), title: z.string(), dueAt: isoTime, requirement: milestoneRequirementSchema });

const voucherRuleSchema = z.union([
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('credential-by'), deadline: isoTime.optional() }),
  z.object({ kind: z.literal('milestones'), count: z.number().int() }),
]);

const cadence = z.union(COHORT_CADENCES.map((c) => z.literal(c)) as [z.ZodLiteral<3>, z.ZodLiteral<6>, z.ZodLiteral<9>]);

export const cohortRecordSchema = z.object({
  id: z.string(),
  programmeId: z.string(),
  name: z.string(),
  cadenceMonths: cadence,
  startsAt: isoTime,
  endsAt: isoTime,
  targetAssessmentIds: z.array(z.string()),
  groupSize: z.number().int(),
  milestones: z.array(milestoneSchema),
  voucherRule: voucherRuleSchema,
  version: z.number().int(),
  createdAt: isoTime,
  updatedAt: isoTime,
});

export const groupRecordSchema = z.object({
  id: z.string(),
  cohortId: z.string(),
  name: z.string(),
  level: z.string(),
  targetAssessmentId: z.string(),
  createdAt: isoTime,
});

export const memberRecordSchema = z.object({
  cohortId: z.string(),
  candidateId: z.string(),
  groupId: z.string(),
  level: z.string(),
  targetAssessmentId: z.string(),
  displayName: z.string().nullable(),
  hidden: z.boolean(),
  importRow: z.number().int().nullable(),
  joinedAt: isoTime,
  updatedAt: isoTime,
});

const standing = z.enum(['on-track', 'behind', 'completed']).describe('on-track: every milestone due by now is reached; behind: one is not; completed: holds a credential for the target');

export const memberProgressSchema = z.object({
  candidateId: z.string(),
  shownAs: z.string(),
  hidden: z.boolean(),
  level: z.string(),
  targetAssessmentId: z.string(),
  milestones: z.array(z.object({ milestoneId: z.string(), title: z.string(), dueAt: isoTime, reachedAt: isoTime.nullable() })),
  tasksPassed: z.array(z.string()),
  badges: z.array(z.object({ credentialId: z.string(), assessmentId: z.string(), title: z.string(), issuedAt: isoTime, badgePath: z.string() })),
  standing,
});

export const groupViewSchema = z.object({
  cohort: cohortRecordSchema.pick({ id: true, name: true, cadenceMonths: true, startsAt: true, endsAt: true, targetAssessmentIds: true }),
  group: groupRecordSchema,
  milestones: z.array(milestoneSchema),
  at: isoTime,
  members: z.array(memberProgressSchema).describe('by shown name, then candidate id: never by progress'),
});

export const cohortViewSchema = z.object({
  cohort: cohortRecordSchema,
  at: isoTime,
  funnel: z.array(z.object({ milestoneId: z.string(), title: z.string(), dueAt: isoTime, reached: z.number().int(), of: z.number().int() })),
  groups: z.array(
    z.object({ group: groupRecordSchema, members: z.number().int(), onTrack: z.number().int(), behind: z.number().int(), completed: z.number().int() }),
  ).describe('by group name'),
  behind: z.array(z.object({ candidateId: z.string(), shownAs: z.string(), groupId: z.string(), missed: z.array(z.string()) })).describe('by group, then shown name'),
});

export const ceremonyEntrySchema = z.object({
  candidateId: z.string(),
  shownAs: z.string(),
  groupName: z.string(),
  targetAssessmentId: z.string(),
  completed: z.boolean(),
  credentialIds: z.array(z.string()),
  voucherEligible: z.boolean(),
  voucherReason: z.string(),
});

export const ceremonySchema = z.object({ cohortId: z.string(), at: isoTime, entries: z.array(ceremonyEntrySchema).describe('by group name, then shown name') });

export const cohortDetailSchema = z.object({ cohort: cohortRecordSchema, groups: z.array(groupRecordSchema) });

export const membershipSchema = z.object({
  cohort: cohortRecordSchema.pick({ id: true, name: true, cadenceMonths: true, startsAt: true, endsAt: true }),
  group: groupRecordSchema.pick({ id: true, name: true }),
  displayName: z.string().nullable(),
  hidden: z.boolean(),
  /** The group page: /cohorts/{cohortId}/groups/{groupId}. */
  groupPath: z.string(),
});

/** Control characters and bidirectional overrides never belong in a name shown to others. */
// eslint-disable-next-line no-control-regex
const SHOWABLE = /^[^\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]*$/;

export const shownName = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .regex(SHOWABLE, 'must not contain control characters')
    .transform((s) => (s === '' ? null : s));

export const memberSelfUpdateRequest = z.strictObject({
  displayName: shownName(60).nullable().optional().describe('the name your group sees; empty or null shows your pseudonymous id'),
  hidden: z.boolean().optional().describe('true hides your entry from the other members of your group'),
});

export const badgeNameRequest = z.strictObject({
  shownName: shownName(80).nullable().default(null).describe('the name the public badge page shows as "issued to"; empty or null shows none ("a verified holder")'),
});

export const publicBadgeSchema = z.object({
  id: z.string(),
  status: z.enum(VERIFICATION_STATUSES).describe('verified now against the issuer key and status list'),
  statusMessage: z.string().nullable(),
  verifiedAt: isoTime,
  achievement: z.object({ id: z.string(), name: z.string(), description: z.string().nullable(), criteria: z.string().nullable(), type: z.string().nullable() }),
  track: z.object({ id: z.string(), label: z.string() }).nullable(),
  skills: z.array(z.string()).describe("what the holder did: the titles of the assessment's tasks"),
  issuer: z.object({ id: z.string(), name: z.string().nullable() }),
  issuedAt: isoTime,
  validUntil: isoTime.nullable(),
  revokedAt: isoTime.nullable(),
  issuedTo: z.string().nullable().describe("the name the holder chose to show, or null"),
  issuedToText: z.string().describe('what the page says: the chosen name, or "a verified holder"'),
  pageUrl: z.string(),
  imageUrl: z.string().describe('the badge as SVG'),
  previewImageUrl: z.string().describe('the 1200×630 PNG that link previews (og:image) use'),
  verificationUrl: z.string(),
  jwtUrl: z.string(),
  linkedInAddToProfileUrl: z.string().nullable().describe('only while the credential is valid'),
});
export type PublicBadgeView = z.infer<typeof publicBadgeSchema>;
