export * from './types';
export * from './errors';
export * from './state-machine';
export { AttemptService, DEFAULT_CHECK_INTERVAL_MS, INLINE_GRADING, type AttemptServiceOptions, type CreateAttemptInput, type CheckResult, type GradingDispatcher } from './attempt-service';
export { resolveCandidate, hashIdentity, normaliseEmail, looksLikeEmail } from './candidate';
