import { siHubspot } from 'simple-icons';
import { defineIntegration } from '../define-integration.js';

export default defineIntegration({
  type: 'hubspot',
  name: 'HubSpot',
  description: 'Sync contacts, companies and deals with HubSpot CRM.',
  brandColor: `#${siHubspot.hex}`,
  iconSvg: siHubspot.svg,
  auth: {
    kind: 'oauth2',
    authorizeUrl: 'https://app.hubspot.com/oauth/authorize',
    tokenUrl: 'https://api.hubapi.com/oauth/v1/token',
    scopes: ['oauth', 'crm.objects.contacts.read', 'crm.objects.contacts.write'],
    pkce: false,
    tokenEndpointAuth: 'client_secret_post',
    // HubSpot reports errors as `{ status: 'BAD_REFRESH_TOKEN', message }`.
    tokenResponse: { invalidGrantErrors: ['BAD_REFRESH_TOKEN', 'BAD_AUTH_CODE'] },
  },
  api: { baseUrl: 'https://api.hubapi.com', authorization: { type: 'bearer' } },
  identity: {
    url: '/account-info/v3/details',
    providerIdPath: 'portalId',
    providerData: { uiDomain: 'uiDomain', accountType: 'accountType', timeZone: 'timeZone' },
  },
});
