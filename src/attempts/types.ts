import type { AttemptRecord, RunStatus, SandboxRef } from '../store/types';

export type { SandboxRef } from '../store/types';

/** What the grading engine is asked to do: grade one task of one attempt in its sandbox. */
export interface GradeRequest {
  taskId: string;
  attemptId: string;
  sandbox: SandboxRef;
  scope: 'progress' | 'final';
  /** Progress runs: how many model calls this run may still make (the attempt's budget for the task, less what earlier progress runs spent). */
  modelCallBudget?: number;
}

export interface GradeResult {
  status: RunStatus;
  /** The JSON report; the caller filters it (only `visible` checks during a progress run). */
  report: unknown;
  bundle: { sha256: string; json: string };
}

/** Injected by the grading engine. */
export type Grade = (req: GradeRequest) => Promise<GradeResult>;

/** Denies the candidate further changes before the authoritative run; must be safe to call twice. */
export type Freeze = (attempt: AttemptRecord) => Promise<void>;

export interface TaskOutcome {
  taskId: string;
  status: RunStatus;
}

/** Combines the final run of every task into the attempt's result. */
export type AssessmentRule = (outcomes: readonly TaskOutcome[]) => RunStatus;

/**
 * Every task must pass. A task that failed decides the attempt (the candidate's resources were
 * wrong, and a re-run cannot change that); otherwise any task we could not grade makes the
 * attempt incomplete, never failed.
 */
export const everyTaskMustPass: AssessmentRule = (outcomes) => {
  if (outcomes.length === 0) return 'incomplete';
  if (outcomes.some((o) => o.status === 'failed')) return 'failed';
  if (outcomes.some((o) => o.status === 'incomplete')) return 'incomplete';
  return 'passed';
};

/** What an attempt is for: an assessment (its tasks resolved by the caller) or one task for practice. */
export type AttemptTarget = { kind: 'assessment'; assessmentId: string; taskIds: string[] } | { kind: 'practice'; taskId: string };
