import { defineIntegration } from '../define-integration.js';
import { monogramSvg } from '../icons.js';

export default defineIntegration({
  type: 'freshdesk',
  name: 'Freshdesk',
  description: 'Create and update tickets and contacts in Freshdesk.',
  brandColor: '#25C16F',
  // Freshdesk is not in simple-icons.
  iconSvg: monogramSvg('Freshdesk', 'FD'),
  auth: {
    kind: 'basic',
    fields: [
      {
        id: 'domain',
        label: 'Freshdesk domain',
        type: 'text',
        required: true,
        pattern: '[a-zA-Z0-9][a-zA-Z0-9-]{0,62}',
        placeholder: 'acme',
        help: 'The part before .freshdesk.com.',
      },
      {
        id: 'apiKey',
        label: 'API key',
        type: 'password',
        required: true,
        secret: true,
        help: 'Your profile picture › Profile settings › View API key.',
      },
    ],
  },
  // Freshdesk takes the API key as the basic-auth username and any password.
  api: {
    baseUrl: 'https://{{domain}}.freshdesk.com/api/v2',
    authorization: { type: 'basic', username: '{{apiKey}}', password: 'X' },
  },
  identity: { url: '/agents/me', providerIdPath: 'id', providerData: { name: 'contact.name', email: 'contact.email' } },
});
