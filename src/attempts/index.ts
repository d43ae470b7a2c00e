export * from './types';
export * from './errors';
export * from './state-machine';
export { AttemptService, DEFAULT_CHECK_INTERVAL_MS, type AttemptServiceOptions, type CreateAttemptInput, type CheckResult } from './attempt-service';
export { resolveCandidate, hashIdentity, normaliseEmail, looksLikeEmail } from './candidate';
