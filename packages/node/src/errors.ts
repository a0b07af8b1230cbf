/**
 * Errors of @switchboard/node. Every error this package throws is a SwitchboardError with a stable `code`, so a
 * caller can branch on `error.code` without parsing messages. No message ever carries a user token, a secret key
 * or a private key: errors end up in logs.
 */
import type { ErrorCode } from '@switchboard/wire';

/** Codes this client raises itself, before or instead of an answer; the server never answers them. */
export type ClientErrorCode =
  | 'INVALID_OPTIONS'
  | 'INVALID_USER_TOKEN'
  | 'INVALID_SECRET_KEY'
  | 'INVALID_ADMIN_KEY'
  | 'INVALID_PRIVATE_KEY'
  | 'INVALID_USER_ID'
  | 'INVALID_EXPIRES_IN'
  | 'INVALID_AUDIENCE'
  | 'INVALID_KEY_ID'
  | 'INVALID_PERMISSIONS'
  | 'NETWORK_ERROR'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'HTTP_ERROR';

/**
 * `error.code`: one of the server's codes (ErrorCode, from @switchboard/wire's table, documented in docs/api.md),
 * one of this client's own, or a code a newer server answers that this client does not know yet. `string & {}`
 * keeps such a code assignable without collapsing the union to `string`, so editors still complete the known ones.
 */
export type SwitchboardErrorCode = ErrorCode | ClientErrorCode | (string & {});

/** A problem found by this client itself: bad input, bad options, a network failure, an unknown integration. */
export class SwitchboardError extends Error {
  /** A stable, machine-readable code, e.g. `INVALID_USER_ID`, `NETWORK_ERROR`, `INTEGRATION_NOT_FOUND`. */
  readonly code: SwitchboardErrorCode;

  constructor(code: SwitchboardErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SwitchboardError';
    this.code = code;
  }
}

/**
 * The server answered with a non-2xx status. For Switchboard's own errors (marked by the `X-Switchboard-Error`
 * header) `code`, `message` and `field` come from its `{ message, code, field? }` error shape; for a Proxy API call
 * the answer may be the provider's own, in which case `body` holds what the provider sent and `code` is `HTTP_ERROR`,
 * whatever the provider's body says.
 */
export class SwitchboardApiError extends SwitchboardError {
  /** The HTTP status of the answer. */
  readonly status: number;
  /** The input field at fault, when the server named one (e.g. `publicKeyPem`, `payload.apiKey`). */
  readonly field: string | undefined;
  /** The answer's body, parsed like a successful answer would be (JSON, text or a Buffer); undefined when empty. */
  readonly body: unknown;
  /** The answer's headers, names in lower case. */
  readonly headers: Record<string, string>;

  constructor(init: { status: number; code: SwitchboardErrorCode; message: string; field?: string | undefined; body: unknown; headers: Record<string, string> }) {
    super(init.code, init.message);
    this.name = 'SwitchboardApiError';
    this.status = init.status;
    this.field = init.field;
    this.body = init.body;
    this.headers = init.headers;
  }
}

/** The code given to a non-2xx answer that is not Switchboard's own (typically a provider's answer through the proxy). */
export const GENERIC_HTTP_ERROR_CODE = 'HTTP_ERROR' satisfies ClientErrorCode;

/** Switchboard sets this header on the errors it produces itself (and strips it from providers' answers). */
const ERROR_CODE_HEADER = 'x-switchboard-error';

/** Builds the error for a non-2xx answer; `what` names the call (method and path, never the query or a secret). */
export function apiErrorFrom(status: number, body: unknown, headers: Record<string, string>, what: string): SwitchboardApiError {
  const own = headers[ERROR_CODE_HEADER];
  const shape = body !== null && typeof body === 'object' && !Array.isArray(body) && !Buffer.isBuffer(body) ? (body as Record<string, unknown>) : {};
  const code = own || GENERIC_HTTP_ERROR_CODE;
  const detail = typeof shape.message === 'string' && shape.message !== '' ? shape.message : `the server answered ${status}`;
  return new SwitchboardApiError({
    status,
    code,
    message: `${what} failed with ${status}: ${detail}`,
    field: own && typeof shape.field === 'string' ? shape.field : undefined,
    body,
    headers,
  });
}
