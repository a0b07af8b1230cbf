import { Type } from '@sinclair/typebox';
import { findBuiltInIntegration, type IntegrationDefinition } from '@switchboard/catalog';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { AppContext } from '../app-context.js';
import { apiError } from '../errors.js';
import { parseJson } from '../json.js';

// Icons are images, but an SVG opened directly is a document: forbid script and everything else it could load.
function sendSvg(reply: FastifyReply, svg: string, maxAge: number) {
  return reply
    .header('content-type', 'image/svg+xml')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox")
    .header('x-content-type-options', 'nosniff')
    .header('cross-origin-resource-policy', 'cross-origin')
    .header('cache-control', `public, max-age=${maxAge}`)
    .send(svg);
}

/** Integration icons at stable URLs on our own server, so portals work offline and no CDN sees our users. */
export function iconRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    // `/integrations/<type>.svg` is where the reference SDK looks (`<CDN host>/integrations/<type>.svg`).
    for (const url of ['/icons/:file', '/integrations/:file']) {
      app.get(url, { schema: { hide: true, params: Type.Object({ file: Type.String({ maxLength: 100 }) }) } }, async (request, reply) => {
        const type = request.params.file.replace(/\.svg$/, '');
        const definition = findBuiltInIntegration(type);
        if (!definition) throw apiError('ICON_NOT_FOUND', 'No such icon');
        return sendSvg(reply, definition.iconSvg, 86_400);
      });
    }
    app.get(
      '/icons/custom/:file',
      { schema: { hide: true, params: Type.Object({ file: Type.String({ maxLength: 100 }) }) } },
      async (request, reply) => {
        const id = request.params.file.replace(/\.svg$/, '');
        const row = await context.db.selectFrom('custom_integrations').select('definition').where('id', '=', id).executeTakeFirst();
        const definition = parseJson<IntegrationDefinition | undefined>(row?.definition, undefined);
        if (!definition) throw apiError('ICON_NOT_FOUND', 'No such icon');
        return sendSvg(reply, definition.iconSvg, 300);
      },
    );
  };
}
