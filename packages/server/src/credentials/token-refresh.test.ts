import { describe, expect, it } from 'vitest';
import { earlyRefreshSeconds } from './token-refresh.js';

const at = (secondsFromNow: number) => new Date(Date.now() + secondsFromNow * 1000).toISOString();

describe('earlyRefreshSeconds', () => {
  it('is the configured margin for a token that lives long enough', () => {
    expect(earlyRefreshSeconds({ refreshed_at: at(0), expires_at: at(3600) }, 120)).toBe(120);
  });

  it('is at most half the lifetime of a short-lived token', () => {
    expect(earlyRefreshSeconds({ refreshed_at: at(0), expires_at: at(3) }, 120)).toBeCloseTo(1.5, 1);
    expect(earlyRefreshSeconds({ refreshed_at: at(-50), expires_at: at(10) }, 120)).toBeCloseTo(30, 1);
  });

  it('is the margin when the lifetime is unknown, and never negative', () => {
    expect(earlyRefreshSeconds({ refreshed_at: null, expires_at: at(3) }, 120)).toBe(120);
    expect(earlyRefreshSeconds({ refreshed_at: at(0), expires_at: null }, 120)).toBe(120);
    expect(earlyRefreshSeconds({ refreshed_at: at(10), expires_at: at(0) }, 120)).toBe(0);
  });
});
