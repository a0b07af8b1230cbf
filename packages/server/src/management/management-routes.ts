import { createPublicKey } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { findBuiltInIntegration } from '@switchboard/catalog';
import type { AppContext } from '../app-context.js';
import {
  ConnectedUsersPage,
  CreatedCustomIntegration,
  CreatedProject,
  CredentialEvent,
  CustomIntegration,
  CustomIntegrationInput,
  ErrorResponse,
  IntegrationAction,
  IntegrationSettings,
  ManagedIntegration,
  Project,
  ProjectChanges,
  ProjectCreate,
  SigningKey,
  SigningKeyInput,
} from '@switchboard/wire';
import {
  createCustomIntegration,
  deleteCustomIntegration,
  listCustomIntegrations,
  updateCustomIntegration,
  type StoredCustomIntegration,
} from '../catalog/custom-integrations.js';
import { configureIntegration, findIntegration, integrationsChanged, listIntegrations, type ProjectIntegration } from '../catalog/integration-store.js';
import { listCredentialEvents } from '../credentials/audit-log.js';
import { apiError } from '../errors.js';
import { ProjectParams } from '../http/schemas.js';
import { invalidOriginEntry } from '../projects/allowed-origins.js';
import { projectChanged } from '../projects/project-lookup.js';
import { addSigningKey, createProject, listSigningKeys, removeSigningKey, updateProject } from '../projects/project-store.js';
import { RateLimiter } from '../http/rate-limiter.js';
import { AdminKeyGuard, adminKeyAuth, projectSecretKeyAuth } from './management-auth.js';
import { ConnectedUsersQuery, connectedUsersPage } from './connected-users-listing.js';
import type { WorkflowEngine } from '../workflows/run-engine.js';
import { workflowManagementRoutes } from '../workflows/workflow-management-routes.js';
import type { WebhookDeliveries } from '../webhooks/webhook-deliveries.js';
import { webhookRoutes } from '../webhooks/webhook-routes.js';

function checkOrigins(origins: string[] | undefined) {
  origins?.forEach((origin, index) => {
    const problem = invalidOriginEntry(origin);
    if (problem) throw apiError('INVALID_ORIGIN', `allowedOrigins[${index}] ${problem}`, { field: `allowedOrigins[${index}]` });
  });
}

/** An integration as the management API shows it: whether a client secret is set, never the secret. */
function managedIntegrationView(integration: ProjectIntegration): ManagedIntegration {
  return {
    id: integration.id,
    type: integration.type,
    name: integration.definition.name,
    customIntegrationId: integration.customIntegrationId,
    isActive: integration.isActive,
    clientId: integration.clientId,
    hasClientSecret: integration.hasClientSecret,
    scopes: integration.scopes,
    portal: integration.portal,
    dateCreated: integration.dateCreated,
    dateUpdated: integration.dateUpdated,
  };
}

/** 204: no body. */
const Removed = Type.Null({ description: 'Removed' });

/** A stored custom integration; its definition is the data the provider engine runs, secrets sealed. */
const customIntegrationView = (stored: StoredCustomIntegration): CustomIntegration => ({ ...stored, definition: { ...stored.definition } });

function checkPublicKey(pem: string) {
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new Error('weak');
  } catch {
    throw apiError('INVALID_PUBLIC_KEY', 'publicKeyPem must be an RSA public key of at least 2048 bits, PEM encoded', { field: 'publicKeyPem' });
  }
  if (/PRIVATE KEY/.test(pem)) throw apiError('INVALID_PUBLIC_KEY', 'publicKeyPem must be a public key; never send a private key', { field: 'publicKeyPem' });
}

/** Server-to-server management API under /api/v1 (the dashboard stands on it). */
export function managementRoutes(
  context: AppContext,
  adminKey: string,
  workflows: WorkflowEngine | undefined,
  webhooks?: WebhookDeliveries,
): FastifyPluginAsyncTypebox {
  const adminKeyGuard = new AdminKeyGuard(adminKey, RateLimiter.perMinute(context.config.limits.adminKeyFailuresPerMinute));
  return async (app) => {
    app.post(
      '/projects',
      {
        onRequest: adminKeyAuth(adminKeyGuard),
        schema: {
          tags: ['Management'],
          summary: 'Create a project (admin key); answers its secret key once',
          body: ProjectCreate,
          response: { 201: CreatedProject, '4xx': ErrorResponse },
        },
      },
      async (request, reply) => {
        checkOrigins(request.body.allowedOrigins);
        const created = await createProject(context.db, request.body);
        return reply.code(201).send(created);
      },
    );

    await app.register(async (projectScope) => {
      // onRequest: a missing or wrong key is refused before the body is read or validated.
      projectScope.addHook('onRequest', projectSecretKeyAuth(context, adminKeyGuard));
      const scoped = projectScope.withTypeProvider<import('@fastify/type-provider-typebox').TypeBoxTypeProvider>();
      const tags = ['Management'];
      await projectScope.register(workflowManagementRoutes(context, workflows));
      await projectScope.register(webhookRoutes(context, webhooks));

      scoped.get('/projects/:projectId', { schema: { tags, params: ProjectParams, response: { 200: Project, '4xx': ErrorResponse } } }, async (request) => request.managedProject);

      scoped.patch(
        '/projects/:projectId',
        {
          // The admin key may change any project; it alone may let one reach private networks.
          config: { adminKeyAllowed: true },
          schema: {
            tags,
            summary: 'Rename a project, replace its allowed browser origins, or let its custom integrations reach private networks',
            params: ProjectParams,
            body: ProjectChanges,
            response: { 200: Project, '4xx': ErrorResponse },
          },
        },
        async (request) => {
          checkOrigins(request.body.allowedOrigins);
          // A project's own key may turn the opt-in off (or leave it as it is), never on: its custom integrations
          // would then reach the instance's own network.
          if (request.body.allowPrivateUpstreams && !request.managedProject.allowPrivateUpstreams && !request.managedByAdmin) {
            throw apiError('ADMIN_KEY_REQUIRED', "Only the instance's admin key (SWITCHBOARD_ADMIN_KEY) can turn on allowPrivateUpstreams", {
              field: 'allowPrivateUpstreams',
            });
          }
          const updated = await updateProject(context.db, request.managedProject.id, request.body);
          await projectChanged(context, request.managedProject.id);
          return updated;
        },
      );

      scoped.get('/projects/:projectId/signing-keys', { schema: { tags, params: ProjectParams, response: { 200: Type.Array(SigningKey), '4xx': ErrorResponse } } }, async (request) =>
        listSigningKeys(context.db, request.managedProject.id),
      );

      scoped.post(
        '/projects/:projectId/signing-keys',
        {
          schema: {
            tags,
            summary: 'Add a public key that user tokens may be signed with',
            params: ProjectParams,
            body: SigningKeyInput,
            response: { 201: SigningKey, '4xx': ErrorResponse },
          },
        },
        async (request, reply) => {
          checkPublicKey(request.body.publicKeyPem);
          const added = await addSigningKey(context.db, request.managedProject.id, request.body);
          await projectChanged(context, request.managedProject.id);
          if (!added) throw apiError('SIGNING_KEY_EXISTS', `A key with id ${request.body.id} exists`);
          return reply.code(201).send(added);
        },
      );

      scoped.delete(
        '/projects/:projectId/signing-keys/:keyId',
        {
          schema: {
            tags,
            summary: 'Remove a signing key: tokens signed with it are refused from then on',
            params: Type.Object({ projectId: Type.String(), keyId: Type.String({ maxLength: 100 }) }),
            response: { 204: Removed, '4xx': ErrorResponse },
          },
        },
        async (request, reply) => {
          const removed = await removeSigningKey(context.db, request.managedProject.id, request.params.keyId);
          // Its tokens stop working on every instance at once.
          await projectChanged(context, request.managedProject.id);
          if (!removed) throw apiError('SIGNING_KEY_NOT_FOUND', 'No such signing key');
          return reply.code(204).send(null);
        },
      );

      scoped.get('/projects/:projectId/integrations', { schema: { tags, params: ProjectParams, response: { 200: Type.Array(ManagedIntegration), '4xx': ErrorResponse } } }, async (request) =>
        (await listIntegrations(context.db, request.managedProject.id)).map(managedIntegrationView),
      );

      scoped.put(
        '/projects/:projectId/integrations/:type',
        {
          schema: {
            tags,
            summary: 'Activate, deactivate or configure an integration: OAuth app, scopes, portal config',
            params: Type.Object({ projectId: Type.String(), type: Type.String({ minLength: 1, maxLength: 100 }) }),
            body: IntegrationSettings,
            response: { 200: ManagedIntegration, '4xx': ErrorResponse },
          },
        },
        async (request) => {
          // A new integration is active unless said otherwise; an existing one keeps its state unless isActive is given.
          const integration = await configureIntegration(context.db, context.secrets, request.managedProject.id, request.params.type, request.body);
          await integrationsChanged(context, request.managedProject.id);
          return managedIntegrationView(integration);
        },
      );

      scoped.get(
        '/projects/:projectId/integrations/:type/actions',
        {
          schema: {
            tags,
            summary: "The actions an integration declares, which workflows' Action steps (and agents) call by name",
            params: Type.Object({ projectId: Type.String(), type: Type.String({ minLength: 1, maxLength: 120 }) }),
            response: { 200: Type.Array(IntegrationAction), '4xx': ErrorResponse },
          },
        },
        async (request) => {
          // A built-in integration's actions can be read before the project activates it, to plan workflows.
          const integration = await findIntegration(context.db, request.managedProject.id, { type: request.params.type });
          const definition = integration?.definition ?? findBuiltInIntegration(request.params.type);
          if (!definition) throw apiError('INTEGRATION_NOT_FOUND', `${request.params.type} is neither in this project nor in the catalog`, { field: 'type' });
          return definition.actions ?? [];
        },
      );

      scoped.get('/projects/:projectId/custom-integrations', { schema: { tags, params: ProjectParams, response: { 200: Type.Array(CustomIntegration), '4xx': ErrorResponse } } }, async (request) =>
        (await listCustomIntegrations(context.db, request.managedProject.id)).map(customIntegrationView),
      );

      scoped.post(
        '/projects/:projectId/custom-integrations',
        {
          schema: {
            tags,
            summary: 'Define a custom integration',
            params: ProjectParams,
            body: CustomIntegrationInput,
            response: { 201: CreatedCustomIntegration, '4xx': ErrorResponse },
          },
        },
        async (request, reply) => {
          const created = await createCustomIntegration(context.db, context.secrets, request.managedProject.id, request.body, request.managedProject);
          await integrationsChanged(context, request.managedProject.id);
          return reply.code(201).send(created);
        },
      );

      scoped.put(
        '/projects/:projectId/custom-integrations/:id',
        {
          schema: {
            tags,
            summary: "Replace a custom integration's definition",
            params: Type.Object({ projectId: Type.String(), id: Type.String({ maxLength: 100 }) }),
            body: CustomIntegrationInput,
            response: { 200: CustomIntegration, '4xx': ErrorResponse },
          },
        },
        async (request) => {
          await updateCustomIntegration(context.db, context.secrets, request.managedProject.id, request.params.id, request.body, request.managedProject);
          await integrationsChanged(context, request.managedProject.id);
          const updated = (await listCustomIntegrations(context.db, request.managedProject.id)).find((c) => c.id === request.params.id);
          // updateCustomIntegration refuses an unknown id, so this is the row just written.
          return customIntegrationView(updated!);
        },
      );

      scoped.delete(
        '/projects/:projectId/custom-integrations/:id',
        {
          schema: {
            tags,
            summary: 'Remove a custom integration, with its integration and every account connected to it',
            params: Type.Object({ projectId: Type.String(), id: Type.String({ maxLength: 100 }) }),
            response: { 204: Removed, '4xx': ErrorResponse },
          },
        },
        async (request, reply) => {
          const deleted = await deleteCustomIntegration(context.db, request.managedProject.id, request.params.id);
          await integrationsChanged(context, request.managedProject.id);
          if (!deleted) {
            throw apiError('CUSTOM_INTEGRATION_NOT_FOUND', 'No such custom integration');
          }
          return reply.code(204).send(null);
        },
      );

      scoped.get(
        '/projects/:projectId/connected-users',
        {
          schema: {
            tags,
            summary: 'One page of connected users with their credentials (metadata only, never secrets), oldest first',
            params: ProjectParams,
            querystring: ConnectedUsersQuery,
            response: { 200: ConnectedUsersPage, '4xx': ErrorResponse },
          },
        },
        async (request) => connectedUsersPage(context, request.managedProject.id, request.query),
      );

      scoped.get(
        '/projects/:projectId/credential-events',
        {
          schema: {
            tags,
            summary: 'The credential audit log',
            params: ProjectParams,
            querystring: Type.Object({ credentialId: Type.Optional(Type.String({ maxLength: 100 })) }),
            response: { 200: Type.Array(CredentialEvent), '4xx': ErrorResponse },
          },
        },
        async (request) =>
          listCredentialEvents(context.db, request.managedProject.id, request.query.credentialId ? { credentialId: request.query.credentialId } : {}),
      );
    });
  };
}
