import { fetch as undiciFetch } from 'undici';
import type { AppContext } from '../app-context.js';
import type { ProjectIntegration } from '../catalog/integration-store.js';
import type { OutboundFetch } from '../connect/provider/index.js';

/**
 * How the provider engine (token, identity and test requests) reaches an integration's provider. Custom
 * integrations are described by a project at run time, so their connections go through the SSRF guard unless the
 * project allows private addresses; built-in definitions are ours and use the global fetch.
 */
export function providerFetchFor(context: AppContext, integration: ProjectIntegration, allowPrivate: boolean): OutboundFetch | undefined {
  if (!guarded(integration, allowPrivate)) return undefined;
  const dispatcher = context.upstreams.agent(false);
  return (input, init) => undiciFetch(input, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher }) as unknown as Promise<Response>;
}

/** Whether requests to this integration's provider must refuse private, loopback and link-local addresses. */
export const guarded = (integration: ProjectIntegration, allowPrivate: boolean) => integration.customIntegrationId !== null && !allowPrivate;
