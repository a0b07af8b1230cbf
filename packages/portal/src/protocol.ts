/**
 * The reference SDK's iframe protocol (docs/connect-portal.md): the SDK posts `UI_UPDATE`; the portal calls the SDK's
 * own methods with `SDK_FUNCTION_INVOCATION` and gets `SDK_FUNCTION_RESPONSE` / `SDK_FUNCTION_ERROR` back. Only the
 * parent window, on an origin the server allowed to frame the page, is listened to, and only it is posted to.
 */
import type { UiUpdate } from './types.js';

/** The origins the server let frame this page (its CSP frame-ancestors), from the page's own `<meta>`. */
function frameOrigins(): string[] {
  const content = document.querySelector<HTMLMetaElement>('meta[name="switchboard-frame-origins"]')?.content ?? '';
  return content.split(' ').filter(Boolean);
}

/** The same matching as the server's allowed origins: exact, or `scheme://host:*` for any port. */
export function originAllowed(allowed: readonly string[], origin: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  return allowed.some((entry) => entry === origin || (entry.endsWith(':*') && `${parsed.protocol}//${parsed.hostname}` === entry.slice(0, -2)));
}

/** An SDK method's failure as the SDK reports it: its message only. */
export class SdkCallError extends Error {
  override name = 'SdkCallError';
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

export interface Bridge {
  /** Calls `sdk[method](...parameters)` on the parent page; resolves with its result. */
  invoke<T = unknown>(method: string, ...parameters: unknown[]): Promise<T>;
  /** Stops listening. */
  close(): void;
}

/** The latest UI_UPDATE, numbered, and who wants to hear of the next one. */
export interface UpdateStore {
  latest(): { seq: number; update: UiUpdate } | undefined;
  subscribe(listener: () => void): () => void;
  bridge: Bridge;
}

export function startPortalBridge(): UpdateStore {
  let latest: { seq: number; update: UiUpdate } | undefined;
  const listeners = new Set<() => void>();
  const bridge = connectBridge((update) => {
    latest = { seq: (latest?.seq ?? 0) + 1, update };
    for (const listener of listeners) listener();
  });
  return {
    latest: () => latest,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    bridge,
  };
}

/**
 * Starts listening at once, when the script runs: the SDK posts its state when the iframe's load event fires, before
 * React has rendered anything, so the first UI_UPDATE must not depend on a component being mounted.
 */
export function connectBridge(onUpdate: (update: UiUpdate) => void): Bridge {
  const allowed = frameOrigins();
  const pending = new Map<string, Pending>();
  let parentOrigin: string | undefined;
  let calls = 0;

  const listener = (event: MessageEvent) => {
    if (event.source !== window.parent || window.parent === window) return;
    // The first UI_UPDATE from an allowed origin fixes the parent's origin; nothing from any other is heard.
    if (parentOrigin === undefined) {
      if (!originAllowed(allowed, event.origin)) return;
    } else if (event.origin !== parentOrigin) return;
    const data: unknown = event.data;
    if (!data || typeof data !== 'object') return;
    const message = data as { messageType?: unknown; id?: unknown; result?: unknown; message?: unknown };
    if (message.messageType === 'UI_UPDATE') {
      parentOrigin = event.origin;
      onUpdate(data as UiUpdate);
      return;
    }
    if (typeof message.id !== 'string') return;
    const call = pending.get(message.id);
    if (!call) return;
    if (message.messageType === 'SDK_FUNCTION_RESPONSE') {
      pending.delete(message.id);
      call.resolve(message.result);
    } else if (message.messageType === 'SDK_FUNCTION_ERROR') {
      pending.delete(message.id);
      call.reject(new SdkCallError(typeof message.message === 'string' ? message.message : 'The request failed'));
    }
  };
  window.addEventListener('message', listener);

  return {
    invoke<T>(method: string, ...parameters: unknown[]): Promise<T> {
      if (parentOrigin === undefined) return Promise.reject(new SdkCallError('The Connect Portal is not connected to its page yet'));
      calls += 1;
      const id = `portal-${calls}-${Math.random().toString(36).slice(2, 10)}`;
      const target = parentOrigin;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        window.parent.postMessage({ messageType: 'SDK_FUNCTION_INVOCATION', id, type: method, parameters }, target);
      });
    },
    close() {
      window.removeEventListener('message', listener);
    },
  };
}

/**
 * The server's `{ message, code }` out of an SDK error's message: the reference SDK throws the error body's message,
 * or the body as JSON text.
 */
export function serverError(error: unknown): { message: string; code?: string; field?: string } {
  const text = error instanceof Error ? error.message : String(error);
  try {
    const parsed = JSON.parse(text) as { message?: unknown; code?: unknown; field?: unknown };
    if (parsed && typeof parsed.message === 'string') {
      return { message: parsed.message, ...(typeof parsed.code === 'string' && { code: parsed.code }), ...(typeof parsed.field === 'string' && { field: parsed.field }) };
    }
  } catch {
    // Not JSON: the message itself.
  }
  return { message: text };
}
