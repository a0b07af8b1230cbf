import { defineIntegration } from '../define-integration.js';
import { simpleIcon } from '../icons.js';

export default defineIntegration({
  type: 'notion',
  name: 'Notion',
  description: 'Read and write pages and databases the user shares with your app in Notion.',
  brandColor: '#000000',
  iconSvg: simpleIcon('notion'),
  auth: {
    kind: 'oauth2',
    authorizeUrl: 'https://api.notion.com/v1/oauth/authorize',
    tokenUrl: 'https://api.notion.com/v1/oauth/token',
    // Notion has no scopes: the user picks pages in its consent screen.
    scopes: [],
    pkce: false,
    authorizeParams: { owner: 'user' },
    // Token requests: HTTP Basic client auth and a JSON body.
    tokenEndpointAuth: 'client_secret_basic',
    tokenRequestFormat: 'json',
    tokenResponse: {
      neverExpires: true,
      providerIdPath: 'workspace_id',
      providerData: { workspaceName: 'workspace_name', workspaceIcon: 'workspace_icon', botId: 'bot_id' },
    },
    noRefresh: true,
  },
  api: {
    baseUrl: 'https://api.notion.com/v1',
    authorization: { type: 'bearer' },
    headers: { 'Notion-Version': '2022-06-28' },
  },
  identity: { url: '/users/me', providerData: { botName: 'name' } },
});
