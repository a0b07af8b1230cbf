/**
 * A token bucket per key (a project, a connected user, a client address): up to `burst` requests at once
 * (default `perSecond`, at least one), refilled continuously at `perSecond` a second. `perSecond` 0 means
 * unlimited. A rate below 1 with the default burst lets one request through at a time and makes it wait
 * 1/perSecond seconds for the next; `perMinute` keeps a burst of the whole minute's count instead.
 *
 * Memory stays bounded by the keys active within about the last second: a bucket that has filled up again is
 * the same as no bucket, so it is forgotten at the next sweep (at most one a second, on take()).
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; updatedAt: number }>();
  readonly #capacity: number;
  #lastSweep: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
    burst: number = Math.max(1, perSecond),
  ) {
    if (!Number.isFinite(perSecond) || perSecond < 0) throw new RangeError('perSecond must be a number >= 0');
    if (!Number.isFinite(burst) || burst < 1) throw new RangeError('burst must be a number >= 1');
    this.#capacity = burst;
    this.#lastSweep = now();
  }

  /** `count` a minute, all of them at once if need be; 0 means unlimited. */
  static perMinute(count: number, now?: () => number): RateLimiter {
    return new RateLimiter(count / 60, now, Math.max(1, count));
  }

  /** Spends one request of `key`'s budget, or says how long to wait when there is none. */
  take(key: string): LimitOutcome {
    return this.#judge(key, true);
  }

  /** Whether `key` has a request left, without spending it (for limits that count failures only). */
  peek(key: string): LimitOutcome {
    return this.#judge(key, false);
  }

  #judge(key: string, spend: boolean): LimitOutcome {
    if (this.perSecond === 0) return { ok: true };
    const now = this.now();
    if (now - this.#lastSweep >= SWEEP_EVERY_MS) this.#sweep(now);

    const bucket = this.#buckets.get(key) ?? { tokens: this.#capacity, updatedAt: now };
    bucket.tokens = this.#refilled(bucket, now);
    bucket.updatedAt = now;
    if (bucket.tokens >= 1) {
      if (spend) {
        bucket.tokens -= 1;
        this.#buckets.set(key, bucket);
      }
      return { ok: true };
    }
    this.#buckets.set(key, bucket);
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond)) };
  }

  /** How many keys are tracked; for tests. */
  get size(): number {
    return this.#buckets.size;
  }

  #refilled(bucket: { tokens: number; updatedAt: number }, now: number): number {
    const elapsedSeconds = Math.max(0, now - bucket.updatedAt) / 1000;
    return Math.min(this.#capacity, bucket.tokens + elapsedSeconds * this.perSecond);
  }

  #sweep(now: number): void {
    this.#lastSweep = now;
    for (const [key, bucket] of this.#buckets) {
      if (this.#refilled(bucket, now) >= this.#capacity) this.#buckets.delete(key);
    }
  }
}

export type LimitOutcome = { ok: true } | { ok: false; retryAfterSeconds: number };

const SWEEP_EVERY_MS = 1_000;
