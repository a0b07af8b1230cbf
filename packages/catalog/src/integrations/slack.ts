import { defineIntegration } from '../define-integration.js';
import { monogramSvg } from '../icons.js';

export default defineIntegration({
  type: 'slack',
  name: 'Slack',
  description: 'Post messages and read channels in a Slack workspace.',
  brandColor: '#4A154B',
  // Slack left simple-icons at the brand's request.
  iconSvg: monogramSvg('Slack', 'S'),
  auth: {
    kind: 'oauth2',
    authorizeUrl: 'https://slack.com/oauth/v2/authorize',
    tokenUrl: 'https://slack.com/api/oauth.v2.access',
    scopes: ['channels:read', 'chat:write', 'users:read'],
    scopeSeparator: ',',
    pkce: false,
    tokenEndpointAuth: 'client_secret_post',
    tokenResponse: {
      // Slack answers 200 with `{ ok: false, error }` on failure.
      okPath: 'ok',
      // The bot token is at the top level; the installing user's token, if user scopes were asked, is nested.
      extraSecrets: { userAccessToken: 'authed_user.access_token' },
      providerIdPath: 'team.id',
      providerData: {
        teamName: 'team.name',
        botUserId: 'bot_user_id',
        appId: 'app_id',
        authedUserId: 'authed_user.id',
        enterpriseId: 'enterprise.id',
      },
      invalidGrantErrors: ['invalid_code', 'code_already_used', 'invalid_refresh_token'],
    },
  },
  api: { baseUrl: 'https://slack.com/api', authorization: { type: 'bearer' } },
  identity: {
    url: '/auth.test',
    method: 'POST',
    okPath: 'ok',
    providerIdPath: 'team_id',
    providerData: { teamName: 'team', teamUrl: 'url' },
  },
  // Slack Web API methods (api.slack.com/methods): JSON bodies for writes, query parameters for reads, `ok: false` on failure.
  actions: [
    {
      name: 'SLACK_SEND_MESSAGE',
      title: 'Send a message',
      description: 'Posts a message to a channel, a private group or a direct message (chat.postMessage); answers the channel, the message timestamp ts and the message.',
      method: 'POST',
      path: '/chat.postMessage',
      inputSchema: {
        type: 'object',
        properties: {
          channel: { type: 'string', minLength: 1, maxLength: 200, description: 'A channel id (C0123…) or name (#general)' },
          text: { type: 'string', minLength: 1, maxLength: 40000, description: 'The message text, in Slack mrkdwn' },
          threadTs: { type: 'string', pattern: '^[0-9]+\\.[0-9]+$', description: "Reply in the thread of this message's ts" },
          blocks: { type: 'array', maxItems: 50, items: { type: 'object' }, description: 'Block Kit blocks; text is then the notification fallback' },
        },
        required: ['channel', 'text'],
        additionalProperties: false,
      },
      body: { channel: '{{channel}}', text: '{{text}}', thread_ts: '{{threadTs}}', blocks: '{{blocks}}' },
      output: { channel: 'channel', ts: 'ts', message: 'message' },
      okPath: 'ok',
    },
    {
      name: 'SLACK_LIST_CHANNELS',
      title: 'List channels',
      description: 'Lists the channels of the workspace (conversations.list), a page at a time; answers channels and nextCursor.',
      method: 'GET',
      path: '/conversations.list',
      inputSchema: {
        type: 'object',
        properties: {
          types: { type: 'string', pattern: '^(public_channel|private_channel|mpim|im)(,(public_channel|private_channel|mpim|im))*$', description: 'Comma-separated: public_channel, private_channel, mpim, im' },
          excludeArchived: { type: 'boolean', description: 'Leave archived channels out' },
          limit: { type: 'integer', minimum: 1, maximum: 1000, description: 'Channels per page (Slack advises at most 200)' },
          cursor: { type: 'string', maxLength: 500, description: 'nextCursor of the previous page' },
        },
        additionalProperties: false,
      },
      query: { types: '{{types}}', exclude_archived: '{{excludeArchived}}', limit: '{{limit}}', cursor: '{{cursor}}' },
      output: { channels: 'channels', nextCursor: 'response_metadata.next_cursor' },
      okPath: 'ok',
    },
  ],
});
