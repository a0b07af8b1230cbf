import { defineIntegration } from '../define-integration.js';
import { sandboxActions } from './sandbox-actions.js';
import { sandboxIconSvg } from '../icons.js';

/** The built-in sandbox API reached with a username and password (HTTP basic auth). */
export default defineIntegration({
  type: 'sandbox-basic',
  name: 'Sandbox (basic auth)',
  description: 'The built-in sandbox API, connected with a username and password.',
  brandColor: '#7C3AED',
  iconSvg: sandboxIconSvg,
  auth: {
    kind: 'basic',
    fields: [
      { id: 'username', label: 'Username', type: 'text', required: true, help: 'Any username: it names the sandbox account.' },
      {
        id: 'password',
        label: 'Password',
        type: 'password',
        required: true,
        secret: true,
        help: 'The sandbox password is sandbox-password.',
      },
    ],
  },
  api: {
    baseUrl: '{{serverUrl}}/sandbox/api',
    authorization: { type: 'basic', username: '{{username}}', password: '{{password}}' },
  },
  identity: { url: '/me', providerIdPath: 'id', providerData: { name: 'name', email: 'email' } },
  actions: sandboxActions,
});
