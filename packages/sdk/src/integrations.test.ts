import { describe, expect, it } from 'vitest';
import { fieldProblem } from './integrations.js';

describe('fieldProblem', () => {
  // The server compiles input patterns with the `u` flag (packages/catalog/src/template-syntax.ts): the SDK's
  // check before sending must agree, or a form would refuse what the server accepts (or the other way round).
  const fields = [
    { id: 'owner', label: 'Owner', type: 'text', required: true, pattern: '\\p{Lu}+' },
    { id: 'tag', label: 'Tag', type: 'text', required: true, pattern: '[^x]{2}' },
  ] as Parameters<typeof fieldProblem>[0];

  it('accepts a value matching a Unicode property pattern', () => {
    expect(fieldProblem(fields, { owner: 'ÀBC', tag: 'ab' })).toBeUndefined();
  });

  it('counts an emoji as one character', () => {
    expect(fieldProblem(fields, { owner: 'ABC', tag: '\u{1F600}' })).toEqual({ field: 'tag', message: 'Tag is not in the expected format' });
  });
});
