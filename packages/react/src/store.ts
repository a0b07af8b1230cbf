import type { IntegrationMetadata, SwitchboardSDK, SwitchboardUser } from '@switchboard/sdk';

/** What the hooks read: the SDK's user state and integration metadata, each replaced only when it changed. */
export interface SwitchboardSnapshot {
  user: SwitchboardUser;
  metadata: IntegrationMetadata[];
}

/** A `useSyncExternalStore` source over one SDK instance. */
export interface SwitchboardStore {
  subscribe(listener: () => void): () => void;
  getSnapshot(): SwitchboardSnapshot;
}

const stores = new WeakMap<SwitchboardSDK, SwitchboardStore>();

/**
 * The store of `sdk`, created once per SDK instance and shared by every hook that reads it. The SDK replaces its
 * user object on every change and fires `onUserChange` (sign-in, install, uninstall, metadata, sign-out), and its
 * integration metadata changes only with the user: a new user object is the one signal needed.
 */
export function storeFor(sdk: SwitchboardSDK): SwitchboardStore {
  const existing = stores.get(sdk);
  if (existing) return existing;

  const read = (user: SwitchboardUser): SwitchboardSnapshot => ({ user, metadata: user.authenticated ? sdk.getIntegrationMetadata() : [] });
  let snapshot = read(sdk.getUser());
  const listeners = new Set<() => void>();
  let detach: (() => void) | undefined;

  /** Re-reads the SDK; a new snapshot (and a render) only when the user object changed. */
  const refresh = () => {
    const user = sdk.getUser();
    if (user === snapshot.user) return;
    snapshot = read(user);
    for (const listener of [...listeners]) listener();
  };

  const store: SwitchboardStore = {
    subscribe(listener) {
      listeners.add(listener);
      if (listeners.size === 1) {
        detach = sdk.subscribe('onUserChange', refresh);
        // Whatever happened while nobody listened.
        refresh();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          detach?.();
          detach = undefined;
        }
      };
    },
    getSnapshot() {
      // Unobserved, the SDK may have changed since the last read (e.g. `authenticate` before the first render).
      if (listeners.size === 0) refresh();
      return snapshot;
    },
  };
  stores.set(sdk, store);
  return store;
}
