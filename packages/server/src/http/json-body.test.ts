import { describe, expect, it } from 'vitest';
import { jsonNestingExceeds } from './json-body.js';

const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

describe('jsonNestingExceeds', () => {
  it('counts objects and arrays alike', () => {
    expect(jsonNestingExceeds('{"a":[{"b":[1]}]}', 4)).toBe(false);
    expect(jsonNestingExceeds('{"a":[{"b":[1]}]}', 3)).toBe(true);
  });

  it('measures depth, not the number of brackets', () => {
    expect(jsonNestingExceeds(`[${Array.from({ length: 1000 }, () => '{"a":[1]}').join(',')}]`, 3)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonNestingExceeds(JSON.stringify({ text: '[[[[{{{{', quoted: 'say \\"[[[[" and \\\\' }), 1)).toBe(false);
  });

  it('handles 100,000 levels without recursion', () => {
    expect(jsonNestingExceeds(nested(100_000), 64)).toBe(true);
    expect(jsonNestingExceeds(nested(64), 64)).toBe(false);
  });

  it('leaves scalars and malformed text to JSON.parse', () => {
    expect(jsonNestingExceeds('"just a string"', 0)).toBe(false);
    expect(jsonNestingExceeds(']]]]{', 1)).toBe(false);
  });
});
