/**
 * Names shared by the sandbox stack, the CLI that deploys it and the graders that read it.
 *
 * Every SkillProof-owned resource in a sandbox account is recognisable by name alone: IAM roles and
 * policies under the `/skillproof/` path, everything else named `skillproof-…`. The candidate's
 * policies deny changes to anything so named, so the convention is a security boundary, not a nicety.
 */

/** Path of SkillProof's own IAM roles and policies. */
export const SKILLPROOF_IAM_PATH = '/skillproof/';
/** Path the candidate's roles and policies must use; the only roles the candidate may pass to a service. */
export const CANDIDATE_IAM_PATH = '/candidate/';
/** Prefix of every other SkillProof-owned resource name (stack, function, schedule, budget, tables, buckets). */
export const SKILLPROOF_NAME_PREFIX = 'skillproof-';
/** Tag carried by every taggable resource of a sandbox stack. */
export const ATTEMPT_TAG = 'skillproof:attempt';
/** Tag keys reserved for SkillProof; the candidate may not add or remove them. */
export const RESERVED_TAG_PATTERN = 'skillproof:*';

const ATTEMPT_ID = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

/**
 * Returns the attempt id if it can name a sandbox: lower-case letters, digits and hyphens, at most 40
 * characters (IAM role names derived from it must stay within 64), otherwise throws saying so.
 */
export function checkAttemptId(attemptId: string): string {
  if (!ATTEMPT_ID.test(attemptId)) {
    throw new Error(
      `attempt id "${attemptId}" cannot name a sandbox: use 1-40 lower-case letters, digits and hyphens, starting and ending with a letter or digit (e.g. "t1" or "att-7f3a")`,
    );
  }
  return attemptId;
}

/** The names of one attempt's sandbox resources. */
export function sandboxNames(attemptId: string) {
  const base = `${SKILLPROOF_NAME_PREFIX}${checkAttemptId(attemptId)}`;
  return {
    stack: base,
    candidateRole: `${base}-candidate`,
    graderRole: `${base}-grader`,
    candidateBoundary: `${base}-boundary`,
    freezePolicy: `${base}-freeze`,
    expiryRole: `${base}-expiry`,
    expirySchedule: `${base}-expiry`,
    budget: base,
    budgetTopic: `${base}-budget`,
    budgetActionRole: `${base}-budget`,
    seedFunction: `${base}-seed`,
    seedRole: `${base}-seed`,
    seedTable: (logicalId: string) => `${base}-${logicalId}`,
    seedUserPool: (logicalId: string) => `${base}-${logicalId}`,
  };
}

/** The CloudFormation stack name of an attempt's sandbox. */
export function sandboxStackName(attemptId: string): string {
  return sandboxNames(attemptId).stack;
}

/** AWS limits on a role's maximum session: one hour to twelve hours. */
export const MIN_ROLE_SESSION_SECONDS = 3600;
export const MAX_ROLE_SESSION_SECONDS = 12 * 3600;

/** A role's MaxSessionDuration for a time limit, clamped to what IAM accepts. */
export function maxSessionSeconds(timeLimitMinutes: number): number {
  return Math.min(MAX_ROLE_SESSION_SECONDS, Math.max(MIN_ROLE_SESSION_SECONDS, Math.ceil(timeLimitMinutes * 60)));
}

/** The sandbox stack's parameter holding the freeze time; `sandbox deploy` sets it to now + the time limit. */
export const FREEZE_AT_PARAMETER = 'FreezeAt';
/** Format of FreezeAt: what EventBridge Scheduler's `at()` accepts, read as UTC. */
export const FREEZE_AT_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}$';
