import type { IntegrationDefinition } from '@switchboard/catalog';
import { resolveApiBaseUrl, resolveApiCredentials, type CredentialSecrets } from './api-authorization.js';
import { isTransientStatus, ProviderError, providerMessageOf } from './errors.js';
import { isNetworkFailure, PROVIDER_TIMEOUT_MS, readBody, unavailable, type OutboundFetch } from './http.js';
import { failsOkFlag, mapResponse } from './json-path.js';
import { renderTemplate, type TemplateContext } from './templates.js';

export interface Identity {
  providerId?: string;
  providerData: Record<string, unknown>;
}

function identityUrl(definition: IntegrationDefinition, path: string, p: { secrets: CredentialSecrets; context: TemplateContext }): URL {
  const rendered = renderTemplate(definition, path, { ...p.context, inputs: { ...p.context.inputs, ...p.secrets.fields } }, 'url');
  // Absolute identity URLs (Jira's accessible-resources) do not need the API base, which may not be known yet.
  if (/^https?:\/\//i.test(rendered)) return new URL(rendered);
  const base = resolveApiBaseUrl(definition, p);
  return new URL(`${base}/${rendered.replace(/^\/+/, '')}`);
}

/**
 * Calls the definition's identity request with the credential applied. It proves the credential works (for API
 * keys it is the test endpoint) and yields providerId / providerData.
 */
export async function fetchIdentity(
  definition: IntegrationDefinition,
  p: { secrets: CredentialSecrets; context: TemplateContext; outbound?: OutboundFetch },
): Promise<Identity> {
  const spec = definition.identity;
  if (!spec) return { providerData: {} };
  const url = identityUrl(definition, spec.url, p);
  const { headers, query } = resolveApiCredentials(definition, p);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  const method = spec.method ?? 'GET';
  const init: RequestInit = {
    method,
    headers: { Accept: 'application/json', ...headers, ...spec.headers, ...(spec.body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    redirect: 'error',
    signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
    ...(spec.body !== undefined ? { body: JSON.stringify(spec.body) } : {}),
  };
  let status: number;
  let body: unknown;
  try {
    const response = await (p.outbound ?? fetch)(url, init);
    status = response.status;
    body = await readBody(response);
  } catch (error) {
    if (isNetworkFailure(error)) throw unavailable(definition.name, 'the identity request', error);
    throw new ProviderError('unavailable', `${definition.name}: the identity request failed`);
  }
  const failed = status < 200 || status >= 300 || failsOkFlag(body, spec);
  if (failed) {
    const secrets = [p.secrets.accessToken, p.secrets.refreshToken, ...Object.values(p.secrets.fields ?? {}), ...Object.values(p.secrets.extra ?? {})];
    const providerMessage = providerMessageOf(body, secrets);
    const kind = isTransientStatus(status) ? 'unavailable' : 'rejected';
    const verb = kind === 'unavailable' ? 'failed' : 'was refused';
    throw new ProviderError(kind, `${definition.name}: the credential ${verb}${providerMessage ? `: ${providerMessage}` : ''}`, {
      status,
      ...(providerMessage ? { providerMessage } : {}),
    });
  }
  return mapResponse(body, spec);
}
