import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import type { AppContext } from '../app-context.js';
import { proxyCallCorsHeaders } from '../http/cors.js';
import { ERROR_CODE_HEADER } from '../http/error-reply.js';
import { errorAnswer } from '../http/error-handler.js';
import { loggedPath } from '../http/logger.js';
import { cachedProject } from '../projects/project-lookup.js';
import { principalFromMemory } from '../users/sdk-auth.js';
import { CREDENTIAL_HEADER } from './choose-credential.js';
import { answerHead, forward, type Account, type ProviderHeaders, type ProxyAnswer } from './forward-call.js';
import type { CallerRequest } from './upstream-request.js';
import { RETRY_HEADER } from './proxy-schema.js';
import {
  asksToInferContentType,
  bodyKind,
  NO_BODY,
  replayableBody,
  splitProxyUrl,
  stampLastUse,
  takeRateLimits,
  warmAccount,
  type ProxyParams,
  type ProxyServices,
} from './proxy-routes.js';
import { checkProxyTarget } from './upstream-url.js';

/** Answers a request and says true, or says false and leaves it untouched for Fastify. */
export type Lane = (request: IncomingMessage, response: ServerResponse) => boolean;

/** What the lane serves: every proxied method but OPTIONS, which may be a CORS preflight (http/cors.ts answers it). */
const LANE_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'POST', 'PUT', 'PATCH']);
/** Fastify's route takes at most this long a provider path (`maxParamLength` in app.ts); longer ones are its 414. */
const MAX_PATH = 8192;
const PROJECTS = '/projects/';
const SDK_PROXY = '/sdk/proxy/';

/**
 * The Proxy API's warm lane, in front of Fastify: a call whose project, verified user token, connected user,
 * integration and account are all in memory, with no body or a small one, no refresh due and no retry asked for, goes
 * to the provider straight from the HTTP server's request event, through the same lookups and the same forwarding as
 * the Proxy API route (proxy-routes.ts, forward-call.ts). It skips Fastify's routing, hooks and request objects, which
 * cost more per call than everything else Switchboard does for it (docs/performance.md); at LOG_LEVEL=info it writes
 * the same request line as app.ts does, marked `served: "warm lane"`. Anything it is not sure of (a cold cache, a bad
 * token, a refused path, a rate limit reached) it leaves, untouched, to that route, which answers it, errors included;
 * an error after the provider was called is answered here, in the same shape.
 */
export function warmProxyLane(context: AppContext, services: ProxyServices, options: { logRequests: boolean }): Lane {
  return (request, response) => {
    if (context.lifecycle.closing) return false;
    const method = request.method ?? '';
    const url = request.url ?? '';
    if (!LANE_METHODS.has(method) || !url.startsWith(PROJECTS)) return false;
    const target = laneTarget(url);
    const body = target && laneBody(method, request.headers, context.config.proxy.replayableBodyBytes);
    if (!body) return false;
    const { headers } = request;
    try {
      const lookup = cachedProject(context, target.projectId);
      const principal = lookup && principalFromMemory(context, lookup, headers.authorization);
      if (!principal) return false;
      const cors = proxyCallCorsHeaders(lookup, headers.origin);
      const { rawPath, rawQuery } = splitProxyUrl(url, target.params.integrationId !== undefined);
      checkProxyTarget(rawPath, rawQuery);
      const caller = { projectId: target.projectId, user: principal.user, permissions: principal.permissions };
      const account = warmAccount(context, services.refresher, caller, target.params, headers[CREDENTIAL_HEADER]);
      // The rate limits last: a call left to Fastify must not have spent them.
      if (!account || !takeRateLimits(services, target.projectId, principal.user.id)) return false;
      stampLastUse(context, account.credential.row);
      if (options.logRequests) logWhenDone(context, method, url, response);
      const answer = new LaneAnswer(context, response, cors);
      const call: CallerRequest = { headers, method, rawPath, rawQuery, body: NO_BODY, inferContentType: false, allowPrivate: principal.project.allowPrivateUpstreams };
      if (body === 'none') {
        send(context, services, answer, account, call);
        return true;
      }
      // A small body is read whole, as the route reads it; a caller gone mid-body leaves nothing to answer.
      replayableBody(request).then(
        (payload) => send(context, services, answer, account, { ...call, body: payload }),
        () => response.destroy(),
      );
      return true;
    } catch {
      // Whatever refused the call, the route refuses it too, with its answer.
      return false;
    }
  };
}

/** The one line per request that app.ts writes at LOG_LEVEL=info and below, saying which way the call was served. */
function logWhenDone(context: AppContext, method: string, url: string, response: ServerResponse): void {
  const started = performance.now();
  response.once('finish', () => {
    context.log.info({ method, path: loggedPath(url), status: response.statusCode, ms: Math.round(performance.now() - started), served: 'warm lane' }, 'request');
  });
}

/**
 * `/projects/<id>/sdk/proxy/<type>/<path>` or `/projects/<id>/sdk/proxy/custom/<integrationId>/<path>`, when the
 * router would hand Fastify's proxy route exactly these parts: segments it would decode (`%`) are left to it.
 */
function laneTarget(url: string): { projectId: string; params: ProxyParams } | undefined {
  const idEnd = url.indexOf('/', PROJECTS.length);
  if (idEnd === -1 || !url.startsWith(SDK_PROXY, idEnd)) return undefined;
  const projectId = url.slice(PROJECTS.length, idEnd);
  const typeStart = idEnd + SDK_PROXY.length;
  const typeEnd = url.indexOf('/', typeStart);
  if (typeEnd === -1) return undefined;
  const type = url.slice(typeStart, typeEnd);
  let params: ProxyParams = { integrationType: type };
  let pathStart = typeEnd + 1;
  if (type === 'custom') {
    const idEndOfCustom = url.indexOf('/', pathStart);
    if (idEndOfCustom === -1) return undefined;
    params = { integrationId: url.slice(pathStart, idEndOfCustom) };
    pathStart = idEndOfCustom + 1;
  }
  const name = params.integrationId ?? type;
  if (!plainSegment(projectId) || !plainSegment(name)) return undefined;
  const queryAt = url.indexOf('?', pathStart);
  if ((queryAt === -1 ? url.length : queryAt) - pathStart > MAX_PATH) return undefined;
  return { projectId, params };
}

const plainSegment = (segment: string) => segment !== '' && !segment.includes('%') && !segment.includes('?') && !segment.includes(';');

/**
 * Whether the route would take the call's headers as they are, and with which body: none, or one small enough
 * to be read whole (`SWITCHBOARD_PROXY_REPLAYABLE_BODY_BYTES`, as the route reads it). Undefined for anything
 * the route must check or act on: a retry, an over-long credential id, `Content-Type: auto` (inferred from the
 * body), a body that streams (chunked, or larger), and a Content-Type that Fastify might refuse (415) on a method
 * that may carry a body.
 */
function laneBody(method: string, headers: IncomingHttpHeaders, replayableBytes: number): 'none' | 'small' | undefined {
  if (headers[RETRY_HEADER] !== undefined) return undefined;
  const credential = headers[CREDENTIAL_HEADER];
  if (credential !== undefined && (typeof credential !== 'string' || credential.length > 100)) return undefined;
  const type = headers['content-type'];
  if (type !== undefined && (asksToInferContentType(type) || (!BODILESS.has(method) && !PLAIN_MEDIA_TYPE.test(type)))) return undefined;
  const kind = bodyKind(headers, replayableBytes);
  return kind === 'streamed' ? undefined : kind;
}

/** Forwards the call and answers what fails before the answer started, as the route would. */
function send(context: AppContext, services: ProxyServices, answer: LaneAnswer, account: Account, call: CallerRequest): void {
  forward(context, services.refresher, answer, account, call).catch((error: unknown) => answer.fail(error));
}

/** Methods whose Content-Type Fastify does not look at. */
const BODILESS = new Set(['GET', 'HEAD']);
/**
 * `type/subtype`, then parameters if any: every value this matches, Fastify takes as a valid media type (its
 * `lib/content-type.js`); anything else goes to the route, which answers what Fastify says (415).
 */
const PLAIN_MEDIA_TYPE = /^[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+\s*(?:;.*)?$/;

/** The answer straight into the response, with the CORS headers the route would have set. A class: see ProxyAnswer. */
export class LaneAnswer implements ProxyAnswer {
  constructor(
    private readonly context: AppContext,
    readonly raw: ServerResponse,
    private readonly cors: Record<string, string>,
  ) {}

  get started(): boolean {
    return this.raw.headersSent;
  }

  startStreaming(statusCode: number, providerHeaders: ProviderHeaders): ServerResponse {
    this.raw.writeHead(statusCode, answerHead(this.context, providerHeaders, this.cors));
    return this.raw;
  }

  send(statusCode: number, providerHeaders: ProviderHeaders, body: Readable | undefined): undefined {
    const response = this.raw;
    response.writeHead(statusCode, answerHead(this.context, providerHeaders, this.cors));
    if (body === undefined) response.end();
    else pipeline(body, response, (error) => error && response.destroy());
    return undefined;
  }

  callerGone(): undefined {
    this.context.log.info('the client closed the connection before the provider answered');
    if (!this.raw.headersSent) this.raw.writeHead(499);
    this.raw.end();
    return undefined;
  }

  /** An error before any of the answer went out, in the one error shape (http/error-handler.ts); after, a cut. */
  fail(error: unknown): void {
    const response = this.raw;
    if (response.headersSent) {
      response.destroy();
      return;
    }
    const { statusCode, headers, body } = errorAnswer(error, this.context.log);
    const text = JSON.stringify(body);
    response.writeHead(statusCode, {
      ...this.cors,
      ...headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      [ERROR_CODE_HEADER]: body.code,
      ...(this.context.lifecycle.closing && { connection: 'close' }),
    });
    response.end(text);
  }
}
