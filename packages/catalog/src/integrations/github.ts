import { defineIntegration } from '../define-integration.js';
import { simpleIcon } from '../icons.js';

export default defineIntegration({
  type: 'github',
  name: 'GitHub',
  description: 'Work with repositories, issues and pull requests on GitHub.',
  brandColor: '#181717',
  iconSvg: simpleIcon('github'),
  auth: {
    kind: 'oauth2',
    authorizeUrl: 'https://github.com/login/oauth/authorize',
    // Answers JSON only when asked with `Accept: application/json` (the engine always asks); errors come with 200.
    tokenUrl: 'https://github.com/login/oauth/access_token',
    scopes: ['read:user', 'user:email', 'repo'],
    pkce: true,
    tokenEndpointAuth: 'client_secret_post',
    // OAuth-app tokens never expire (no expires_in); GitHub-app user tokens expire and their refresh tokens rotate.
    refreshTokenRotates: true,
    tokenResponse: { invalidGrantErrors: ['bad_verification_code', 'bad_refresh_token'] },
  },
  api: {
    baseUrl: 'https://api.github.com',
    authorization: { type: 'bearer' },
    // GitHub refuses requests without a User-Agent.
    headers: { Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28', 'User-Agent': 'Switchboard' },
  },
  identity: { url: '/user', providerIdPath: 'id', providerData: { login: 'login', name: 'name', email: 'email' } },
  // REST API v3 (docs.github.com/rest).
  actions: [
    {
      name: 'GITHUB_CREATE_ISSUE',
      title: 'Create an issue',
      description: 'Opens an issue in a repository; answers its number, id, url, state and title.',
      method: 'POST',
      path: '/repos/{{owner}}/{{repo}}/issues',
      inputSchema: {
        type: 'object',
        properties: {
          owner: { type: 'string', pattern: '^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$', description: 'The account owning the repository' },
          repo: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,100}$', description: "The repository's name" },
          title: { type: 'string', minLength: 1, maxLength: 256 },
          body: { type: 'string', maxLength: 65536, description: 'Markdown' },
          labels: { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1 } },
          assignees: { type: 'array', maxItems: 10, items: { type: 'string', minLength: 1 } },
        },
        required: ['owner', 'repo', 'title'],
        additionalProperties: false,
      },
      body: { title: '{{title}}', body: '{{body}}', labels: '{{labels}}', assignees: '{{assignees}}' },
      output: { number: 'number', id: 'id', url: 'html_url', state: 'state', title: 'title' },
    },
    {
      name: 'GITHUB_LIST_REPOS',
      title: 'List repositories',
      description: 'Lists the repositories the user can reach (GET /user/repos), a page at a time.',
      method: 'GET',
      path: '/user/repos',
      inputSchema: {
        type: 'object',
        properties: {
          visibility: { enum: ['all', 'public', 'private'] },
          affiliation: { type: 'string', pattern: '^(owner|collaborator|organization_member)(,(owner|collaborator|organization_member))*$' },
          sort: { enum: ['created', 'updated', 'pushed', 'full_name'] },
          perPage: { type: 'integer', minimum: 1, maximum: 100 },
          page: { type: 'integer', minimum: 1 },
        },
        additionalProperties: false,
      },
      query: { visibility: '{{visibility}}', affiliation: '{{affiliation}}', sort: '{{sort}}', per_page: '{{perPage}}', page: '{{page}}' },
    },
  ],
});
