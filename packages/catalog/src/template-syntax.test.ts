import { describe, expect, it } from 'vitest';
import { compileInputPattern, fillPlaceholders, isValidInputPattern, matchesInputPattern, templatePlaceholders } from './template-syntax.js';

describe('template placeholders', () => {
  it('finds names with dots and dashes, spaces allowed inside the braces', () => {
    expect(templatePlaceholders('https://{{ api-host }}.example.com/{{providerData.a.b}}/{{x}}{{x}}')).toEqual(['api-host', 'providerData.a.b', 'x', 'x']);
    expect(templatePlaceholders('no {{ placeholders here } {{}}')).toEqual([]);
  });

  it('fills each placeholder by name', () => {
    expect(fillPlaceholders('{{a}}-{{ b-c }}', (name) => name.toUpperCase())).toBe('A-B-C');
  });
});

describe('input patterns', () => {
  it('match the whole value with the u flag: a property escape works, an emoji is one character', () => {
    expect(compileInputPattern('\\p{Lu}+').flags).toContain('u');
    expect(matchesInputPattern('\\p{Lu}+', 'ABC')).toBe(true);
    expect(matchesInputPattern('\\p{Lu}+', 'ABc')).toBe(false);
    expect(matchesInputPattern('[^x]{2}', 'ab')).toBe(true);
    expect(matchesInputPattern('[^x]{2}', '\u{1F600}')).toBe(false);
    expect(matchesInputPattern('[a-z]+', 'abc/evil')).toBe(false);
  });

  it('treats a pattern that does not compile as matching nothing', () => {
    expect(isValidInputPattern('(')).toBe(false);
    expect(isValidInputPattern('a\\-b')).toBe(false);
    expect(matchesInputPattern('(', '(')).toBe(false);
  });
});
