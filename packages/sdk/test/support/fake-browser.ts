/**
 * The browser parts of the SDK's environment, played by the test: popups (that the test drives through the real
 * sandbox consent page), `message` events, the page origin and the clock. HTTP is real: the SDK's fetch reaches a
 * real Switchboard server on loopback.
 */
import { createSwitchboard, type BrowserEnvironment, type PopupWindow, type Switchboard } from '@switchboard/sdk';
import { approveSandboxConsent, CookieJar } from '../../../server/test/support/sandbox-consent.js';
import { APP_ORIGIN, loadCallbackPage } from '../../../server/test/support/sdk-flows.js';
import { eventually } from '../../../server/test/support/proxy.js';
import type { TestServer } from '../../../server/test/support/test-server.js';

export class FakePopup implements PopupWindow {
  closed = false;
  /** The form the page posted into this popup, once it did. */
  form: { url: string; fields: Record<string, string> } | undefined;
  /** Where Switchboard sent the popup after the form: the provider's authorization URL. */
  location: string | undefined;
  constructor(readonly name: string) {}
  close(): void {
    this.closed = true;
  }
}

export class FakeBrowser implements BrowserEnvironment {
  readonly popups: FakePopup[] = [];
  /** What the browser's popup blocker decides. */
  blockPopups = false;
  /** Moves the page's clock (user tokens expire on it). */
  clockSkewMs = 0;
  /** The browser's cookies, as the popup's pages set them. */
  readonly cookies = new CookieJar();
  private readonly listeners = new Set<(event: MessageEvent) => void>();

  fetch(input: string, init?: RequestInit): Promise<Response> {
    return fetch(input, init);
  }
  openPopup(name: string): PopupWindow | null {
    if (this.blockPopups) return null;
    const popup = new FakePopup(name);
    this.popups.push(popup);
    return popup;
  }
  postToPopup(popup: PopupWindow, url: string, fields: Record<string, string>): void {
    (popup as FakePopup).form = { url, fields };
  }
  onMessage(listener: (event: MessageEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  pageOrigin(): string {
    return APP_ORIGIN;
  }
  now(): number {
    return Date.now() + this.clockSkewMs;
  }
  get listening(): number {
    return this.listeners.size;
  }
  /** A `message` event as the browser would dispatch it. */
  post(data: unknown, from: { origin: string; source: unknown }): void {
    for (const listener of [...this.listeners]) listener({ data, origin: from.origin, source: from.source } as MessageEvent);
  }
}

/** An SDK instance on a fake browser, with short OAuth timings, pointed at the test server. */
export function sdkFor(server: TestServer, options: { pollMs?: number } = {}): { sdk: Switchboard; browser: FakeBrowser } {
  const browser = new FakeBrowser();
  const sdk = createSwitchboard({ host: server.url, environment: browser, oauthTiming: { closedCheckMs: 20, pollMs: options.pollMs ?? 100 } });
  return { sdk, browser };
}

/**
 * Waits until the SDK has posted its form into the popup, submits it as the browser would (with the page's Origin,
 * keeping the cookie it sets), and returns where Switchboard sent the popup: the authorization URL.
 */
export async function popupUrl(popup: FakePopup, browser: FakeBrowser): Promise<string> {
  await eventually('the page to post its form into the popup', () => popup.form !== undefined);
  if (popup.location) return popup.location;
  const { url, fields } = popup.form!;
  const response = await fetch(url, {
    method: 'POST',
    headers: { origin: APP_ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
    redirect: 'manual',
  });
  browser.cookies.store(new URL(url), response.headers.getSetCookie());
  const location = response.headers.get('location');
  if (response.status !== 303 || !location) throw new Error(`the popup's first page answered ${response.status}: ${await response.text()}`);
  popup.location = location;
  return location;
}

/** Plays the user in the popup: approves the sandbox consent as `login`; returns what the callback page posted. */
export async function approveInPopup(popup: FakePopup, browser: FakeBrowser, login = 'sandbox-user'): Promise<{ message: Record<string, unknown>; targetOrigin: string }> {
  const callbackUrl = await approveSandboxConsent(await popupUrl(popup, browser), { login, cookies: browser.cookies });
  const page = await loadCallbackPage(callbackUrl, browser.cookies);
  if (page.posted.length !== 1) throw new Error(`the callback page posted ${page.posted.length} messages`);
  return page.posted[0]!;
}
