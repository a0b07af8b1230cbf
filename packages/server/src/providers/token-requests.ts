import type { IntegrationDefinition, OAuth2ClientCredentialsAuth, OAuth2CodeAuth } from '@switchboard/catalog';
import * as oauth from 'oauth4webapi';
import { ProviderError, TemplateError } from './errors.js';
import { isLoopbackHttp, isNetworkFailure, PROVIDER_TIMEOUT_MS, readBody, unavailable, type OutboundFetch } from './http.js';
import { joinScopes, oauth2CodeAuth, type OAuthApp } from './oauth-client.js';
import { renderUrl, type TemplateContext } from './templates.js';
import { readTokenResponse, type TokenSet } from './token-response.js';

type TokenAuth = OAuth2CodeAuth | OAuth2ClientCredentialsAuth;

interface TokenEndpoint {
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  clientAuth: oauth.ClientAuth;
  options: oauth.TokenEndpointRequestOptions;
}

/**
 * HTTP Basic with `client_id:client_secret` as they are. oauth4webapi's ClientSecretBasic form-encodes both
 * first (RFC 6749 §2.3.1), turning the dashes of e.g. Notion's UUID client ids into `%2D`, which providers that
 * do not decode refuse.
 */
const plainClientSecretBasic =
  (clientSecret: string): oauth.ClientAuth =>
  (_as, client, _body, headers) => {
    headers.set('authorization', `Basic ${Buffer.from(`${client.client_id}:${clientSecret}`).toString('base64')}`);
  };

/** Sends the request oauth4webapi built, as JSON when the provider wants it (Notion, Atlassian, Zendesk). */
function providerFetch(format: 'form' | 'json', outbound: OutboundFetch = fetch): NonNullable<oauth.HttpRequestOptions<'POST', URLSearchParams>[typeof oauth.customFetch]> {
  return (url, init) => {
    if (format === 'form') return outbound(url, init);
    const headers = { ...init.headers, 'content-type': 'application/json' };
    return outbound(url, { ...init, headers, body: JSON.stringify(Object.fromEntries(init.body)) });
  };
}

function tokenEndpoint(
  definition: IntegrationDefinition,
  auth: TokenAuth,
  p: { clientId: string; clientSecret: string; context: TemplateContext; extraParams?: Record<string, string>; outbound?: OutboundFetch },
): TokenEndpoint {
  const url = renderUrl(definition, auth.tokenUrl, p.context);
  const insecure = isLoopbackHttp(url);
  if (url.protocol !== 'https:' && !insecure) throw new TemplateError(`${definition.type}: the token URL must use https`);
  const format = auth.kind === 'oauth2' ? (auth.tokenRequestFormat ?? 'form') : 'form';
  return {
    as: { issuer: url.origin, token_endpoint: url.href },
    client: { client_id: p.clientId },
    clientAuth: auth.tokenEndpointAuth === 'client_secret_basic' ? plainClientSecretBasic(p.clientSecret) : oauth.ClientSecretPost(p.clientSecret),
    options: {
      [oauth.customFetch]: providerFetch(format, p.outbound),
      // Only for http://127.0.0.1-style URLs: the local sandbox and test simulators.
      ...(insecure ? { [oauth.allowInsecureRequests]: true } : {}),
      signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
      ...(p.extraParams ? { additionalParameters: p.extraParams } : {}),
    },
  };
}

/** Runs one token request and reads its answer; network failures and timeouts become `unavailable`. */
async function runTokenRequest(
  definition: IntegrationDefinition,
  auth: TokenAuth,
  what: string,
  secrets: readonly (string | undefined)[],
  send: () => Promise<Response>,
  previousRefreshToken?: string,
): Promise<TokenSet> {
  let answer: { status: number; body: unknown };
  try {
    const response = await send();
    answer = { status: response.status, body: await readBody(response) };
  } catch (error) {
    if (error instanceof ProviderError || error instanceof TemplateError) throw error;
    if (isNetworkFailure(error)) throw unavailable(definition.name, what, error);
    throw new ProviderError('unavailable', `${definition.name}: ${what} failed`);
  }
  const mapping = auth.kind === 'oauth2' ? auth.tokenResponse : undefined;
  return readTokenResponse(definition, mapping, answer, {
    what,
    secrets,
    ...(previousRefreshToken !== undefined ? { previousRefreshToken } : {}),
  });
}

/** Trades the authorization code from the callback for tokens. */
export async function exchangeAuthorizationCode(
  definition: IntegrationDefinition,
  p: { app: OAuthApp; redirectUri: string; code: string; codeVerifier?: string; context: TemplateContext; outbound?: OutboundFetch },
): Promise<TokenSet> {
  const auth = oauth2CodeAuth(definition);
  const scopes = p.app.scopes ?? auth.scopes;
  const extraParams = auth.scopeInTokenRequest && scopes.length > 0 ? { scope: joinScopes(scopes, auth.scopeSeparator) } : undefined;
  const endpoint = tokenEndpoint(definition, auth, { ...p.app, context: p.context, ...(extraParams ? { extraParams } : {}), ...(p.outbound && { outbound: p.outbound }) });
  if (auth.pkce !== false && !p.codeVerifier) throw new TemplateError(`${definition.type} uses PKCE: a code verifier is required`);
  // State was checked by the callback route; here only the code matters.
  const callback = oauth.validateAuthResponse(endpoint.as, endpoint.client, new URLSearchParams({ code: p.code }), oauth.skipStateCheck);
  const verifier = auth.pkce !== false && p.codeVerifier ? p.codeVerifier : oauth.nopkce;
  return runTokenRequest(definition, auth, 'authorization code exchange', [p.app.clientSecret, p.code, p.codeVerifier], () =>
    oauth.authorizationCodeGrantRequest(endpoint.as, endpoint.client, endpoint.clientAuth, callback, p.redirectUri, verifier, endpoint.options),
  );
}

/**
 * Gets a fresh access token. When the provider sends no new refresh token the old one stays in the result;
 * when it rotates (`refreshTokenRotates`), the new one replaces it and the old one must be dropped.
 */
export async function refreshAccessToken(
  definition: IntegrationDefinition,
  p: { app: OAuthApp; refreshToken: string; context: TemplateContext; outbound?: OutboundFetch },
): Promise<TokenSet> {
  const auth = oauth2CodeAuth(definition);
  if (auth.noRefresh) throw new TemplateError(`${definition.type} has no refresh grant`);
  const endpoint = tokenEndpoint(definition, auth, { ...p.app, context: p.context, ...(p.outbound && { outbound: p.outbound }) });
  return runTokenRequest(
    definition,
    auth,
    'token refresh',
    [p.app.clientSecret, p.refreshToken],
    () => oauth.refreshTokenGrantRequest(endpoint.as, endpoint.client, endpoint.clientAuth, p.refreshToken, endpoint.options),
    p.refreshToken,
  );
}

/** Machine-to-machine token; the client id and secret are the fields the user typed (`context.inputs`). */
export async function fetchClientCredentialsToken(
  definition: IntegrationDefinition,
  p: { context: TemplateContext; outbound?: OutboundFetch },
): Promise<TokenSet> {
  const auth = definition.auth;
  if (auth.kind !== 'oauth2-client-credentials') throw new TemplateError(`${definition.type} does not use client credentials`);
  const { clientId, clientSecret } = p.context.inputs;
  if (!clientId || !clientSecret) throw new TemplateError(`${definition.type}: clientId and clientSecret are required`);
  const endpoint = tokenEndpoint(definition, auth, { clientId, clientSecret, context: p.context, ...(p.outbound && { outbound: p.outbound }) });
  const scopes = auth.scopes ?? [];
  const parameters: Record<string, string> = scopes.length > 0 ? { scope: joinScopes(scopes, auth.scopeSeparator) } : {};
  return runTokenRequest(definition, auth, 'client credentials request', [clientSecret], () =>
    oauth.clientCredentialsGrantRequest(endpoint.as, endpoint.client, endpoint.clientAuth, parameters, endpoint.options),
  );
}
