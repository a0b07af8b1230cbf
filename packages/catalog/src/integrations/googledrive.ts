import { siGoogledrive } from 'simple-icons';
import { defineIntegration } from '../define-integration.js';
import { googleIdentity, googleOAuth } from '../google-oauth.js';

export default defineIntegration({
  type: 'googledrive',
  name: 'Google Drive',
  description: 'List, read and upload files in Google Drive.',
  brandColor: `#${siGoogledrive.hex}`,
  iconSvg: siGoogledrive.svg,
  auth: googleOAuth(['https://www.googleapis.com/auth/drive']),
  api: { baseUrl: 'https://www.googleapis.com/drive/v3', authorization: { type: 'bearer' } },
  identity: googleIdentity,
});
