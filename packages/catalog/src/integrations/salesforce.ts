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
  // REST API resources of the org's instance (developer.salesforce.com/docs/atlas.en-us.api_rest.meta).
  actions: [
    {
      name: 'SALESFORCE_CREATE_RECORD',
      title: 'Create a record',
      description: 'Creates a record of any object (Account, Contact, Lead, a custom My_Object__c) from its field values; answers id and success.',
      method: 'POST',
      path: '/sobjects/{{objectType}}',
      inputSchema: {
        type: 'object',
        properties: {
          objectType: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{0,79}$', description: 'The API name of the object, e.g. Contact' },
          fields: { type: 'object', minProperties: 1, description: 'Field API names and values, e.g. { "LastName": "Lovelace" }' },
        },
        required: ['objectType', 'fields'],
        additionalProperties: false,
      },
      body: '{{fields}}',
      output: { id: 'id', success: 'success', errors: 'errors' },
    },
    {
      name: 'SALESFORCE_UPDATE_RECORD',
      title: 'Update a record',
      description: "Changes fields of a record by its id; Salesforce answers nothing on success.",
      method: 'PATCH',
      path: '/sobjects/{{objectType}}/{{recordId}}',
      inputSchema: {
        type: 'object',
        properties: {
          objectType: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{0,79}$' },
          recordId: { type: 'string', pattern: '^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$', description: 'A 15- or 18-character record id' },
          fields: { type: 'object', minProperties: 1 },
        },
        required: ['objectType', 'recordId', 'fields'],
        additionalProperties: false,
      },
      body: '{{fields}}',
    },
    {
      name: 'SALESFORCE_SOQL_QUERY',
      title: 'Run a SOQL query',
      description: 'Runs a SOQL query, e.g. SELECT Id, Name FROM Account LIMIT 10; answers totalSize, done, records and nextRecordsUrl.',
      method: 'GET',
      path: '/query',
      inputSchema: {
        type: 'object',
        properties: { query: { type: 'string', minLength: 1, maxLength: 100000, description: 'The SOQL statement' } },
        required: ['query'],
        additionalProperties: false,
      },
      query: { q: '{{query}}' },
      output: { totalSize: 'totalSize', done: 'done', records: 'records', nextRecordsUrl: 'nextRecordsUrl' },
    },
  ],
});
