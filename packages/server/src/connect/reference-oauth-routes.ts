import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../app-context.js';
import { apiError } from '../errors.js';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from '../http/json-body.js';
import { ErrorResponse } from '../http/schemas.js';
import { deleteOAuthSession, findOAuthSessionByClientKey, sessionResult } from './oauth-sessions.js';
import { startOAuth } from './start-oauth.js';

const CLIENT_KEY = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' });

/** A query parameter the reference SDK sends as JSON text. */
function jsonParameter(value: string | undefined, field: string): Record<string, unknown> {
  if (value === undefined || value === '') return {};
  // The same rule as for JSON bodies (http/json-body.ts).
  if (jsonNestingExceeds(value, MAX_JSON_DEPTH)) throw apiError('JSON_TOO_DEEP', `${field} nests more than ${MAX_JSON_DEPTH} levels`, { field });
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw apiError('INVALID_JSON', `${field} must be JSON`, { field }, { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw apiError('INVALID_INPUT', `${field} must be a JSON object`, { field });
  return parsed as Record<string, unknown>;
}

/**
 * The reference SDK's OAuth popup protocol (docs/compatibility.md), on the one OAuth flow Switchboard has: `build-oauth`
 * starts the flow as POST /sdk/oauth/start does and answers the provider URL the popup goes to; `session-id/<key>`
 * is what the SDK polls, by its own key for the flow, once the popup closed. Registered under /projects/:id/sdk and
 * /v2/projects/:id/sdk, both with the user token.
 */
export function referenceOAuthRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/actions/build-oauth',
      {
        schema: {
          tags: ['SDK'],
          summary: 'Start connecting an OAuth account (reference SDK popup protocol); answers the URL to send the popup to',
          querystring: Type.Object(
            {
              integrationId: Type.String({ minLength: 1, maxLength: 120 }),
              originForPostMessage: Type.String({ minLength: 1, maxLength: 300 }),
              oauthMetaKeyId: CLIENT_KEY,
              installOptions: Type.Optional(Type.String({ maxLength: 16_384 })),
              endUserSuppliedValues: Type.Optional(Type.String({ maxLength: 16_384 })),
              redirectUrl: Type.Optional(Type.String({ maxLength: 2048 })),
            },
            { additionalProperties: true },
          ),
          response: { 200: Type.Object({ redirectUrl: Type.String() }), '4xx': ErrorResponse },
        },
      },
      async (request) => {
        const { project, user } = request.sdk;
        const query = request.query;
        // The popup posts to originForPostMessage: a browser asking from another origin does not get to pick it.
        if (request.headers.origin && request.headers.origin !== query.originForPostMessage) {
          throw apiError('ORIGIN_NOT_ALLOWED', 'originForPostMessage must be the origin of the page that asks');
        }
        const installOptions = jsonParameter(query.installOptions, 'installOptions');
        const endUserSuppliedValues = jsonParameter(query.endUserSuppliedValues, 'endUserSuppliedValues');
        const { authorizationUrl } = await startOAuth(context, project, user, {
          integration: { id: query.integrationId },
          origin: query.originForPostMessage,
          installOptions: {
            accountType: installOptions.accountType as string | string[] | undefined,
            allowMultipleCredentials: installOptions.allowMultipleCredentials === true,
            selectedCredentialId: typeof installOptions.selectedCredentialId === 'string' ? installOptions.selectedCredentialId : undefined,
            preOptions: endUserSuppliedValues,
            // The reference SDK's overrideRedirectUrl; an empty one is none.
            overrideRedirectUrl: query.redirectUrl || undefined,
          },
          preOptionsField: 'endUserSuppliedValues',
          redirectField: 'redirectUrl',
          clientKey: query.oauthMetaKeyId,
          permissions: request.sdk.permissions,
        });
        return { redirectUrl: authorizationUrl };
      },
    );

    const SessionParams = Type.Object({ projectId: Type.String(), key: CLIENT_KEY });

    app.get(
      '/actions/session-id/:key',
      {
        schema: {
          tags: ['SDK'],
          summary: 'The result of an OAuth flow by the reference SDK’s key for it: connectCredentialId once connected',
          params: SessionParams,
          response: {
            200: Type.Object({
              status: Type.Union([Type.Literal('pending'), Type.Literal('success'), Type.Literal('error')]),
              connectCredentialId: Type.Union([Type.String(), Type.Null()]),
              error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
            }),
            '4xx': ErrorResponse,
          },
        },
      },
      async (request) => {
        const session = await findOAuthSessionByClientKey(context.db, request.sdk.user.id, request.params.key);
        if (!session) throw apiError('OAUTH_STATE_NOT_FOUND', 'No OAuth flow with this key for this user');
        const result = sessionResult(session);
        if (!result) return { status: 'pending' as const, connectCredentialId: null };
        return result.status === 'success'
          ? { status: 'success' as const, connectCredentialId: result.credentialId ?? null }
          : { status: 'error' as const, connectCredentialId: null, ...(result.error && { error: result.error }) };
      },
    );

    app.delete(
      '/actions/session-id/:key',
      {
        schema: {
          tags: ['SDK'],
          summary: 'Forget a finished OAuth flow (the reference SDK calls this once it read the result)',
          params: SessionParams,
          response: { 200: Type.Object({ success: Type.Boolean() }), '4xx': ErrorResponse },
        },
      },
      async (request) => {
        const session = await findOAuthSessionByClientKey(context.db, request.sdk.user.id, request.params.key);
        if (!session) throw apiError('OAUTH_STATE_NOT_FOUND', 'No OAuth flow with this key for this user');
        // A pending flow stays: its popup may still be on the provider's page.
        if (sessionResult(session)) await deleteOAuthSession(context.db, session.state);
        return { success: true };
      },
    );
  };
}
