import { defineIntegration } from '../define-integration.js';
import { sandboxActions } from './sandbox-actions.js';
import { sandboxIconSvg } from '../icons.js';

/** The built-in sandbox API reached with an API key instead of OAuth. */
export default defineIntegration({
  type: 'sandbox-apikey',
  name: 'Sandbox (API key)',
  description: 'The built-in sandbox API, connected with an API key.',
  brandColor: '#7C3AED',
  iconSvg: sandboxIconSvg,
  auth: {
    kind: 'api-key',
    fields: [
      {
        id: 'apiKey',
        label: 'API key',
        type: 'password',
        required: true,
        secret: true,
        placeholder: 'sbx_...',
        help: 'Any key starting with sbx_ works, e.g. sbx_demo.',
      },
    ],
  },
  api: {
    baseUrl: '{{serverUrl}}/sandbox/api',
    authorization: { type: 'header', name: 'X-Api-Key', value: '{{apiKey}}' },
  },
  identity: { url: '/me', providerIdPath: 'id', providerData: { name: 'name', email: 'email' } },
  // Webhooks from the sandbox to an API-key account are signed with that account's key.
  webhookSignature: { header: 'X-Sandbox-Signature', algorithm: 'hmac-sha256', encoding: 'hex', prefix: 'sha256=', secret: { from: 'credentialField', field: 'apiKey' } },
  actions: sandboxActions,
});
