import { redactText } from '../evidence/redact';

/** Why an AWS call failed, as far as grading is concerned. */
export type FailureKind =
  | 'malformed'
  | 'throttling'
  | 'server'
  | 'timeout'
  | 'network'
  | 'access-denied'
  | 'expired-credentials'
  | 'not-found'
  | 'client';

export interface CallFailure {
  kind: FailureKind;
  code: string;
  message: string;
  httpStatus?: number;
  retryable: boolean;
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'LimitExceededException',
  'TransactionInProgressException',
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
]);
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnrecognizedClientException', 'InvalidClientTokenId', 'UnauthorizedException', 'AuthorizationError', 'SignatureDoesNotMatch', 'MissingAuthenticationTokenException']);
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired', 'CredentialsProviderError']);
const NOT_FOUND = new Set(['ResourceNotFoundException', 'NoSuchEntity', 'NoSuchEntityException', 'NotFoundException', 'NotFound', 'NoSuchKey', 'NoSuchBucket', 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'StateMachineDoesNotExist', 'ExecutionDoesNotExist', 'ResourceNotFound']);
const TIMEOUT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'NetworkingError', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  cause?: unknown;
}

/** Classifies an error thrown by an SDK call or an HTTP probe. */
export function classifyFailure(err: unknown): CallFailure {
  const e = (err ?? {}) as ErrorShape;
  const cause = (e.cause ?? {}) as ErrorShape;
  const code = String(e.name && e.name !== 'Error' ? e.name : (e.code ?? e.Code ?? cause.code ?? 'Error'));
  const message = typeof e.message === 'string' ? e.message : String(err);
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const base = { code, message, ...(status !== undefined ? { httpStatus: status } : {}) };
  const causeCode = typeof cause.code === 'string' ? cause.code : typeof e.code === 'string' ? e.code : '';
  if (code === 'MalformedResponse') return { ...base, kind: 'malformed', retryable: true };
  if (THROTTLING.has(code) || status === 429) return { ...base, kind: 'throttling', retryable: true };
  if (EXPIRED.has(code)) return { ...base, kind: 'expired-credentials', retryable: false };
  if (ACCESS_DENIED.has(code) || status === 403) return { ...base, kind: 'access-denied', retryable: false };
  if (TIMEOUT.has(code)) return { ...base, kind: 'timeout', retryable: true };
  if (NETWORK.has(code) || NETWORK.has(causeCode)) return { ...base, kind: 'network', retryable: true };
  if ((status !== undefined && status >= 500) || e.$fault === 'server') return { ...base, kind: 'server', retryable: true };
  if (NOT_FOUND.has(code) || status === 404) return { ...base, kind: 'not-found', retryable: false };
  return { ...base, kind: 'client', retryable: false };
}

export function isNotFound(err: unknown): boolean {
  return classifyFailure(err).kind === 'not-found';
}

/** Explains a failure in words an assessor can act on. */
export function describeFailure(call: string, failure: CallFailure): string {
  const f = { ...failure, message: redactText(failure.message) };
  const what = `${call} failed with ${f.code}${f.httpStatus ? ` (HTTP ${f.httpStatus})` : ''}`;
  switch (f.kind) {
    case 'malformed':
      return `${call} returned a response that does not fit the AWS API model (${f.message}); SkillProof will not judge from it. Grade again; if it persists, the endpoint is not behaving like AWS.`;
    case 'throttling':
      return `${what}: AWS kept throttling after retries; grade again later.`;
    case 'server':
      return `${what}: AWS returned a server error after retries; grade again later.`;
    case 'timeout':
    case 'network':
      return `${what}: the call did not complete; check connectivity and grade again.`;
    case 'access-denied':
      return `${what}: SkillProof's grader role is not allowed to make this call; the sandbox's GraderRole needs this permission (not the candidate's fault).`;
    case 'expired-credentials':
      return `${what}: the grading credentials expired; grade again with fresh credentials.`;
    default:
      return `${what}: ${f.message}`;
  }
}

/** A call the read-only guard refused: a grader tried to change something it did not declare. */
export class GuardViolation extends Error {
  constructor(readonly action: string) {
    super(`read-only guard blocked ${action}: graders may only read, plus the probe operations they declare in "probes"`);
    this.name = 'GuardViolation';
  }
}

/** A response that AWS could not have sent: a required member missing, or a member of the wrong type. */
export class MalformedResponse extends Error {
  constructor(
    readonly call: string,
    readonly problems: string[],
  ) {
    super(problems.join('; '));
    this.name = 'MalformedResponse';
  }
}

/**
 * A model call refused because the attempt's progress checks have spent their budget of model calls
 * (SessionConfig.modelCallBudget). Recorded in the evidence like an AWS error, so a replay refuses it too.
 */
export class ModelCallBudgetExhausted extends Error {
  constructor(readonly budget: number) {
    super(
      `not sent: this attempt's progress checks have used their budget of ${budget} model calls for this task; behavioural checks run again in the final grading after you submit`,
    );
    this.name = 'ModelCallBudgetExhausted';
  }
}

/** Replay asked for a call the evidence does not contain. */
export class MissingRecordedCall extends Error {
  constructor(
    readonly call: string,
    readonly input: string,
  ) {
    super(`the evidence has no recorded response for ${call} with input ${input.length > 300 ? `${input.slice(0, 300)}…` : input}`);
    this.name = 'MissingRecordedCall';
  }
}

const CALLS = new WeakMap<object, string>();

/** Remembers which call an error came from, so the report can name it. */
export function tagCall(err: unknown, call: string): void {
  if (err !== null && typeof err === 'object' && !CALLS.has(err)) CALLS.set(err, call);
}

export function callOf(err: unknown): string | undefined {
  return err !== null && typeof err === 'object' ? CALLS.get(err) : undefined;
}
