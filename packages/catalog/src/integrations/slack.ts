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
});
