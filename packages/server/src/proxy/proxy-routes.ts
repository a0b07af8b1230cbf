import { EventEmitter } from 'node:events';
import type { OutgoingHttpHeaders } from 'node:http';
import { Writable } from 'node:stream';
import { setTimeout } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { Dispatcher } from 'undici';
import type { CredentialRow } from '../storage/schema.js';
import type { AppContext } from '../app-context.js';
import { cachedProjectCatalog, integrationNotFound, projectCatalog, type ProjectCatalog, type ProjectIntegration } from '../catalog/integration-store.js';
import { toApiError } from '../providers/provider-errors.js';
import { ProviderError } from '../providers/index.js';
import { isoNow } from '../clock.js';
import { chooseCachedCredential, chooseCredential, CREDENTIAL_HEADER, type CredentialChoice } from './choose-credential.js';
import { LAST_USED_RESOLUTION_SECONDS, lastUseIsStale, type TokenRefresher, type UsableCredential } from '../credentials/token-refresh.js';
import { apiError } from '../errors.js';
import { sendError } from '../http/error-reply.js';
import { clientResponseHeaders } from './forward-headers.js';
import { guarded } from '../providers/provider-fetch.js';
import type { RateLimiter } from '../http/rate-limiter.js';
import { retryAfterMs } from './retry-after.js';
import { proxyByIdSchema, proxyByTypeSchema, RETRY_HEADER } from './proxy-schema.js';
import { upstreamFailure } from '../providers/upstream-pools.js';
import { checkProxyTarget } from './upstream-url.js';
import { upstreamRequest, type CallerRequest, type ProxyBody } from './upstream-request.js';

export interface ProxyServices {
  refresher: TokenRefresher;
  projectLimiter: RateLimiter;
  userLimiter: RateLimiter;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const PROXIED_METHODS = new Set<string>(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const NO_BODY_STATUSES = new Set([204, 304]);

/** Requests that came with `Content-Type: auto`. */
const inferContentTypeFor = new WeakSet<object>();

type ProxyRequest = FastifyRequest<{ Params: { integrationType?: string; integrationId?: string } }>;

/**
 * The Proxy API: `ALL /sdk/proxy/<integrationType>/<path>` and `ALL /sdk/proxy/custom/<integrationId>/<path>`.
 * The request goes to the integration's API with the user's credential added, and the provider's answer comes
 * back as it came, streamed both ways.
 */
export function proxyRoutes(context: AppContext, services: ProxyServices) {
  return async (app: FastifyInstance) => {
    // Bodies are forwarded as raw streams: no parser may read them, and no body limit applies.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));
    // The SDK sends `Content-Type: auto` (infer from the body), which is not a media type Fastify would accept:
    // take it off before Fastify looks, and remember to infer.
    app.addHook('onRequest', (request, _reply, done) => {
      const type = request.headers['content-type'];
      if (type !== undefined && type.trim().toLowerCase() === 'auto') {
        delete request.headers['content-type'];
        inferContentTypeFor.add(request.raw);
      }
      done();
    });

    const handler = (request: ProxyRequest, reply: FastifyReply) => proxy(context, services, request, reply);
    for (const [url, schema] of [
      ['/proxy/custom/:integrationId/*', proxyByIdSchema],
      ['/proxy/:integrationType/*', proxyByTypeSchema],
    ] as const) {
      app.route({ method: [...PROXIED_METHODS] as HTTPMethods[], url, schema, handler });
      // The other methods Fastify knows (TRACE, QUERY) answer 405, outside the API description.
      app.route({ method: app.supportedMethods.filter((m) => !PROXIED_METHODS.has(m)) as HTTPMethods[], url, schema: { hide: true }, handler });
    }
  };
}

/**
 * One proxied call. Warm (the project's integrations and the user's accounts in memory, no refresh due, no body
 * to read) it reaches the provider without waiting on a promise; anything else takes the slow way, which reads
 * what is missing and answers the same.
 */
function proxy(context: AppContext, services: ProxyServices, request: ProxyRequest, reply: FastifyReply): Promise<unknown> | undefined {
  const method = request.method.toUpperCase();
  // TRACE would echo the credential Switchboard added back to the caller; WebDAV methods have no use here.
  if (!PROXIED_METHODS.has(method)) {
    sendError(reply.header('allow', [...PROXIED_METHODS].join(', ')), 405, { message: `${method} is not proxied`, code: 'METHOD_NOT_ALLOWED' });
    return undefined;
  }
  const { project, user } = request.sdk;
  const refusal = rateLimitRefusal(services, project.id, user.id);
  if (refusal) {
    sendError(reply.header('retry-after', String(refusal.seconds)), 429, {
      message: `Too many proxied requests for this ${refusal.scope}; retry after ${refusal.seconds} s`,
      code: 'RATE_LIMITED',
    });
    return undefined;
  }

  const { rawPath, rawQuery } = splitProxyUrl(request.raw.url ?? request.url, request.params.integrationId !== undefined);
  checkProxyTarget(rawPath, rawQuery);
  const catalog = cachedProjectCatalog(context, project.id);
  const integration = catalog && proxiedIntegration(catalog, request.params);
  const row = integration && chooseCachedCredential(context, credentialChoice(request, integration));
  const credential = row && services.refresher.usableNow(integration, row);
  const account = credential && { integration: integration!, credential };
  if (account && !hasBody(request)) {
    stampLastUse(context, credential.row);
    return forward(context, services, reply, account, callerRequest(request, method, rawPath, rawQuery, NO_BODY));
  }
  return proxySlowly(context, services, request, reply, { method, rawPath, rawQuery }, account);
}

async function proxySlowly(
  context: AppContext,
  services: ProxyServices,
  request: ProxyRequest,
  reply: FastifyReply,
  target: { method: string; rawPath: string; rawQuery: string },
  known: Account | undefined,
): Promise<unknown> {
  let account = known;
  if (!account) {
    const { project } = request.sdk;
    const integration = proxiedIntegration(await projectCatalog(context, project.id), request.params);
    const row = await chooseCredential(context, credentialChoice(request, integration));
    const credential = await services.refresher.usable(integration, row, project.allowPrivateUpstreams).catch(refreshFailure);
    account = { integration, credential };
  }
  stampLastUse(context, account.credential.row);
  const body = await requestBody(context, request);
  return forward(context, services, reply, account, callerRequest(request, target.method, target.rawPath, target.rawQuery, body));
}

/** The integration called and the account it is called with. */
interface Account {
  integration: ProjectIntegration;
  credential: UsableCredential;
}

const credentialChoice = (request: ProxyRequest, integration: ProjectIntegration): CredentialChoice => ({
  connectedUserId: request.sdk.user.id,
  permissions: request.sdk.permissions,
  integration,
  requested: request.headers[CREDENTIAL_HEADER],
});

const callerRequest = (request: ProxyRequest, method: string, rawPath: string, rawQuery: string, body: ProxyBody): CallerRequest => ({
  request,
  method,
  rawPath,
  rawQuery,
  body,
  inferContentType: inferContentTypeFor.has(request.raw),
});

/** Sends the call to the provider and its answer to the caller. */
function forward(context: AppContext, services: ProxyServices, reply: FastifyReply, account: Account, caller: CallerRequest): Promise<unknown> {
  const abort = new CallerGone();
  // `on`, not `once`: close comes once per response anyway, and abort() is idempotent.
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) abort.abort();
  });
  if (caller.body.replayable && caller.request.headers[RETRY_HEADER] === undefined) return streamed(context, services, reply, account, caller, abort);
  return buffered(context, services, reply, account, caller, abort);
}

/**
 * The common case: the provider's answer goes straight into the socket (undici's stream(): no Readable in between).
 * A 401 that a refresh may cure is set aside, and the refreshed call goes the buffered way.
 */
function streamed(context: AppContext, services: ProxyServices, reply: FastifyReply, account: Account, caller: CallerRequest, abort: CallerGone): Promise<unknown> {
  const { integration, credential } = account;
  const allowPrivate = caller.request.sdk.project.allowPrivateUpstreams;
  const renewable = services.refresher.mayRenewAfterRejection(integration, credential);
  const target = upstreamRequest(context, integration, credential, caller, abort);
  const pool = context.upstreams.pool(target.origin, !guarded(integration, allowPrivate));
  let rejected = false;
  const answer = ({ statusCode, headers }: Dispatcher.StreamFactoryData) => {
    if (statusCode === 401 && renewable) {
      rejected = true;
      return discard();
    }
    if (statusCode < 100 || statusCode > 599) {
      throw apiError('UPSTREAM_BAD_RESPONSE', `The provider answered with an invalid HTTP status (${statusCode})`);
    }
    return answerWith(context, reply, statusCode, headers);
  };
  return pool.stream(target.options, answer).then(
    async () => {
      if (!rejected) return reply;
      const renewed = await services.refresher.afterRejection(integration, credential, allowPrivate).catch(refreshFailure);
      return buffered(context, services, reply, { integration, credential: renewed ?? credential }, caller, abort);
    },
    (error: unknown) => {
      // Once the answer started, all that is left is to cut the connection (as a failed stream would).
      if (reply.sent) return reply.raw.destroy();
      if (abort.aborted) {
        caller.request.log.info('the client closed the connection before the provider answered');
        return reply.code(499).send();
      }
      throw upstreamFailure(error) ?? error;
    },
  );
}

/**
 * The provider's answer through undici's request(), so the call can be sent again: after a 401 (with a refreshed
 * token, when the body allows it) and on retries the caller asked for.
 */
async function buffered(context: AppContext, services: ProxyServices, reply: FastifyReply, account: Account, caller: CallerRequest, abort: CallerGone): Promise<unknown> {
  const { integration } = account;
  let credential = account.credential;
  const allowPrivate = caller.request.sdk.project.allowPrivateUpstreams;
  const send = async (usable: UsableCredential) => {
    const target = upstreamRequest(context, integration, usable, caller, abort);
    const pool = context.upstreams.pool(target.origin, !guarded(integration, allowPrivate));
    try {
      return await pool.request(target.options);
    } catch (error) {
      if (abort.aborted) throw new ClientGone();
      throw upstreamFailure(error) ?? error;
    }
  };
  const { request, method, body } = caller;

  let response: Dispatcher.ResponseData | undefined;
  try {
    response = await send(credential);
    // A 401 may mean the token was revoked or expired early: refresh once and replay, when the body allows it.
    if (response.statusCode === 401) {
      const renewed = await services.refresher.afterRejection(integration, credential, allowPrivate).catch(refreshFailure);
      if (renewed) {
        credential = renewed;
        if (body.replayable) {
          await response.body.dump();
          response = await send(credential);
        }
      }
    }
    response = await retryWhenAsked(context, request, method, body.replayable, response, abort, () => send(credential));
    if (response.statusCode < 100 || response.statusCode > 599) {
      throw apiError('UPSTREAM_BAD_RESPONSE', `The provider answered with an invalid HTTP status (${response.statusCode})`);
    }
    reply.code(response.statusCode).headers(clientResponseHeaders(response.headers));
  } catch (error) {
    // Whatever went wrong after the provider answered, its connection must not stay held by an unread body.
    // (undici reports the destroy as an 'error' on the body; nobody reads it any more.)
    response?.body.on('error', () => {}).destroy();
    if (error instanceof ClientGone) {
      request.log.info('the client closed the connection before the provider answered');
      return reply.code(499).send();
    }
    throw error;
  }
  if (method === 'HEAD' || NO_BODY_STATUSES.has(response.statusCode)) {
    await response.body.dump();
    return reply.send();
  }
  return reply.send(response.body);
}

/** Takes the reply over from Fastify and writes the provider's status and headers; undici writes the body into it. */
function answerWith(context: AppContext, reply: FastifyReply, statusCode: number, headers: Record<string, string | string[] | undefined>): Writable {
  // Headers set earlier (CORS, in onRequest) go out too; the provider's win on a clash, as with reply.headers().
  const all = clientResponseHeaders(headers, reply.getHeaders() as Record<string, string | string[]>) as OutgoingHttpHeaders;
  // During shutdown, close the connection after this answer (app.ts does the same for Fastify's replies).
  if (context.lifecycle.closing) all.connection = 'close';
  reply.hijack();
  reply.raw.writeHead(statusCode, all);
  return reply.raw;
}

/** Where the body of an answer nobody reads goes. */
const discard = () =>
  new Writable({
    write: (_chunk, _encoding, callback) => callback(),
  });

/** The user's own limit first, so one busy user does not spend the project's budget with refused requests. */
function rateLimitRefusal(services: ProxyServices, projectId: string, userId: string): { scope: string; seconds: number } | undefined {
  const byUser = services.userLimiter.take(`${projectId}:${userId}`);
  if (!byUser.ok) return { scope: 'user', seconds: byUser.retryAfterSeconds };
  const byProject = services.projectLimiter.take(projectId);
  if (!byProject.ok) return { scope: 'project', seconds: byProject.retryAfterSeconds };
  return undefined;
}

/**
 * Says 'abort' when the caller hangs up before its answer is complete, so undici stops the provider's request.
 * undici takes an EventEmitter as its signal, which costs far less per request than an AbortController; a real
 * AbortSignal is made only for the waits between retries.
 */
class CallerGone extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }

  signal(): AbortSignal {
    const controller = new AbortController();
    if (this.aborted) controller.abort();
    else this.once('abort', () => controller.abort());
    return controller.signal;
  }
}

/** The caller hung up: nothing is left to answer. */
class ClientGone extends Error {}

/** By type (`hubspot`, `custom.<slug>`) or, under /proxy/custom/, by the custom integration's id. */
function proxiedIntegration(catalog: ProjectCatalog, params: ProxyRequest['params']): ProjectIntegration {
  if (params.integrationId === undefined) {
    const type = params.integrationType ?? '';
    const integration = catalog.byType.get(type);
    if (!integration?.isActive) throw integrationNotFound(type);
    return integration;
  }
  // The integration's id (as /sdk/integrations lists it), or the custom integration's own id (management API).
  const integration = catalog.byId.get(params.integrationId) ?? catalog.byCustomIntegrationId.get(params.integrationId);
  if (!integration?.isActive || integration.customIntegrationId === null) {
    throw apiError('INTEGRATION_NOT_FOUND', 'No active custom integration with that id in this project');
  }
  return integration;
}

/**
 * The path after `/proxy/<type>/` (or `/proxy/custom/<id>/`) exactly as it arrived, still percent-encoded, and the
 * raw query: upstream-url.ts checks them and no decoding in between can smuggle in a `..`.
 */
function splitProxyUrl(url: string, custom: boolean): { rawPath: string; rawQuery: string } {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const rawQuery = queryAt === -1 ? '' : url.slice(queryAt + 1);
  // /projects/<id>/sdk/proxy/<type>/...path, or /projects/<id>/sdk/proxy/custom/<id>/...path
  let slash = -1;
  for (let seen = 0; seen < (custom ? 7 : 6); seen += 1) {
    slash = path.indexOf('/', slash + 1);
    if (slash === -1) return { rawPath: '', rawQuery };
  }
  return { rawPath: path.slice(slash + 1), rawQuery };
}

const NO_BODY: ProxyBody = { payload: undefined, replayable: true };

const hasBody = (request: FastifyRequest) => request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

async function requestBody(context: AppContext, request: FastifyRequest): Promise<ProxyBody> {
  if (!hasBody(request)) return NO_BODY;
  const length = Number(request.headers['content-length'] ?? 0);
  if (request.headers['transfer-encoding'] !== undefined || length > context.config.proxy.replayableBodyBytes) return { payload: request.raw, replayable: false };
  const chunks: Buffer[] = [];
  for await (const chunk of request.raw as AsyncIterable<Buffer>) chunks.push(chunk);
  return { payload: Buffer.concat(chunks), replayable: true };
}

/** Opt-in retries on 429 and 503 for idempotent requests, after the provider's Retry-After, bounded in count and time. */
async function retryWhenAsked(
  context: AppContext,
  request: FastifyRequest,
  method: string,
  replayable: boolean,
  first: Dispatcher.ResponseData,
  gone: CallerGone,
  again: () => Promise<Dispatcher.ResponseData>,
): Promise<Dispatcher.ResponseData> {
  const asked = request.headers[RETRY_HEADER];
  if (asked === undefined || !IDEMPOTENT.has(method) || !replayable) return first;
  const { retryMaxAttempts, retryMaxWaitMs } = context.config.proxy;
  const attempts = asked === 'true' ? retryMaxAttempts : Math.min(retryMaxAttempts, Math.max(0, Number.parseInt(String(asked), 10) || 0));
  let response = first;
  let waited = 0;
  for (let attempt = 0; attempt < attempts && (response.statusCode === 429 || response.statusCode === 503); attempt += 1) {
    const wait = retryAfterMs(response.headers['retry-after'], Date.now()) ?? 250 * 2 ** attempt;
    if (waited + wait > retryMaxWaitMs) break;
    await response.body.dump();
    try {
      await setTimeout(wait, undefined, { signal: gone.signal() });
    } catch {
      throw new ClientGone();
    }
    waited += wait;
    response = await again();
  }
  return response;
}

/** Token refresh failures, as the proxy's caller should see them. */
function refreshFailure(error: unknown): never {
  if (error instanceof ProviderError) {
    if (error.kind === 'unavailable') {
      throw apiError('TOKEN_REFRESH_UNAVAILABLE', "The provider's token endpoint could not be reached to refresh this account's access; try again shortly", {}, { cause: error });
    }
    if (error.kind === 'rejected') {
      const reason = error.providerMessage ? `: ${error.providerMessage}` : '';
      throw apiError('TOKEN_REFRESH_FAILED', `The provider refused to refresh this account's access token${reason}`, {}, { cause: error });
    }
    throw toApiError(error, 'token refresh');
  }
  throw error;
}

/**
 * When this process last stamped each cached credential row: the row keeps showing the old last_used_at (the
 * stamp is not a change the caches hear of), so without this every call would stamp again.
 */
const stampedAt = new WeakMap<CredentialRow, number>();

/** Marks the credential as in use, so the background refresh keeps it fresh; not awaited by the request. */
function stampLastUse(context: AppContext, row: CredentialRow): void {
  const now = Date.now();
  if (now - (stampedAt.get(row) ?? -Infinity) < LAST_USED_RESOLUTION_SECONDS * 1000 || !lastUseIsStale(row)) return;
  stampedAt.set(row, now);
  context.db
    .updateTable('credentials')
    .set({ last_used_at: isoNow() })
    .where('id', '=', row.id)
    .execute()
    .catch((error: unknown) => context.log.warn({ err: error, credentialId: row.id }, 'could not record when a credential was last used'));
}
