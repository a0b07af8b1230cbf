import type { IncomingHttpHeaders } from 'node:http';
import { apiError } from '../errors.js';

/** Headers that describe one connection, not the message (RFC 9110 §7.6.1), in both directions. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** What the caller sent to Switchboard rather than to the provider (names as canonicalName spells them). */
const CALLER_ONLY = new Set([
  'host',
  'expect',
  // The caller's Switchboard user token; the provider gets the connected user's credential instead.
  'authorization',
  'cookie',
  'origin',
  'referer',
  'forwarded',
  'x-real-ip',
  // Some servers (IIS URL Rewrite, older frameworks) route by these: a caller could reach another path or method.
  'x-original-url',
  'x-rewrite-url',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
]);
const CALLER_ONLY_PREFIXES = ['x-forwarded-', 'x-paragon-', 'x-switchboard-'];

/**
 * A provider's headers that would act on Switchboard's origin in the browser rather than describe the answer:
 * cookies, CORS (Switchboard answers for its own origin), HSTS and Alt-Svc (they would pin Switchboard's host),
 * Clear-Site-Data (it would wipe Switchboard's storage, Connect Portal sessions included).
 */
const PROVIDER_ONLY = new Set(['set-cookie', 'set-cookie2', 'alt-svc', 'strict-transport-security', 'clear-site-data']);

/**
 * The headers to send the provider: the caller's, minus hop-by-hop and Switchboard's own, then the credential's,
 * which replace any caller header of the same name. `Content-Type: auto` is dropped: see inferContentType.
 */
export function upstreamRequestHeaders(
  incoming: IncomingHttpHeaders,
  credentialHeaders: Readonly<Record<string, string>>,
): Record<string, string | string[]> {
  const dropped = connectionTokens(incoming.connection);
  const credentialNames = credentialNamesOf(credentialHeaders);
  const headers: Record<string, string | string[]> = {};

  for (const rawName in incoming) {
    const value = incoming[rawName];
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    const canonical = callerHeaderVerdict(name);
    if (canonical === false || credentialNames.has(canonical) || dropped.has(canonical)) continue;
    if (canonical === 'content-type' && typeof value === 'string' && value.trim().toLowerCase() === 'auto') continue;
    checkValue(name, value, 'The header');
    headers[name] = value;
  }

  for (const rawName in credentialHeaders) {
    const value = credentialHeaders[rawName]!;
    const name = rawName.toLowerCase();
    // A pasted API key with a line break in it: undici would refuse it with a message nobody could act on.
    if (!checkedCredentialHeaders.has(credentialHeaders)) checkValue(name, value, "The connected user's credential for the header");
    headers[name] = value;
  }
  if (Object.isFrozen(credentialHeaders)) checkedCredentialHeaders.add(credentialHeaders);
  return headers;
}

/**
 * How many header names (and Connection values) are remembered per direction. The same few arrive on every
 * request; past the cap, say under a caller that makes up names, each is judged afresh, which changes no answer.
 * A plain Map: a lookup on every header of every call is cheaper than an LRU's bookkeeping.
 */
const REMEMBERED = 2_000;

/**
 * A caller header's canonical name when it may pass to the provider, false when it never may (hop-by-hop,
 * Switchboard's own): the same few names arrive on every request, so each is judged once.
 */
const callerVerdicts = new Map<string, string | false>();
const callerHeaderPasses = (canonical: string, name: string) =>
  !HOP_BY_HOP.has(canonical) && !CALLER_ONLY.has(canonical) && !name.startsWith(':') && !CALLER_ONLY_PREFIXES.some((prefix) => canonical.startsWith(prefix));
const callerHeaderVerdict = (name: string) => verdict(callerVerdicts, name, callerHeaderPasses);

/** A header name's canonical form when `passes` lets it through, else false; remembered per name in `verdicts`. */
function verdict(verdicts: Map<string, string | false>, name: string, passes: (canonical: string, name: string) => boolean): string | false {
  const known = verdicts.get(name);
  if (known !== undefined) return known;
  const canonical = canonicalName(name);
  const answer = passes(canonical, name) ? canonical : false;
  if (verdicts.size < REMEMBERED) verdicts.set(name, answer);
  return answer;
}

/** The canonical names of a credential's headers; prepared credential headers are frozen and reused, so once each. */
const credentialNameSets = new WeakMap<object, ReadonlySet<string>>();
/** Frozen credential headers whose values were checked already. */
const checkedCredentialHeaders = new WeakSet<object>();
function credentialNamesOf(credentialHeaders: Readonly<Record<string, string>>): ReadonlySet<string> {
  const known = credentialNameSets.get(credentialHeaders);
  if (known) return known;
  const names = new Set(Object.keys(credentialHeaders).map(canonicalName));
  if (Object.isFrozen(credentialHeaders)) credentialNameSets.set(credentialHeaders, names);
  return names;
}

/**
 * Switchboard's own response headers: `X-Switchboard-Error` says Switchboard refused the call, not the provider.
 * A provider must not be able to fake them.
 */
const SWITCHBOARD_RESPONSE_PREFIX = 'x-switchboard-';

/**
 * The provider's response headers to pass to the caller: as they came, minus hop-by-hop and origin-wide ones, CORS
 * headers and Switchboard's own; added to `into` (headers Switchboard set already, which the provider's replace).
 */
export function clientResponseHeaders(
  upstream: Record<string, string | string[] | undefined>,
  into: Record<string, string | string[]> = {},
): Record<string, string | string[]> {
  const dropped = connectionTokens(upstream['connection'] ?? upstream['Connection']);
  for (const rawName in upstream) {
    const value = upstream[rawName];
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    const canonical = providerHeaderVerdict(name);
    if (canonical === false || dropped.has(canonical)) continue;
    // Switchboard's `Vary: Origin` (CORS) must survive the provider's own Vary.
    into[name] = name === 'vary' && into.vary !== undefined ? `${String(into.vary)}, ${String(value)}` : value;
  }
  return into;
}

/** Like callerHeaderVerdict, for the provider's answer. */
const providerVerdicts = new Map<string, string | false>();
const providerHeaderPasses = (canonical: string) =>
  !HOP_BY_HOP.has(canonical) && !PROVIDER_ONLY.has(canonical) && !canonical.startsWith('access-control-') && !canonical.startsWith(SWITCHBOARD_RESPONSE_PREFIX);
const providerHeaderVerdict = (name: string) => verdict(providerVerdicts, name, providerHeaderPasses);

/**
 * The Content-Type for a body sent with `Content-Type: auto` (the SDK's "infer it"), from its first bytes.
 * Form encoding is never guessed: `a=b` is as likely plain text. An empty body counts as text.
 */
export function inferContentType(firstBytes: Buffer): string {
  let text: string;
  try {
    // `stream: true` so that a multi-byte character cut at the end of the first bytes is not an error.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(firstBytes, { stream: true });
  } catch {
    return 'application/octet-stream';
  }
  const body = text.replace(/^\uFEFF/, '').replace(/^[ \t\r\n]+/, '');
  if (body.startsWith('{') || body.startsWith('[')) return 'application/json';
  if (isJsonScalar(body)) return 'application/json';
  // Tab, LF and CR are text; any other control character means binary.
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) return 'application/octet-stream';
  return 'text/plain; charset=utf-8';
}

function isJsonScalar(text: string): boolean {
  if (text === '') return false;
  try {
    const value: unknown = JSON.parse(text);
    return value === null || typeof value !== 'object';
  } catch {
    return false;
  }
}

const NO_TOKENS: ReadonlySet<string> = new Set();

/** `Connection` values (`keep-alive` on nearly every answer), parsed once each. */
const tokenSets = new Map<string, ReadonlySet<string>>();
function connectionTokens(value: string | string[] | undefined): ReadonlySet<string> {
  if (value === undefined) return NO_TOKENS;
  const list = Array.isArray(value) ? value.join(',') : value;
  const known = tokenSets.get(list);
  if (known) return known;
  const tokens = new Set(list.split(',').map((token) => canonicalName(token.trim())).filter(Boolean));
  if (tokenSets.size < REMEMBERED) tokenSets.set(list, tokens);
  return tokens;
}

/**
 * A header name as the drop lists above spell it: lower case, `_` read as `-`. Many servers and frameworks (CGI
 * and everything built on it: PHP, Django, Rack, nginx with `underscores_in_headers`) turn both into the same
 * `HTTP_X_FORWARDED_FOR`, so `X_Forwarded_For` must not get past a list that names `x-forwarded-for`.
 */
const canonicalName = (name: string) => (name.includes('_') ? name.toLowerCase().replace(/_/g, '-') : name.toLowerCase());

/** What undici accepts in a header value (RFC 9110 field-vchar, obs-text, SP and HTAB); anything else is a 400. */
const INVALID_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

function checkValue(name: string, value: string | string[], subject: string): void {
  const values = Array.isArray(value) ? value : [value];
  if (values.some((one) => INVALID_HEADER_VALUE.test(one))) {
    throw apiError('INVALID_HEADER', `${subject} ${name} must not contain control characters (CR, LF, NUL...) or characters beyond Latin-1`, { field: name });
  }
}
