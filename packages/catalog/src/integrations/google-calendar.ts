import { siGooglecalendar } from 'simple-icons';
import { defineIntegration } from '../define-integration.js';
import { googleIdentity, googleOAuth } from '../google-oauth.js';

export default defineIntegration({
  type: 'googleCalendar',
  name: 'Google Calendar',
  description: 'Read and create events in Google Calendar.',
  brandColor: `#${siGooglecalendar.hex}`,
  iconSvg: siGooglecalendar.svg,
  auth: googleOAuth(['https://www.googleapis.com/auth/calendar.events']),
  api: { baseUrl: 'https://www.googleapis.com/calendar/v3', authorization: { type: 'bearer' } },
  identity: googleIdentity,
});
