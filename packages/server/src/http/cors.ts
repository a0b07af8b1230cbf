import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.js';
import { originAllowed } from '../projects/allowed-origins.js';
import { projectOfRequest } from '../projects/request-project.js';

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
];

/** Proxy API calls carry the provider's own headers too (`Notion-Version`, `If-None-Match`...). */
const PROXY_PATH = /^\/projects\/[^/?#]+\/sdk\/proxy\//;

/** The demo's user tokens: the demo app may run on another local origin (a Vite dev server). */
const DEMO_SESSION_PATH = /^\/demo\/session(?:[?#]|$)/;

/** Response headers a browser app may read: which error Switchboard itself answered (see error-reply.ts). */
const EXPOSED_HEADERS = ['X-Switchboard-Error'];

export interface CorsOptions {
  /** The dev project, when the demo is on: /demo/session answers its allowed origins. */
  demoProjectId?: string | undefined;
}

/**
 * CORS for the SDK REST API: a customer's app calls it from its own origin. Each project lists its allowed origins;
 * other origins, and every route outside /projects/:id/ (but /demo/session, for the dev project's origins), get no
 * CORS headers at all.
 */
export async function registerCors(app: FastifyInstance, context: AppContext, options: CorsOptions = {}): Promise<void> {
  await app.register(cors, {
    hook: 'onRequest',
    delegator: (request, callback) => {
      const origin = request.headers.origin;
      const projectId =
        request.url.match(PROJECT_PATH)?.[1] ?? (options.demoProjectId && DEMO_SESSION_PATH.test(request.url) ? options.demoProjectId : undefined);
      if (!origin || !projectId) return callback(null, { origin: false });
      const proxied = PROXY_PATH.test(request.url);
      // Project ids are UUIDs; anything that needs decoding is no project of ours.
      projectOfRequest(context.db, request, projectId)
        .then((project) =>
          callback(null, {
            origin: project !== undefined && originAllowed(project.allowedOrigins, origin) ? origin : false,
            methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
            // Proxy calls: allow the headers the preflight asks for, and let the app read the provider's answer
            // headers (rate-limit counters, ETag, Location); no cookies ride on these requests, so `*` holds. The
            // error header is named as well, so it stays readable for a request sent with credentials.
            ...(proxied ? { exposedHeaders: ['*', ...EXPOSED_HEADERS] } : { allowedHeaders: ALLOWED_HEADERS, exposedHeaders: EXPOSED_HEADERS }),
            // An OPTIONS without Access-Control-Request-Method is no preflight: on the proxy it is a real OPTIONS call
            // for the provider; elsewhere it meets the router's 404 in the one error shape (not a plain-text 400).
            ...(!request.headers['access-control-request-method'] && { preflight: false }),
            maxAge: 600,
          }),
        )
        .catch((error: Error) => callback(error, { origin: false }));
    },
  });
}
