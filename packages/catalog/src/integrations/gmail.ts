import { defineIntegration } from '../define-integration.js';
import { simpleIcon } from '../icons.js';
import { googleIdentity, googleOAuth } from '../google-oauth.js';

export default defineIntegration({
  type: 'gmail',
  name: 'Gmail',
  description: 'Read and send email from a Gmail account.',
  brandColor: '#EA4335',
  iconSvg: simpleIcon('gmail'),
  auth: googleOAuth(['https://www.googleapis.com/auth/gmail.readonly', 'https://www.googleapis.com/auth/gmail.send']),
  api: { baseUrl: 'https://gmail.googleapis.com/gmail/v1', authorization: { type: 'bearer' } },
  identity: googleIdentity,
});
