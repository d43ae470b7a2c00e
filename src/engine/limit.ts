/**
 * Runs a job when a limit admits it. The same seam serves a concurrency bound (createLimiter, the
 * checks of one run) and a rate bound (the calls into one sandbox account: the grading session sends
 * every AWS call through `SessionConfig.pace`; in service mode that is the account's token bucket
 * shared by every worker, src/service/worker/token-bucket.ts).
 */
export type Limiter = <T>(job: () => Promise<T>) => Promise<T>;

/** Runs at most `n` async jobs at once. */
export function createLimiter(n: number): Limiter {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (job) => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await job();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
