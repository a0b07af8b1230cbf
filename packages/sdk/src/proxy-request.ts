import type { ApiClient } from './api-client.js';
import { switchboardErrorOf } from './api-client.js';
import { RequestError, SwitchboardError } from './errors.js';
import type { RequestOptions } from './types.js';

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);

/**
 * The body as fetch sends it. Objects and arrays become JSON. Text and bytes without a type are sent as
 * `Content-Type: auto`, which asks the Proxy API to infer the type from the body (as the reference SDK does).
 * FormData, URLSearchParams and Blob bodies get their type (and multipart boundary) from fetch itself.
 */
function encodeBody(body: unknown, headers: Headers): BodyInit | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
    if (!headers.has('Content-Type')) headers.set('Content-Type', 'auto');
    return body as BodyInit;
  }
  if (body instanceof Blob || body instanceof FormData || body instanceof URLSearchParams) return body;
  if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
  return JSON.stringify(body);
}

/** The answer's body: JSON parsed, text as a string, anything else as a Blob; no body is undefined. */
async function readBody(response: Response, method: string): Promise<unknown> {
  if (method === 'HEAD' || response.status === 204 || response.status === 205 || response.status === 304) return undefined;
  const type = response.headers.get('Content-Type') ?? '';
  if (/[/+]json\b/i.test(type)) {
    const text = await response.text();
    if (!text) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  if (/^text\/|[/+]xml\b|javascript|x-www-form-urlencoded/i.test(type)) return response.text();
  const blob = await response.blob();
  return blob.size === 0 ? undefined : blob;
}

/** The reference platform wraps some answers as `{ output }`; its SDK unwraps them, and so does this one. */
const unwrap = (body: unknown) => (isPlainObject(body) && Object.keys(body).length === 1 && 'output' in body ? body.output : body);

/**
 * The provider path as a URL path under the proxy route. Dot segments are refused here, as the Proxy API refuses
 * them: the browser would resolve `../` (even encoded as `%2E%2E`) before sending and reach another route.
 */
function proxyPath(path: string): string {
  const queryAt = path.search(/[?#]/);
  const pathname = queryAt === -1 ? path : path.slice(0, queryAt);
  // Browsers drop tabs and newlines from URLs and read `\` as `/`: check the path as they will send it.
  const sent = pathname.replace(/[\t\n\r]/g, '');
  if (sent.split(/[/\\]/).some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) {
    throw new SwitchboardError('The path must not contain . or .. segments', 'INVALID_PROXY_PATH', 400, 'path');
  }
  return path.replace(/^\/+/, '');
}

/**
 * `request()`: calls the integration's API through the Proxy API. A non-2xx answer rejects with a RequestError
 * carrying the status and body; `onAccountRefused` runs on a 401 or 403, so the caller can reload the user state
 * (the account may have been marked invalid).
 */
export async function proxyRequest(
  api: ApiClient,
  integrationType: string,
  path: string,
  options: RequestOptions,
  onAccountRefused: () => void,
): Promise<unknown> {
  const method = (options.method ?? 'GET').toUpperCase();
  const headers = new Headers(options.headers);
  if (options.selectedCredentialId) headers.set('X-Paragon-Credential', options.selectedCredentialId);
  if (!headers.has('Accept')) headers.set('Accept', '*/*');
  const body = encodeBody(options.body, headers);
  const response = await api.send(`/proxy/${encodeURIComponent(integrationType)}/${proxyPath(path)}`, {
    method,
    headers,
    ...(body !== undefined && { body }),
  });
  if (response.ok) return unwrap(await readBody(response, method));

  if (response.status === 401 || response.status === 403) onAccountRefused();
  const own = await switchboardErrorOf(response.clone());
  const answer = await readBody(response, method);
  const responseHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => (responseHeaders[name] = value));
  throw new RequestError(
    own?.message ?? `${integrationType} answered ${response.status} to ${method} ${path}`,
    response.status,
    answer,
    responseHeaders,
    own?.code,
  );
}
