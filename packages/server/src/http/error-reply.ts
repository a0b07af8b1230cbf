import type { FastifyReply } from 'fastify';
import type { ErrorStatus, HttpErrorCode } from '../errors.js';

/**
 * Names the `code` of every error response Switchboard itself produces. A proxied provider's answer never carries
 * it (the proxy drops `x-switchboard-*` from upstream responses), so a client can tell Switchboard's own refusal
 * (an expired user token, an account that must reconnect) from a provider's 401 passed through.
 */
export const ERROR_CODE_HEADER = 'x-switchboard-error';

/** The one error shape, `{ message, code }` (plus `field` and other safe details), with its header. */
export interface ErrorBody<C extends HttpErrorCode = HttpErrorCode> {
  message: string;
  /** A code of ERROR_CODES (packages/wire/src/error-codes.ts): any other is a compile error. */
  code: C;
  [detail: string]: unknown;
}

/**
 * Sends an error response: the status, the `X-Switchboard-Error` header and the `{ message, code }` body. The status
 * must be one ERROR_CODES gives the code.
 */
export function sendError<C extends HttpErrorCode>(reply: FastifyReply, statusCode: ErrorStatus<C>, body: ErrorBody<C>): FastifyReply {
  return reply.code(statusCode).header(ERROR_CODE_HEADER, body.code).send(body);
}
