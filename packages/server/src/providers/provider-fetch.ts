import { fetch as undiciFetch } from 'undici';
import type { OutboundFetch } from './index.js';
import type { UpstreamPools } from './upstream-pools.js';

/** The part of a project's integration that decides the guard: custom integrations have an id, built-in ones null. */
interface GuardedIntegration {
  customIntegrationId: string | null;
}

/**
 * How the provider engine (token, identity and test requests) reaches an integration's provider. Custom
 * integrations are described by a project at run time, so their connections go through the SSRF guard unless the
 * project allows private addresses; built-in definitions are ours and use the global fetch.
 */
export function providerFetchFor(context: { upstreams: UpstreamPools }, integration: GuardedIntegration, allowPrivate: boolean): OutboundFetch | undefined {
  if (!guarded(integration, allowPrivate)) return undefined;
  const dispatcher = context.upstreams.agent(false);
  return (input, init) => undiciFetch(input, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher }) as unknown as Promise<Response>;
}

/** Whether requests to this integration's provider must refuse private, loopback and link-local addresses. */
export const guarded = (integration: GuardedIntegration, allowPrivate: boolean) => integration.customIntegrationId !== null && !allowPrivate;
