import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../app-context.js';
import { findIntegration, requireActiveIntegration } from '../catalog/integration-store.js';
import { badRequest, forbidden, notFound } from '../errors.js';
import { originAllowed } from '../projects/allowed-origins.js';
import { ErrorResponse } from '../http/schemas.js';
import { resolveAccountType, validateInputs } from './install-inputs.js';
import { checkOAuthStartLimits } from './install-limits.js';
import { oauthAppFor, redirectUri, templateContext } from './oauth-app.js';
import { createOAuthSession, findOAuthSession, newOAuthState, sessionResult } from './oauth-sessions.js';
import { buildAuthorizationUrl, generateCodeVerifier } from './provider/index.js';
import { checkInstallAllowed } from './save-connected-account.js';

export const InstallOptions = Type.Object(
  {
    accountType: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
    preOptions: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    allowMultipleCredentials: Type.Optional(Type.Boolean()),
    selectedCredentialId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: true },
);

const OAuthResultSchema = Type.Object({
  status: Type.Union([Type.Literal('pending'), Type.Literal('success'), Type.Literal('error')]),
  integration: Type.String(),
  credentialId: Type.Optional(Type.String()),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
});

/** SDK routes that start an OAuth flow and report its result (under /projects/:projectId/sdk). */
export function oauthSdkRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/oauth/start',
      {
        schema: {
          tags: ['SDK'],
          summary: 'Start connecting an OAuth account; open authorizationUrl in a popup',
          body: Type.Object({
            integration: Type.String({ minLength: 1, maxLength: 120, description: 'integrationType, e.g. salesforce or custom.<slug>' }),
            origin: Type.String({ minLength: 1, maxLength: 300, description: 'The origin of the page that opened the popup; the result is posted there only' }),
            installOptions: Type.Optional(InstallOptions),
          }),
          response: { 200: Type.Object({ authorizationUrl: Type.String(), state: Type.String() }), '4xx': ErrorResponse },
        },
      },
      async (request) => {
        const { project, user } = request.sdk;
        await checkOAuthStartLimits(context, project.id, user.id);
        const { integration: type, origin, installOptions = {} } = request.body;
        if (!originAllowed(project.allowedOrigins, origin)) {
          throw forbidden('ORIGIN_NOT_ALLOWED', `origin ${origin} is not an allowed origin of this project`);
        }
        const integration = await requireActiveIntegration(context.db, project.id, { type });
        const auth = integration.definition.auth;
        if (auth.kind !== 'oauth2') {
          throw badRequest('NOT_AN_OAUTH_INTEGRATION', `${type} connects with typed credentials: POST /sdk/credentials`, { field: 'integration' });
        }
        const choice = {
          selectedCredentialId: installOptions.selectedCredentialId ?? null,
          allowMultipleCredentials: installOptions.allowMultipleCredentials ?? false,
        };
        await checkInstallAllowed(context, integration, user.id, choice);
        const accountType = resolveAccountType(integration.definition, installOptions.accountType);
        const { publicValues, secretValues } = validateInputs(auth.preOAuthInputs ?? [], installOptions.preOptions, 'installOptions.preOptions');
        const publicInputs = { ...accountType?.vars, ...publicValues };
        const inputs = { ...publicInputs, ...secretValues };
        const oauthApp = oauthAppFor(context, integration);
        const codeVerifier = auth.pkce === false ? undefined : generateCodeVerifier();
        // Build the URL before storing anything, so a definition that cannot render leaves no pending session.
        const state = newOAuthState();
        const authorizationUrl = buildAuthorizationUrl(integration.definition, {
          app: oauthApp,
          redirectUri: redirectUri(context),
          state,
          ...(codeVerifier && { codeVerifier }),
          context: templateContext(context, inputs),
        });
        await createOAuthSession(context.db, context.secrets, {
          state,
          projectId: project.id,
          connectedUserId: user.id,
          integrationId: integration.id,
          origin,
          redirectUri: redirectUri(context),
          codeVerifier,
          inputs: publicInputs,
          secretInputs: secretValues,
          accountType: accountType?.id ?? null,
          ...choice,
          allowMultiple: choice.allowMultipleCredentials,
        });
        return { authorizationUrl, state };
      },
    );

    app.get(
      '/oauth/:state',
      {
        schema: {
          tags: ['SDK'],
          summary: 'The result of an OAuth flow, for an SDK whose popup lost its opener',
          params: Type.Object({ projectId: Type.String(), state: Type.String({ minLength: 1, maxLength: 200 }) }),
          response: { 200: OAuthResultSchema, '4xx': ErrorResponse },
        },
      },
      async (request) => {
        const session = await findOAuthSession(context.db, request.params.state);
        if (!session || session.connected_user_id !== request.sdk.user.id) {
          throw notFound('OAUTH_STATE_NOT_FOUND', 'No OAuth flow with this state for this user');
        }
        const integration = await findIntegration(context.db, session.project_id, { id: session.integration_id });
        const result = sessionResult(session);
        if (result) return result;
        const expired = session.expires_at < new Date().toISOString();
        return expired
          ? { status: 'error' as const, integration: integration?.type ?? '', error: { code: 'OAUTH_STATE_EXPIRED', message: 'The authorization was not completed in time' } }
          : { status: 'pending' as const, integration: integration?.type ?? '' };
      },
    );
  };
}

