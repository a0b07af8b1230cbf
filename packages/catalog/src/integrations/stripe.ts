import { defineIntegration } from '../define-integration.js';
import { simpleIcon } from '../icons.js';

export default defineIntegration({
  type: 'stripe',
  name: 'Stripe',
  description: 'Read customers, payments and subscriptions from a Stripe account.',
  brandColor: '#635BFF',
  iconSvg: simpleIcon('stripe'),
  auth: {
    kind: 'api-key',
    fields: [
      {
        id: 'apiKey',
        label: 'Secret key',
        type: 'password',
        required: true,
        secret: true,
        pattern: '(sk|rk)_(test|live)_[A-Za-z0-9]+',
        placeholder: 'sk_live_...',
        help: 'A secret (sk_) or restricted (rk_) key from Developers › API keys in the Stripe dashboard.',
      },
    ],
  },
  api: { baseUrl: 'https://api.stripe.com', authorization: { type: 'bearer', token: '{{apiKey}}' } },
  identity: {
    url: '/v1/account',
    providerIdPath: 'id',
    providerData: { businessName: 'business_profile.name', email: 'email', displayName: 'settings.dashboard.display_name' },
  },
});
