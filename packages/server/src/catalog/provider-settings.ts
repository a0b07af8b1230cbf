import type { AppContext } from '../app-context.js';
import { openClientSecret, type ProjectIntegration } from './integration-store.js';
import { apiError } from '../errors.js';
import type { OAuthApp, TemplateContext } from '../providers/index.js';

/** The project's OAuth app at the provider; an integration activated without one cannot connect accounts. */
export function oauthAppFor(context: AppContext, integration: ProjectIntegration): OAuthApp {
  const clientSecret = openClientSecret(context.secrets, integration);
  if (!integration.clientId || !clientSecret) {
    throw apiError('INTEGRATION_NOT_CONFIGURED', `${integration.type} has no OAuth client ID and secret in this project`);
  }
  return { clientId: integration.clientId, clientSecret, ...(integration.scopes && { scopes: integration.scopes }) };
}

export const redirectUri = (context: AppContext) => `${context.config.publicUrl}/oauth/callback`;

export const templateContext = (
  context: AppContext,
  inputs: Record<string, string>,
  providerData: Record<string, unknown> = {},
): TemplateContext => ({ serverUrl: context.config.publicUrl, inputs, providerData });
