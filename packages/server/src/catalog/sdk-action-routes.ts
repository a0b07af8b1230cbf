import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { IntegrationAction } from '@switchboard/catalog';
import { ActionToolList, ErrorResponse, type ActionTool } from '@switchboard/wire';
import type { AppContext } from '../app-context.js';
import { listUserCredentials } from '../credentials/credential-store.js';
import { integrationVisible } from '../users/permissions.js';
import { lacksOAuthClient, projectCatalog } from './integration-store.js';

/** An action as a function-calling tool: what an agent (or a language model) is given to choose and call it. */
const actionTool = (action: IntegrationAction): ActionTool => ({
  type: 'function',
  function: { name: action.name, title: action.title, description: action.description, parameters: action.inputSchema },
});

/** GET /sdk/actions: the actions of each integration the user has a valid account of, as tools an agent can call. */
export function sdkActionRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/actions',
      {
        schema: {
          tags: ['SDK'],
          summary: 'The actions of each integration the user has connected, as tools an agent can call',
          querystring: Type.Object({ integrations: Type.Optional(Type.String({ maxLength: 2_000, description: 'Comma-separated integration types; all connected ones without it' })) }),
          response: { 200: ActionToolList, '4xx': ErrorResponse },
        },
      },
      async (request) => {
        const wanted = request.query.integrations?.split(',').map((type) => type.trim()).filter(Boolean);
        const [catalog, credentials] = await Promise.all([projectCatalog(context, request.sdk.project.id), listUserCredentials(context.db, request.sdk.user.id)]);
        const connected = new Set(credentials.filter((credential) => credential.status === 'VALID').map((credential) => credential.integrationId));
        const actions: Record<string, ActionTool[]> = {};
        for (const integration of catalog.all) {
          // Offered to this token as /sdk/integrations offers it: active, connectable, not hidden by its permissions.
          if (!integration.isActive || lacksOAuthClient(integration) || !integrationVisible(request.sdk.permissions, integration.type)) continue;
          if (!connected.has(integration.id) || (wanted && !wanted.includes(integration.type))) continue;
          if (integration.definition.actions?.length) actions[integration.type] = integration.definition.actions.map(actionTool);
        }
        return { actions };
      },
    );
  };
}
