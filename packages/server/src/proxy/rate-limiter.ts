/**
 * A token bucket per key (a project, a connected user): up to `perSecond` requests at once, refilled
 * continuously at `perSecond` a second. `perSecond` 0 means unlimited. A rate below 1 still lets one request
 * through at a time (the bucket holds at least one token) and makes it wait 1/perSecond seconds for the next.
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
  ) {
    if (!Number.isFinite(perSecond) || perSecond < 0) throw new RangeError('perSecond must be a number >= 0');
    this.#capacity = Math.max(1, perSecond);
    this.#lastSweep = now();
  }

  take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    if (this.perSecond === 0) return { ok: true };
    const now = this.now();
    if (now - this.#lastSweep >= SWEEP_EVERY_MS) this.#sweep(now);

    const bucket = this.#buckets.get(key) ?? { tokens: this.#capacity, updatedAt: now };
    bucket.tokens = this.#refilled(bucket, now);
    bucket.updatedAt = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
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

const SWEEP_EVERY_MS = 1_000;
