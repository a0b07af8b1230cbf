import { ErrorResponse, UserMetaChange, UserState } from '@switchboard/wire';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app-context.js';
import { sendError } from '../http/error-reply.js';
import { connectedUserChanged, mergeUserMeta, type ConnectedUser } from './connected-users.js';
import { userStateAnswer } from './user-state.js';

const MAX_META_BYTES = 64 * 1024;

/** The user's state, serialized by the route's own serializer: Fastify sends the string as it is. */
async function sendUserState(reply: FastifyReply, context: AppContext, request: FastifyRequest, user: ConnectedUser) {
  const text = await userStateAnswer(context, request.sdk.project, user, request.sdk.permissions, (state) => String(reply.serialize(state)));
  return reply.type('application/json; charset=utf-8').send(text);
}

/** GET and PATCH /sdk/me: the user state and its metadata. */
export function meRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/me', { schema: { tags: ['SDK'], summary: "The user's state: integrations, accounts and metadata", response: { 200: UserState, '4xx': ErrorResponse } } }, async (request, reply) =>
      sendUserState(reply, context, request, request.sdk.user),
    );

    app.patch(
      '/me',
      {
        schema: {
          tags: ['SDK'],
          summary: "Merge metadata into the user's meta",
          body: UserMetaChange,
          response: { 200: UserState, '4xx': ErrorResponse },
        },
      },
      async (request, reply) => {
        if (Buffer.byteLength(JSON.stringify(request.body.meta)) > MAX_META_BYTES) {
          return sendError(reply, 400, { message: 'meta must be at most 64 KB of JSON', code: 'META_TOO_LARGE', field: 'meta' });
        }
        const user = await mergeUserMeta(context.db, context.storage.dialect, request.sdk.user, request.body.meta);
        await connectedUserChanged(context, user);
        return sendUserState(reply, context, request, user);
      },
    );
  };
}
