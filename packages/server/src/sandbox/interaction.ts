import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import { DEFAULT_SANDBOX_LOGIN } from './accounts.js';
import { renderConsentPage, renderErrorPage } from './consent-page.js';

export interface InteractionRoutesOptions {
  provider: Provider;
  /** Public path of the issuer, e.g. `/sandbox`; the page posts back under it. */
  issuerPath: string;
}

const MAX_LOGIN_LENGTH = 100;

/**
 * The sandbox's own interaction UI: one page that is both sign-in and consent. No password: the login typed
 * is the account, so tests and demos can connect any number of accounts.
 */
export async function interactionRoutes(scope: FastifyInstance, options: InteractionRoutesOptions): Promise<void> {
  const { provider, issuerPath } = options;

  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );

  scope.get<{ Params: { uid: string } }>('/interaction/:uid', async (request, reply) => {
    const details = await interactionOrError(provider, request, reply);
    if (!details) return reply;

    const clientId = String(details.params.client_id ?? '');
    const client = await provider.Client.find(clientId);
    const scopes = String(details.params.scope ?? '').split(' ').filter(Boolean);
    return sendHtml(
      reply,
      200,
      renderConsentPage({
        action: `${issuerPath}/interaction/${encodeURIComponent(details.uid)}`,
        clientId,
        clientName: client?.clientName,
        scopes,
        login: details.session?.accountId ?? DEFAULT_SANDBOX_LOGIN,
      }),
    );
  });

  scope.post<{ Params: { uid: string }; Body: Record<string, string> | undefined }>(
    '/interaction/:uid',
    async (request, reply) => {
      const details = await interactionOrError(provider, request, reply);
      if (!details) return reply;

      const decision = request.body?.decision;
      let result: InteractionResults;
      if (decision === 'deny') {
        result = { error: 'access_denied', error_description: 'The sandbox user denied the request' };
      } else if (decision === 'approve') {
        const login = (request.body?.login ?? '').trim().slice(0, MAX_LOGIN_LENGTH) || DEFAULT_SANDBOX_LOGIN;
        await forgetOtherAccount(provider, details, login);
        result = { login: { accountId: login }, consent: { grantId: await grantEverything(provider, details, login) } };
      } else {
        return sendHtml(reply, 400, renderErrorPage({ error: 'invalid_request', error_description: 'Choose Approve or Deny' }));
      }

      // interactionResult stores the outcome and answers where to resume; Fastify sends the redirect.
      const resumeUrl = await provider.interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: false });
      return reply.code(303).header('cache-control', 'no-store').redirect(resumeUrl, 303);
    },
  );
}

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

async function interactionOrError(
  provider: Provider,
  request: FastifyRequest<{ Params: { uid: string } }>,
  reply: FastifyReply,
): Promise<Interaction | undefined> {
  try {
    const details = await provider.interactionDetails(request.raw, reply.raw);
    // The interaction cookie decides which interaction this is; a URL for another one is a stale tab.
    if (details.uid === request.params.uid) return details;
  } catch {
    // Expired or missing interaction cookie: fall through to the error page.
  }
  sendHtml(
    reply,
    400,
    renderErrorPage({
      error: 'invalid_request',
      error_description: 'This sign-in has expired or was already completed. Start connecting again.',
    }),
  );
  return undefined;
}

/** Approve means consent to every requested scope in one click. */
async function grantEverything(provider: Provider, details: Interaction, accountId: string): Promise<string> {
  const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
  const scope = typeof details.params.scope === 'string' ? details.params.scope : '';
  if (scope) grant.addOIDCScope(scope);
  const missingClaims = details.prompt.details.missingOIDCClaims;
  if (Array.isArray(missingClaims) && missingClaims.length) grant.addOIDCClaims(missingClaims as string[]);
  return grant.save();
}

/**
 * The browser may still be signed in as another sandbox account. oidc-provider would then detour through
 * its logout confirmation; since switching accounts is the point of the login field, end that session here
 * and let the resumed request start a fresh one.
 */
async function forgetOtherAccount(provider: Provider, details: Interaction, login: string): Promise<void> {
  const previous = details.session;
  if (!previous?.accountId || previous.accountId === login) return;
  const session = await provider.Session.find(previous.cookie);
  await session?.destroy();
  delete details.session;
  await details.save(Math.max(1, details.exp - Math.floor(Date.now() / 1000)));
}

function sendHtml(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
    .type('text/html; charset=utf-8')
    .send(html);
}
