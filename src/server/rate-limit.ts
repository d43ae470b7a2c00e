/**
 * A fixed-window counter per key (an IP address, a session), in memory: enough for one portal
 * process. The attempt's own progress-check interval is enforced by the attempt service, in the
 * store, so it holds across processes too.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request; returns how long to wait when the key is over its limit. */
  hit(key: string): { ok: true } | { ok: false; retryAfterMs: number } {
    const now = this.now();
    if (this.windows.size > 10_000) this.sweep(now);
    const window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      this.windows.set(key, { start: now, count: 1 });
      return { ok: true };
    }
    window.count += 1;
    return window.count <= this.limit ? { ok: true } : { ok: false, retryAfterMs: window.start + this.windowMs - now };
  }

  /** Whether the key has used up its window, without counting anything. */
  peek(key: string): { ok: true } | { ok: false; retryAfterMs: number } {
    const now = this.now();
    const window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs || window.count < this.limit) return { ok: true };
    return { ok: false, retryAfterMs: window.start + this.windowMs - now };
  }

  /** Takes back one counted request (it turned out not to count, e.g. a successful sign-in). */
  refund(key: string): void {
    const window = this.windows.get(key);
    if (window && window.count > 0) window.count -= 1;
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (now - window.start >= this.windowMs) this.windows.delete(key);
  }
}

/** Which limit a sign-in ran into: too many failures from one address, or against one code or token. */
export class SignInRateLimitedError extends Error {
  constructor(
    readonly scope: 'address' | 'secret',
    readonly retryAfterMs: number,
  ) {
    super(`too many failed sign-ins ${scope === 'address' ? 'from this address' : 'with this code'}`);
    this.name = 'SignInRateLimitedError';
  }
}

/**
 * Failed sign-ins, counted per client address and per code or token tried (hashed), so neither
 * many guesses from one address nor one code guessed from many addresses gets far. A sign-in that
 * succeeds is not counted. Each sign-in form (candidate, admin) has its own limiter, so candidates
 * guessing codes do not lock administrators out, nor the other way round.
 */
export class SignInLimiter {
  private readonly byAddress: RateLimiter;
  private readonly bySecret: RateLimiter;

  constructor(limit: number, windowMs: number, now: () => number = Date.now) {
    this.byAddress = new RateLimiter(limit, windowMs, now);
    this.bySecret = new RateLimiter(limit, windowMs, now);
  }

  /**
   * Runs `signIn` unless a limit is used up. The attempt is counted before it runs, so parallel
   * guesses cannot all slip under the limit, and refunded when it succeeds.
   */
  async attempt<T>(address: string, secretKey: string, signIn: () => Promise<T>): Promise<T> {
    for (const [scope, limiter, key] of [
      ['address', this.byAddress, address],
      ['secret', this.bySecret, secretKey],
    ] as const) {
      const verdict = limiter.peek(key);
      if (!verdict.ok) throw new SignInRateLimitedError(scope, verdict.retryAfterMs);
    }
    this.byAddress.hit(address);
    this.bySecret.hit(secretKey);
    const result = await signIn();
    this.byAddress.refund(address);
    this.bySecret.refund(secretKey);
    return result;
  }
}
