import { access } from 'node:fs/promises';
import { join, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.js';
import { apiError } from '../errors.js';
import type { DevProjectFile } from '../projects/dev-project.js';
import { demoSessionRoute } from './demo-session.js';

/** The demo is a page of this server talking to this server; nothing else may load into it or frame it. */
export const DEMO_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Vite names the files under assets/ by their content hash: a changed file is a new URL. */
const HASHED_ASSET_CACHE = 'public, max-age=31536000, immutable';

/**
 * A request path the demo serves: no `.`/`..` segment, backslash or NUL. @fastify/send refuses paths that leave
 * the root too (with a 403); refusing them here first makes them the same 404 as any unknown file.
 */
function servablePath(pathname: string): boolean {
  if (pathname.includes('\\') || pathname.includes('\0')) return false;
  return !pathname.split('/').some((segment) => segment === '.' || segment === '..');
}

/**
 * The demo app (examples/catalog, built by `npm run build`) at /demo, and demo user tokens at /demo/session.
 * Registered only when the demo is on, which requires the dev project (see docs/security.md).
 */
export function demoRoutes(context: AppContext, devProject: DevProjectFile) {
  const { demoDir } = context.config;
  const assetsDir = join(demoDir, 'assets');

  return async (app: FastifyInstance) => {
    // Works even when the demo app is not built: an app on another origin (a Vite dev server) can use it.
    await app.register(demoSessionRoute(context, devProject));

    await app.register(async (pages) => {
      pages.addHook('onRequest', async (_request, reply) => {
        reply.header('content-security-policy', DEMO_CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'same-origin');
        // Checked per request, so a demo built after the server started is served without a restart.
        try {
          await access(join(demoDir, 'index.html'));
        } catch {
          reply.header('cache-control', 'no-store');
          throw apiError('DEMO_NOT_BUILT', 'The demo app is not built: run npm run build');
        }
      });

      pages.get('/demo', { schema: { hide: true } }, (request, reply) => {
        const queryAt = request.url.indexOf('?');
        return reply.redirect(`/demo/${queryAt === -1 ? '' : request.url.slice(queryAt)}`, 302);
      });

      await pages.register(fastifyStatic, {
        root: demoDir,
        prefix: '/demo/',
        index: ['index.html'],
        // A directory without its slash, a dotfile, a path outside the root: all the not-found answer.
        redirect: false,
        dotfiles: 'ignore',
        list: false,
        allowedPath: (pathname) => servablePath(pathname),
        decorateReply: false,
        schemaHide: true,
        cacheControl: false,
        setHeaders: (response, path) => {
          // index.html (and anything else not content-hashed) is revalidated on every load.
          response.setHeader('cache-control', path.startsWith(`${assetsDir}${sep}`) ? HASHED_ASSET_CACHE : 'no-cache');
        },
      });
    });
  };
}
