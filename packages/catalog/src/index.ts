import type { IntegrationDefinition } from './define-integration.js';
import freshdesk from './integrations/freshdesk.js';
import github from './integrations/github.js';
import gmail from './integrations/gmail.js';
import googleCalendar from './integrations/google-calendar.js';
import googledrive from './integrations/googledrive.js';
import hubspot from './integrations/hubspot.js';
import jira from './integrations/jira.js';
import notion from './integrations/notion.js';
import salesforce from './integrations/salesforce.js';
import sandbox from './integrations/sandbox.js';
import sandboxApiKey from './integrations/sandbox-apikey.js';
import sandboxBasic from './integrations/sandbox-basic.js';
import sandboxClientCredentials from './integrations/sandbox-client-credentials.js';
import sandboxRegions from './integrations/sandbox-regions.js';
import shopify from './integrations/shopify.js';
import slack from './integrations/slack.js';
import stripe from './integrations/stripe.js';
import zendesk from './integrations/zendesk.js';

export * from './define-action.js';
export * from './define-integration.js';
export * from './template-syntax.js';

/** Every integration Switchboard ships, sandbox ones first. */
export const builtInIntegrations: readonly IntegrationDefinition[] = Object.freeze([
  sandbox,
  sandboxApiKey,
  sandboxClientCredentials,
  sandboxBasic,
  sandboxRegions,
  freshdesk,
  github,
  gmail,
  googleCalendar,
  googledrive,
  hubspot,
  jira,
  notion,
  salesforce,
  shopify,
  slack,
  stripe,
  zendesk,
]);

const byType = new Map(builtInIntegrations.map((definition) => [definition.type, definition]));

export function findBuiltInIntegration(type: string): IntegrationDefinition | undefined {
  return byType.get(type);
}
