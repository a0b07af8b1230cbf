import type { IntegrationDefinition } from '@switchboard/catalog';
import { TemplateError } from './errors.js';
import { renderTemplate, renderUrl, type TemplateContext, type TemplateValues } from './templates.js';

/** A credential's secret values, decrypted for the length of one request. */
export interface CredentialSecrets {
  accessToken?: string;
  refreshToken?: string;
  /** API-key / basic / client-credentials fields the user typed. */
  fields?: Record<string, string>;
  /** Extra secrets kept from the token answer (e.g. Slack's user token). */
  extra?: Record<string, string>;
}

export interface ApiRequestParts {
  baseUrl: string;
  headers: Record<string, string>;
  query: Record<string, string>;
}

function templateValues(context: TemplateContext, secrets: CredentialSecrets): TemplateValues {
  return {
    ...context,
    inputs: { ...context.inputs, ...secrets.fields },
    ...(secrets.accessToken !== undefined ? { accessToken: secrets.accessToken } : {}),
  };
}

function headerValue(definition: IntegrationDefinition, name: string, value: string): string {
  // Header injection guard: a typed value must not start a new header line.
  if (/[\r\n\0]/.test(value)) throw new TemplateError(`${definition.type}: the value for header ${name} contains a line break`);
  return value;
}

/** The headers and query parameters that carry the credential, plus the definition's fixed API headers. */
export function resolveApiCredentials(
  definition: IntegrationDefinition,
  p: { secrets: CredentialSecrets; context: TemplateContext },
): { headers: Record<string, string>; query: Record<string, string> } {
  const values = templateValues(p.context, p.secrets);
  const render = (template: string) => renderTemplate(definition, template, values, 'text');
  const headers: Record<string, string> = {};
  const query: Record<string, string> = {};
  for (const [name, template] of Object.entries(definition.api.headers ?? {})) headers[name] = headerValue(definition, name, render(template));
  const authorization = definition.api.authorization;
  switch (authorization.type) {
    case 'bearer':
      headers.Authorization = headerValue(definition, 'Authorization', `Bearer ${render(authorization.token ?? '{{accessToken}}')}`);
      break;
    case 'header':
      headers[authorization.name] = headerValue(definition, authorization.name, render(authorization.value));
      break;
    case 'basic': {
      const pair = `${render(authorization.username)}:${render(authorization.password)}`;
      headers.Authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
      break;
    }
    case 'query':
      query[authorization.name] = render(authorization.value);
      break;
  }
  return { headers, query };
}

/** The API base URL for this credential, without a trailing slash. */
export function resolveApiBaseUrl(definition: IntegrationDefinition, p: { secrets?: CredentialSecrets; context: TemplateContext }): string {
  const url = renderUrl(definition, definition.api.baseUrl, templateValues(p.context, p.secrets ?? {}));
  return url.href.replace(/\/+$/, '');
}

/** Everything the proxy needs to call the provider's API on a connected user's behalf. */
export function resolveApiRequest(definition: IntegrationDefinition, p: { secrets: CredentialSecrets; context: TemplateContext }): ApiRequestParts {
  return { baseUrl: resolveApiBaseUrl(definition, p), ...resolveApiCredentials(definition, p) };
}
