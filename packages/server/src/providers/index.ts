/**
 * The generic provider engine: reads integration definitions (built-in or custom, same schema) and speaks
 * OAuth 2.0, API-key and basic auth to any provider. Nothing provider-specific lives here.
 */
export { buildAuthorizationUrl, codeChallengeS256, generateCodeVerifier } from './authorize-url.js';
export { exchangeAuthorizationCode, fetchClientCredentialsToken, refreshAccessToken } from './token-requests.js';
export { fetchIdentity, type Identity } from './identity.js';
export {
  resolveApiBaseUrl,
  resolveApiCredentials,
  resolveApiRequest,
  type ApiRequestParts,
  type CredentialSecrets,
} from './api-authorization.js';
export { ProviderError, TemplateError, type ProviderErrorKind } from './errors.js';
export { renderTemplate, renderUrl, type TemplateContext } from './templates.js';
export type { OAuthApp } from './oauth-client.js';
export type { TokenSet } from './token-response.js';
export { ADDRESS_BLOCKED, PROVIDER_TIMEOUT_MS, type OutboundFetch } from './http.js';
