import { useSyncExternalStore } from 'react';
import type { IntegrationMetadata, SwitchboardUser } from '@switchboard/sdk';
import { useSwitchboard } from './context.js';
import { storeFor, type SwitchboardSnapshot } from './store.js';

function useSnapshot(): SwitchboardSnapshot {
  const store = storeFor(useSwitchboard());
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

/**
 * The SDK's `getUser()`, kept current: the component renders again after an integration is installed or
 * uninstalled, a workflow changes, or the user signs in or out. Check `user.authenticated` before reading
 * `user.integrations`.
 */
export function useSwitchboardUser(): SwitchboardUser {
  return useSnapshot().user;
}

/** Display data (`name`, `brandColor`, `icon`, `description`…) of every active integration; empty before sign-in. */
export function useIntegrationMetadata(): IntegrationMetadata[];
/** Display data of one integration, or `undefined` before sign-in or when the project has no such integration. */
export function useIntegrationMetadata(integrationType: string): IntegrationMetadata | undefined;
export function useIntegrationMetadata(integrationType?: string): IntegrationMetadata[] | IntegrationMetadata | undefined {
  const { metadata } = useSnapshot();
  return integrationType === undefined ? metadata : metadata.find((item) => item.type === integrationType);
}
