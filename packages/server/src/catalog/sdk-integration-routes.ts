import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../app-context.js';
import type {} from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import { ErrorResponse, IntegrationMetadata, SdkIntegration } from '@switchboard/wire';
import { integrationVisible } from '../users/permissions.js';
import { lacksOAuthClient, projectCatalog, type ProjectIntegration } from './integration-store.js';
import { integrationMetadata, integrationView } from './integration-views.js';

/** The integrations an end user can connect: active, with an OAuth app when they need one, and not hidden from the token. */
const connectable = (integrations: readonly ProjectIntegration[], permissions: Parameters<typeof integrationVisible>[0]) =>
  integrations.filter((integration) => integration.isActive && !lacksOAuthClient(integration) && integrationVisible(permissions, integration.type));

/** GET /sdk/integrations and GET /sdk/metadata: the project's active integrations the user token is offered. */
export function sdkIntegrationRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/integrations', { schema: { tags: ['SDK'], summary: "The project's active integrations, with portal config", response: { 200: Type.Array(SdkIntegration), '4xx': ErrorResponse } } }, async (request) => {
      const integrations = connectable((await projectCatalog(context, request.sdk.project.id)).all, request.sdk.permissions);
      return integrations.map((integration) => integrationView(context.config.publicUrl, integration));
    });

    app.get('/metadata', { schema: { tags: ['SDK'], summary: 'Name, brand colour and icon of each active integration', response: { 200: Type.Array(IntegrationMetadata), '4xx': ErrorResponse } } }, async (request) => {
      const integrations = connectable((await projectCatalog(context, request.sdk.project.id)).all, request.sdk.permissions);
      return integrations.map((integration) => integrationMetadata(context.config.publicUrl, integration));
    });
  };
}
