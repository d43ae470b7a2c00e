import { classifyFailure } from '../../aws/errors';
import type { CleanupClock } from './types';

/**
 * Error codes that mean "already gone" on a delete, across the services the cleaner touches. Most services
 * say ResourceNotFoundException or NoSuchEntity (classifyFailure knows those); these are the odd ones.
 */
const GONE = new Set([
  'NoSuchBucket',
  'NoSuchEntity',
  'NotFound',
  'NotFoundException',
  'ResourceNotFoundException',
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
  'StateMachineDoesNotExist',
  'ActivityDoesNotExist',
  'ApplicationDoesNotExistException',
  'DeploymentGroupDoesNotExistException',
  'DeploymentConfigDoesNotExistException',
  'RepositoryNotFoundException',
  'TableNotFoundException',
  'UserPoolNotFoundException',
  'NoSuchUploadException',
  'RuleNotFoundException',
  'GroupNotFoundException',
]);

export function isGone(err: unknown): boolean {
  const code = err instanceof Error ? err.name : '';
  // CloudFormation: "Stack with id X does not exist" is a ValidationError.
  if (code === 'ValidationError' && /does not exist/i.test(err instanceof Error ? err.message : '')) return true;
  return GONE.has(code) || classifyFailure(err).kind === 'not-found';
}

export function errorCode(err: unknown): string {
  return err instanceof Error && err.name && err.name !== 'Error' ? err.name : 'Error';
}

export function errorText(err: unknown): string {
  return `${errorCode(err)}: ${err instanceof Error ? err.message : String(err)}`;
}

export interface RetryOptions {
  clock: CleanupClock;
  maxTries: number;
  /** Further error codes to retry (a dependency still being deleted: ConflictException, ResourceInUseException…). */
  retryCodes?: readonly string[];
}

/** Backoff before try n (1-based): 0.5 s doubling to at most 20 s, with jitter so parallel cleaners spread out. */
export function backoffMs(tryNumber: number): number {
  const base = Math.min(20_000, 500 * 2 ** (tryNumber - 1));
  return Math.round(base / 2 + (base / 2) * Math.random());
}

/** Runs one AWS call, retrying throttling, 5xx, timeouts and network errors (and `retryCodes`) with backoff. */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let tryNumber = 1; ; tryNumber++) {
    try {
      return await fn();
    } catch (err) {
      const retryable = classifyFailure(err).retryable || (options.retryCodes ?? []).includes(errorCode(err));
      if (!retryable || tryNumber >= options.maxTries) throw err;
      await options.clock.sleep(backoffMs(tryNumber));
    }
  }
}

/** Collects every page of a list call: `page(token)` returns the items and the next token (undefined at the end). */
export async function allPages<T>(page: (token: string | undefined) => Promise<{ items: T[] | undefined; next: string | undefined }>): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  const seen = new Set<string>();
  do {
    const out = await page(token);
    items.push(...(out.items ?? []));
    token = out.next || undefined;
    // A service that hands back the same token forever would loop; AWS does not, a broken endpoint might.
    if (token !== undefined) {
      if (seen.has(token)) throw new Error(`pagination returned the token ${token} twice`);
      seen.add(token);
    }
  } while (token !== undefined);
  return items;
}
