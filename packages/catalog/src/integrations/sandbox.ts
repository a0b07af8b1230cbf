import { defineIntegration, type OAuth2CodeAuth } from '../define-integration.js';
import { sandboxActions } from './sandbox-actions.js';
import { sandboxIconSvg } from '../icons.js';

/** The sandbox's OAuth server (oidc-provider at /sandbox), shared by the sandbox integrations that sign in there. */
export const sandboxOAuth: OAuth2CodeAuth = {
  kind: 'oauth2',
  authorizeUrl: '{{serverUrl}}/sandbox/auth',
  tokenUrl: '{{serverUrl}}/sandbox/token',
  scopes: ['openid', 'offline_access', 'contacts'],
  scopeSeparator: ' ',
  pkce: true,
  tokenEndpointAuth: 'client_secret_post',
  // oidc-provider drops offline_access (so: no refresh token) unless consent is prompted.
  authorizeParams: { prompt: 'consent' },
};

/** The OAuth provider built into every Switchboard server (oidc-provider at /sandbox), for offline demos and tests. */
export default defineIntegration({
  type: 'sandbox',
  name: 'Sandbox',
  description: 'A built-in OAuth 2.0 provider with a small contacts API, to try the whole connect flow offline.',
  brandColor: '#7C3AED',
  iconSvg: sandboxIconSvg,
  auth: sandboxOAuth,
  api: { baseUrl: '{{serverUrl}}/sandbox/api', authorization: { type: 'bearer' } },
  identity: { url: '/me', providerIdPath: 'id', providerData: { name: 'name', email: 'email' } },
  // Asked once the account is connected, to show the post-install stage of an install flow.
  postInstallInputs: [
    {
      id: 'contactList',
      label: 'Contacts to sync',
      type: 'select',
      required: false,
      options: [
        { value: 'all', label: 'All contacts' },
        { value: 'starred', label: 'Starred contacts' },
      ],
      help: 'Which of your sandbox contacts the app may sync. You can change this later.',
    },
  ],
  // The sandbox signs the webhooks it sends (POST /sandbox/api/webhooks/send) with the OAuth app's client secret.
  webhookSignature: { header: 'X-Sandbox-Signature', algorithm: 'hmac-sha256', encoding: 'hex', prefix: 'sha256=', secret: { from: 'clientSecret' } },
  actions: sandboxActions,
});
