import { LRUCache } from 'lru-cache';
import { apiError } from '../errors.js';

/**
 * The provider URL a Proxy API request goes to: the integration's API base URL, '/', the caller's path exactly as
 * it arrived, the caller's query, then the credential's query params.
 *
 * The path is joined as text, never resolved like a link (`new URL(path, base)`), and anything that could make
 * the provider (or a server in front of it) resolve it outside the base is refused rather than cleaned up:
 * - an absolute URL at the start (`https:`, `x://`, `javascript:`), even once decoded;
 * - an empty segment anywhere but the very end: a leading one (`/evil.com`, `//evil.com`) would give
 *   `base//evil.com`, which some servers and clients read as another host; an inner one (`a//b`) is collapsed or
 *   not depending on the provider's stack, so the same request could mean two things. A single trailing slash
 *   (`items/`) stays allowed: REST APIs built on e.g. Django require it;
 * - `.` and `..` segments (also `..;`, which Java servers read as `..`), once decoded any number of times: a
 *   proxy or framework in front of the provider may decode again before normalising;
 * - encoded slashes and backslashes, backslashes, `#`, `?`, control characters raw or encoded, malformed `%`
 *   (in the query only raw control characters and `#`: see checkQuery).
 * Ordinary paths pass byte-for-byte.
 *
 * `baseUrl` is absolute, without a trailing slash, query or fragment. `rawPath` is what followed
 * `/proxy/<integration type>/` on the wire (no leading slash removed); `rawQuery` is the query without `?`.
 */
export function upstreamUrl(baseUrl: string, rawPath: string, rawQuery: string, credentialQuery: Readonly<Record<string, string>>): URL {
  checkProxyTarget(rawPath, rawQuery);
  const { origin, path } = joinUpstreamUrl(baseUrl, rawPath, rawQuery, credentialQuery);
  return new URL(`${origin}${path}`);
}

/** Where a proxied request goes: the provider's origin, and the path with its query as the request line carries them. */
export interface UpstreamLocation {
  origin: string;
  path: string;
}

/**
 * Characters that the URL parser leaves as they are, in a path (RFC 3986 pchar and `/`) and in a query (also `?`;
 * not `'`, which it encodes there). A path and query made only of these, once checkProxyTarget passed them, join as
 * plain text to exactly what `new URL()` would give: no parse is needed on the common call.
 */
const PLAIN_PATH = /^[\w\-.~!$&'()*+,;=:@%/]*$/;
/** A `.` or `..` segment, plain or percent-encoded (`%2e`), which the URL parser would resolve: never joined as text. */
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;
const PLAIN_QUERY = /^[\w\-.~!$&()*+,;=:@%/?]*$/;

/**
 * The join alone, for a caller that ran `checkProxyTarget` once already (the proxy checks before any other work,
 * then joins per attempt). Still refuses a result outside the base.
 */
export function joinUpstreamUrl(baseUrl: string, rawPath: string, rawQuery: string, credentialQuery: Readonly<Record<string, string>>): UpstreamLocation {
  const base = parsedBase(baseUrl);
  const query = joinQuery(rawQuery, credentialQuery);
  const path = rawPath === '' ? base.path || '/' : `${base.path}/${rawPath}`;
  if (PLAIN_PATH.test(rawPath) && !DOT_SEGMENT.test(rawPath) && PLAIN_QUERY.test(query)) return { origin: base.origin, path: query ? `${path}?${query}` : path };

  const url = new URL(`${base.origin}${path}`);
  if (query) url.search = `?${query}`;
  // Unreachable after checkProxyTarget; kept so that a gap in it can never send a credential elsewhere.
  const insideBase = url.pathname === (base.path || '/') || url.pathname.startsWith(`${base.path}/`);
  if (url.origin !== base.origin || !insideBase || url.hash) {
    throw invalidPath('The path must stay under the integration API base URL');
  }
  return { origin: base.origin, path: `${url.pathname}${url.search}` };
}

/** API base URLs parsed once: a process proxies to a few hundred at most, each on every call. */
const bases = new LRUCache<string, { origin: string; path: string }>({ max: 1_000 });

function parsedBase(baseUrl: string): { origin: string; path: string } {
  const known = bases.get(baseUrl);
  if (known) return known;
  const base = new URL(baseUrl);
  if (base.search || base.hash || baseUrl.includes('#') || baseUrl.includes('?')) {
    // An integration definition mistake, not the caller's: a 500 with the details in the log.
    throw new Error('An integration API base URL must not have a query or fragment');
  }
  const parsed = { origin: base.origin, path: base.pathname.replace(/\/$/, '') };
  bases.set(baseUrl, parsed);
  return parsed;
}

const MAX_DECODE_ROUNDS = 5;

/**
 * A URL with an authority (`x://host`) or a scheme that names a resource by itself. A colon in a first segment is
 * otherwise ordinary (`people:searchContacts` under a `/v1` base), and the path is joined as text, never resolved.
 */
const ABSOLUTE_URL = /^(?:[a-zA-Z][a-zA-Z0-9+.-]*:\/\/|(?:https?|wss?|ftp|file|data|javascript|vbscript|blob|gopher|mailto|jar|about):)/i;

function checkPath(rawPath: string): void {
  if (rawPath === '') return;
  if (/%(?![0-9a-fA-F]{2})/.test(rawPath)) throw invalidPath('The path has a malformed percent-encoding');
  if (rawPath.includes('#')) throw invalidPath('The path must not contain "#"');
  // The caller splits the query off first; a `?` left here would be a second query the URL parser would swallow.
  if (rawPath.includes('?')) throw invalidPath('The path must not contain "?"');

  for (const form of decodedForms(rawPath)) {
    if (hasControlCharacter(form)) throw invalidPath('The path must not contain control characters');
    if (form.includes('\\') || /%5c/i.test(form)) throw invalidPath('The path must not contain backslashes');
    if (/%2f/i.test(form)) throw invalidPath('The path must not contain encoded slashes');

    const segments = form.split('/');
    if (ABSOLUTE_URL.test(form)) {
      throw invalidPath('The path must be relative to the integration API base URL, not an absolute URL');
    }
    segments.forEach((segment, index) => {
      const isTrailingSlash = index === segments.length - 1 && index > 0;
      if (segment === '' && !isTrailingSlash) throw invalidPath('The path must not contain empty segments ("//" or a leading "/")');
      const name = segment.split(';')[0];
      if (name === '.' || name === '..') throw invalidPath('The path must not contain "." or ".." segments');
    });
  }
}

/** The checks `upstreamUrl` makes on the caller's part, for refusing a request before any work is done for it. */
export function checkProxyTarget(rawPath: string, rawQuery: string): void {
  const key = `${rawPath}?${rawQuery}`;
  if (checked.has(key)) return;
  checkPath(rawPath);
  checkQuery(rawQuery);
  checked.set(key, true);
}

/**
 * Paths and queries that passed the checks lately: an app calls the same few endpoints all day, and the checks
 * (several decoding rounds, many patterns) are a pure function of the text. Bounded by total length, not count.
 */
const checked = new LRUCache<string, true>({ maxSize: 4 * 1024 * 1024, sizeCalculation: (_value, key) => key.length + 64 });

/**
 * Raw control characters only: encoded ones (`%0A` in a multi-line SOQL query, Slack message text) are data to the
 * provider and cannot split the HTTP request, since the query goes on the wire still encoded.
 */
function checkQuery(rawQuery: string): void {
  if (rawQuery.includes('#')) throw apiError('INVALID_PROXY_PATH', 'The query must not contain "#"', { field: 'query' });
  if (hasControlCharacter(rawQuery)) {
    throw apiError('INVALID_PROXY_PATH', 'The query must not contain control characters', { field: 'query' });
  }
}

/**
 * The text, then the text percent-decoded once, twice... until it stops changing. Decoding is bytewise (`%e9`
 * becomes U+00E9, not a UTF-8 error): every character checked for is ASCII, and ASCII bytes never occur inside
 * a UTF-8 sequence. A `%` not followed by two hex digits is left as it is.
 */
function decodedForms(text: string): string[] {
  const forms = [text];
  let current = text;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const next = current.replace(/%([0-9a-fA-F]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    if (next === current) return forms;
    forms.push(next);
    current = next;
  }
  throw invalidPath('The path is percent-encoded too many times');
}

// C0 controls (CR, LF, NUL, TAB...) and DEL.
const hasControlCharacter = (text: string) => /[\u0000-\u001f\u007f]/.test(text);

const invalidPath = (message: string) => apiError('INVALID_PROXY_PATH', message, { field: 'path' });

/**
 * The caller's query as it came, minus any param the credential sets (compared by decoded, case-insensitive name,
 * so `API_KEY` or `api%5Fkey` cannot ride along beside the real `api_key`), then the credential's params.
 */
function joinQuery(rawQuery: string, credentialQuery: Readonly<Record<string, string>>): string {
  const { names, added } = credentialQueryParts(credentialQuery);
  if (names.size === 0) return rawQuery;
  const kept = rawQuery === '' ? [] : rawQuery.split('&').filter((pair) => !names.has(formDecode(pair.split('=')[0] ?? '').toLowerCase()));
  return [...kept, added].join('&');
}

/** A credential's query params, lower-cased names and encoded text; prepared credential queries are frozen and reused. */
const preparedQueries = new WeakMap<object, { names: ReadonlySet<string>; added: string }>();
function credentialQueryParts(credentialQuery: Readonly<Record<string, string>>): { names: ReadonlySet<string>; added: string } {
  const known = preparedQueries.get(credentialQuery);
  if (known) return known;
  const parts = {
    names: new Set(Object.keys(credentialQuery).map((name) => name.toLowerCase())),
    added: Object.entries(credentialQuery)
      .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
      .join('&'),
  };
  if (Object.isFrozen(credentialQuery)) preparedQueries.set(credentialQuery, parts);
  return parts;
}

function formDecode(text: string): string {
  const plain = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plain);
  } catch {
    return plain;
  }
}
