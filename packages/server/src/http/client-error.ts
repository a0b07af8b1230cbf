import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES, type OneStatusCode } from '../errors.js';
import { ERROR_CODE_HEADER, type ErrorBody } from './error-reply.js';

/** An answer of the raw socket: its status is the table's for its code. */
interface ClientErrorAnswer extends ErrorBody<OneStatusCode> {}

/** Node's parser errors (llhttp codes) in our words. */
const CLIENT_ERRORS: Record<string, ClientErrorAnswer> = {
  HPE_HEADER_OVERFLOW: { code: 'HEADERS_TOO_LARGE', message: 'The request headers are too large' },
  HPE_INVALID_CONTENT_LENGTH: { code: 'INVALID_CONTENT_LENGTH', message: 'The Content-Length header is not valid' },
  HPE_UNEXPECTED_CONTENT_LENGTH: { code: 'INVALID_CONTENT_LENGTH', message: 'The Content-Length header is not valid' },
  HPE_INVALID_HEADER_TOKEN: { code: 'INVALID_HEADER', message: 'A header name or value contains a character HTTP does not allow' },
  ERR_HTTP_REQUEST_TIMEOUT: { code: 'REQUEST_TIMEOUT', message: 'The request did not arrive in time' },
};
const MALFORMED: ClientErrorAnswer = { code: 'MALFORMED_REQUEST', message: 'The request is not valid HTTP' };

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refuses (headers too large, a bad Content-Length, a
 * NUL in a header) never reaches a route, so it is answered here, on the raw socket, in the one error shape with
 * `X-Switchboard-Error`. The connection is closed after: the parser cannot tell where the next request would start.
 */
export function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  // A connection reset: nobody is left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const body = CLIENT_ERRORS[error.code ?? ''] ?? MALFORMED;
  const status = ERROR_CODES[body.code].status;
  this.log.debug({ code: error.code, status }, 'refused a malformed request');
  if (socket.writable) {
    const json = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(json)}\r\n` +
        `${ERROR_CODE_HEADER}: ${body.code}\r\n` +
        'Connection: close\r\n\r\n' +
        json,
    );
  }
  socket.destroy(error);
}
