import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { AppContext } from '../app-context.js';
import type {} from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import { ErrorResponse, IntegrationMetadata, SdkIntegration, type ProjectPortalLook } from '@switchboard/wire';
import { integrationVisible } from '../users/permissions.js';
import { lacksOAuthClient, projectCatalog, type ProjectIntegration } from './integration-store.js';
import { integrationMetadata, integrationView } from './integration-views.js';
import { cachedPublishedWorkflows } from '../workflows/workflow-store.js';

/** The integrations an end user can connect: active, with an OAuth app when they need one, and not hidden from the token. */
const connectable = (integrations: readonly ProjectIntegration[], permissions: Parameters<typeof integrationVisible>[0]) =>
  integrations.filter((integration) => integration.isActive && !lacksOAuthClient(integration) && integrationVisible(permissions, integration.type));

/** A published workflow, as /sdk/integrations lists it under its integration. */
type Published = Awaited<ReturnType<typeof cachedPublishedWorkflows>>[number];

/**
 * Each integration's views, built once per cached integration (a change to the project's integrations makes new
 * objects, and so new views) and, for /sdk/integrations, per set of its published workflows and per project look:
 * the listings then cost a filter and a serialization, not a rebuild of every view (custom integrations' inputs,
 * icons, configs).
 */
const views = new WeakMap<ProjectIntegration, { publicUrl: string; metadata: IntegrationMetadata; shapedBy?: string; view?: SdkIntegration }>();

function viewsOf(publicUrl: string, integration: ProjectIntegration) {
  let known = views.get(integration);
  if (!known || known.publicUrl !== publicUrl) {
    known = { publicUrl, metadata: integrationMetadata(publicUrl, integration) };
    views.set(integration, known);
  }
  return known;
}

function integrationViewOf(publicUrl: string, integration: ProjectIntegration, published: readonly Published[], look: ProjectPortalLook): SdkIntegration {
  const known = viewsOf(publicUrl, integration);
  const key = `${JSON.stringify(published)}\n${JSON.stringify(look)}`;
  if (known.view === undefined || known.shapedBy !== key) {
    known.view = integrationView(publicUrl, integration, [...published], look);
    known.shapedBy = key;
  }
  return known.view;
}

/**
 * The serialized answers, per cached catalog (a change to the project's integrations makes a new catalog object) and
 * per what else shapes them: the integrations the token sees and, for /sdk/integrations, the published workflows. A
 * project's tokens almost always see the same list, so one answer per route is kept; with 500 integrations that
 * answer is about 250 KB of JSON, which is what the route would otherwise serialize on every call.
 */
const answers = new WeakMap<readonly ProjectIntegration[], { integrations?: { key: string; json: Buffer }; metadata?: { key: string; json: Buffer } }>();

function answerOf(catalog: readonly ProjectIntegration[], route: 'integrations' | 'metadata', key: string, serialize: () => string): Buffer {
  let known = answers.get(catalog);
  if (!known) answers.set(catalog, (known = {}));
  const cached = known[route];
  if (cached?.key === key) return cached.json;
  // Kept encoded: writing a string of that size to the socket would UTF-8 encode it again on every call.
  const json = Buffer.from(serialize());
  known[route] = { key, json };
  return json;
}

/** What of the published workflows /sdk/integrations shows: a new version, or one (de)activated, changes it. */
const workflowsKey = (workflows: readonly Published[]) => workflows.map((workflow) => `${workflow.id}@${workflow.version}@${workflow.dateUpdated}`).join(',');

/** An answer serialized earlier by this route's own serializer goes out as it is (Fastify sends a Buffer untouched). */
const sendSerialized = (reply: FastifyReply, json: Buffer) => reply.type('application/json; charset=utf-8').send(json);

/** GET /sdk/integrations and GET /sdk/metadata: the project's active integrations the user token is offered. */
export function sdkIntegrationRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { publicUrl } = context.config;
  return async (app) => {
    app.get('/integrations', { schema: { tags: ['SDK'], summary: "The project's active integrations, with portal config", response: { 200: Type.Array(SdkIntegration), '4xx': ErrorResponse } } }, async (request, reply) => {
      const [catalog, workflows] = await Promise.all([projectCatalog(context, request.sdk.project.id), cachedPublishedWorkflows(context, request.sdk.project.id)]);
      const offered = connectable(catalog.all, request.sdk.permissions);
      // The project's look is a default of every view: a change to it (the project cache drops) makes new answers.
      const look = request.sdk.project.portal;
      const key = `${offered.map((integration) => integration.id).join(',')}\n${workflowsKey(workflows)}\n${JSON.stringify(look)}`;
      const json = answerOf(catalog.all, 'integrations', key, () => {
        const byIntegration = new Map<string, Published[]>();
        for (const workflow of workflows) byIntegration.set(workflow.integrationId, [...(byIntegration.get(workflow.integrationId) ?? []), workflow]);
        // The route's own serializer: a field its answer schema does not declare still never leaves the server.
        return String(reply.serialize(offered.map((integration) => integrationViewOf(publicUrl, integration, byIntegration.get(integration.id) ?? [], look))));
      });
      return sendSerialized(reply, json);
    });

    app.get('/metadata', { schema: { tags: ['SDK'], summary: 'Name, brand colour and icon of each active integration', response: { 200: Type.Array(IntegrationMetadata), '4xx': ErrorResponse } } }, async (request, reply) => {
      const catalog = await projectCatalog(context, request.sdk.project.id);
      const offered = connectable(catalog.all, request.sdk.permissions);
      const json = answerOf(catalog.all, 'metadata', offered.map((integration) => integration.id).join(','), () =>
        String(reply.serialize(offered.map((integration) => viewsOf(publicUrl, integration).metadata))),
      );
      return sendSerialized(reply, json);
    });
  };
}
