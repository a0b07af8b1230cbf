import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import { joinUpstreamUrl, upstreamUrl } from './upstream-url.js';

const BASES = ['https://api.hubapi.com', 'https://x.my.salesforce.com/services/data', 'http://127.0.0.1:4000/sandbox/api'];

function refusal(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected the path to be refused');
}

describe('upstreamUrl joins the path to the base as text', () => {
  it.each([
    ['v1/charges', 'https://api.stripe.com', 'https://api.stripe.com/v1/charges'],
    ['query', 'https://x.my.salesforce.com/services/data/v59.0', 'https://x.my.salesforce.com/services/data/v59.0/query'],
    ['services/data/v59.0/query', 'https://x.my.salesforce.com', 'https://x.my.salesforce.com/services/data/v59.0/query'],
    ['files/a%20b.txt', 'https://www.googleapis.com/drive/v3', 'https://www.googleapis.com/drive/v3/files/a%20b.txt'],
    ['chat.postMessage', 'https://slack.com/api', 'https://slack.com/api/chat.postMessage'],
    ['items/@me', 'https://api.example.com', 'https://api.example.com/items/@me'],
    ['users/me:batchGet', 'https://api.example.com', 'https://api.example.com/users/me:batchGet'],
    ['v4/spreadsheets/abc/values:batchGet', 'https://sheets.googleapis.com', 'https://sheets.googleapis.com/v4/spreadsheets/abc/values:batchGet'],
    ['caf%C3%A9/%E2%9C%93', 'https://api.example.com', 'https://api.example.com/caf%C3%A9/%E2%9C%93'],
    ['bytes/%ff', 'https://api.example.com', 'https://api.example.com/bytes/%ff'],
    ['name/%3Fnot-a-query/%23not-a-fragment', 'https://api.example.com', 'https://api.example.com/name/%3Fnot-a-query/%23not-a-fragment'],
    ['100%25/done', 'https://api.example.com', 'https://api.example.com/100%25/done'],
    ['...', 'https://api.example.com', 'https://api.example.com/...'],
    ['.well-known/x', 'https://api.example.com', 'https://api.example.com/.well-known/x'],
    ['api/0/projects/', 'https://sentry.example.com', 'https://sentry.example.com/api/0/projects/'],
    ['contacts', 'http://127.0.0.1:4000/sandbox/api', 'http://127.0.0.1:4000/sandbox/api/contacts'],
  ])('%s under %s', (rawPath, base, expected) => {
    expect(upstreamUrl(base, rawPath, '', {}).href).toBe(expected);
    // The joined text itself, as the request line carries it (most paths skip the URL parser).
    const { origin, path } = joinUpstreamUrl(base, rawPath, '', {});
    expect(`${origin}${path}`).toBe(expected);
  });

  it('encodes what the URL parser would encode, for paths and queries outside the plain characters', () => {
    expect(joinUpstreamUrl('https://api.example.com', 'caf\u00e9/{x}', "q='a b'&r=\u2713", {})).toEqual({
      origin: 'https://api.example.com',
      path: '/caf%C3%A9/%7Bx%7D?q=%27a%20b%27&r=%E2%9C%93',
    });
  });

  it('answers the base URL itself for an empty path', () => {
    expect(upstreamUrl('https://slack.com/api', '', '', {}).href).toBe('https://slack.com/api');
    expect(upstreamUrl('https://api.hubapi.com', '', '', {}).href).toBe('https://api.hubapi.com/');
  });

  it('keeps the query as it came, byte for byte', () => {
    const url = upstreamUrl('https://api.example.com', 'search', 'q=a%20b+c&fields=a,b&flag&empty=&x=%E2%9C%93', {});
    expect(url.search).toBe('?q=a%20b+c&fields=a,b&flag&empty=&x=%E2%9C%93');
  });

  it('appends the credential query after the caller query', () => {
    const url = upstreamUrl('https://api.example.com', 'v1/items', 'limit=10', { api_key: 'k&y=1 2' });
    expect(url.href).toBe('https://api.example.com/v1/items?limit=10&api_key=k%26y%3D1%202');
    expect(url.searchParams.get('api_key')).toBe('k&y=1 2');
  });

  it('lets the credential query replace any same-named caller param, however it is spelled', () => {
    const url = upstreamUrl('https://api.example.com', 'v1/items', 'api_key=mine&limit=10&API_KEY=x&api%5Fkey=y&api_key', { api_key: 'real' });
    expect(url.search).toBe('?limit=10&api_key=real');
    expect(url.searchParams.getAll('api_key')).toEqual(['real']);
  });

  it('sets no query when there is none', () => {
    expect(upstreamUrl('https://api.example.com', 'v1', '', {}).href).toBe('https://api.example.com/v1');
  });
});

describe('upstreamUrl refuses paths that could leave the base', () => {
  it.each([
    ['an absolute https URL', 'https://evil.com/x'],
    ['an absolute http URL', 'http://evil.com'],
    ['a scheme without slashes', 'https:evil.com'],
    ['a javascript: scheme', 'javascript:alert(1)'],
    ['a mixed-case scheme', 'HtTpS:evil.com'],
    ['a scheme once decoded', 'https%3Aevil.com'],
    ['a scheme with an encoded letter', '%68ttps:evil.com'],
    ['a scheme-relative URL', '//evil.com'],
    ['a leading slash', '/evil.com'],
    ['a lone slash', '/'],
    ['an empty inner segment', 'a//b'],
    ['two trailing slashes', 'a//'],
    ['a dot segment', './a'],
    ['a dot-dot segment', '../admin'],
    ['an inner dot-dot segment', 'v1/../../admin'],
    ['a trailing dot-dot segment', 'v1/..'],
    ['an encoded dot-dot', '%2e%2e/admin'],
    ['an upper-case encoded dot-dot', '%2E%2E/admin'],
    ['a half-encoded dot-dot', '.%2e/admin'],
    ['a double-encoded dot-dot', '%252e%252e/admin'],
    ['a triple-encoded dot-dot', '%25252e%25252e/admin'],
    ['an encoded dot', 'a/%2e/b'],
    ['a Java path-parameter dot-dot', 'v1/..;/admin'],
    ['an encoded slash', '..%2fadmin'],
    ['an upper-case encoded slash', 'a%2Fb'],
    ['a double-encoded slash', 'a%252fb'],
    ['an encoded backslash', 'a%5cb'],
    ['an upper-case encoded backslash', '..%5C..%5Cadmin'],
    ['a backslash', 'a\\b'],
    ['a backslash start', '\\\\evil.com'],
    ['a raw CR LF', 'a\r\nHost: evil.com'],
    ['an encoded CR LF', 'a%0d%0aHost:%20evil.com'],
    ['a double-encoded LF', 'a%250a'],
    ['an encoded NUL', 'a%00b'],
    ['a raw NUL', 'a\u0000b'],
    ['a raw tab', 'a\tb'],
    ['an encoded DEL', 'a%7f'],
    ['a fragment', 'a#b'],
    ['a second query', 'a?b=1'],
    ['a malformed escape', 'a%zz'],
    ['a lone percent', 'a%'],
    ['a truncated escape', 'a%2'],
    ['absurdly nested encoding', '%2525252525252e'],
  ])('%s', (_name, rawPath) => {
    for (const base of BASES) {
      const error = refusal(() => upstreamUrl(base, rawPath, '', {}));
      expect(error.statusCode).toBe(400);
      expect(error.code).toBe('INVALID_PROXY_PATH');
      expect(error.details).toEqual({ field: 'path' });
    }
  });

  it.each([
    ['a raw LF', 'a=1\nb'],
    ['a raw CR', 'a=1\rb'],
    ['a raw NUL', 'a=1\u0000b'],
    ['a raw fragment', 'a=1#frag'],
  ])('refuses a query with %s', (_name, rawQuery) => {
    const error = refusal(() => upstreamUrl('https://api.example.com', 'v1', rawQuery, {}));
    expect(error.code).toBe('INVALID_PROXY_PATH');
    expect(error.details).toEqual({ field: 'query' });
  });

  it('keeps encoded line breaks in a query as data, still encoded (multi-line SOQL, message text)', () => {
    const url = upstreamUrl('https://x.my.salesforce.com/services/data/v59.0', 'query', 'q=SELECT+Id%0AFROM+Account%0D%0A', {});
    expect(url.search).toBe('?q=SELECT+Id%0AFROM+Account%0D%0A');
  });

  it('keeps a colon in a first segment that is not a URL scheme (Google-style custom methods)', () => {
    expect(upstreamUrl('https://people.googleapis.com/v1', 'people:searchContacts', 'query=a', {}).href).toBe(
      'https://people.googleapis.com/v1/people:searchContacts?query=a',
    );
  });

  it('never names the credential in an error', () => {
    const error = refusal(() => upstreamUrl('https://api.example.com', '../x', 'a=1', { api_key: 'sk_live_secret' }));
    expect(JSON.stringify({ message: error.message, ...error.details })).not.toContain('sk_live_secret');
  });
});

describe('upstreamUrl always stays on the base origin and under its path', () => {
  const paths = [
    '', 'v1/charges', 'a/b/c/', 'x:y', 'files/a%20b.txt', '%2e%2e', '..', '//evil.com', '/evil.com', 'https://evil.com',
    '@evil.com', 'a@evil.com/x', ':80/x', '%40evil.com', '?x', ';x', 'a/b;c=../d', '%2e', '.', 'a/.', 'x/%2e%2E/y',
    '\\evil.com', '%5cevil.com', '%00', 'a%', '%u002e%u002e', 'a/%252E%252E/b', 'a?b=1', 'ａ/ｂ',
  ];
  it.each(BASES)('for %s', (base) => {
    const parsed = new URL(base);
    let accepted = 0;
    for (const rawPath of paths) {
      let url: URL;
      try {
        url = upstreamUrl(base, rawPath, 'q=1', { key: 'v' });
      } catch (error) {
        expect(error).toBeInstanceOf(ApiError);
        continue;
      }
      expect(url.origin).toBe(parsed.origin);
      expect(url.username).toBe('');
      expect(`${url.pathname}/`.startsWith(`${parsed.pathname.replace(/\/$/, '')}/`)).toBe(true);
      expect(url.hash).toBe('');
      expect(url.searchParams.get('key')).toBe('v');
      accepted++;
    }
    expect(accepted).toBeGreaterThanOrEqual(8);
  });
});

describe('joinUpstreamUrl on its own (the checks already ran, or were skipped by mistake)', () => {
  it.each(['../admin', 'v1/../../admin', '%2e%2e/admin', 'a/%2E%2e/%2e%2e/b', '..', './..'])(
    'still refuses %s, which would leave the base',
    (rawPath) => {
      expect(refusal(() => joinUpstreamUrl('https://api.example.com/v1', rawPath, '', {})).code).toBe('INVALID_PROXY_PATH');
    },
  );

  it('joins an ordinary path with dots inside segments as text', () => {
    expect(joinUpstreamUrl('https://api.example.com/v1', 'files/report..v2.pdf', 'a=1', {})).toEqual({ origin: 'https://api.example.com', path: '/v1/files/report..v2.pdf?a=1' });
  });
});
