import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { SandboxAccount } from './accounts.js';
import { authenticate } from './api-auth.js';
import { ContactStore, parseContactInput } from './contacts.js';
import { echoBody, echoHeaders } from './echo.js';
import { deliverableUrl, deliverWebhook, signingKey } from './webhooks.js';

export interface SandboxApiOptions {
  provider: Provider;
  /** This Switchboard server's public URL: the only place the sandbox delivers webhooks to. */
  serverUrl: string;
}

const ACCOUNT = 'sandboxAccount';
const MAX_SLOW_MS = 30_000;

/** The sandbox's errors look like a typical third-party API's: `{ error, message }`. */
function fail(reply: FastifyReply, status: number, error: string, message: string) {
  return reply.code(status).send({ error, message });
}

function accountOf(request: FastifyRequest): SandboxAccount {
  return request.getDecorator<SandboxAccount>(ACCOUNT);
}

/**
 * The sandbox API under /sandbox/api: a small multi-tenant JSON API to connect to and call through
 * Switchboard's proxy, plus test tools (echo, status, slow). Every route requires a credential.
 */
export async function sandboxApi(api: FastifyInstance, { provider, serverUrl }: SandboxApiOptions): Promise<void> {
  const contacts = new ContactStore();

  api.decorateRequest(ACCOUNT, null);
  // onRequest runs before any body is read, so an unauthenticated upload is refused without being consumed.
  api.addHook('onRequest', async (request, reply) => {
    const result = await authenticate(provider, request.headers);
    if (!result.ok) {
      if (result.wwwAuthenticate) reply.header('www-authenticate', result.wwwAuthenticate);
      return fail(reply, 401, result.error, result.message);
    }
    request.setDecorator(ACCOUNT, result.account);
  });

  api.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'sandbox api error');
      return fail(reply, status, 'server_error', 'The sandbox failed to answer');
    }
    return fail(reply, status, 'invalid_request', error.message);
  });

  // A catch-all route rather than a not-found handler: otherwise /sandbox/* (the OAuth server) would answer.
  api.all('/*', async (_request, reply) => fail(reply, 404, 'not_found', 'No such sandbox API route'));

  api.get('/me', async (request) => accountOf(request));

  await api.register(async (json) => {
    // Our own JSON parser: whatever the host app configured, the sandbox API behaves the same.
    json.removeAllContentTypeParsers();
    json.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 1024 * 1024 }, json.getDefaultJsonParser('error', 'error'));

    json.get('/contacts', async (request) => ({ data: contacts.list(accountOf(request).id) }));

    json.post('/contacts', async (request, reply) => {
      const input = parseContactInput(request.body, 'create');
      if (!input.ok) return fail(reply, 400, 'invalid_request', input.message);
      const { name = '', email = '' } = input.value;
      return reply.code(201).send(contacts.create(accountOf(request).id, { name, email }));
    });

    json.get<{ Params: { id: string } }>('/contacts/:id', async (request, reply) => {
      const contact = contacts.get(accountOf(request).id, request.params.id);
      return contact ?? fail(reply, 404, 'not_found', 'No such contact');
    });

    json.patch<{ Params: { id: string } }>('/contacts/:id', async (request, reply) => {
      const input = parseContactInput(request.body, 'patch');
      if (!input.ok) return fail(reply, 400, 'invalid_request', input.message);
      const contact = contacts.update(accountOf(request).id, request.params.id, input.value);
      return contact ?? fail(reply, 404, 'not_found', 'No such contact');
    });

    json.delete<{ Params: { id: string } }>('/contacts/:id', async (request, reply) => {
      if (!contacts.remove(accountOf(request).id, request.params.id)) {
        return fail(reply, 404, 'not_found', 'No such contact');
      }
      return reply.code(204).send();
    });

    json.get<{ Params: { code: string }; Querystring: { retry_after?: string } }>(
      '/status/:code',
      async (request, reply) => {
        const status = Number(request.params.code);
        if (!Number.isInteger(status) || status < 200 || status > 599) {
          return fail(reply, 400, 'invalid_request', 'status must be an integer from 200 to 599');
        }
        if (request.query.retry_after) reply.header('retry-after', request.query.retry_after);
        if (status === 204 || status === 304) return reply.code(status).send();
        return reply.code(status).send({ status, error: `status_${status}`, message: `The sandbox answered ${status} as asked` });
      },
    );

    json.post<{ Body: { url?: unknown; event?: unknown } }>('/webhooks/send', async (request, reply) => {
      const target = deliverableUrl(serverUrl, request.body?.url);
      if (!target) return fail(reply, 400, 'invalid_request', `url must be a webhook URL of this Switchboard server (${serverUrl}/webhooks/...)`);
      const key = await signingKey(provider, request.headers);
      if (!key) return fail(reply, 400, 'invalid_request', 'This credential has no key to sign webhooks with');
      return { delivered: await deliverWebhook(target, request.body?.event, key) };
    });

    json.get<{ Querystring: { ms?: string } }>('/slow', async (request) => {
      const asked = Number(request.query.ms ?? 0);
      const ms = Number.isFinite(asked) ? Math.min(Math.max(0, Math.floor(asked)), MAX_SLOW_MS) : 0;
      await sleepUnlessClosed(ms, request);
      return { waitedMs: ms };
    });
  });

  await api.register(async (echo) => {
    // Echo reads the raw stream itself, whatever the content type, so no parser may touch the body.
    echo.removeAllContentTypeParsers();
    echo.addContentTypeParser('*', (_request, _payload, done) => done(null));

    const handler = async (request: FastifyRequest) => {
      const { bodyType, body } = await echoBody(request.raw);
      const url = request.raw.url ?? request.url;
      const queryIndex = url.indexOf('?');
      return {
        method: request.method,
        path: queryIndex === -1 ? url : url.slice(0, queryIndex),
        query: request.query,
        headers: echoHeaders(request.headers),
        bodyType,
        body,
      };
    };
    echo.all('/echo', handler);
    echo.all('/echo/*', handler);
  });
}

/** Waits, but stops early when the caller hangs up (a proxy timeout test should not leave timers behind). */
function sleepUnlessClosed(ms: number, request: FastifyRequest): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    request.raw.socket.once('close', done);
    function done() {
      clearTimeout(timer);
      request.raw.socket.off('close', done);
      resolve();
    }
  });
}
