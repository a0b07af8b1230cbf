import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../app-context.js';
import { findIntegration } from '../catalog/integration-store.js';
import { apiError, type ErrorCode } from '../errors.js';
import { ErrorResponse, OAuthResult, OAuthStart, OAuthStarted } from '@switchboard/wire';
import { findOAuthSession, sessionResult } from './oauth-sessions.js';
import { startOAuth } from './start-oauth.js';

/** SDK routes that start an OAuth flow and report its result (under /projects/:projectId/sdk). */
export function oauthSdkRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/oauth/start',
      {
        schema: {
          tags: ['SDK'],
          summary: 'Start connecting an OAuth account; open authorizationUrl in a popup',
          body: OAuthStart,
          response: { 200: OAuthStarted, '4xx': ErrorResponse },
        },
      },
      async (request) => {
        const { project, user } = request.sdk;
        const { integration: type, origin, installOptions = {} } = request.body;
        const { authorizationUrl, state } = await startOAuth(context, project, user, {
          integration: { type },
          origin,
          installOptions,
          preOptionsField: 'installOptions.preOptions',
          redirectField: 'installOptions.overrideRedirectUrl',
          permissions: request.sdk.permissions,
        });
        return { authorizationUrl, state, popupUrl: `${context.config.publicUrl}/oauth/popup` };
      },
    );

    app.get(
      '/oauth/:state',
      {
        schema: {
          tags: ['SDK'],
          summary: 'The result of an OAuth flow, for an SDK whose popup lost its opener',
          params: Type.Object({ projectId: Type.String(), state: Type.String({ minLength: 1, maxLength: 200 }) }),
          response: { 200: OAuthResult, '4xx': ErrorResponse },
        },
      },
      async (request) => {
        const session = await findOAuthSession(context.db, request.params.state);
        if (!session || session.connected_user_id !== request.sdk.user.id) {
          throw apiError('OAUTH_STATE_NOT_FOUND', 'No OAuth flow with this state for this user');
        }
        const integration = await findIntegration(context.db, session.project_id, { id: session.integration_id });
        const result = sessionResult(session);
        if (result) return result;
        const expired = session.expires_at < new Date().toISOString();
        return expired
          ? { status: 'error' as const, integration: integration?.type ?? '', error: { code: 'OAUTH_STATE_EXPIRED' satisfies ErrorCode, message: 'The authorization was not completed in time' } }
          : { status: 'pending' as const, integration: integration?.type ?? '' };
      },
    );
  };
}

