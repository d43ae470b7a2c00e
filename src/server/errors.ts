import { AttemptNotFoundError, GradingFailedError, InvalidAttemptInputError, RateLimitedError } from '../attempts/errors';
import { IllegalTransitionError } from '../attempts/state-machine';
import { DefinitionError } from '../catalog/load';
import { IssuerKeyError } from '../credentials/issuer-keys';
import { CredentialInputError } from '../credentials/open-badge';
import { ConcurrentModificationError, ConstraintViolationError, NotFoundError, StoreError } from '../store/errors';
import { HttpError } from './http';

const SANDBOX_STATUS: Record<string, number> = { expired: 409, frozen: 409, 'not-found': 404 };

/** The HTTP answer for an error the libraries raise on purpose; undefined for a bug (a 500). */
export function toHttpError(e: unknown): HttpError | undefined {
  if (e instanceof HttpError) return e;
  if (!(e instanceof Error)) return undefined;
  if (e instanceof AttemptNotFoundError || e instanceof NotFoundError) return new HttpError(404, 'not-found', e.message);
  if (e instanceof IllegalTransitionError) return new HttpError(409, 'illegal-transition', e.message);
  if (e instanceof RateLimitedError) {
    const seconds = Math.max(1, Math.ceil(e.retryAfterMs / 1000));
    return new HttpError(429, 'rate-limited', e.message, { retryAfterSeconds: seconds });
  }
  if (e instanceof InvalidAttemptInputError || e instanceof CredentialInputError) return new HttpError(400, 'invalid-input', e.message);
  if (e instanceof ConcurrentModificationError || e instanceof ConstraintViolationError) return new HttpError(409, 'conflict', e.message);
  if (e instanceof GradingFailedError) return new HttpError(503, 'grading-failed', e.message);
  if (e instanceof DefinitionError) return new HttpError(400, 'unknown-definition', e.message);
  if (e instanceof IssuerKeyError) return new HttpError(503, 'issuer-unavailable', 'The credential issuer is not available on this server; an operator must check its key.');
  if (e instanceof StoreError) return new HttpError(400, 'refused', e.message);
  if (e.name === 'SandboxError') {
    const code = (e as Error & { code?: string }).code ?? 'failed';
    return new HttpError(SANDBOX_STATUS[code] ?? 502, `sandbox-${code}`, e.message);
  }
  return undefined;
}
