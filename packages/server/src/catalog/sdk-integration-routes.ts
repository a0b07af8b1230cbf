import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../app-context.js';
import type {} from '@fastify/swagger';
import { integrationVisible } from '../users/permissions.js';
import { listIntegrations } from './integration-store.js';
import { integrationMetadata, integrationView } from './integration-views.js';

/** GET /sdk/integrations and GET /sdk/metadata: the project's active integrations the user token is offered. */
export function sdkIntegrationRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/integrations', { schema: { tags: ['SDK'], summary: "The project's active integrations, with portal config" } }, async (request) => {
      const integrations = await listIntegrations(context.db, request.sdk.project.id, { activeOnly: true });
      return integrations.filter((i) => integrationVisible(request.sdk.permissions, i.type)).map((integration) => integrationView(context.config.publicUrl, integration));
    });

    app.get('/metadata', { schema: { tags: ['SDK'], summary: 'Name, brand colour and icon of each active integration' } }, async (request) => {
      const integrations = await listIntegrations(context.db, request.sdk.project.id, { activeOnly: true });
      return integrations.filter((i) => integrationVisible(request.sdk.permissions, i.type)).map((integration) => integrationMetadata(context.config.publicUrl, integration));
    });
  };
}
