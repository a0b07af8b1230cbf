import type { OAuth2CodeAuth } from './define-integration.js';

/** Google's OAuth 2.0 endpoints, shared by Google Drive, Gmail and Google Calendar; only the scopes differ. */
export function googleOAuth(serviceScopes: string[]): OAuth2CodeAuth {
  return {
    kind: 'oauth2',
    authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenUrl: 'https://oauth2.googleapis.com/token',
    scopes: ['openid', 'email', 'profile', ...serviceScopes],
    pkce: true,
    tokenEndpointAuth: 'client_secret_post',
    // Without offline access there is no refresh token; without consent Google sends one only the first time.
    authorizeParams: { access_type: 'offline', prompt: 'consent', include_granted_scopes: 'true' },
    tokenResponse: { invalidGrantErrors: ['invalid_grant'] },
  };
}

/** OpenID Connect userinfo: `sub` is the stable Google account id. */
export const googleIdentity = {
  url: 'https://openidconnect.googleapis.com/v1/userinfo',
  providerIdPath: 'sub',
  providerData: { email: 'email', name: 'name', picture: 'picture' },
};
