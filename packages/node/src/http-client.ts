import { apiErrorFrom, SwitchboardError } from './errors.js';
import type { EncodedBody } from './request-body.js';
import { headersObject, readResponseBody } from './response-body.js';

/**
 * The one HTTP client both API clients stand on: Node's global fetch, a bearer credential per call, Switchboard's
 * `{ message, code }` errors turned into SwitchboardApiError, and network failures and timeouts turned into
 * SwitchboardError. No credential ever appears in an error message.
 */

/** Default time a call may take, answer body included. Long enough for a slow provider behind the proxy. */
export const DEFAULT_TIMEOUT_MS = 60_000;

const USER_AGENT = 'switchboard-node/0.1.0';

/** A bearer credential, or a function that returns a fresh one for each call. */
export type CredentialSource = string | (() => string | Promise<string>);

export interface HttpClientOptions {
  /** The Switchboard server, e.g. `https://switchboard.example.com` (a trailing slash or a path prefix is fine). */
  host: string;
  credential: CredentialSource;
  /** What the credential is, for error messages and codes. */
  credentialName: 'user token' | 'secret key' | 'admin key';
  /** Per-call limit in milliseconds; 0 for none. Default {@link DEFAULT_TIMEOUT_MS}. */
  timeoutMs?: number | undefined;
}

export interface CallOptions {
  method: string;
  /** The path below the host, starting with `/`; its query string (if any) stays out of error messages. */
  path: string;
  /** A JSON body. */
  json?: unknown;
  /** An already encoded body (Proxy API). */
  body?: EncodedBody;
  headers?: Record<string, string> | Headers | undefined;
  signal?: AbortSignal | undefined;
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface HttpClient {
  /** Sends the call; resolves with a 2xx answer, rejects with SwitchboardApiError for any other status. */
  call(options: CallOptions): Promise<Answer>;
  /** The normalised base URL (no trailing slash), for messages and docs. */
  readonly baseUrl: string;
}

/** `https://host/prefix/` → `https://host/prefix`; refuses what fetch would refuse later with a vaguer message. */
export function normaliseHost(host: unknown): string {
  if (typeof host !== 'string' || host.trim() === '') throw new SwitchboardError('INVALID_OPTIONS', 'host must be the URL of the Switchboard server, e.g. https://switchboard.example.com');
  let url: URL;
  try {
    url = new URL(host.trim());
  } catch {
    throw new SwitchboardError('INVALID_OPTIONS', 'host must be an absolute http(s) URL, e.g. https://switchboard.example.com');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SwitchboardError('INVALID_OPTIONS', 'host must be an http: or https: URL');
  // Credentials in a URL end up in logs; fetch refuses them anyway.
  if (url.username || url.password) throw new SwitchboardError('INVALID_OPTIONS', 'host must not contain a user name or password');
  if (url.search || url.hash) throw new SwitchboardError('INVALID_OPTIONS', 'host must not contain a query string or fragment');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** The path without its query string: safe to show in a message. */
const pathForMessage = (path: string) => path.split('?')[0]!;

const CREDENTIAL_CODES = { 'user token': 'INVALID_USER_TOKEN', 'secret key': 'INVALID_SECRET_KEY', 'admin key': 'INVALID_ADMIN_KEY' } as const;

function checkCredential(value: unknown, name: HttpClientOptions['credentialName']): string {
  const code = CREDENTIAL_CODES[name];
  // A value with spaces or control characters would make fetch throw a message that quotes it.
  if (typeof value !== 'string' || !/^[\x21-\x7E]+$/.test(value)) {
    throw new SwitchboardError(code, `The ${name} must be a non-empty string of printable ASCII characters without spaces`);
  }
  return value;
}

function requestHeaders(given: CallOptions['headers']): Headers {
  const headers = new Headers();
  const entries = given instanceof Headers ? [...given.entries()] : Object.entries(given ?? {});
  for (const [name, value] of entries) {
    try {
      headers.set(name, value);
    } catch {
      // fetch's own message quotes the value, which may be a secret.
      throw new SwitchboardError('INVALID_HEADER', `The header ${JSON.stringify(name.slice(0, 100))} has an invalid name or value`);
    }
  }
  return headers;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const baseUrl = normaliseHost(options.host);
  const source = options.credential;
  if (typeof source !== 'function') checkCredential(source, options.credentialName);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new SwitchboardError('INVALID_OPTIONS', 'timeoutMs must be a number of milliseconds (0 for no limit)');
  }

  async function call(request: CallOptions): Promise<Answer> {
    const what = `${request.method} ${pathForMessage(request.path)}`;
    const credential = checkCredential(typeof source === 'function' ? await source() : source, options.credentialName);
    const headers = requestHeaders(request.headers);
    // Set last, so a caller's header can never replace the credential this client is built with.
    headers.set('authorization', `Bearer ${credential}`);
    if (!headers.has('user-agent')) headers.set('user-agent', USER_AGENT);
    let body: EncodedBody['body'];
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      headers.set('content-type', 'application/json');
      if (!headers.has('accept')) headers.set('accept', 'application/json');
    } else if (request.body?.body !== undefined) {
      body = request.body.body;
      if (request.body.contentType && !headers.has('content-type')) headers.set('content-type', request.body.contentType);
    }

    const timeout = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
    const signals = [timeout, request.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];

    try {
      const response = await fetch(`${baseUrl}${request.path}`, { method: request.method, headers, ...(body !== undefined && { body }), ...(signal && { signal }) });
      const answer = { status: response.status, headers: headersObject(response.headers), body: await readResponseBody(response, request.method) };
      if (response.status < 200 || response.status > 299) throw apiErrorFrom(answer.status, answer.body, answer.headers, what);
      return answer;
    } catch (error) {
      if (error instanceof SwitchboardError) throw error;
      if (timeout?.aborted) throw new SwitchboardError('TIMEOUT', `${what} took longer than ${timeoutMs} ms`, { cause: error });
      if (request.signal?.aborted) throw new SwitchboardError('ABORTED', `${what} was aborted`, { cause: request.signal.reason });
      throw new SwitchboardError('NETWORK_ERROR', `${what}: could not reach Switchboard at ${baseUrl} (${networkReason(error)})`, { cause: error });
    }
  }

  return { call, baseUrl };
}

/** `ECONNREFUSED`, `ENOTFOUND`… from fetch's `TypeError: fetch failed` and its cause. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
