import { defineIntegration } from '../define-integration.js';
import { simpleIcon } from '../icons.js';

export default defineIntegration({
  type: 'jira',
  name: 'Jira',
  description: 'Create and update issues in Jira Cloud.',
  brandColor: '#0052CC',
  iconSvg: simpleIcon('jira'),
  auth: {
    kind: 'oauth2',
    authorizeUrl: 'https://auth.atlassian.com/authorize',
    tokenUrl: 'https://auth.atlassian.com/oauth/token',
    // offline_access is what makes Atlassian issue a refresh token.
    scopes: ['read:jira-work', 'write:jira-work', 'read:jira-user', 'offline_access'],
    pkce: false,
    tokenEndpointAuth: 'client_secret_post',
    tokenRequestFormat: 'json',
    authorizeParams: { audience: 'api.atlassian.com', prompt: 'consent' },
    // Atlassian rotates refresh tokens: each refresh invalidates the previous one.
    refreshTokenRotates: true,
  },
  // Every call goes through api.atlassian.com to the site's cloud id, found by the identity call.
  api: { baseUrl: 'https://api.atlassian.com/ex/jira/{{providerData.cloudId}}/rest/api/3', authorization: { type: 'bearer' } },
  identity: {
    url: 'https://api.atlassian.com/oauth/token/accessible-resources',
    providerIdPath: '0.id',
    providerData: { cloudId: '0.id', siteUrl: '0.url', siteName: '0.name' },
  },
});
