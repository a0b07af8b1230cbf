import { defineIntegration } from '../define-integration.js';
import { simpleIcon } from '../icons.js';

export default defineIntegration({
  type: 'shopify',
  name: 'Shopify',
  description: 'Read products, orders and customers from a Shopify store.',
  brandColor: '#7AB55C',
  iconSvg: simpleIcon('shopify'),
  auth: {
    kind: 'oauth2',
    authorizeUrl: 'https://{{shop}}.myshopify.com/admin/oauth/authorize',
    tokenUrl: 'https://{{shop}}.myshopify.com/admin/oauth/access_token',
    scopes: ['read_products', 'read_orders', 'read_customers'],
    scopeSeparator: ',',
    pkce: false,
    tokenEndpointAuth: 'client_secret_post',
    preOAuthInputs: [
      {
        id: 'shop',
        label: 'Store name',
        type: 'text',
        required: true,
        // A myshopify.com subdomain only: no dots, slashes or other hosts.
        pattern: '[a-zA-Z0-9][a-zA-Z0-9-]{0,59}',
        placeholder: 'my-store',
        help: 'The part before .myshopify.com in your store admin URL.',
      },
    ],
    // Offline access tokens never expire and come without a refresh token.
    tokenResponse: { neverExpires: true },
    noRefresh: true,
  },
  api: {
    baseUrl: 'https://{{shop}}.myshopify.com/admin/api/2025-07',
    authorization: { type: 'header', name: 'X-Shopify-Access-Token', value: '{{accessToken}}' },
  },
  identity: {
    url: '/shop.json',
    providerIdPath: 'shop.id',
    providerData: { shopName: 'shop.name', domain: 'shop.myshopify_domain', email: 'shop.email' },
  },
});
