import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.js';
import { FAVICON_SVG } from './favicon.js';
import { HOME_CSP, homePage } from './home-page.js';

/**
 * `GET /`: a small page naming what this server offers (the demo when it is on, the API description, the SDK script,
 * the health check, the docs), instead of a 404; and the favicon it names. Neither loads anything from elsewhere.
 */
export function homeRoutes(context: AppContext) {
  const html = homePage({ demo: context.config.demo });

  return async (app: FastifyInstance) => {
    app.get('/', { schema: { hide: true } }, (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', HOME_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        // The page changes only with the server's configuration: revalidate rather than keep a stale demo link.
        .header('cache-control', 'no-cache')
        .send(html),
    );

    app.get('/favicon.svg', { schema: { hide: true } }, (_request, reply) =>
      reply
        .type('image/svg+xml')
        // An SVG opened on its own is a document: it may run and load nothing.
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'public, max-age=86400')
        .send(FAVICON_SVG),
    );

    // Browsers ask for /favicon.ico on pages that name no icon (the API's JSON, /health).
    app.get('/favicon.ico', { schema: { hide: true } }, (_request, reply) => reply.redirect('/favicon.svg', 301));
  };
}
