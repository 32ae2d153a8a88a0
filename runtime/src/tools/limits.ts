/**
 * Counts calls in flight per key (principal and tool). Entries exist only while a call is in flight,
 * so the map never holds more than the number of concurrent calls.
 */
export class ConcurrencyLimiter {
  private readonly inFlight = new Map<string, number>();

  /** Takes a slot when fewer than `limit` are taken; returns a release function, or `undefined` when full. */
  tryAcquire(key: string, limit: number): (() => void) | undefined {
    const current = this.inFlight.get(key) ?? 0;
    if (current >= limit) return undefined;
    this.inFlight.set(key, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const now = (this.inFlight.get(key) ?? 1) - 1;
      if (now <= 0) this.inFlight.delete(key);
      else this.inFlight.set(key, now);
    };
  }

  /** Whether `wanted` slots (one by default) are free, without taking them. */
  available(key: string, limit: number, wanted = 1): boolean {
    return (this.inFlight.get(key) ?? 0) + wanted <= limit;
  }

  /** Number of keys with calls in flight (for leak checks). */
  get size(): number {
    return this.inFlight.size;
  }
}

/**
 * A per-key fixed-window rate limiter whose memory is bounded: at most `maxKeys` windows are kept,
 * the oldest dropped first (a dropped key starts a fresh window, which errs towards allowing).
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly maxKeys = 50_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts `count` requests (one by default; each message of a batch counts); returns 0 when all
   * are allowed, else the seconds until the window resets (then none is counted).
   */
  take(key: string, count = 1): number {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now - window.start >= 60_000) {
      if (window) this.windows.delete(key);
      else if (this.windows.size >= this.maxKeys) this.windows.delete(this.windows.keys().next().value!);
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    if (window.count + count > this.perMinute) return Math.max(1, Math.ceil((window.start + 60_000 - now) / 1000));
    window.count += count;
    return 0;
  }

  get size(): number {
    return this.windows.size;
  }
}
