import { describe, expect, it } from 'vitest';
import type { WebhooksConfig } from '../config.js';
import { nextStep } from './retry-policy.js';
import type { AttemptOutcome } from './send-attempt.js';

const config: WebhooksConfig = { maxAttempts: 4, backoffSeconds: [5, 60], maxRetryAfterSeconds: 120, timeoutMs: 1000, retentionDays: 30 };
const answered = (statusCode: number, retryAfterMs?: number): AttemptOutcome => ({ statusCode, error: null, responseExcerpt: null, durationMs: 3, retryAfterMs });
const noAnswer = (error: string): AttemptOutcome => ({ statusCode: null, error, responseExcerpt: null, durationMs: 3, retryAfterMs: undefined });

describe('nextStep', () => {
  it('any 2xx succeeds', () => {
    for (const status of [200, 201, 202, 204, 299]) expect(nextStep(answered(status), 1, config)).toEqual({ status: 'SUCCEEDED' });
  });

  it('retries 408, 429, every 5xx, a timeout and an unreachable receiver, on the backoff schedule whose last wait repeats', () => {
    for (const outcome of [answered(408), answered(429), answered(500), answered(503), answered(599), noAnswer('UPSTREAM_TIMEOUT'), noAnswer('UPSTREAM_UNREACHABLE')]) {
      expect(nextStep(outcome, 1, config)).toEqual({ status: 'PENDING', delaySeconds: 5 });
      expect(nextStep(outcome, 2, config)).toEqual({ status: 'PENDING', delaySeconds: 60 });
      expect(nextStep(outcome, 3, config)).toEqual({ status: 'PENDING', delaySeconds: 60 });
    }
  });

  it('is DEAD when the last try of the round fails with something worth retrying', () => {
    expect(nextStep(answered(500), 4, config)).toEqual({ status: 'DEAD' });
    expect(nextStep(noAnswer('UPSTREAM_TIMEOUT'), 4, config)).toEqual({ status: 'DEAD' });
  });

  it('a 4xx other than 408 and 429, a redirect, and a blocked address are final', () => {
    for (const outcome of [answered(400), answered(401), answered(403), answered(404), answered(410), answered(422), answered(301), answered(302), noAnswer('UPSTREAM_ADDRESS_BLOCKED')]) {
      expect(nextStep(outcome, 1, config)).toEqual({ status: 'FAILED' });
    }
  });

  it("waits the receiver's Retry-After instead of the backoff, rounded up to seconds and capped", () => {
    expect(nextStep(answered(429, 30_000), 1, config)).toEqual({ status: 'PENDING', delaySeconds: 30 });
    expect(nextStep(answered(503, 1_500), 2, config)).toEqual({ status: 'PENDING', delaySeconds: 2 });
    expect(nextStep(answered(503, 3_600_000), 1, config)).toEqual({ status: 'PENDING', delaySeconds: 120 });
    // A Retry-After on a final answer changes nothing.
    expect(nextStep(answered(400, 10_000), 1, config)).toEqual({ status: 'FAILED' });
  });
});
