import { defineIntegration } from '../define-integration.js';
import { simpleIcon } from '../icons.js';
import { googleIdentity, googleOAuth } from '../google-oauth.js';

export default defineIntegration({
  type: 'googledrive',
  name: 'Google Drive',
  description: 'List, read and upload files in Google Drive.',
  brandColor: '#4285F4',
  iconSvg: simpleIcon('googledrive'),
  auth: googleOAuth(['https://www.googleapis.com/auth/drive']),
  api: { baseUrl: 'https://www.googleapis.com/drive/v3', authorization: { type: 'bearer' } },
  identity: googleIdentity,
  // Drive API v3 (developers.google.com/drive/api/reference/rest/v3/files).
  actions: [
    {
      name: 'GOOGLE_DRIVE_LIST_FILES',
      title: 'List files',
      description: "Lists or searches the user's files (a Drive query such as name contains 'report'); answers files and nextPageToken.",
      method: 'GET',
      path: '/files',
      inputSchema: {
        type: 'object',
        properties: {
          q: { type: 'string', maxLength: 2000, description: "A Drive search query, e.g. mimeType = 'application/pdf' and trashed = false" },
          pageSize: { type: 'integer', minimum: 1, maximum: 1000 },
          pageToken: { type: 'string', maxLength: 1000, description: 'nextPageToken of the previous page' },
          orderBy: { type: 'string', maxLength: 200, description: 'e.g. modifiedTime desc' },
          fields: { type: 'string', maxLength: 1000, description: 'e.g. nextPageToken, files(id, name, mimeType, modifiedTime)' },
        },
        additionalProperties: false,
      },
      query: { q: '{{q}}', pageSize: '{{pageSize}}', pageToken: '{{pageToken}}', orderBy: '{{orderBy}}', fields: '{{fields}}' },
      output: { files: 'files', nextPageToken: 'nextPageToken' },
    },
    {
      name: 'GOOGLE_DRIVE_GET_FILE',
      title: 'Get file metadata',
      description: "Answers a file's metadata by its id: name, mimeType and the fields asked for.",
      method: 'GET',
      path: '/files/{{fileId}}',
      inputSchema: {
        type: 'object',
        properties: {
          fileId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,200}$' },
          fields: { type: 'string', maxLength: 1000, description: 'e.g. id, name, mimeType, size, modifiedTime, webViewLink' },
        },
        required: ['fileId'],
        additionalProperties: false,
      },
      query: { fields: '{{fields}}' },
    },
  ],
});
