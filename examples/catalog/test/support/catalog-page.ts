import { randomBytes } from 'node:crypto';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { approveInPopup } from '../../../../test/support/sandbox-popup.js';
import type { DemoEnvironment } from './demo-environment.js';

/** A user name for /demo/session that no other test uses: every test starts with a user who has nothing connected. */
export const freshUser = (label: string) => `${label}-${randomBytes(4).toString('hex')}`.slice(0, 64);

/** What a test reads and does on the demo page, by its roles and test ids. */
export class CatalogPage {
  private constructor(
    readonly page: Page,
    readonly env: DemoEnvironment,
    /** The Switchboard user id (`demo-<name>`). */
    readonly userId: string,
  ) {}

  /**
   * Opens the demo as a fresh user; resolves once the page shows who is signed in, or, with `until`, once that
   * promise (started before the page loads) settles. Every Playwright locator and evaluate runs in the page with a
   * user gesture (CDP `userGesture: true`), which lets the page open popups for a few seconds: a test about the
   * popup blocker must not touch the page before the popup was attempted, so it waits on `until` instead.
   */
  static async open(
    context: BrowserContext,
    env: DemoEnvironment,
    options: { user: string; params?: Record<string, string>; until?: (page: Page) => Promise<unknown> },
  ): Promise<CatalogPage> {
    const page = await context.newPage();
    const catalog = new CatalogPage(page, env, `demo-${options.user}`);
    const until = options.until?.(page);
    await page.goto(env.demoUrl({ user: options.user, ...options.params }));
    if (until) await until;
    else await page.getByTestId('user-id').filter({ hasText: catalog.userId }).waitFor();
    return catalog;
  }

  card(type: string): Locator {
    return this.page.locator(`[data-testid="integration-card"][data-integration="${type}"]`);
  }

  /** The status a card shows: connected, not-connected, needs-reconnecting or connecting. */
  async cardStatus(type: string): Promise<string | null> {
    return this.card(type).getByTestId('integration-status').getAttribute('data-status');
  }

  /** Waits until the card shows this status (in words and in its data-status). */
  async waitForCardStatus(type: string, status: string, text: string): Promise<void> {
    await this.card(type).locator(`[data-testid="integration-status"][data-status="${status}"]`).filter({ hasText: text }).waitFor();
  }

  get details(): Locator {
    return this.page.getByTestId('integration-details');
  }

  get accounts(): Locator {
    return this.details.getByTestId('account');
  }

  account(credentialId: string): Locator {
    return this.details.locator(`[data-testid="account"][data-credential-id="${credentialId}"]`);
  }

  async openDetails(type: string): Promise<void> {
    await this.card(type).getByRole('button', { name: /^Details/ }).click();
    await this.page.locator(`[data-testid="integration-details"][data-integration="${type}"]`).waitFor();
  }

  get dialog(): Locator {
    return this.page.getByTestId('install-dialog');
  }

  dialogAt(stage: string): Locator {
    return this.page.locator(`[data-testid="install-dialog"][data-stage="${stage}"]`);
  }

  activity(event: string, integrationType: string): Locator {
    return this.page.locator(`[data-testid="activity-entry"][data-event="${event}"][data-integration="${integrationType}"]`);
  }

  banner(errorName: string): Locator {
    return this.page.locator(`[data-testid="error-banner"][data-error-name="${errorName}"]`);
  }

  /** Clicks `trigger` (e.g. a Connect button) and answers the sandbox's consent page in the popup it opens. */
  async connectThroughPopup(trigger: Locator, login: string): Promise<void> {
    const popup = await this.openPopup(trigger);
    await approveInPopup(popup, login);
  }

  /** Clicks `trigger` and returns the OAuth popup once it shows the sandbox consent page. */
  async openPopup(trigger: Locator): Promise<Page> {
    const popupOpened = this.page.waitForEvent('popup');
    await trigger.click();
    const popup = await popupOpened;
    await popup.getByLabel('Sandbox login').waitFor();
    return popup;
  }

  /** The sandbox install asks for its optional post-install setting; skip it or pick a contact list. */
  async finishPostInstall(choice?: string): Promise<void> {
    const form = this.dialogAt('postOptions');
    await form.waitFor();
    if (choice) {
      await form.getByLabel('Contacts to sync').selectOption(choice);
      await form.getByRole('button', { name: 'Save settings' }).click();
    } else {
      await form.getByRole('button', { name: 'Skip' }).click();
    }
    await this.dialog.waitFor({ state: 'hidden' });
  }

  /** Connects `sandbox` from its card as `login`, through the popup; resolves once the card shows Connected. */
  async connectSandbox(login: string): Promise<void> {
    await this.connectThroughPopup(this.card('sandbox').getByRole('button', { name: /^Connect/ }), login);
    await this.finishPostInstall();
    await this.waitForCardStatus('sandbox', 'connected', 'Connected');
  }
}
