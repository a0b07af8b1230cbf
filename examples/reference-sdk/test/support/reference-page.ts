import { randomBytes } from 'node:crypto';
import type { BrowserContext, Page, Request } from 'playwright-core';
import type { InstallIntegrationOptions } from '@useparagon/connect';
import { screenshot } from '../../../../test/support/chromium.js';
import { approveInPopup } from '../../../../test/support/sandbox-popup.js';
import type { HarnessEvent, InstallOutcome } from '../../src/main.js';
import type { ReferenceEnvironment } from './reference-environment.js';

/** A user id no other test uses, so every test starts with a user who has nothing connected. */
export const freshUser = (label: string) => `ref-${label}-${randomBytes(4).toString('hex')}`;

/** A sandbox login: each one is its own provider account. */
export const freshLogin = (label: string) => `${label}-${randomBytes(3).toString('hex')}`;

const VENDOR_HOSTS = /^https?:\/\/([^/]+\.)?useparagon\.com(:\d+)?\//;

/** The longest a flow may take end to end: the SDK polls for the new credential every few seconds. */
const INSTALL_DEADLINE_MS = 25_000;

/** What the user state looks like from the test's side (a plain copy of `paragon.getUser()`). */
export interface UserState {
  authenticated: boolean;
  userId?: string;
  meta?: Record<string, unknown>;
  integrations?: Record<string, { enabled: boolean; credentialId?: string; allCredentials: { id: string; providerId?: string }[] } & Record<string, unknown>>;
}

/**
 * The harness page (examples/reference-sdk/src/main.ts) in one browser context, with what the reference SDK does
 * recorded: every request the page and its popups send, and every console error.
 */
export class ReferencePage {
  readonly requests: URL[] = [];
  readonly consoleErrors: string[] = [];

  private constructor(
    readonly page: Page,
    readonly env: ReferenceEnvironment,
  ) {}

  /** Opens the page, waits for the SDK to load, and points it at Switchboard with the environment's configureGlobal. */
  static async open(context: BrowserContext, env: ReferenceEnvironment): Promise<ReferencePage> {
    const page = await context.newPage();
    const reference = new ReferencePage(page, env);
    context.on('request', (request: Request) => reference.requests.push(new URL(request.url())));
    // The SDK's built-in defaults name its vendor's hosts; nothing may reach them from a test.
    await context.route(VENDOR_HOSTS, (route) => route.abort('blockedbyclient'));
    const watch = (target: Page) => {
      target.on('console', (message) => {
        if (message.type() === 'error') reference.consoleErrors.push(message.text());
      });
      target.on('pageerror', (error) => reference.consoleErrors.push(error.message));
    };
    watch(page);
    context.on('page', watch);
    await page.goto(env.pageUrl);
    await page.getByTestId('status').filter({ hasText: 'signed out' }).waitFor();
    await page.evaluate(([host, overrides]) => window.paragon.configureGlobal(host, overrides), env.configureGlobal);
    return reference;
  }

  /** `paragon.authenticate(projectId, <a user token for sub signed with the dev project's key>)`. */
  async signIn(sub: string): Promise<void> {
    const token = await this.env.server.userToken(sub);
    await this.page.evaluate(([projectId, userToken]) => window.paragon.authenticate(projectId, userToken), [this.env.server.projectId, token] as const);
    await this.render();
  }

  user(): Promise<UserState> {
    return this.page.evaluate(() => JSON.parse(JSON.stringify(window.paragon.getUser())) as UserState);
  }

  events(): Promise<HarnessEvent[]> {
    return this.page.evaluate(() => window.events);
  }

  render(): Promise<void> {
    return this.page.evaluate(() => window.harness.render());
  }

  /** Requests to anything but the page's own origin and Switchboard's services, as URLs. */
  foreignRequests(): string[] {
    const known = new Set([this.env.pageOrigin, new URL(this.env.publicUrl).origin, ...Object.values(this.env.services)]);
    return this.requests.filter((url) => !known.has(url.origin)).map((url) => url.href);
  }

  /** CORS refusals Chromium reported in the console of the page or a popup. */
  corsErrors(): string[] {
    return this.consoleErrors.filter((text) => /CORS|Access-Control-Allow/i.test(text));
  }

  /**
   * Clicks the page's install button (a real click: the popup blocker is on), so the SDK runs
   * `installIntegration(type, options)` and opens its popup; approves the sandbox consent page in the popup as
   * `login`; waits for the popup to close, the SDK's promise to settle and the SDK to delete the session key (its
   * last step); and returns how the promise settled. `shot` names a screenshot of the consent page.
   */
  async installThroughPopup(login: string, options: { integrationType?: string; install?: InstallIntegrationOptions; shot?: string } = {}): Promise<InstallOutcome> {
    const { page } = this;
    await page.evaluate(([type, install]) => window.harness.prepareInstall(type, install), [options.integrationType ?? 'sandbox', options.install ?? {}] as const);
    const popupOpened = page.context().waitForEvent('page').then((popup) => ({ popup }));
    // The SDK's last step: once it has the new credential, it deletes the popup's session key.
    const finished = page.context().waitForEvent('request', {
      predicate: (request) => request.method() === 'DELETE' && request.url().includes('/sdk/actions/session-id/'),
      timeout: INSTALL_DEADLINE_MS,
    });
    finished.catch(() => undefined); // awaited below
    await page.getByTestId('install').click();
    // The SDK either opens its popup or refuses at once (then there is no popup to wait for).
    const refused = page
      .waitForFunction(() => window.harness.lastInstall?.state === 'rejected', null, { timeout: INSTALL_DEADLINE_MS })
      .then(() => page.evaluate(() => ({ refused: window.harness.lastInstall! })));
    const first = await Promise.race([popupOpened, refused]);
    [popupOpened, refused].forEach((settled) => settled.catch(() => undefined)); // the loser's rejection is not news
    if ('refused' in first) throw new Error(`installIntegration opened no popup: ${JSON.stringify(first.refused)}`);
    const { popup } = first;
    // The callback page closes the popup once the account is connected.
    const closed = popup.waitForEvent('close', { timeout: INSTALL_DEADLINE_MS });
    closed.catch(() => undefined); // awaited below; not a stray rejection if the consent page never shows
    await consentPage(popup);
    if (options.shot) await screenshot(popup, options.shot);
    await approveInPopup(popup, login);
    await closed;
    await page.waitForFunction(() => window.harness.lastInstall?.state !== 'pending', null, { timeout: INSTALL_DEADLINE_MS });
    await finished;
    await this.render();
    return page.evaluate(() => window.harness.lastInstall!);
  }
}

/** Waits for the popup to show the sandbox's consent page; if it never does, says where the popup got stuck. */
async function consentPage(popup: Page): Promise<void> {
  try {
    await popup.getByLabel('Sandbox login').waitFor();
  } catch {
    const body = popup.isClosed() ? '(closed)' : ((await popup.textContent('body').catch(() => '')) ?? '').slice(0, 300);
    throw new Error(`The OAuth popup never showed the sandbox consent page; it is at ${popup.isClosed() ? '(closed)' : popup.url()}: ${body}`);
  }
}
