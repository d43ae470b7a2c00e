import { z } from 'zod';
import { kebabId, TRACKS } from './task';

/** Open Badges 3.0 achievement types a SkillProof assessment may carry. */
export const ACHIEVEMENT_TYPES = ['MicroCredential', 'Badge', 'Certificate', 'Competency'] as const;

export const assessmentSchema = z.strictObject({
  id: kebabId,
  title: z.string().min(3).max(120),
  track: z.enum(TRACKS),
  /** What the credential says about its holder (the Achievement's description). */
  description: z.string().min(20).max(1000),
  /** How it is earned (the Achievement's criteria narrative). */
  criteria: z.string().min(20).max(2000),
  achievementType: z.enum(ACHIEVEMENT_TYPES).default('MicroCredential'),
  tasks: z.array(kebabId).min(1),
  /** For the whole assessment; each task keeps its own limit too. */
  timeLimitMinutes: z.number().int().min(10).max(7 * 24 * 60),
  /** `all`: every task passed (the default); a number: at least that many tasks passed. */
  passRule: z.union([z.literal('all'), z.strictObject({ minTasksPassed: z.number().int().min(1) })]).default('all'),
  /** How long a credential stays valid after issue, in days (none: no expiry). */
  validForDays: z.number().int().min(1).max(3650).optional(),
});

export type AssessmentInput = z.input<typeof assessmentSchema>;
export type AssessmentDefinition = z.output<typeof assessmentSchema>;

/** Declares an assessment (a micro-credential) in `tasks/assessments/<id>.ts`. */
export function defineAssessment(assessment: AssessmentInput): AssessmentInput {
  return assessment;
}

/** Whether task results satisfy the assessment's pass rule. */
export function assessmentPassed(assessment: AssessmentDefinition, passedTasks: number): boolean {
  return assessment.passRule === 'all' ? passedTasks === assessment.tasks.length : passedTasks >= assessment.passRule.minTasksPassed;
}
