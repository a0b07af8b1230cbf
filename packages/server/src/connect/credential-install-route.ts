import { Credential, CredentialInstall, ErrorResponse } from '@switchboard/wire';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../app-context.js';
import { findIntegration, integrationNotFound, type ProjectIntegration } from '../catalog/integration-store.js';
import { credentialView } from '../credentials/credential-view.js';
import { apiError } from '../errors.js';
import { integrationVisible, type TokenPermissions } from '../users/permissions.js';
import { resolveAccountType, validateInputs } from './install-inputs.js';
import { checkCredentialInstallLimit } from './install-limits.js';
import { templateContext } from '../catalog/provider-settings.js';
import { toApiError } from '../providers/provider-errors.js';
import { fetchClientCredentialsToken, fetchIdentity, type CredentialSecrets } from '../providers/index.js';
import { checkInstallAllowed, saveConnectedAccount, seenByToken } from './save-connected-account.js';
import { providerFetchFor } from '../providers/provider-fetch.js';

/** The integration by id, or by type as a convenience for hand-written clients; one the token is not offered is unknown. */
async function activeIntegration(context: AppContext, projectId: string, idOrType: string, permissions: TokenPermissions): Promise<ProjectIntegration> {
  const integration =
    (await findIntegration(context.db, projectId, { id: idOrType })) ?? (await findIntegration(context.db, projectId, { type: idOrType }));
  if (!integration?.isActive || !integrationVisible(permissions, integration.type)) throw integrationNotFound(idOrType);
  return integration;
}

/**
 * POST /sdk/credentials: connect an account with typed credentials (API key, basic, OAuth client credentials).
 * The credential is checked against the provider first; a rejected one gets the provider's reason and nothing
 * is stored.
 */
export function credentialInstallRoute(context: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/credentials',
      {
        schema: {
          tags: ['SDK'],
          summary: 'Connect an account with an API key, basic auth or OAuth client credentials',
          body: CredentialInstall,
          response: { 200: Credential, 201: Credential, '4xx': ErrorResponse },
        },
      },
      async (request, reply) => {
        const { project, user } = request.sdk;
        const { integrationId, installOptions = {} } = request.body;
        // The reference SDK's flag for its own portal (skip the post-install step) is not a credential field.
        const { skipPostOAuthInputs: _skip, ...payload } = request.body.payload;
        const integration = await activeIntegration(context, project.id, integrationId, request.sdk.permissions);
        const auth = integration.definition.auth;
        if (auth.kind === 'oauth2') {
          throw apiError('OAUTH_INTEGRATION', `${integration.type} connects through OAuth: POST /sdk/oauth/start`, { field: 'integrationId' });
        }
        const choice = {
          selectedCredentialId: installOptions.selectedCredentialId ?? null,
          allowMultipleCredentials: installOptions.allowMultipleCredentials ?? false,
          sees: seenByToken(request.sdk.permissions, integration),
        };
        // Typed credentials have no account types: an accountType other than `default` is refused, not ignored.
        resolveAccountType(integration, installOptions.accountType);
        await checkInstallAllowed(context, integration, user.id, choice);
        const { publicValues, secretValues } = validateInputs(auth.fields, payload, 'payload');
        const fields = { ...publicValues, ...secretValues };
        let secrets: CredentialSecrets = { fields };
        let expiresAt: string | null = null;
        let providerData: Record<string, unknown> = {};
        let providerId: string | undefined;
        // Counted here, once the input is valid: only an install that calls the provider spends the user's budget.
        checkCredentialInstallLimit(context, project.id, user.id);
        const outbound = providerFetchFor(context, integration, project.allowPrivateUpstreams);
        try {
          if (auth.kind === 'oauth2-client-credentials') {
            const tokens = await fetchClientCredentialsToken(integration.definition, { context: templateContext(context, fields), ...(outbound && { outbound }) });
            secrets = { ...secrets, accessToken: tokens.accessToken };
            expiresAt = tokens.expiresAt;
            providerData = tokens.providerData;
            providerId = tokens.providerId;
          }
          if (integration.definition.identity) {
            const identity = await fetchIdentity(integration.definition, {
              secrets,
              context: templateContext(context, fields, providerData),
              ...(outbound && { outbound }),
            });
            providerId = identity.providerId ?? providerId;
            providerData = { ...providerData, ...identity.providerData };
          }
        } catch (error) {
          throw toApiError(error, 'credentials');
        }
        const { credential, created } = await saveConnectedAccount(context, integration, user.id, choice, {
          secrets,
          providerId: providerId ?? null,
          providerData,
          inputs: publicValues,
          accountType: null,
          expiresAt,
        });
        return reply.code(created ? 201 : 200).send(credentialView(credential, integration));
      },
    );
  };
}
