import { describe, expect, it } from 'vitest';
import { retryAfterMs } from './retry-after.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0); // Thu, 15 Jan 2026 12:00:00 GMT

describe('retryAfterMs', () => {
  it.each([
    ['0', 0],
    ['1', 1_000],
    ['120', 120_000],
    [' 30 ', 30_000],
    ['007', 7_000],
  ])('reads delta-seconds %j', (value, expected) => {
    expect(retryAfterMs(value, NOW)).toBe(expected);
  });

  it.each([
    ['an IMF-fixdate', 'Thu, 15 Jan 2026 12:01:30 GMT', 90_000],
    ['an RFC 850 date', 'Thursday, 15-Jan-26 12:00:10 GMT', 10_000],
    ['an asctime date, read as GMT', 'Thu Jan 15 12:00:05 2026', 5_000],
    ['an asctime date with a one-digit day', 'Fri Jan  2 00:00:00 2026', 0],
    ['a leap second', 'Thu, 15 Jan 2026 12:00:60 GMT', 59_000],
  ])('reads %s', (_name, value, expected) => {
    expect(retryAfterMs(value, NOW)).toBe(expected);
  });

  it('answers 0 for a date already past', () => {
    expect(retryAfterMs('Sun, 06 Nov 1994 08:49:37 GMT', NOW)).toBe(0);
    expect(retryAfterMs('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(0);
  });

  it('reads a two-digit RFC 850 year more than 50 years ahead as last century', () => {
    expect(retryAfterMs('Monday, 01-Jan-80 00:00:00 GMT', NOW)).toBe(0);
    expect(retryAfterMs('Friday, 01-Jan-27 00:00:00 GMT', NOW)).toBe(Date.UTC(2027, 0, 1) - NOW);
  });

  it('takes the first of repeated headers', () => {
    expect(retryAfterMs(['5', '60'], NOW)).toBe(5_000);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['blank', '   '],
    ['an empty list', []],
    ['negative', '-5'],
    ['fractional', '1.5'],
    ['signed', '+5'],
    ['a number with a unit', '5s'],
    ['a word', 'soon'],
    ['an ISO date', '2026-01-15T12:01:00Z'],
    ['a date without GMT', 'Thu, 15 Jan 2026 12:01:30'],
    ['a date in another zone', 'Thu, 15 Jan 2026 12:01:30 PST'],
    ['an impossible date', 'Sat, 31 Feb 2026 12:00:00 GMT'],
    ['an impossible time', 'Thu, 15 Jan 2026 25:00:00 GMT'],
    ['a lowercase month', 'Thu, 15 jan 2026 12:01:30 GMT'],
  ])('ignores %s', (_name, value) => {
    expect(retryAfterMs(value, NOW)).toBeUndefined();
  });
});
