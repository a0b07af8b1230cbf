import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiError, tooManyRequests } from '../errors.js';
import { logCapture } from '../../test/support/log-capture.js';
import { frameworkErrorHandler, installErrorHandler } from './error-handler.js';

/** A small app with the error handler and the Fastify options of app.ts that shape errors, on real loopback HTTP. */
async function errorApp(): Promise<{ app: FastifyInstance; url: string; logs: string[] }> {
  const { lines: logs, stream } = logCapture();
  const app = Fastify({
    logger: { level: 'info', stream },
    bodyLimit: 64,
    routerOptions: { maxParamLength: 16 },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    frameworkErrors: frameworkErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();
  installErrorHandler(app);

  app.get('/api-error', async () => {
    throw apiError('INVALID_ORIGIN', 'allowedOrigins[0] is not an origin', { field: 'allowedOrigins[0]' });
  });
  app.get('/api-error-headers', async () => {
    throw tooManyRequests('RATE_LIMITED', 'Too many requests', 2.2);
  });
  // Details that name the error's own fields: the error's message and code must win over them.
  app.get('/api-error-clash', async () => {
    throw apiError('INTEGRATION_ALREADY_INSTALLED', 'This account is already connected', { code: 'SOMETHING_ELSE', message: 'a detail', field: 'credentialId' });
  });
  app.get('/api-error-cause', async () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 192.0.2.1:443'), { code: 'ECONNREFUSED' });
    throw apiError('UPSTREAM_UNREACHABLE', 'Switchboard could not reach the provider', {}, { cause });
  });
  app.post(
    '/validated',
    {
      schema: {
        body: Type.Object(
          { name: Type.String(), installOptions: Type.Optional(Type.Object({ preOptions: Type.Record(Type.String(), Type.String()) })) },
          { additionalProperties: false },
        ),
      },
    },
    async () => ({ ok: true }),
  );
  app.get('/validated-query', { schema: { querystring: Type.Object({ limit: Type.Optional(Type.String({ maxLength: 3 })) }) } }, async () => ({ ok: true }));
  app.get('/validated-params/:id', { schema: { params: Type.Object({ id: Type.String({ minLength: 5 }) }) } }, async () => ({ ok: true }));
  app.get('/validated-headers', { schema: { headers: Type.Object({ 'x-tenant': Type.String() }) } }, async () => ({ ok: true }));
  app.get('/unknown', async () => {
    throw new TypeError("Cannot read properties of undefined (reading 'secretKey') at /srv/switchboard/dist/app.js:12");
  });
  app.get('/nul', async () => {
    // The driver sets the SQLSTATE after constructing the error, as here.
    throw Object.assign(new pg.DatabaseError('invalid byte sequence for encoding "UTF8": 0x00', 0, 'error'), { code: '22021' });
  });
  app.get('/other-pg', async () => {
    throw Object.assign(new pg.DatabaseError('relation "credentials" does not exist', 0, 'error'), { code: '42P01' });
  });
  app.get('/database-down', async () => {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  });
  app.get('/client-status', async () => {
    throw Object.assign(new Error('Unsupported Media Type: text/csv'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
  });
  app.get('/client-status-unnamed', async () => {
    throw Object.assign(new Error('Something the client did'), { statusCode: 422, code: 'FST_ERR_SOMETHING_NEW' });
  });
  app.get('/server-status', async () => {
    throw Object.assign(new Error('upstream socket hang up in /srv/switchboard/dist/proxy.js'), { statusCode: 502 });
  });
  app.get('/params/:name', async () => ({ ok: true }));
  app.post('/echo', async (request) => request.body);

  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: address, logs };
}

describe('installErrorHandler', () => {
  let server: Awaited<ReturnType<typeof errorApp>>;
  beforeAll(async () => {
    server = await errorApp();
  });
  afterAll(async () => server?.app.close());

  /** Status, the X-Switchboard-Error header and the JSON body of one answer. */
  async function answer(path: string, init?: RequestInit) {
    const response = await fetch(`${server.url}${path}`, init);
    const text = await response.text();
    return { status: response.status, header: response.headers.get('x-switchboard-error'), type: response.headers.get('content-type'), text, body: JSON.parse(text) as Record<string, unknown>, headers: response.headers };
  }
  const post = (path: string, body: string, contentType = 'application/json') =>
    answer(path, { method: 'POST', headers: { 'content-type': contentType }, body });

  describe('ApiError', () => {
    it('answers its status, code, message and details, with the code in X-Switchboard-Error', async () => {
      const reply = await answer('/api-error');
      expect(reply).toMatchObject({ status: 400, header: 'INVALID_ORIGIN', type: expect.stringMatching(/^application\/json/) });
      expect(reply.body).toEqual({ message: 'allowedOrigins[0] is not an origin', code: 'INVALID_ORIGIN', field: 'allowedOrigins[0]' });
    });

    it('sends the headers that go with it (Retry-After in whole seconds)', async () => {
      const reply = await answer('/api-error-headers');
      expect(reply).toMatchObject({ status: 429, header: 'RATE_LIMITED', body: { code: 'RATE_LIMITED', message: 'Too many requests' } });
      expect(reply.headers.get('retry-after')).toBe('3');
    });

    it('keeps its own message and code when a detail is named code or message, so the body agrees with the header', async () => {
      const reply = await answer('/api-error-clash');
      expect(reply.status).toBe(409);
      expect(reply.header).toBe('INTEGRATION_ALREADY_INSTALLED');
      expect(reply.body).toEqual({ message: 'This account is already connected', code: 'INTEGRATION_ALREADY_INSTALLED', field: 'credentialId' });
    });

    it('logs its cause with its code, and never sends it to the client', async () => {
      const reply = await answer('/api-error-cause');
      expect(reply).toMatchObject({ status: 502, header: 'UPSTREAM_UNREACHABLE' });
      expect(reply.body).toEqual({ message: 'Switchboard could not reach the provider', code: 'UPSTREAM_UNREACHABLE' });
      expect(reply.text).not.toContain('ECONNREFUSED');
      const line = server.logs.find((one) => one.includes('answered UPSTREAM_UNREACHABLE'));
      expect(JSON.parse(line ?? '{}')).toMatchObject({ level: 40, code: 'UPSTREAM_UNREACHABLE', err: { message: 'connect ECONNREFUSED 192.0.2.1:443', code: 'ECONNREFUSED' } });
    });

    it('logs nothing for a refusal without a cause', async () => {
      await answer('/api-error');
      expect(server.logs.some((line) => line.includes('answered INVALID_ORIGIN'))).toBe(false);
    });
  });

  describe('schema validation', () => {
    it('names a missing body field', async () => {
      const reply = await post('/validated', '{}');
      expect(reply).toMatchObject({ status: 400, header: 'VALIDATION_ERROR' });
      expect(reply.body).toEqual({ message: "name must have required property 'name'", code: 'VALIDATION_ERROR', field: 'name' });
    });

    it('names an unknown body field as not a known field', async () => {
      const reply = await post('/validated', JSON.stringify({ name: 'a', nmae: 'b' }));
      expect(reply.body).toEqual({ message: 'nmae is not a known field', code: 'VALIDATION_ERROR', field: 'nmae' });
    });

    it('names a nested field by its dotted path', async () => {
      const reply = await post('/validated', JSON.stringify({ name: 'a', installOptions: { preOptions: { region: 5 } } }));
      expect(reply.body).toMatchObject({ code: 'VALIDATION_ERROR', field: 'installOptions.preOptions.region' });
      expect(reply.body.message).toMatch(/^installOptions\.preOptions\.region /);
    });

    it('names a wrong-typed body (not an object) as the body', async () => {
      const reply = await post('/validated', '"just a string"');
      expect(reply.body).toMatchObject({ code: 'VALIDATION_ERROR', field: 'body' });
    });

    it('names query string, path parameter and header fields', async () => {
      expect((await answer('/validated-query?limit=12345')).body).toMatchObject({ code: 'VALIDATION_ERROR', field: 'limit' });
      expect((await answer('/validated-params/abc')).body).toMatchObject({ code: 'VALIDATION_ERROR', field: 'id' });
      const header = await answer('/validated-headers');
      expect(header).toMatchObject({ status: 400, header: 'VALIDATION_ERROR', body: { code: 'VALIDATION_ERROR', field: 'headers.x-tenant' } });
    });
  });

  describe('unknown errors', () => {
    it('answer 500 INTERNAL_ERROR with a generic message, and are logged in full on the server', async () => {
      const reply = await answer('/unknown');
      expect(reply).toMatchObject({ status: 500, header: 'INTERNAL_ERROR' });
      expect(reply.body).toEqual({ message: 'Internal server error', code: 'INTERNAL_ERROR' });
      expect(reply.text).not.toMatch(/secretKey|TypeError|app\.js|stack/);
      expect(server.logs.some((line) => line.includes('unhandled error') && line.includes('secretKey'))).toBe(true);
    });

    it('answer an error with a 5xx status of its own as 500 INTERNAL_ERROR too, without its message', async () => {
      const reply = await answer('/server-status');
      expect(reply).toMatchObject({ status: 500, header: 'INTERNAL_ERROR', body: { message: 'Internal server error', code: 'INTERNAL_ERROR' } });
      expect(reply.text).not.toContain('proxy.js');
    });

    it('answer a query error of Postgres as 500, but a NUL character in text as 400 INVALID_CHARACTER', async () => {
      expect(await answer('/other-pg')).toMatchObject({ status: 500, header: 'INTERNAL_ERROR', body: { code: 'INTERNAL_ERROR', message: 'Internal server error' } });
      const nul = await answer('/nul');
      expect(nul).toMatchObject({ status: 400, header: 'INVALID_CHARACTER', body: { message: 'Text must not contain NUL characters', code: 'INVALID_CHARACTER' } });
    });

    it('answer an unreachable database as 503 DATABASE_UNAVAILABLE with Retry-After', async () => {
      const reply = await answer('/database-down');
      expect(reply).toMatchObject({ status: 503, header: 'DATABASE_UNAVAILABLE', body: { code: 'DATABASE_UNAVAILABLE' } });
      expect(reply.headers.get('retry-after')).toBe('5');
      expect(reply.text).not.toContain('5432');
    });
  });

  describe("Fastify's own client errors", () => {
    it('answer bad JSON, an empty JSON body, a body too large and an unsupported media type in our names', async () => {
      expect(await post('/echo', '{"a":')).toMatchObject({ status: 400, header: 'INVALID_JSON', body: { code: 'INVALID_JSON' } });
      expect(await post('/echo', '')).toMatchObject({ status: 400, header: 'INVALID_JSON', body: { code: 'INVALID_JSON' } });
      expect(await post('/echo', JSON.stringify({ text: 'x'.repeat(100) }))).toMatchObject({ status: 413, header: 'BODY_TOO_LARGE', body: { code: 'BODY_TOO_LARGE' } });
      expect(await post('/echo', 'a,b', 'text/csv')).toMatchObject({ status: 415, header: 'UNSUPPORTED_MEDIA_TYPE', body: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    });

    it('keep a 4xx status and message of their own, with BAD_REQUEST for codes we have no name for', async () => {
      expect(await answer('/client-status')).toMatchObject({ status: 415, header: 'UNSUPPORTED_MEDIA_TYPE', body: { message: 'Unsupported Media Type: text/csv', code: 'UNSUPPORTED_MEDIA_TYPE' } });
      expect(await answer('/client-status-unnamed')).toMatchObject({ status: 422, header: 'BAD_REQUEST', body: { message: 'Something the client did', code: 'BAD_REQUEST' } });
    });
  });

  describe('routes that do not exist', () => {
    it('answer 404 ROUTE_NOT_FOUND naming the method and path, never the query string', async () => {
      const reply = await answer('/no/such/route?token=secret-value', { method: 'DELETE' });
      expect(reply).toMatchObject({ status: 404, header: 'ROUTE_NOT_FOUND' });
      expect(reply.body).toEqual({ message: 'No route for DELETE /no/such/route', code: 'ROUTE_NOT_FOUND' });
    });
  });
});

describe('frameworkErrorHandler', () => {
  let server: Awaited<ReturnType<typeof errorApp>>;
  beforeAll(async () => {
    server = await errorApp();
  });
  afterAll(async () => server?.app.close());

  it('answers a URL the router cannot decode with 400 INVALID_URL, in our shape', async () => {
    const response = await fetch(`${server.url}/params/%E0%A4%A`);
    expect(response.status).toBe(400);
    expect(response.headers.get('x-switchboard-error')).toBe('INVALID_URL');
    expect(await response.json()).toEqual({ message: 'The URL is not valid (malformed percent-encoding)', code: 'INVALID_URL' });
  });

  it('answers a route parameter longer than maxParamLength with 414 URL_TOO_LONG', async () => {
    const response = await fetch(`${server.url}/params/${'a'.repeat(17)}`);
    expect(response.status).toBe(414);
    expect(response.headers.get('x-switchboard-error')).toBe('URL_TOO_LONG');
    expect(await response.json()).toEqual({ message: 'The URL is too long', code: 'URL_TOO_LONG' });
  });
});
