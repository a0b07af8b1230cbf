import type { IntegrationDefinition, OAuth2CodeAuth } from '@switchboard/catalog';
import { TemplateError } from './errors.js';

/** The OAuth client a project registered with the provider. */
export interface OAuthApp {
  clientId: string;
  clientSecret: string;
  /** Overrides the definition's default scopes. */
  scopes?: string[];
}

export function oauth2CodeAuth(definition: IntegrationDefinition): OAuth2CodeAuth {
  if (definition.auth.kind !== 'oauth2') throw new TemplateError(`${definition.type} does not use the OAuth 2.0 code flow`);
  return definition.auth;
}

export function joinScopes(scopes: readonly string[], separator = ' '): string {
  return scopes.join(separator);
}
