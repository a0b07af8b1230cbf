import type { FastifyReply } from 'fastify';

/**
 * Names the `code` of every error response Switchboard itself produces. A proxied provider's answer never carries
 * it (the proxy drops `x-switchboard-*` from upstream responses), so a client can tell Switchboard's own refusal
 * (an expired user token, an account that must reconnect) from a provider's 401 passed through.
 */
export const ERROR_CODE_HEADER = 'x-switchboard-error';

/** The one error shape, `{ message, code }` (plus `field` and other safe details), with its header. */
export interface ErrorBody {
  message: string;
  code: string;
  [detail: string]: unknown;
}

/** Sends an error response: the status, the `X-Switchboard-Error` header and the `{ message, code }` body. */
export function sendError(reply: FastifyReply, statusCode: number, body: ErrorBody): FastifyReply {
  return reply.code(statusCode).header(ERROR_CODE_HEADER, body.code).send(body);
}
