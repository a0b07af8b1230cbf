import { defineIntegration } from '../define-integration.js';
import { sandboxActions } from './sandbox-actions.js';
import { sandboxIconSvg } from '../icons.js';
import { sandboxOAuth } from './sandbox.js';

/**
 * The built-in sandbox OAuth provider with two account types (a US and an EU workspace), to try the account-type
 * choice offline. Both sign in at the same sandbox; the chosen type is kept with the account.
 */
export default defineIntegration({
  type: 'sandbox-regions',
  name: 'Sandbox (regions)',
  description: 'The built-in OAuth 2.0 sandbox, with a US and an EU workspace to choose from.',
  brandColor: '#7C3AED',
  iconSvg: sandboxIconSvg,
  auth: {
    ...sandboxOAuth,
    accountTypes: [
      { id: 'us', label: 'US workspace', vars: { region: 'us' } },
      { id: 'eu', label: 'EU workspace', vars: { region: 'eu' } },
    ],
  },
  api: { baseUrl: '{{serverUrl}}/sandbox/api', authorization: { type: 'bearer' } },
  identity: { url: '/me', providerIdPath: 'id', providerData: { name: 'name', email: 'email' } },
  actions: sandboxActions,
});
