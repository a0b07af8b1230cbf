import { ProviderError } from './errors.js';

/**
 * How the engine reaches a provider: the global fetch by default; for custom integrations the server passes one
 * whose connections refuse private addresses (see network-policy.ts).
 */
export type OutboundFetch = (input: string | URL, init: RequestInit) => Promise<Response>;

/** The code a refused connection carries (set by the server's guarded DNS lookup). */
export const ADDRESS_BLOCKED = 'UPSTREAM_ADDRESS_BLOCKED';

/** How long one request to a provider may take before it counts as unavailable. */
export const PROVIDER_TIMEOUT_MS = 10_000;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Plain http is allowed only to this machine (the local sandbox, test simulators); everything else is https. */
export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && (LOOPBACK_HOSTS.has(url.hostname) || /^127(\.\d{1,3}){3}$/.test(url.hostname));
}

/** A response body as JSON when it parses, form fields when form-encoded (GitHub without Accept), else text. */
export async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** True for fetch's network failures and timeouts. */
export function isNetworkFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === 'TimeoutError' || error.name === 'AbortError' || (error instanceof TypeError && error.message === 'fetch failed');
}

/** Wraps a network failure or timeout as `unavailable`; the message names no URL (it may carry a token). */
export function unavailable(integrationName: string, what: string, error: unknown): ProviderError {
  if (isAddressBlocked(error)) return new ProviderError('blocked', `${integrationName}: ${what} was refused: the address is private or local`);
  const reason = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError') ? 'timed out' : 'could not be reached';
  return new ProviderError('unavailable', `${integrationName}: ${what} ${reason}`);
}

/** fetch wraps the connect error: `TypeError('fetch failed', { cause })`, sometimes one level deeper. */
function isAddressBlocked(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth += 1) {
    if ((e as { code?: unknown }).code === ADDRESS_BLOCKED) return true;
  }
  return false;
}
