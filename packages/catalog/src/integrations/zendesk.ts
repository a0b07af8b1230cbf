import { defineIntegration } from '../define-integration.js';
import { simpleIcon } from '../icons.js';

export default defineIntegration({
  type: 'zendesk',
  name: 'Zendesk',
  description: 'Create and update tickets and users in Zendesk Support.',
  brandColor: '#03363D',
  iconSvg: simpleIcon('zendesk'),
  auth: {
    kind: 'oauth2',
    authorizeUrl: 'https://{{subdomain}}.zendesk.com/oauth/authorizations/new',
    tokenUrl: 'https://{{subdomain}}.zendesk.com/oauth/tokens',
    scopes: ['read', 'write'],
    pkce: false,
    tokenEndpointAuth: 'client_secret_post',
    // Zendesk documents a JSON token request that repeats the scope.
    tokenRequestFormat: 'json',
    scopeInTokenRequest: true,
    preOAuthInputs: [
      {
        id: 'subdomain',
        label: 'Zendesk subdomain',
        type: 'text',
        required: true,
        pattern: '[a-zA-Z0-9][a-zA-Z0-9-]{0,62}',
        placeholder: 'acme',
        help: 'The part before .zendesk.com.',
      },
    ],
  },
  api: { baseUrl: 'https://{{subdomain}}.zendesk.com/api/v2', authorization: { type: 'bearer' } },
  identity: {
    url: '/users/me.json',
    providerIdPath: 'user.id',
    providerData: { name: 'user.name', email: 'user.email' },
  },
});
