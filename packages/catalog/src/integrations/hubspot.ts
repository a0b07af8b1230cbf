import { defineIntegration } from '../define-integration.js';
import { simpleIcon } from '../icons.js';

export default defineIntegration({
  type: 'hubspot',
  name: 'HubSpot',
  description: 'Sync contacts, companies and deals with HubSpot CRM.',
  brandColor: '#FF7A59',
  iconSvg: simpleIcon('hubspot'),
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
  // CRM v3 objects API (developers.hubspot.com/docs/api/crm/contacts).
  actions: [
    {
      name: 'HUBSPOT_CREATE_CONTACT',
      title: 'Create a contact',
      description: 'Creates a contact in HubSpot CRM; answers it with its id and properties.',
      method: 'POST',
      path: '/crm/v3/objects/contacts',
      inputSchema: {
        type: 'object',
        properties: {
          email: { type: 'string', minLength: 3, maxLength: 320, description: "The contact's email, HubSpot's unique key for contacts" },
          firstName: { type: 'string', maxLength: 200 },
          lastName: { type: 'string', maxLength: 200 },
          phone: { type: 'string', maxLength: 100 },
          company: { type: 'string', maxLength: 200 },
        },
        required: ['email'],
        additionalProperties: false,
      },
      body: { properties: { email: '{{email}}', firstname: '{{firstName}}', lastname: '{{lastName}}', phone: '{{phone}}', company: '{{company}}' } },
      output: { id: 'id', properties: 'properties', createdAt: 'createdAt' },
    },
    {
      name: 'HUBSPOT_SEARCH_CONTACTS',
      title: 'Search contacts',
      description: 'Searches contacts by text in their default searchable properties (name, email, phone, company); answers total, results and nextAfter.',
      method: 'POST',
      path: '/crm/v3/objects/contacts/search',
      inputSchema: {
        type: 'object',
        properties: {
          query: { type: 'string', minLength: 1, maxLength: 3000, description: 'Text to look for' },
          properties: { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1 }, description: 'Properties to answer, e.g. email, firstname' },
          limit: { type: 'integer', minimum: 1, maximum: 200 },
          after: { type: 'string', maxLength: 100, description: 'nextAfter of the previous page' },
        },
        required: ['query'],
        additionalProperties: false,
      },
      body: { query: '{{query}}', properties: '{{properties}}', limit: '{{limit}}', after: '{{after}}' },
      output: { total: 'total', results: 'results', nextAfter: 'paging.next.after' },
    },
    {
      name: 'HUBSPOT_GET_CONTACT',
      title: 'Get a contact',
      description: 'Answers one contact by its id, with the properties asked for.',
      method: 'GET',
      path: '/crm/v3/objects/contacts/{{contactId}}',
      inputSchema: {
        type: 'object',
        properties: {
          contactId: { type: 'string', pattern: '^[0-9]+$' },
          properties: { type: 'string', maxLength: 2000, description: 'Comma-separated property names' },
        },
        required: ['contactId'],
        additionalProperties: false,
      },
      query: { properties: '{{properties}}' },
    },
  ],
});
