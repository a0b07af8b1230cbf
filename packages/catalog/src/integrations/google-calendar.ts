import { defineIntegration } from '../define-integration.js';
import { simpleIcon } from '../icons.js';
import { googleIdentity, googleOAuth } from '../google-oauth.js';

export default defineIntegration({
  type: 'googleCalendar',
  name: 'Google Calendar',
  description: 'Read and create events in Google Calendar.',
  brandColor: '#4285F4',
  iconSvg: simpleIcon('googlecalendar'),
  auth: googleOAuth(['https://www.googleapis.com/auth/calendar.events']),
  api: { baseUrl: 'https://www.googleapis.com/calendar/v3', authorization: { type: 'bearer' } },
  identity: googleIdentity,
});
