import { SwitchboardError } from './errors.js';
import type { SdkEventHandler, SdkEventName, SdkEvents, SwitchboardUser } from './types.js';

const EVENT_NAMES: readonly SdkEventName[] = [
  'onIntegrationInstall',
  'onIntegrationUninstall',
  'onWorkflowChange',
  'onPortalOpen',
  'onPortalClose',
  'onUserChange',
];

/** The SDK's global events (`subscribe`). A handler that throws does not stop the others, nor the SDK. */
export class EventHub {
  private readonly handlers = new Map<SdkEventName, Set<SdkEventHandler<never>>>();

  subscribe<N extends SdkEventName>(name: N, handler: SdkEventHandler<N>): () => void {
    if (!EVENT_NAMES.includes(name)) {
      throw new SwitchboardError(`Unknown event ${String(name)}; one of ${EVENT_NAMES.join(', ')}`, 'UNKNOWN_EVENT');
    }
    if (typeof handler !== 'function') throw new SwitchboardError('subscribe needs a handler function', 'INVALID_ARGUMENT');
    let set = this.handlers.get(name);
    if (!set) this.handlers.set(name, (set = new Set()));
    set.add(handler as SdkEventHandler<never>);
    return () => this.unsubscribe(name, handler);
  }

  unsubscribe<N extends SdkEventName>(name: N, handler: SdkEventHandler<N>): void {
    this.handlers.get(name)?.delete(handler as SdkEventHandler<never>);
  }

  emit<N extends SdkEventName>(name: N, event: SdkEvents[N], user: SwitchboardUser): void {
    // A copy: a handler may unsubscribe itself while we iterate.
    for (const handler of [...(this.handlers.get(name) ?? [])]) callSafely(() => (handler as SdkEventHandler<N>)(event, user));
  }
}

/** Runs an app's callback; an error it throws surfaces as an uncaught error (in the console) without breaking the SDK. */
export function callSafely(callback: () => void): void {
  try {
    callback();
  } catch (error) {
    setTimeout(() => {
      throw error;
    });
  }
}
