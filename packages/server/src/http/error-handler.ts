import type { FastifyError, FastifyInstance } from 'fastify';
import pg from 'pg';
import { ApiError } from '../errors.js';

/** Our names for Fastify's own client errors. */
const FASTIFY_CODES: Record<string, string> = {
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

/**
 * Every error leaves as `{ message, code }` with the right status. Unknown errors are logged in full and answered
 * with a generic 500: no stack trace or internal detail reaches a client.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiError) {
      return reply.code(error.statusCode).send({ message: error.message, code: error.code, ...error.details });
    }
    if (error.validation) {
      const field = fieldOf(error);
      const first = error.validation[0];
      const what = (first?.params as { additionalProperty?: string })?.additionalProperty
        ? 'is not a known field'
        : first?.message ?? 'is invalid';
      return reply.code(400).send({ message: `${field ?? 'request'} ${what}`, code: 'VALIDATION_ERROR', ...(field && { field }) });
    }
    // Postgres text cannot hold a NUL character (SQLite can): such input is the client's mistake, not a 500.
    if (error instanceof pg.DatabaseError && error.code === '22021') {
      return reply.code(400).send({ message: 'Text must not contain NUL characters', code: 'INVALID_CHARACTER' });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors (bad JSON, body too large, unsupported media type): their messages are safe.
      return reply.code(status).send({ message: error.message, code: FASTIFY_CODES[error.code] ?? 'BAD_REQUEST' });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ message: 'Internal server error', code: 'INTERNAL_ERROR' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ message: `No route for ${request.method} ${request.url.split('?')[0]}`, code: 'ROUTE_NOT_FOUND' }),
  );
}
