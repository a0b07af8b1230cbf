import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { CredentialRow } from '../storage/schema.js';
import type { AppContext } from '../app-context.js';
import { cachedProjectCatalog, integrationNotFound, projectCatalog, type ProjectCatalog, type ProjectIntegration } from '../catalog/integration-store.js';
import { isoNow } from '../clock.js';
import { LAST_USED_RESOLUTION_SECONDS, lastUseIsStale, type TokenRefresher } from '../credentials/token-refresh.js';
import { apiError } from '../errors.js';
import { sendError } from '../http/error-reply.js';
import type { RateLimiter } from '../http/rate-limiter.js';
import type { ConnectedUser } from '../users/connected-users.js';
import type { TokenPermissions } from '../users/permissions.js';
import { chooseCachedCredential, chooseCredential, CREDENTIAL_HEADER } from './choose-credential.js';
import { answerHead, forward, refreshFailure, type Account, type ProviderHeaders, type ProxyAnswer } from './forward-call.js';
import { clientResponseHeaders } from './forward-headers.js';
import { proxyByIdSchema, proxyByTypeSchema } from './proxy-schema.js';
import { checkProxyTarget } from './upstream-url.js';
import type { CallerRequest, ProxyBody } from './upstream-request.js';

export interface ProxyServices {
  refresher: TokenRefresher;
  projectLimiter: RateLimiter;
  userLimiter: RateLimiter;
}

const PROXIED_METHODS = new Set<string>(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Requests that came with `Content-Type: auto`. */
const inferContentTypeFor = new WeakSet<object>();

type ProxyRequest = FastifyRequest<{ Params: ProxyParams }>;

/** Which integration a proxied call names: by type, or (under /proxy/custom/) by id. */
export interface ProxyParams {
  integrationType?: string;
  integrationId?: string;
}

/** Whose call it is: the verified user token's project, connected user and JWT permissions. */
export interface ProxyCaller {
  projectId: string;
  user: ConnectedUser;
  permissions: TokenPermissions;
}

/**
 * The Proxy API: `ALL /sdk/proxy/<integrationType>/<path>` and `ALL /sdk/proxy/custom/<integrationId>/<path>`.
 * The request goes to the integration's API with the user's credential added, and the provider's answer comes
 * back as it came, streamed both ways. Warm calls without a body or with a small one are usually answered before
 * Fastify sees them (warm-lane-route.ts); these routes answer everything else, the same way.
 */
export function proxyRoutes(context: AppContext, services: ProxyServices) {
  return async (app: FastifyInstance) => {
    // Bodies are forwarded as raw streams: no parser may read them, and no body limit applies.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));
    // The SDK sends `Content-Type: auto` (infer from the body), which is not a media type Fastify would accept:
    // take it off before Fastify looks, and remember to infer.
    app.addHook('onRequest', (request, _reply, done) => {
      if (asksToInferContentType(request.headers['content-type'])) {
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
  const { project, user, permissions } = request.sdk;
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
  const caller: ProxyCaller = { projectId: project.id, user, permissions };
  const account = warmAccount(context, services.refresher, caller, request.params, request.headers[CREDENTIAL_HEADER]);
  const answer = new FastifyAnswer(context, request, reply);
  const body = bodyKind(request.headers, context.config.proxy.replayableBodyBytes);
  if (account && body === 'none') {
    stampLastUse(context, account.credential.row);
    return forward(context, services.refresher, answer, account, callerRequest(request, method, rawPath, rawQuery, NO_BODY));
  }
  return proxySlowly(context, services, request, answer, { method, rawPath, rawQuery, body }, account);
}

async function proxySlowly(
  context: AppContext,
  services: ProxyServices,
  request: ProxyRequest,
  answer: ProxyAnswer,
  target: { method: string; rawPath: string; rawQuery: string; body: BodyKind },
  known: Account | undefined,
): Promise<unknown> {
  let account = known;
  if (!account) {
    const { project, user, permissions } = request.sdk;
    const integration = proxiedIntegration(await projectCatalog(context, project.id), request.params);
    const row = await chooseCredential(context, { connectedUserId: user.id, permissions, integration, requested: request.headers[CREDENTIAL_HEADER] });
    const credential = await services.refresher.usable(integration, row, project.allowPrivateUpstreams).catch(refreshFailure);
    account = { integration, credential };
  }
  stampLastUse(context, account.credential.row);
  const body = await requestBody(request.raw, target.body);
  return forward(context, services.refresher, answer, account, callerRequest(request, target.method, target.rawPath, target.rawQuery, body));
}

/**
 * The integration and account of a call when everything needed is in memory and no refresh is due (no promise);
 * undefined when something must be read. Throws what the call must be answered with (no such integration, no
 * account, an account that must reconnect).
 */
export function warmAccount(
  context: AppContext,
  refresher: TokenRefresher,
  caller: ProxyCaller,
  params: ProxyParams,
  requested: string | string[] | undefined,
): Account | undefined {
  const catalog = cachedProjectCatalog(context, caller.projectId);
  if (!catalog) return undefined;
  const integration = proxiedIntegration(catalog, params);
  const row = chooseCachedCredential(context, { connectedUserId: caller.user.id, permissions: caller.permissions, integration, requested });
  const credential = row && refresher.usableNow(integration, row);
  return credential && { integration, credential };
}

const callerRequest = (request: ProxyRequest, method: string, rawPath: string, rawQuery: string, body: ProxyBody): CallerRequest => ({
  headers: request.headers,
  method,
  rawPath,
  rawQuery,
  body,
  inferContentType: inferContentTypeFor.has(request.raw),
  allowPrivate: request.sdk.project.allowPrivateUpstreams,
});

/** The answer through Fastify's reply: its headers (CORS, set in onRequest) go out too. A class: see ProxyAnswer. */
export class FastifyAnswer implements ProxyAnswer {
  constructor(
    private readonly context: AppContext,
    private readonly request: ProxyRequest,
    private readonly reply: FastifyReply,
  ) {}

  get raw(): ServerResponse {
    return this.reply.raw;
  }

  get started(): boolean {
    return this.reply.sent;
  }

  startStreaming(statusCode: number, providerHeaders: ProviderHeaders): ServerResponse {
    const head = answerHead(this.context, providerHeaders, this.reply.getHeaders() as Record<string, string | string[]>);
    this.reply.hijack();
    this.reply.raw.writeHead(statusCode, head);
    return this.reply.raw;
  }

  send(statusCode: number, providerHeaders: ProviderHeaders, body: Readable | undefined): FastifyReply {
    this.reply.code(statusCode).headers(clientResponseHeaders(providerHeaders, this.reply.getHeaders() as Record<string, string | string[]>));
    return body === undefined ? this.reply.send() : this.reply.send(body);
  }

  callerGone(): FastifyReply {
    this.request.log.info('the client closed the connection before the provider answered');
    return this.reply.code(499).send();
  }
}

/** The user's own limit first, so one busy user does not spend the project's budget with refused requests. */
function rateLimitRefusal(services: ProxyServices, projectId: string, userId: string): { scope: string; seconds: number } | undefined {
  const byUser = services.userLimiter.take(`${projectId}:${userId}`);
  if (!byUser.ok) return { scope: 'user', seconds: byUser.retryAfterSeconds };
  const byProject = services.projectLimiter.take(projectId);
  if (!byProject.ok) return { scope: 'project', seconds: byProject.retryAfterSeconds };
  return undefined;
}

/** Spends the call's rate-limit budget when both limits allow it (else spends nothing): for the warm lane. */
export function takeRateLimits(services: ProxyServices, projectId: string, userId: string): boolean {
  const userKey = `${projectId}:${userId}`;
  if (!services.userLimiter.peek(userKey).ok || !services.projectLimiter.peek(projectId).ok) return false;
  return rateLimitRefusal(services, projectId, userId) === undefined;
}

/** By type (`hubspot`, `custom.<slug>`) or, under /proxy/custom/, by the custom integration's id. */
export function proxiedIntegration(catalog: ProjectCatalog, params: ProxyRequest['params']): ProjectIntegration {
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
export function splitProxyUrl(url: string, custom: boolean): { rawPath: string; rawQuery: string } {
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

export const NO_BODY: ProxyBody = { payload: undefined, replayable: true };

/** How a call's body is taken: there is none, it is small enough to read whole first, or it streams as it comes. */
export type BodyKind = 'none' | 'small' | 'streamed';

/** Small means a Content-Length of at most `replayableBytes` (SWITCHBOARD_PROXY_REPLAYABLE_BODY_BYTES); chunked streams. */
export function bodyKind(headers: IncomingHttpHeaders, replayableBytes: number): BodyKind {
  if (headers['transfer-encoding'] !== undefined) return 'streamed';
  // Node's parser has checked Content-Length already: digits only, one value.
  const length = Number(headers['content-length'] ?? 0);
  if (length === 0) return 'none';
  return length <= replayableBytes ? 'small' : 'streamed';
}

/** `Content-Type: auto`, the SDK's way of asking Switchboard to infer the type from the body. */
export const asksToInferContentType = (type: string | undefined): boolean => type !== undefined && type.trim().toLowerCase() === 'auto';

function requestBody(raw: IncomingMessage, kind: BodyKind): ProxyBody | Promise<ProxyBody> {
  if (kind === 'none') return NO_BODY;
  return kind === 'small' ? replayableBody(raw) : { payload: raw, replayable: false };
}

/**
 * A body small enough to keep, read whole, so that the call can be sent again (after a refresh, on a retry).
 * Events rather than `for await`, whose iterator costs a promise per chunk: a small body is one chunk or two.
 */
export function replayableBody(raw: IncomingMessage): Promise<ProxyBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => chunks.push(chunk));
    raw.once('end', () => resolve({ payload: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), replayable: true }));
    raw.once('error', reject);
    // A caller gone mid-body: the body never ends.
    raw.once('close', () => raw.complete || reject(new Error('The caller closed the connection before its body was complete')));
  });
}

/**
 * When this process last stamped each cached credential row: the row keeps showing the old last_used_at (the
 * stamp is not a change the caches hear of), so without this every call would stamp again.
 */
const stampedAt = new WeakMap<CredentialRow, number>();

/** Marks the credential as in use, so the background refresh keeps it fresh; not awaited by the request. */
export function stampLastUse(context: AppContext, row: CredentialRow): void {
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
