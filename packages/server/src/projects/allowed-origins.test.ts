import { describe, expect, it } from 'vitest';
import { DEV_ALLOWED_ORIGINS, invalidOriginEntry, originAllowed, originPolicy } from './allowed-origins.js';

// The prepared policy (CORS, per project) must answer exactly as the plain check.
const prepared = (allowed: readonly string[], origin: string | undefined) => originPolicy(allowed)(origin);

describe.each([
  ['originAllowed', originAllowed],
  ['originPolicy', prepared],
])('%s', (_name, originAllowed) => {
  const allowed = ['https://app.example.com', 'http://localhost:*'];

  it.each(['https://app.example.com', 'http://localhost:3000', 'http://localhost:5173', 'http://localhost'])('allows %s', (origin) => {
    expect(originAllowed(allowed, origin)).toBe(true);
  });

  it.each([
    ['another host', 'https://evil.example.com'],
    ['a suffix attack', 'https://app.example.com.evil.com'],
    ['another scheme', 'http://app.example.com'],
    ['another port', 'https://app.example.com:8443'],
    ['a wildcard port on another scheme', 'https://localhost:3000'],
    ['a subdomain of a wildcard-port host', 'http://evil.localhost:3000'],
    ['a non-normalised origin', 'https://APP.example.com'],
    ['an origin with a path', 'https://app.example.com/'],
    ['the literal null origin', 'null'],
    ['garbage', 'not a url'],
    ['nothing', undefined],
  ])('refuses %s', (_name, origin) => {
    expect(originAllowed(allowed, origin)).toBe(false);
  });

  it('allows nothing when the list is empty', () => {
    expect(originAllowed([], 'https://app.example.com')).toBe(false);
  });

  it('lets the dev project reach every local port on each loopback name', () => {
    for (const origin of ['http://localhost:3000', 'http://127.0.0.1:8080', 'http://[::1]:4000']) expect(originAllowed(DEV_ALLOWED_ORIGINS, origin)).toBe(true);
    expect(originAllowed(DEV_ALLOWED_ORIGINS, 'http://192.168.1.2:3000')).toBe(false);
  });
});

describe('invalidOriginEntry', () => {
  it.each(['https://app.example.com', 'http://localhost:3000', 'http://localhost:*', 'https://app.example.com:8443'])('accepts %s', (entry) => {
    expect(invalidOriginEntry(entry)).toBeUndefined();
  });

  it.each([
    ['a trailing slash', 'https://app.example.com/'],
    ['a path', 'https://app.example.com/app'],
    ['a query', 'https://app.example.com?x=1'],
    ['upper case', 'https://App.example.com'],
    ['a default port spelled out', 'https://app.example.com:443'],
    ['a non-http scheme', 'ftp://files.example.com'],
    ['javascript:', 'javascript:alert(1)'],
    ['no scheme', 'app.example.com'],
    ['a wildcard host', 'https://*.example.com'],
    ['a bare wildcard', '*'],
    ['credentials', 'https://user:pass@app.example.com'],
  ])('refuses %s', (_name, entry) => {
    expect(invalidOriginEntry(entry)).toEqual(expect.any(String));
  });
});
