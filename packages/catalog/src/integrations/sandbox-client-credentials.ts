import { defineIntegration } from '../define-integration.js';
import { sandboxActions } from './sandbox-actions.js';
import { sandboxIconSvg } from '../icons.js';

/** The built-in sandbox API reached with an OAuth 2.0 client-credentials grant (machine-to-machine). */
export default defineIntegration({
  type: 'sandbox-client-credentials',
  name: 'Sandbox (client credentials)',
  description: 'The built-in sandbox API, connected with an OAuth client id and secret.',
  brandColor: '#7C3AED',
  iconSvg: sandboxIconSvg,
  auth: {
    kind: 'oauth2-client-credentials',
    tokenUrl: '{{serverUrl}}/sandbox/token',
    scopes: ['contacts'],
    tokenEndpointAuth: 'client_secret_post',
    fields: [
      { id: 'clientId', label: 'Client ID', type: 'text', required: true, help: 'The sandbox client is sandbox-client.' },
      {
        id: 'clientSecret',
        label: 'Client secret',
        type: 'password',
        required: true,
        secret: true,
        help: 'The sandbox client secret is sandbox-secret.',
      },
    ],
  },
  api: { baseUrl: '{{serverUrl}}/sandbox/api', authorization: { type: 'bearer' } },
  identity: { url: '/me', providerIdPath: 'id', providerData: { name: 'name', email: 'email' } },
  actions: sandboxActions,
});
