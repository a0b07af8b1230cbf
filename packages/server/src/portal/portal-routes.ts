import { readFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import { Type } from '@sinclair/typebox';
import { micromark } from 'micromark';
import { ErrorResponse, PortalOverview } from '@switchboard/wire';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../app-context.js';
import { findIntegration, integrationNotFound } from '../catalog/integration-store.js';
import { apiError } from '../errors.js';
import { lookupProject } from '../projects/project-lookup.js';
import { allAllowedOrigins } from '../projects/project-store.js';

/** Vite names the files under assets/ by their content hash: a changed file is a new URL. */
const HASHED_ASSET_CACHE = 'public, max-age=31536000, immutable';

/** The `<meta>` the portal reads to know which parents it may talk to; index.html carries it empty. */
const FRAME_ORIGINS_META = '<meta name="switchboard-frame-origins" content="">';

/** A request path the portal serves: no `.`/`..` segment, backslash or NUL (see demo-routes.ts). */
function servablePath(pathname: string): boolean {
  if (pathname.includes('\\') || pathname.includes('\0')) return false;
  return !pathname.split('/').some((segment) => segment === '.' || segment === '..');
}

/**
 * The portal's policy: its own scripts and styles only, icons from this server, no form posts, no plugins; framed
 * only by the origins that may embed the SDK. Styles set from script (the accent colour) go through the CSSOM,
 * which `style-src 'self'` allows.
 */
export function portalCsp(frameOrigins: readonly string[], publicUrl: string): string {
  const iconOrigin = new URL(publicUrl).origin;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' ${iconOrigin} data:`,
    "connect-src 'self'",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${frameOrigins.length > 0 ? frameOrigins.join(' ') : "'none'"}`,
  ].join('; ');
}

/**
 * The origins that may frame the portal: the project's allowed origins when the page names it (`?projectId=`), else
 * every project's (the reference SDK frames `/ui` when it loads, before it knows its project).
 */
async function frameOrigins(context: AppContext, projectId: string | undefined): Promise<string[]> {
  if (projectId) {
    const lookup = await lookupProject(context, projectId);
    if (lookup) return lookup.project.allowedOrigins;
  }
  return allAllowedOrigins(context.db);
}

/** CSP host sources cannot name an IPv6 literal (`http://[::1]:*`): such entries cannot frame the portal. */
const cspSource = (origin: string) => !origin.includes('[');

/**
 * The Connect Portal (packages/portal, built by `npm run build`) at /ui (where the reference SDK frames it) and at
 * /portal, its hashed assets under /portal/assets/. See docs/connect-portal.md.
 */
export function portalRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { portalDir, publicUrl } = context.config;
  const assetsDir = join(portalDir, 'assets');

  return async (app) => {
    const page = async (projectId: string | undefined) => {
      let html: string;
      try {
        // Read per request (it is small), so a portal built after the server started is served without a restart.
        html = await readFile(join(portalDir, 'index.html'), 'utf8');
      } catch {
        throw apiError('PORTAL_NOT_BUILT', 'The Connect Portal is not built: run npm run build');
      }
      const origins = (await frameOrigins(context, projectId)).filter(cspSource);
      // Origins are checked URLs (no space, quote or angle bracket): safe inside the attribute as they are.
      return { html: html.replace(FRAME_ORIGINS_META, `<meta name="switchboard-frame-origins" content="${origins.join(' ')}">`), origins };
    };

    for (const url of ['/ui', '/portal', '/portal/']) {
      app.get(
        url,
        { schema: { hide: true, querystring: Type.Object({ projectId: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: true }) } },
        async (request, reply) => {
          reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
          const { html, origins } = await page(request.query.projectId);
          return reply
            .header('content-type', 'text/html; charset=utf-8')
            .header('content-security-policy', portalCsp(origins, publicUrl))
            .header('cache-control', 'no-store')
            .send(html);
        },
      );
    }

    // Rendered here, not in the portal: a CommonMark parser would double the portal's script. micromark escapes raw
    // HTML and drops unsafe link protocols by default; the text is the integration's own, never the parent page's.
    app.get(
      '/portal/overview',
      {
        schema: {
          hide: true,
          querystring: Type.Object({ projectId: Type.String({ minLength: 1, maxLength: 100 }), integrationId: Type.String({ minLength: 1, maxLength: 100 }) }),
          response: { 200: PortalOverview, '4xx': ErrorResponse },
        },
      },
      async (request, reply) => {
        const { projectId, integrationId } = request.query;
        const integration = (await lookupProject(context, projectId)) ? await findIntegration(context.db, projectId, { id: integrationId }) : undefined;
        if (!integration?.isActive) throw integrationNotFound(integrationId);
        reply.header('cache-control', 'no-cache');
        return { html: micromark(integration.portal.overview ?? integration.definition.overview ?? '') };
      },
    );

    await app.register(async (assets) => {
      assets.addHook('onRequest', async (_request, reply) => {
        reply.header('x-content-type-options', 'nosniff').header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
      });
      await assets.register(fastifyStatic, {
        root: assetsDir,
        prefix: '/portal/assets/',
        redirect: false,
        dotfiles: 'ignore',
        list: false,
        index: false,
        allowedPath: (pathname) => servablePath(pathname),
        decorateReply: false,
        schemaHide: true,
        cacheControl: false,
        setHeaders: (response, path) => {
          response.setHeader('cache-control', path.startsWith(`${assetsDir}${sep}`) ? HASHED_ASSET_CACHE : 'no-cache');
        },
      });
    });
  };
}
