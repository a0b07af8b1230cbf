/**
 * What the SDK needs from the browser, in one place: the real window by default, a fake in unit tests. Nothing else
 * in the SDK touches `window` directly.
 */

/** The part of a popup window the SDK uses. */
export interface PopupWindow {
  /** The window's name, which a form can target. */
  readonly name: string;
  readonly closed: boolean;
  close(): void;
}

export interface BrowserEnvironment {
  fetch(input: string, init?: RequestInit): Promise<Response>;
  /** Opens a popup; null when the browser blocked it. Must be called synchronously within the user's click. */
  openPopup(name: string, width: number, height: number): PopupWindow | null;
  /**
   * Sends the popup to `url` by a form POST of `fields` from this page: the browser sends the page's Origin with it,
   * which is how Switchboard knows the customer's page opened the popup.
   */
  postToPopup(popup: PopupWindow, url: string, fields: Record<string, string>): void;
  /** Listens to `message` events on this window; returns the function that stops listening. */
  onMessage(listener: (event: MessageEvent) => void): () => void;
  /** The origin of the page the SDK runs in: where the OAuth popup posts its result. */
  pageOrigin(): string;
  now(): number;
}

export function browserEnvironment(): BrowserEnvironment {
  return {
    fetch: (input, init) => fetch(input, init),
    openPopup(name, width, height) {
      // Centred over the current window; `popup` asks for a separate small window rather than a tab.
      const left = Math.max(0, window.screenX + (window.outerWidth - width) / 2);
      const top = Math.max(0, window.screenY + (window.outerHeight - height) / 2);
      return window.open('', name, `popup,width=${width},height=${height},left=${left},top=${top}`);
    },
    postToPopup(popup, url, fields) {
      const form = document.createElement('form');
      form.method = 'POST';
      form.action = url;
      form.target = popup.name;
      form.style.display = 'none';
      for (const [name, value] of Object.entries(fields)) {
        const input = document.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = value;
        form.append(input);
      }
      document.body.append(form);
      try {
        form.submit();
      } finally {
        form.remove();
      }
    },
    onMessage(listener) {
      window.addEventListener('message', listener);
      return () => window.removeEventListener('message', listener);
    },
    pageOrigin: () => window.location.origin,
    now: () => Date.now(),
  };
}

/** The origin of an http(s) URL, or undefined (a `file:` module, a missing script). */
export function httpOrigin(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}
