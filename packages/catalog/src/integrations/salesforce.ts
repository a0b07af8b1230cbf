import { defineIntegration } from '../define-integration.js';
import { monogramSvg } from '../icons.js';

export default defineIntegration({
  type: 'salesforce',
  name: 'Salesforce',
  description: 'Read and write Salesforce records: accounts, contacts, opportunities and custom objects.',
  brandColor: '#00A1E0',
  // Salesforce left simple-icons at the brand's request.
  iconSvg: monogramSvg('Salesforce', 'SF'),
  auth: {
    kind: 'oauth2',
    authorizeUrl: '{{loginUrl}}/services/oauth2/authorize',
    tokenUrl: '{{loginUrl}}/services/oauth2/token',
    scopes: ['api', 'refresh_token', 'id'],
    pkce: true,
    tokenEndpointAuth: 'client_secret_post',
    accountTypes: [
      { id: 'production', label: 'Production', vars: { loginUrl: 'https://login.salesforce.com' } },
      { id: 'sandbox', label: 'Sandbox', vars: { loginUrl: 'https://test.salesforce.com' } },
    ],
    tokenResponse: {
      // Each org lives on its own instance; every API call goes there.
      providerData: { instanceURL: 'instance_url', identityUrl: 'id' },
      // No expires_in: the token lives as long as the org's session timeout (2 h by default).
      defaultExpiresInSeconds: 7200,
    },
  },
  api: { baseUrl: '{{providerData.instanceURL}}/services/data/v60.0', authorization: { type: 'bearer' } },
  identity: {
    url: '{{providerData.instanceURL}}/services/oauth2/userinfo',
    providerIdPath: 'user_id',
    providerData: { organizationId: 'organization_id', name: 'name', email: 'email', username: 'preferred_username' },
  },
});
