export class AttemptNotFoundError extends Error {
  constructor(readonly attemptId: string) {
    super(`No attempt "${attemptId}" in this data directory; \`skillproof attempt list\` shows the attempts it holds.`);
    this.name = 'AttemptNotFoundError';
  }
}

export class RateLimitedError extends Error {
  constructor(
    readonly attemptId: string,
    readonly retryAfterMs: number,
  ) {
    super(`Attempt ${attemptId} was checked moments ago; check again in ${Math.ceil(retryAfterMs / 1000)} s.`);
    this.name = 'RateLimitedError';
  }
}

/** The grading engine threw (rather than reporting `incomplete`); the attempt is unchanged and the call can be repeated. */
export class GradingFailedError extends Error {
  constructor(
    readonly attemptId: string,
    readonly taskId: string,
    override readonly cause: unknown,
  ) {
    super(
      `Grading task ${taskId} of attempt ${attemptId} failed: ${cause instanceof Error ? cause.message : String(cause)}. ` +
        'The attempt keeps its state; run the same command again to resume.',
    );
    this.name = 'GradingFailedError';
  }
}

export class InvalidAttemptInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAttemptInputError';
  }
}
