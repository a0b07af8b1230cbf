import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../app-context.js';
import { findIntegration } from '../catalog/integration-store.js';
import { ApiError, type ErrorStatus, type HttpErrorCode } from '../errors.js';
import { parseJson } from '../json.js';
import { browserIsBound } from './browser-binding.js';
import { callbackPage, sendPopupPage } from './callback-page.js';
import { oauthAppFor, templateContext } from '../catalog/provider-settings.js';
import {
  consumeOAuthSession,
  findOAuthSession,
  openCodeVerifier,
  openSecretInputs,
  saveOAuthResult,
  visibleCredentialIds,
  type OAuthResult,
} from './oauth-sessions.js';
import { toApiError } from '../providers/provider-errors.js';
import { exchangeAuthorizationCode, fetchIdentity } from '../providers/index.js';
import { findProject } from '../projects/project-store.js';
import { providerFetchFor } from '../providers/provider-fetch.js';
import { saveConnectedAccount, seenIds } from './save-connected-account.js';

/** A failed flow: the page's status (one ERROR_CODES gives the code) and the result posted and stored. */
const failure = <C extends HttpErrorCode>(status: ErrorStatus<C>, integration: string, code: C, message: string): [number, OAuthResult] => [
  status,
  { status: 'error', integration, error: { code, message } },
];

/**
 * GET /oauth/callback: where providers send the user back. Checks the state (single use, unexpired), exchanges the
 * code, asks the provider who the account is, stores the credential, and answers a page that reports the result to
 * the opener. Nothing is stored unless every step succeeded.
 */
export function oauthCallbackRoute(context: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/oauth/callback',
      {
        schema: {
          tags: ['OAuth'],
          summary: 'Redirect target of every OAuth provider',
          querystring: Type.Object(
            {
              state: Type.Optional(Type.String({ maxLength: 200 })),
              code: Type.Optional(Type.String({ maxLength: 4096 })),
              error: Type.Optional(Type.String({ maxLength: 200 })),
              error_description: Type.Optional(Type.String({ maxLength: 2000 })),
            },
            { additionalProperties: true },
          ),
        },
      },
      async (request, reply) => {
        const { state, code, error, error_description: errorDescription } = request.query;
        const session = state ? await findOAuthSession(context.db, state) : undefined;
        const protocol = session?.client_key ? 'reference' : 'switchboard';
        const send = (status: number, result: OAuthResult, origin: string | undefined) => {
          const page = callbackPage({ ...result, state: state ?? '' }, origin, protocol, session?.integration_id);
          // A failed flow is an error response of Switchboard's own, like the JSON ones (the page says why).
          return sendPopupPage(reply, status, page, result.status === 'error' ? result.error?.code : undefined);
        };
        // An unknown state has no origin we could trust: say so on the page and post nothing.
        if (!session) return send(...failure(400, '', 'OAUTH_STATE_INVALID', 'This authorization link is not valid.'), undefined);

        const integration = await findIntegration(context.db, session.project_id, { id: session.integration_id });
        const type = integration?.type ?? '';
        // Only the browser the customer's page opened the flow in may finish it (see browser-binding.ts). Another
        // browser is told why and changes nothing: the flow stays open for its own browser, and nothing is posted
        // (whatever opened this window is not the customer's page).
        if (!browserIsBound(context, request, session)) {
          request.log.warn({ integration: type }, 'OAuth callback from a browser the flow was not started in');
          return send(
            ...failure(403, type, 'OAUTH_BROWSER_MISMATCH', 'This sign-in was started in another browser, so it was not connected. Start connecting again from the app in this browser.'),
            undefined,
          );
        }
        if (!(await consumeOAuthSession(context.db, session.state))) {
          // A replay must not overwrite the first attempt's result.
          return send(...failure(400, type, 'OAUTH_STATE_INVALID', 'This authorization was already used or has expired.'), session.origin);
        }

        const finish = async (status: number, result: OAuthResult) => {
          await saveOAuthResult(context.db, session.state, result);
          return send(status, result, session.origin);
        };
        if (!integration || !integration.isActive || integration.definition.auth.kind !== 'oauth2') {
          return finish(...failure(404, type, 'INTEGRATION_NOT_FOUND', 'This integration is no longer available.'));
        }
        if (error || !code) {
          const denied = error === 'access_denied';
          const message = denied ? 'The authorization was denied.' : `The provider reported an error${errorDescription ? `: ${errorDescription}` : error ? `: ${error}` : ''}.`;
          return finish(...failure(400, type, denied ? 'OAUTH_ACCESS_DENIED' : 'OAUTH_PROVIDER_ERROR', message));
        }

        try {
          const publicInputs = parseJson<Record<string, string>>(session.inputs, {});
          const secretInputs = openSecretInputs(context.secrets, session);
          const inputs = { ...publicInputs, ...secretInputs };
          const codeVerifier = openCodeVerifier(context.secrets, session);
          const project = await findProject(context.db, session.project_id);
          const outbound = providerFetchFor(context, integration, project?.allowPrivateUpstreams ?? false);
          const tokens = await exchangeAuthorizationCode(integration.definition, {
            app: oauthAppFor(context, integration),
            redirectUri: session.redirect_uri,
            code,
            ...(codeVerifier && { codeVerifier }),
            context: templateContext(context, inputs),
            ...(outbound && { outbound }),
          });
          const secrets = {
            accessToken: tokens.accessToken,
            ...(tokens.refreshToken && { refreshToken: tokens.refreshToken }),
            ...(Object.keys(tokens.extraSecrets).length > 0 && { extra: tokens.extraSecrets }),
            // Secret inputs live with the other secrets, as typed credential fields do.
            ...(Object.keys(secretInputs).length > 0 && { fields: secretInputs }),
          };
          const identity = integration.definition.identity
            ? await fetchIdentity(integration.definition, { secrets, context: templateContext(context, inputs, tokens.providerData), ...(outbound && { outbound }) })
            : { providerData: {} };
          const { credential } = await saveConnectedAccount(
            context,
            integration,
            session.connected_user_id,
            {
              selectedCredentialId: session.selected_credential_id,
              allowMultipleCredentials: session.allow_multiple === 1,
              sees: seenIds(visibleCredentialIds(session)),
            },
            {
              secrets,
              providerId: identity.providerId ?? tokens.providerId ?? null,
              providerData: { ...tokens.providerData, ...identity.providerData },
              inputs: publicInputs,
              accountType: session.account_type,
              expiresAt: tokens.expiresAt,
            },
          );
          return finish(200, { status: 'success', integration: type, credentialId: credential.id });
        } catch (caught) {
          const apiError = toApiError(caught, 'authorization');
          if (!(apiError instanceof ApiError) || apiError.statusCode >= 500) {
            request.log.error({ err: caught, integration: type }, 'OAuth callback failed');
          }
          return finish(
            ...(apiError instanceof ApiError
              ? failure(apiError.statusCode, type, apiError.code, apiError.message)
              : failure(500, type, 'INTERNAL_ERROR', 'Something went wrong while connecting the account.')),
          );
        }
      },
    );
  };
}
