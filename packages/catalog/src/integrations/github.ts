import { siGithub } from 'simple-icons';
import { defineIntegration } from '../define-integration.js';

export default defineIntegration({
  type: 'github',
  name: 'GitHub',
  description: 'Work with repositories, issues and pull requests on GitHub.',
  brandColor: `#${siGithub.hex}`,
  iconSvg: siGithub.svg,
  auth: {
    kind: 'oauth2',
    authorizeUrl: 'https://github.com/login/oauth/authorize',
    // Answers JSON only when asked with `Accept: application/json` (the engine always asks); errors come with 200.
    tokenUrl: 'https://github.com/login/oauth/access_token',
    scopes: ['read:user', 'user:email', 'repo'],
    pkce: true,
    tokenEndpointAuth: 'client_secret_post',
    // OAuth-app tokens never expire (no expires_in); GitHub-app user tokens expire and their refresh tokens rotate.
    refreshTokenRotates: true,
    tokenResponse: { invalidGrantErrors: ['bad_verification_code', 'bad_refresh_token'] },
  },
  api: {
    baseUrl: 'https://api.github.com',
    authorization: { type: 'bearer' },
    // GitHub refuses requests without a User-Agent.
    headers: { Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28', 'User-Agent': 'Switchboard' },
  },
  identity: { url: '/user', providerIdPath: 'id', providerData: { login: 'login', name: 'name', email: 'email' } },
});
