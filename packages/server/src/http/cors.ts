import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app-context.js';
import { cachedProject, projectOfRequest, type ProjectLookup } from '../projects/project-lookup.js';

// The reference SDK calls a few routes under /v2/projects/... (docs/compatibility.md).
const PROJECT_PATH = /^\/(?:v2\/)?projects\/([^/?#]+)\//;

/** Headers the reference SDK sends (docs/compatibility.md); preflights must allow them. */
const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Accept',
  'X-Paragon-SDK-Version',
  'X-Paragon-Credential',
  'X-Paragon-Configuration-Id',
  'X-Switchboard-SDK-Version',
  'X-Switchboard-Retry',
].join(', ');

const ALLOWED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].join(', ');

/** Proxy API calls carry the provider's own headers too (`Notion-Version`, `If-None-Match`...). */
const PROXY_PATH = /^\/projects\/[^/?#]+\/sdk\/proxy\//;

/** The demo's user tokens: the demo app may run on another local origin (a Vite dev server). */
const DEMO_SESSION_PATH = /^\/demo\/session(?:[?#]|$)/;

/** Response headers a browser app may read: which error Switchboard itself answered (see error-reply.ts). */
const EXPOSED_HEADERS = 'X-Switchboard-Error';
// Proxy calls: the app may read the provider's answer headers (rate-limit counters, ETag, Location); no cookies
// ride on these requests, so `*` holds. The error header is named as well, so it stays readable for a request
// sent with credentials.
const PROXY_EXPOSED_HEADERS = `*, ${EXPOSED_HEADERS}`;

/** How long a browser may reuse a preflight's answer, seconds. */
const PREFLIGHT_MAX_AGE = '600';

export interface CorsOptions {
  /** The dev project, when the demo is on: /demo/session answers its allowed origins. */
  demoProjectId?: string | undefined;
}

/**
 * CORS for the SDK REST API: a customer's app calls it from its own origin. Each project lists its allowed origins;
 * other origins, and every route outside /projects/:id/ (but /demo/session, for the dev project's origins), get no
 * CORS headers at all. The project's policy is prepared once (projects/project-lookup.ts) and read from memory, so
 * a request pays a regular expression and a set lookup.
 */
export async function registerCors(app: FastifyInstance, context: Pick<AppContext, 'db' | 'caches'>, options: CorsOptions = {}): Promise<void> {
  app.addHook('onRequest', (request, reply, done) => {
    const url = request.url;
    const projectId = PROJECT_PATH.exec(url)?.[1] ?? (options.demoProjectId && DEMO_SESSION_PATH.test(url) ? options.demoProjectId : undefined);
    if (!projectId) return done();
    // The answer depends on Origin, whether or not this request has one (shared caches must not mix them up).
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (!origin) return done();
    const decide = (lookup: ProjectLookup | undefined) => {
      if (!lookup?.allowsOrigin(origin)) return done();
      if (answerCors(request, reply, origin, PROXY_PATH.test(url))) return undefined;
      return done();
    };
    // From memory when warm, without a promise; else read. (Project ids are UUIDs; anything that needs decoding
    // is no project of ours.)
    const cached = cachedProject(context, projectId);
    if (cached) return decide(cached);
    projectOfRequest(context, request, projectId).then(decide, done);
  });
  // A preflight is answered by the hook above; any other OPTIONS outside the proxy meets the router's 404 in the
  // one error shape (not a plain-text 400).
  app.options('*', { schema: { hide: true } }, (_request, reply) => reply.callNotFound());
}

/** The CORS headers of a proxied call's answer (not a preflight): the same as the hook above gives such a call. */
export function proxyCallCorsHeaders(lookup: ProjectLookup, origin: string | undefined): Record<string, string> {
  if (!origin || !lookup.allowsOrigin(origin)) return { vary: 'Origin' };
  return { vary: 'Origin', 'access-control-allow-origin': origin, 'access-control-expose-headers': PROXY_EXPOSED_HEADERS };
}

/** Adds the CORS headers for an allowed origin; answers a preflight itself (then returns true). */
function answerCors(request: FastifyRequest, reply: FastifyReply, origin: string, proxied: boolean): boolean {
  reply.header('access-control-allow-origin', origin);
  reply.header('access-control-expose-headers', proxied ? PROXY_EXPOSED_HEADERS : EXPOSED_HEADERS);
  // An OPTIONS without Access-Control-Request-Method is no preflight: on the proxy it is a real OPTIONS call for
  // the provider; elsewhere it meets the 404 above.
  if (request.raw.method !== 'OPTIONS' || !request.headers['access-control-request-method']) return false;
  reply.header('access-control-allow-methods', ALLOWED_METHODS);
  if (proxied) {
    // Proxy calls: allow the headers the preflight asks for.
    reply.header('vary', 'Origin, Access-Control-Request-Headers');
    const asked = request.headers['access-control-request-headers'];
    if (asked !== undefined) reply.header('access-control-allow-headers', asked);
  } else {
    reply.header('access-control-allow-headers', ALLOWED_HEADERS);
  }
  reply.header('access-control-max-age', PREFLIGHT_MAX_AGE);
  // Safari needs Content-Length: 0 on a 204, or it waits for a body.
  reply.code(204).header('content-length', '0').send();
  return true;
}
