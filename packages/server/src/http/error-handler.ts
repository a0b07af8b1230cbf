import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import pg from 'pg';
import { misconfigured } from '../providers/provider-errors.js';
import { TemplateError } from '../providers/index.js';
import { ApiError, type ErrorStatus, type HttpErrorCode } from '../errors.js';
import { isDatabaseUnavailable } from '../storage/database-errors.js';
import { sendError, type ErrorBody } from './error-reply.js';

/** Our names for Fastify's own client errors. */
const FASTIFY_CODES: Record<string, HttpErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
};

/** The field a schema error is about, as a dotted path (`installOptions.preOptions`, `payload`). */
function fieldOf(error: FastifyError): string | undefined {
  const first = error.validation?.[0];
  if (!first) return undefined;
  const path = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const missing = (first.params as { missingProperty?: string }).missingProperty;
  const extra = (first.params as { additionalProperty?: string }).additionalProperty;
  const leaf = missing ?? extra;
  const base = path || (error.validationContext === 'body' ? '' : error.validationContext ?? '');
  return [base, leaf].filter(Boolean).join('.') || error.validationContext;
}

/** How an error is answered: its status, extra headers and `{ message, code }` body. */
export interface ErrorAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: ErrorBody;
}

interface ErrorLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/**
 * The answer to any error a request ends with. Unknown errors are logged in full and answered with a generic 500:
 * no stack trace or internal detail reaches a client.
 */
export function errorAnswer(thrown: unknown, log: ErrorLog): ErrorAnswer {
  const error = thrown as FastifyError;
  // A definition that cannot make a request (wherever it surfaced: proxy, refresh, actions) is not a server crash.
  const known = error instanceof TemplateError ? misconfigured(error) : error;
  if (known instanceof ApiError) {
    // What led to the refusal (a provider's failure, a parse error) is for the operator: the log, never the body.
    if (known.cause !== undefined) {
      log[known.statusCode >= 500 ? 'warn' : 'info']({ err: known.cause, code: known.code }, `answered ${known.code}`);
    }
    // A detail named `message` or `code` must not replace the error's own: the body and the header agree.
    const { message: _message, code: _code, ...details } = known.details;
    return { statusCode: known.statusCode, headers: known.headers, body: { message: known.message, code: known.code, ...details } };
  }
  if (error.validation) {
    const field = fieldOf(error);
    const first = error.validation[0];
    const what = (first?.params as { additionalProperty?: string })?.additionalProperty ? 'is not a known field' : (first?.message ?? 'is invalid');
    return { statusCode: 400, headers: {}, body: { message: `${field ?? 'request'} ${what}`, code: 'VALIDATION_ERROR', ...(field && { field }) } };
  }
  // Postgres text cannot hold a NUL character (SQLite can): such input is the client's mistake, not a 500.
  if (error instanceof pg.DatabaseError && error.code === '22021') {
    return { statusCode: 400, headers: {}, body: { message: 'Text must not contain NUL characters', code: 'INVALID_CHARACTER' } };
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // Fastify's own client errors (bad JSON, body too large, unsupported media type): their messages are safe.
    return { statusCode: status, headers: {}, body: { message: error.message, code: FASTIFY_CODES[error.code] ?? 'BAD_REQUEST' } };
  }
  if (isDatabaseUnavailable(error)) {
    // Postgres is restarting or out of reach: the client may retry, and the server serves again once it is back.
    log.warn({ error: error.message }, 'database unavailable');
    return { statusCode: 503, headers: { 'retry-after': '5' }, body: { message: 'The database is unavailable; retry shortly', code: 'DATABASE_UNAVAILABLE' } };
  }
  log.error({ err: error }, 'unhandled error');
  return { statusCode: 500, headers: {}, body: { message: 'Internal server error', code: 'INTERNAL_ERROR' } };
}

/** Every error leaves as `{ message, code }` with the right status and an `X-Switchboard-Error: <code>` header. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const answer = errorAnswer(error, request.log);
    return sendError(reply.headers(answer.headers), answer.statusCode as ErrorStatus<HttpErrorCode>, answer.body);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, { message: `No route for ${request.method} ${request.url.split('?')[0]}`, code: 'ROUTE_NOT_FOUND' }),
  );
}

/**
 * Fastify's `frameworkErrors`: a URL the router cannot decode (`/icons/%E0%A4%A`) or whose parameter is too long
 * would otherwise be answered by Fastify itself, in its own shape; these answer in ours.
 */
export function frameworkErrorHandler(error: FastifyError, _request: unknown, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    sendError(reply, 414, { message: 'The URL is too long', code: 'URL_TOO_LONG' });
  } else if (error.code === 'FST_ERR_BAD_URL') {
    sendError(reply, 400, { message: 'The URL is not valid (malformed percent-encoding)', code: 'INVALID_URL' });
  } else {
    sendError(reply, 500, { message: 'Internal server error', code: 'INTERNAL_ERROR' });
  }
}
