import type { IntegrationMetadata, SdkEventName, SwitchboardSDK, SwitchboardUser } from '@switchboard/sdk';

/** What the hooks read: the SDK's user state and integration metadata, each replaced only when it changed. */
export interface SwitchboardSnapshot {
  user: SwitchboardUser;
  metadata: IntegrationMetadata[];
}

/** A `useSyncExternalStore` source over one SDK instance. */
export interface SwitchboardStore {
  subscribe(listener: () => void): () => void;
  getSnapshot(): SwitchboardSnapshot;
  /** Re-read the SDK now (e.g. right after `authenticate` or `logout` resolved). */
  refresh(): void;
}

/** The SDK events after which the user state may have changed. */
const USER_EVENTS: readonly SdkEventName[] = ['onUserChange', 'onIntegrationInstall', 'onIntegrationUninstall', 'onWorkflowChange'];

/**
 * An SDK without `onUserChange` (which reports `authenticate`, `setUserMetadata`, `logout` and every reload of the
 * user state) is re-read on this cheap timer instead, while a component listens: two getter calls and a string
 * comparison.
 */
const POLL_MS = 1000;

const stores = new WeakMap<SwitchboardSDK, SwitchboardStore>();

function readMetadata(sdk: SwitchboardSDK): IntegrationMetadata[] {
  if (!sdk.getUser().authenticated) return [];
  try {
    return sdk.getIntegrationMetadata();
  } catch {
    // Before authentication some builds throw instead of answering an empty list.
    return [];
  }
}

/** Keeps `previous` (same reference, so React skips the render) unless `next` differs in content. */
function keep<T>(previous: T, next: T): T {
  if (previous === next) return previous;
  return JSON.stringify(previous) === JSON.stringify(next) ? previous : next;
}

/** The store of `sdk`, created once per SDK instance and shared by every hook that reads it. */
export function storeFor(sdk: SwitchboardSDK): SwitchboardStore {
  const existing = stores.get(sdk);
  if (existing) return existing;

  let snapshot: SwitchboardSnapshot = { user: sdk.getUser(), metadata: readMetadata(sdk) };
  const listeners = new Set<() => void>();
  let detach: (() => void) | undefined;

  const refresh = () => {
    const user = keep(snapshot.user, sdk.getUser());
    const metadata = keep(snapshot.metadata, readMetadata(sdk));
    if (user === snapshot.user && metadata === snapshot.metadata) return;
    snapshot = { user, metadata };
    for (const listener of [...listeners]) listener();
  };

  const attach = () => {
    const unsubscribers: (() => void)[] = [];
    let observesUser = true;
    for (const name of USER_EVENTS) {
      try {
        unsubscribers.push(sdk.subscribe(name, refresh));
      } catch {
        // An older SDK build refuses event names it does not know.
        if (name === 'onUserChange') observesUser = false;
      }
    }
    if (!observesUser) {
      const timer = setInterval(refresh, POLL_MS);
      unsubscribers.push(() => clearInterval(timer));
    }
    return () => {
      for (const unsubscribe of unsubscribers) unsubscribe();
    };
  };

  const store: SwitchboardStore = {
    subscribe(listener) {
      listeners.add(listener);
      if (listeners.size === 1) {
        detach = attach();
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
    refresh,
  };
  stores.set(sdk, store);
  return store;
}
