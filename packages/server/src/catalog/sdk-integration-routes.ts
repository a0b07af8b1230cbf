import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../app-context.js';
import type {} from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import type { IntegrationAction } from '@switchboard/catalog';
import { ActionToolList, ErrorResponse, IntegrationMetadata, SdkIntegration, type ActionTool } from '@switchboard/wire';
import { listUserCredentials } from '../credentials/credential-store.js';
import { integrationVisible } from '../users/permissions.js';
import { lacksOAuthClient, projectCatalog, type ProjectIntegration } from './integration-store.js';
import { integrationMetadata, integrationView } from './integration-views.js';
import { publishedWorkflows } from '../workflows/workflow-store.js';

/** The integrations an end user can connect: active, with an OAuth app when they need one, and not hidden from the token. */
const connectable = (integrations: readonly ProjectIntegration[], permissions: Parameters<typeof integrationVisible>[0]) =>
  integrations.filter((integration) => integration.isActive && !lacksOAuthClient(integration) && integrationVisible(permissions, integration.type));

/** A published workflow, as /sdk/integrations lists it under its integration. */
type Published = Awaited<ReturnType<typeof publishedWorkflows>>[number];

/**
 * Each integration's views, built once per cached integration (a change to the project's integrations makes new
 * objects, and so new views) and, for /sdk/integrations, per set of its published workflows: the listings then
 * cost a filter and a serialization, not a rebuild of every view (custom integrations' inputs, icons, configs).
 */
const views = new WeakMap<ProjectIntegration, { publicUrl: string; metadata: IntegrationMetadata; workflows?: string; view?: SdkIntegration }>();

function viewsOf(publicUrl: string, integration: ProjectIntegration) {
  let known = views.get(integration);
  if (!known || known.publicUrl !== publicUrl) {
    known = { publicUrl, metadata: integrationMetadata(publicUrl, integration) };
    views.set(integration, known);
  }
  return known;
}

function integrationViewOf(publicUrl: string, integration: ProjectIntegration, published: readonly Published[]): SdkIntegration {
  const known = viewsOf(publicUrl, integration);
  const key = JSON.stringify(published);
  if (known.view === undefined || known.workflows !== key) {
    known.view = integrationView(publicUrl, integration, [...published]);
    known.workflows = key;
  }
  return known.view;
}

/** An action as a function-calling tool: what an agent (or a language model) is given to choose and call it. */
const actionTool = (action: IntegrationAction): ActionTool => ({
  type: 'function',
  function: { name: action.name, title: action.title, description: action.description, parameters: action.inputSchema },
});

/** GET /sdk/integrations and GET /sdk/metadata: the project's active integrations the user token is offered. */
export function sdkIntegrationRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { publicUrl } = context.config;
  return async (app) => {
    app.get('/integrations', { schema: { tags: ['SDK'], summary: "The project's active integrations, with portal config", response: { 200: Type.Array(SdkIntegration), '4xx': ErrorResponse } } }, async (request) => {
      const [catalog, workflows] = await Promise.all([projectCatalog(context, request.sdk.project.id), publishedWorkflows(context.db, request.sdk.project.id)]);
      const byIntegration = new Map<string, Published[]>();
      for (const workflow of workflows) byIntegration.set(workflow.integrationId, [...(byIntegration.get(workflow.integrationId) ?? []), workflow]);
      return connectable(catalog.all, request.sdk.permissions).map((integration) => integrationViewOf(publicUrl, integration, byIntegration.get(integration.id) ?? []));
    });

    app.get(
      '/actions',
      {
        schema: {
          tags: ['SDK'],
          summary: "The actions of each integration the user has connected, as tools an agent can call",
          querystring: Type.Object({ integrations: Type.Optional(Type.String({ maxLength: 2_000, description: 'Comma-separated integration types; all connected ones without it' })) }),
          response: { 200: ActionToolList, '4xx': ErrorResponse },
        },
      },
      async (request) => {
        const wanted = request.query.integrations?.split(',').map((type) => type.trim()).filter(Boolean);
        const [catalog, credentials] = await Promise.all([projectCatalog(context, request.sdk.project.id), listUserCredentials(context.db, request.sdk.user.id)]);
        const connected = new Set(credentials.filter((credential) => credential.status === 'VALID').map((credential) => credential.integrationId));
        const actions: Record<string, ActionTool[]> = {};
        for (const integration of connectable(catalog.all, request.sdk.permissions)) {
          if (!connected.has(integration.id) || (wanted && !wanted.includes(integration.type))) continue;
          if (integration.definition.actions?.length) actions[integration.type] = integration.definition.actions.map(actionTool);
        }
        return { actions };
      },
    );

    app.get('/metadata', { schema: { tags: ['SDK'], summary: 'Name, brand colour and icon of each active integration', response: { 200: Type.Array(IntegrationMetadata), '4xx': ErrorResponse } } }, async (request) => {
      const integrations = connectable((await projectCatalog(context, request.sdk.project.id)).all, request.sdk.permissions);
      return integrations.map((integration) => viewsOf(publicUrl, integration).metadata);
    });
  };
}
