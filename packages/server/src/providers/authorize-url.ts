import { createHash } from 'node:crypto';
import type { IntegrationDefinition } from '@switchboard/catalog';
import * as oauth from 'oauth4webapi';
import { TemplateError } from './errors.js';
import { joinScopes, oauth2CodeAuth, type OAuthApp } from './oauth-client.js';
import { renderTemplate, renderUrl, type TemplateContext } from './templates.js';

/** A PKCE code verifier (RFC 7636), kept with the install attempt until the callback. */
export function generateCodeVerifier(): string {
  return oauth.generateRandomCodeVerifier();
}

/**
 * The S256 challenge. Same result as oauth4webapi's calculatePKCECodeChallenge, computed synchronously with
 * node:crypto so that building the URL stays synchronous.
 */
export function codeChallengeS256(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier).digest('base64url');
}

/** The provider URL the OAuth popup opens. */
export function buildAuthorizationUrl(
  definition: IntegrationDefinition,
  p: { app: OAuthApp; redirectUri: string; state: string; codeVerifier?: string; context: TemplateContext },
): string {
  const auth = oauth2CodeAuth(definition);
  const url = renderUrl(definition, auth.authorizeUrl, p.context);
  // Definition extras first, so they can never override the protocol parameters set below.
  for (const [name, template] of Object.entries(auth.authorizeParams ?? {})) {
    url.searchParams.set(name, renderTemplate(definition, template, p.context, 'text'));
  }
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', p.app.clientId);
  url.searchParams.set('redirect_uri', p.redirectUri);
  url.searchParams.set('state', p.state);
  const scopes = p.app.scopes ?? auth.scopes;
  if (scopes.length > 0) url.searchParams.set(auth.scopeParam ?? 'scope', joinScopes(scopes, auth.scopeSeparator));
  if (auth.pkce !== false) {
    if (!p.codeVerifier) throw new TemplateError(`${definition.type} uses PKCE: a code verifier is required`);
    url.searchParams.set('code_challenge', codeChallengeS256(p.codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
  }
  return url.href;
}
