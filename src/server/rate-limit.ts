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

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (now - window.start >= this.windowMs) this.windows.delete(key);
  }
}
