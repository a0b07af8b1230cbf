import { createPublicKey } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../app-context.js';
import {
  createCustomIntegration,
  deleteCustomIntegration,
  listCustomIntegrations,
  updateCustomIntegration,
  type CustomIntegrationInput,
} from '../catalog/custom-integrations.js';
import { configureIntegration, integrationsChanged, listIntegrations, type ProjectIntegration } from '../catalog/integration-store.js';
import { listCredentialEvents } from '../credentials/audit-log.js';
import { ApiError, badRequest, conflict, notFound } from '../errors.js';
import { ProjectParams } from '../http/schemas.js';
import { invalidOriginEntry } from '../projects/allowed-origins.js';
import { projectChanged } from '../projects/project-lookup.js';
import { addSigningKey, createProject, listSigningKeys, removeSigningKey, updateProject } from '../projects/project-store.js';
import { RateLimiter } from '../http/rate-limiter.js';
import { AdminKeyGuard, adminKeyAuth, projectSecretKeyAuth } from './management-auth.js';
import { ConnectedUsersQuery, connectedUsersPage } from './connected-users-listing.js';

const AllowedOrigins = Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { maxItems: 100 });

function checkOrigins(origins: string[] | undefined) {
  origins?.forEach((origin, index) => {
    const problem = invalidOriginEntry(origin);
    if (problem) throw badRequest('INVALID_ORIGIN', `allowedOrigins[${index}] ${problem}`, { field: `allowedOrigins[${index}]` });
  });
}

const PortalConfig = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 500 })),
    overview: Type.Optional(Type.String({ maxLength: 20_000 })),
    accentColor: Type.Optional(Type.String({ pattern: '^#[0-9a-fA-F]{6}$' })),
  },
  { additionalProperties: false },
);

const IntegrationSettings = Type.Object(
  {
    isActive: Type.Optional(Type.Boolean()),
    clientId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 500 }), Type.Null()])),
    clientSecret: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 2000 }), Type.Null()])),
    scopes: Type.Optional(Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100 }), Type.Null()])),
    portal: Type.Optional(PortalConfig),
  },
  { additionalProperties: false },
);

const InputFieldSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$' }),
    label: Type.String({ minLength: 1, maxLength: 100 }),
    type: Type.Union([Type.Literal('text'), Type.Literal('password'), Type.Literal('url'), Type.Literal('select')]),
    required: Type.Optional(Type.Boolean()),
    help: Type.Optional(Type.String({ maxLength: 500 })),
    placeholder: Type.Optional(Type.String({ maxLength: 200 })),
    pattern: Type.Optional(Type.String({ maxLength: 500 })),
    options: Type.Optional(Type.Array(Type.Object({ value: Type.String(), label: Type.String() }), { maxItems: 100 })),
    secret: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const HttpUrl = Type.String({ minLength: 1, maxLength: 2000 });
const CustomIntegrationBody = Type.Object(
  {
    slug: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,39}$', description: 'Addressed as custom.<slug>' }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    iconSvg: Type.String({ minLength: 1, maxLength: 65_536 }),
    accentColor: Type.String({ pattern: '^#[0-9a-fA-F]{6}$' }),
    auth: Type.Union([
      Type.Object(
        {
          type: Type.Literal('oauth2'),
          authorizeUrl: HttpUrl,
          tokenUrl: HttpUrl,
          clientId: Type.String({ minLength: 1, maxLength: 500 }),
          clientSecret: Type.String({ minLength: 1, maxLength: 2000 }),
          scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100 })),
          scopeSeparator: Type.Optional(Type.String({ minLength: 1, maxLength: 3 })),
          pkce: Type.Optional(Type.Boolean()),
          inputFields: Type.Optional(Type.Array(InputFieldSchema, { maxItems: 20 })),
        },
        { additionalProperties: false },
      ),
      Type.Object({ type: Type.Literal('api-key'), fields: Type.Array(InputFieldSchema, { minItems: 1, maxItems: 20 }) }, { additionalProperties: false }),
      Type.Object(
        {
          type: Type.Literal('oauth2-client-credentials'),
          tokenUrl: HttpUrl,
          scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100 })),
        },
        { additionalProperties: false },
      ),
    ]),
    apiBaseUrl: HttpUrl,
    apiAuthorization: Type.String({ minLength: 3, maxLength: 500 }),
    testEndpointUrl: Type.String({ minLength: 1, maxLength: 2000 }),
    providerIdPath: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    postInstallInputs: Type.Optional(Type.Array(InputFieldSchema, { maxItems: 20, description: 'Options asked once an account is connected; never secret' })),
  },
  { additionalProperties: false },
);

/** An integration as the management API shows it: whether a client secret is set, never the secret. */
function managedIntegrationView(integration: ProjectIntegration) {
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

function checkPublicKey(pem: string) {
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new Error('weak');
  } catch {
    throw badRequest('INVALID_PUBLIC_KEY', 'publicKeyPem must be an RSA public key of at least 2048 bits, PEM encoded', { field: 'publicKeyPem' });
  }
  if (/PRIVATE KEY/.test(pem)) throw badRequest('INVALID_PUBLIC_KEY', 'publicKeyPem must be a public key; never send a private key', { field: 'publicKeyPem' });
}

const AllowPrivateUpstreams = Type.Boolean({
  description: 'Let custom integrations call loopback, private, link-local and cloud metadata addresses. Off by default; on for the dev project.',
});

/** Server-to-server management API under /api/v1 (the dashboard stands on it). */
export function managementRoutes(context: AppContext, adminKey: string): FastifyPluginAsyncTypebox {
  const adminKeyGuard = new AdminKeyGuard(adminKey, RateLimiter.perMinute(context.config.limits.adminKeyFailuresPerMinute));
  return async (app) => {
    app.post(
      '/projects',
      {
        onRequest: adminKeyAuth(adminKeyGuard),
        schema: {
          tags: ['Management'],
          summary: 'Create a project (admin key); answers its secret key once',
          body: Type.Object(
            { name: Type.String({ minLength: 1, maxLength: 100 }), allowedOrigins: Type.Optional(AllowedOrigins), allowPrivateUpstreams: Type.Optional(AllowPrivateUpstreams) },
            { additionalProperties: false },
          ),
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

      scoped.get('/projects/:projectId', { schema: { tags, params: ProjectParams } }, async (request) => request.managedProject);

      scoped.patch(
        '/projects/:projectId',
        {
          // The admin key may change any project; it alone may let one reach private networks.
          config: { adminKeyAllowed: true },
          schema: {
            tags,
            summary: 'Rename a project, replace its allowed browser origins, or let its custom integrations reach private networks',
            params: ProjectParams,
            body: Type.Object(
              {
                name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
                allowedOrigins: Type.Optional(AllowedOrigins),
                allowPrivateUpstreams: Type.Optional(AllowPrivateUpstreams),
              },
              { additionalProperties: false },
            ),
          },
        },
        async (request) => {
          checkOrigins(request.body.allowedOrigins);
          // A project's own key may turn the opt-in off (or leave it as it is), never on: its custom integrations
          // would then reach the instance's own network.
          if (request.body.allowPrivateUpstreams && !request.managedProject.allowPrivateUpstreams && !request.managedByAdmin) {
            throw new ApiError(403, 'ADMIN_KEY_REQUIRED', "Only the instance's admin key (SWITCHBOARD_ADMIN_KEY) can turn on allowPrivateUpstreams", {
              field: 'allowPrivateUpstreams',
            });
          }
          const updated = await updateProject(context.db, request.managedProject.id, request.body);
          await projectChanged(context, request.managedProject.id);
          return updated;
        },
      );

      scoped.get('/projects/:projectId/signing-keys', { schema: { tags, params: ProjectParams } }, async (request) =>
        listSigningKeys(context.db, request.managedProject.id),
      );

      scoped.post(
        '/projects/:projectId/signing-keys',
        {
          schema: {
            tags,
            summary: 'Add a public key that user tokens may be signed with',
            params: ProjectParams,
            body: Type.Object(
              { id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,100}$' })), publicKeyPem: Type.String({ minLength: 100, maxLength: 10_000 }) },
              { additionalProperties: false },
            ),
          },
        },
        async (request, reply) => {
          checkPublicKey(request.body.publicKeyPem);
          const added = await addSigningKey(context.db, request.managedProject.id, request.body);
          await projectChanged(context, request.managedProject.id);
          if (!added) throw conflict('SIGNING_KEY_EXISTS', `A key with id ${request.body.id} exists`);
          return reply.code(201).send(added);
        },
      );

      scoped.delete(
        '/projects/:projectId/signing-keys/:keyId',
        { schema: { tags, params: Type.Object({ projectId: Type.String(), keyId: Type.String({ maxLength: 100 }) }) } },
        async (request, reply) => {
          const removed = await removeSigningKey(context.db, request.managedProject.id, request.params.keyId);
          // Its tokens stop working on every instance at once.
          await projectChanged(context, request.managedProject.id);
          if (!removed) throw notFound('SIGNING_KEY_NOT_FOUND', 'No such signing key');
          return reply.code(204).send();
        },
      );

      scoped.get('/projects/:projectId/integrations', { schema: { tags, params: ProjectParams } }, async (request) =>
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
          },
        },
        async (request) => {
          // A new integration is active unless said otherwise; an existing one keeps its state unless isActive is given.
          const integration = await configureIntegration(context.db, context.secrets, request.managedProject.id, request.params.type, request.body);
          await integrationsChanged(context, request.managedProject.id);
          return managedIntegrationView(integration);
        },
      );

      scoped.get('/projects/:projectId/custom-integrations', { schema: { tags, params: ProjectParams } }, async (request) =>
        listCustomIntegrations(context.db, request.managedProject.id),
      );

      scoped.post(
        '/projects/:projectId/custom-integrations',
        { schema: { tags, summary: 'Define a custom integration', params: ProjectParams, body: CustomIntegrationBody } },
        async (request, reply) => {
          const created = await createCustomIntegration(context.db, context.secrets, request.managedProject.id, request.body as CustomIntegrationInput, request.managedProject);
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
            body: CustomIntegrationBody,
          },
        },
        async (request) => {
          await updateCustomIntegration(context.db, context.secrets, request.managedProject.id, request.params.id, request.body as CustomIntegrationInput, request.managedProject);
          await integrationsChanged(context, request.managedProject.id);
          return (await listCustomIntegrations(context.db, request.managedProject.id)).find((c) => c.id === request.params.id);
        },
      );

      scoped.delete(
        '/projects/:projectId/custom-integrations/:id',
        { schema: { tags, params: Type.Object({ projectId: Type.String(), id: Type.String({ maxLength: 100 }) }) } },
        async (request, reply) => {
          const deleted = await deleteCustomIntegration(context.db, request.managedProject.id, request.params.id);
          await integrationsChanged(context, request.managedProject.id);
          if (!deleted) {
            throw notFound('CUSTOM_INTEGRATION_NOT_FOUND', 'No such custom integration');
          }
          return reply.code(204).send();
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
          },
        },
        async (request) =>
          listCredentialEvents(context.db, request.managedProject.id, request.query.credentialId ? { credentialId: request.query.credentialId } : {}),
      );
    });
  };
}
