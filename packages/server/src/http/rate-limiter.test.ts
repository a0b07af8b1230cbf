import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';

function clock(start = 10_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('RateLimiter', () => {
  it('lets a burst of perSecond through, then refuses with a whole Retry-After of at least 1', () => {
    const time = clock();
    const limiter = new RateLimiter(5, time.now);
    for (let i = 0; i < 5; i++) expect(limiter.take('p1')).toEqual({ ok: true });
    expect(limiter.take('p1')).toEqual({ ok: false, retryAfterSeconds: 1 });
  });

  it('refills continuously', () => {
    const time = clock();
    const limiter = new RateLimiter(10, time.now);
    for (let i = 0; i < 10; i++) limiter.take('p1');
    expect(limiter.take('p1').ok).toBe(false);
    time.advance(99);
    expect(limiter.take('p1').ok).toBe(false);
    time.advance(2); // 101 ms after the burst, 1.01 tokens have come back minus nothing taken by refusals
    expect(limiter.take('p1')).toEqual({ ok: true });
    expect(limiter.take('p1').ok).toBe(false);
    time.advance(250);
    expect(limiter.take('p1').ok).toBe(true);
    expect(limiter.take('p1').ok).toBe(true);
    expect(limiter.take('p1').ok).toBe(false);
  });

  it('never holds more than perSecond tokens however long it was idle', () => {
    const time = clock();
    const limiter = new RateLimiter(3, time.now);
    limiter.take('p1');
    time.advance(60_000);
    for (let i = 0; i < 3; i++) expect(limiter.take('p1').ok).toBe(true);
    expect(limiter.take('p1').ok).toBe(false);
  });

  it('keeps keys apart', () => {
    const time = clock();
    const limiter = new RateLimiter(1, time.now);
    expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('a').ok).toBe(false);
    expect(limiter.take('b').ok).toBe(true);
  });

  it('asks a caller of a slow rate to wait as long as the next token takes', () => {
    const time = clock();
    const limiter = new RateLimiter(0.2, time.now); // one request every 5 seconds
    expect(limiter.take('u').ok).toBe(true);
    expect(limiter.take('u')).toEqual({ ok: false, retryAfterSeconds: 5 });
    time.advance(2_500);
    expect(limiter.take('u')).toEqual({ ok: false, retryAfterSeconds: 3 });
    time.advance(2_500);
    expect(limiter.take('u').ok).toBe(true);
  });

  it('treats 0 as unlimited and tracks nothing', () => {
    const limiter = new RateLimiter(0, clock().now);
    for (let i = 0; i < 10_000; i++) expect(limiter.take(`k${i % 7}`).ok).toBe(true);
    expect(limiter.size).toBe(0);
  });

  it('forgets buckets that have filled up again', () => {
    const time = clock();
    const limiter = new RateLimiter(2, time.now);
    for (let i = 0; i < 1_000; i++) limiter.take(`user-${i}`);
    expect(limiter.size).toBe(1_000);
    time.advance(400); // not full yet (1.8 of 2 tokens): kept
    limiter.take('busy');
    limiter.take('busy');
    expect(limiter.size).toBe(1_001);
    time.advance(700); // 1.1 s after the first burst, those buckets are full again; the sweep runs on take
    limiter.take('other');
    expect(limiter.size).toBe(2); // 'busy' (taken 0.7 s ago, still refilling) and 'other'
  });

  it('remembers a bucket still refilling across a sweep', () => {
    const time = clock();
    const limiter = new RateLimiter(1, time.now);
    expect(limiter.take('a').ok).toBe(true);
    time.advance(1_000);
    expect(limiter.take('a').ok).toBe(true); // refilled exactly; takes its token again
    time.advance(500);
    expect(limiter.take('b').ok).toBe(true); // a sweep may run here; 'a' holds 0.5 tokens and must stay
    expect(limiter.take('a').ok).toBe(false);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses a rate of %s', (rate) => {
    expect(() => new RateLimiter(rate)).toThrow(RangeError);
  });

  it('perMinute lets the whole minute through at once, then one every 60/count seconds', () => {
    const time = clock();
    const limiter = RateLimiter.perMinute(6, time.now);
    for (let i = 0; i < 6; i++) expect(limiter.take('u').ok).toBe(true);
    expect(limiter.take('u')).toEqual({ ok: false, retryAfterSeconds: 10 });
    time.advance(10_000);
    expect(limiter.take('u').ok).toBe(true);
    expect(limiter.take('u').ok).toBe(false);
  });

  it('peek tells whether a request is left without spending it', () => {
    const time = clock();
    const limiter = new RateLimiter(2, time.now);
    for (let i = 0; i < 5; i++) expect(limiter.peek('a')).toEqual({ ok: true });
    limiter.take('a');
    limiter.take('a');
    expect(limiter.peek('a')).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(limiter.take('a').ok).toBe(false);
  });

  it.each([0, 0.5, Number.NaN])('refuses a burst of %s', (burst) => {
    expect(() => new RateLimiter(1, undefined, burst)).toThrow(RangeError);
  });

  it('runs on the real clock by default', () => {
    const limiter = new RateLimiter(1);
    expect(limiter.take('x').ok).toBe(true);
    expect(limiter.take('x').ok).toBe(false);
  });
});
