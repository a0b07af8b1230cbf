import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { AppContext } from '../app-context.js';
import { ApiError, apiError, apiErrorWithStatus } from '../errors.js';
import { originAllowed } from '../projects/allowed-origins.js';
import { findProject } from '../projects/project-store.js';
import { lookupProject } from '../projects/project-lookup.js';
import { principalOf } from '../users/sdk-auth.js';
import { bindBrowser } from './browser-binding.js';
import { popupPage, sendPopupPage } from './callback-page.js';
import { findOAuthSession, sessionOpen } from './oauth-sessions.js';

const refusal = (reply: FastifyReply, error: ApiError) =>
  sendPopupPage(reply, error.statusCode, popupPage({ title: 'Could not start connecting', text: `${error.message}. Close this window and start again from the app.` }), error.code);

/** The origin of a Referer header, if it has one. */
function refererOrigin(referer: string | undefined): string | undefined {
  try {
    return referer ? new URL(referer).origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The popup's first request to Switchboard, through either front door. It proves that the customer's page, from an
 * allowed origin, opened this browser's popup for this connected user, and sets the browser's binding cookie
 * (browser-binding.ts) that the OAuth callback requires.
 */
export function popupStartRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Switchboard's SDK: a form POST into the popup with the flow's state. A form POST always carries Origin, and a
    // page elsewhere cannot forge it; the state is known only to the page that started the flow with its token.
    app.post(
      '/oauth/popup',
      {
        schema: {
          tags: ['OAuth'],
          summary: "The OAuth popup's first request (Switchboard's SDK): binds the browser to the flow, then redirects to the provider",
          body: Type.Object({ state: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        },
      },
      async (request, reply) => {
        const session = await findOAuthSession(context.db, request.body.state);
        if (!session || !sessionOpen(session) || !session.authorization_url) {
          return refusal(reply, apiErrorWithStatus('OAUTH_STATE_INVALID', 404, 'This sign-in has expired or was already used'));
        }
        const origin = request.headers.origin;
        if (origin === 'null') {
          // Browsers send `Origin: null` for a page whose Referrer-Policy is no-referrer.
          return refusal(
            reply,
            apiError('ORIGIN_NOT_ALLOWED', "The app's page sent no origin (its Referrer-Policy is no-referrer); serve it with strict-origin-when-cross-origin, the browsers' default, or same-origin"),
          );
        }
        const project = await findProject(context.db, session.project_id);
        if (!origin || origin !== session.origin || !project || !originAllowed(project.allowedOrigins, origin)) {
          return refusal(reply, apiError('ORIGIN_NOT_ALLOWED', 'This sign-in window was not opened by the app that started it'));
        }
        bindBrowser(context, request, reply, { projectId: session.project_id, connectedUserId: session.connected_user_id });
        return reply.code(303).header('cache-control', 'no-store').header('location', session.authorization_url).send();
      },
    );

    // The reference SDK: it opens the popup on this page with the user token in the query, and sends the popup on to
    // the provider once the page has said it loaded. The opener must be an allowed origin, shown by the Referer a
    // browser sends for a window the page opened (a link followed from elsewhere carries another one, or none).
    app.get(
      '/projects/:projectId/sdk/actions/oauth-nonce',
      {
        schema: {
          tags: ['OAuth'],
          summary: "The OAuth popup's first page (reference SDK): binds the browser to the user, then tells the opener it loaded",
          params: Type.Object({ projectId: Type.String({ maxLength: 100 }) }),
          querystring: Type.Object(
            {
              userToken: Type.Optional(Type.String({ maxLength: 8192 })),
              originForPostMessage: Type.Optional(Type.String({ maxLength: 300 })),
            },
            { additionalProperties: true },
          ),
        },
      },
      async (request, reply) => {
        const { userToken, originForPostMessage: origin } = request.query;
        const { project, signingKeys } = (await lookupProject(context, request.params.projectId)) ?? {};
        if (!project) return refusal(reply, apiError('PROJECT_NOT_FOUND', 'No such project'));
        if (!origin || !originAllowed(project.allowedOrigins, origin)) {
          return refusal(reply, apiError('ORIGIN_NOT_ALLOWED', `${origin ?? 'The opener'} is not an allowed origin of this project`));
        }
        if (refererOrigin(request.headers.referer) !== origin) {
          return refusal(reply, apiError('ORIGIN_NOT_ALLOWED', 'This sign-in window was not opened by the app'));
        }
        let principal;
        try {
          principal = await principalOf(context, project, signingKeys!, userToken ?? '');
        } catch (error) {
          if (error instanceof ApiError) return refusal(reply, error);
          throw error;
        }
        bindBrowser(context, request, reply, { projectId: project.id, connectedUserId: principal.user.id });
        const page = popupPage({
          title: 'Connecting…',
          text: 'Taking you to sign in.',
          post: { message: { type: 'oauth-nonce-loaded' }, targetOrigin: origin },
        });
        return sendPopupPage(reply, 200, page);
      },
    );
  };
}
