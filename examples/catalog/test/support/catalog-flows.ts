/**
 * The catalog demo's end-to-end flows in a real Chromium against a real Switchboard server. Defined once, run by
 * two suites: the demo served by Switchboard itself (ESM build), and the demo on another origin loading
 * /switchboard.js by script tag.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SwitchboardSDK } from '@switchboard/sdk';
import { chromiumPath, freshContextEachTest, launchChromium, screenshot } from '../../../../test/support/chromium.js';
import { approveInPopup } from '../../../../test/support/sandbox-popup.js';
import { seriousAccessibilityViolations } from '../../../../test/support/accessibility.js';
import { CatalogPage, freshUser } from './catalog-page.js';
import { startDemoEnvironment, type DemoEnvironment, type DemoMode } from './demo-environment.js';

const SANDBOX_INTEGRATIONS = ['sandbox', 'sandbox-apikey', 'sandbox-client-credentials'];

/** A sandbox login: each one is its own provider account. */
const login = (name: string) => `${name}-${randomBytes(3).toString('hex')}`;

/**
 * Posts `message` to the demo page from `source` (a window the page opened), then a marker, and waits until the page
 * has received the marker: messages from one window arrive in order, so by then every listener (the SDK's included)
 * has seen `message`.
 */
async function postToOpener(page: Page, source: Page, message: unknown): Promise<void> {
  const marker = `flush-${randomBytes(4).toString('hex')}`;
  await page.evaluate((marker) => {
    (window as unknown as { testFlushed: Promise<void> }).testFlushed = new Promise<void>((resolve) => {
      window.addEventListener('message', function listen(event) {
        if (event.data !== marker) return;
        window.removeEventListener('message', listen);
        resolve();
      });
    });
  }, marker);
  await source.evaluate(
    ([message, marker]) => {
      const opener = window.opener as Window;
      opener.postMessage(message, '*');
      opener.postMessage(marker, '*');
    },
    [message, marker] as const,
  );
  await page.evaluate(() => (window as unknown as { testFlushed: Promise<void> }).testFlushed);
}

export function describeCatalogFlows(mode: DemoMode): void {
  const title = mode === 'same-origin' ? 'catalog demo served by Switchboard (ESM build)' : 'catalog demo on another origin (script-tag build)';

  describe.skipIf(!chromiumPath)(title, () => {
    let env: DemoEnvironment;
    let browser: Browser;
    let context: BrowserContext;
    const shot = (page: Page, name: string) => screenshot(page, `${mode}-${name}`);
    const open = (label: string, params?: Record<string, string>) =>
      CatalogPage.open(context, env, { user: freshUser(label), ...(params && { params }) });

    beforeAll(async () => {
      [env, browser] = await Promise.all([startDemoEnvironment(mode), launchChromium()]);
    });
    afterAll(async () => {
      await browser?.close();
      await env?.close();
    });
    freshContextEachTest(() => browser, (fresh) => (context = fresh), { viewport: { width: 1280, height: 860 } });

    it('signs in through /demo/session and shows the user id and every integration, not connected', async () => {
      const catalog = await open('signin');
      const { page } = catalog;
      expect(await page.getByTestId('user-id').textContent()).toBe(catalog.userId);
      expect(await page.getByTestId('sdk-build').getAttribute('data-build')).toBe(mode === 'same-origin' ? 'module' : 'script');
      expect(await page.getByTestId('sdk-host').textContent()).toBe(env.serverOrigin);
      for (const type of SANDBOX_INTEGRATIONS) {
        await catalog.card(type).waitFor();
        expect(await catalog.cardStatus(type)).toBe('not-connected');
        expect(await catalog.card(type).getByTestId('integration-status').textContent()).toContain('Not connected');
      }
      expect(await catalog.card('sandbox').getByRole('heading').textContent()).toBe('Sandbox');
      // Icons come from the Switchboard server, also when the page is on another origin.
      await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.card img')].every((img) => img.complete));
      const iconWidths = await page.locator('.card img').evaluateAll((images) => images.map((img) => (img as HTMLImageElement).naturalWidth));
      expect(iconWidths.length).toBe(SANDBOX_INTEGRATIONS.length);
      expect(iconWidths.every((width) => width > 0)).toBe(true);
      // The user token lives in memory only: nothing in web storage or cookies, on the page's origin or the server's.
      const stored = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie]));
      expect(stored).toBe('[{},{},""]');
      expect(await context.cookies()).toEqual([]);
      await shot(page, 'catalog');
    });

    it('connects sandbox through the OAuth popup: the card shows Connected and the log shows onIntegrationInstall', async () => {
      const catalog = await open('oauth');
      const account = login('first-account');
      await catalog.connectThroughPopup(catalog.card('sandbox').getByRole('button', { name: /^Connect/ }), account);
      // The sandbox asks an optional post-install setting, rendered from the stage's field description.
      const form = catalog.dialogAt('postOptions');
      await form.waitFor();
      expect(await form.getByLabel('Contacts to sync').locator('option').allTextContents()).toEqual(['Choose…', 'All contacts', 'Starred contacts']);
      await catalog.finishPostInstall('starred');

      await catalog.waitForCardStatus('sandbox', 'connected', 'Connected');
      expect(await catalog.card('sandbox').getByTestId('card-accounts').textContent()).toBe(account);
      const installed = catalog.activity('onIntegrationInstall', 'sandbox');
      await installed.waitFor();
      expect(await installed.count()).toBe(1);
      const credentialId = await installed.getAttribute('data-credential-ids');
      expect(credentialId).toMatch(/\S/);
      expect(await installed.textContent()).toContain(credentialId!);

      await catalog.openDetails('sandbox');
      expect(await catalog.accounts.count()).toBe(1);
      expect(await catalog.accounts.first().getAttribute('data-credential-id')).toBe(credentialId);
      expect(await catalog.accounts.first().getByTestId('account-name').textContent()).toBe(account);
      expect(await catalog.accounts.first().getByTestId('account-status').textContent()).toContain('Active');
      await catalog.page.getByRole('button', { name: /All integrations/ }).click();
      await shot(catalog.page, 'catalog-connected');
    });

    it('sends a test request through the proxy and shows the JSON of the sandbox /me', async () => {
      const catalog = await open('proxy');
      const account = login('grace');
      await catalog.connectSandbox(account);
      await catalog.openDetails('sandbox');
      expect(await catalog.page.getByTestId('integration-description').textContent()).toContain('OAuth');
      await catalog.accounts.first().getByRole('button', { name: 'Send a test request' }).click();
      const response = catalog.accounts.first().getByTestId('test-response');
      await response.waitFor();
      expect(JSON.parse((await response.textContent())!)).toEqual({ id: account, name: account, email: `${account}@sandbox.example.com` });
      expect(await catalog.accounts.first().getByTestId('test-result').getAttribute('data-ok')).toBe('true');
      await shot(catalog.page, 'details-test-request');
    });

    it('shows a refused API key next to its field and connects nothing, then connects with a good key', async () => {
      const catalog = await open('apikey');
      const { page } = catalog;
      await catalog.card('sandbox-apikey').getByRole('button', { name: /^Connect/ }).click();
      const form = catalog.dialogAt('credentials');
      await form.waitFor();
      const key = form.getByLabel('API key');
      expect(await key.getAttribute('type')).toBe('password');
      expect(await key.getAttribute('placeholder')).toBe('sbx_...');
      expect(await form.textContent()).toContain('Any key starting with sbx_ works');

      await key.fill('not-a-sandbox-key');
      await form.getByRole('button', { name: 'Connect', exact: true }).click();
      const fieldError = form.getByTestId('field-error-apiKey');
      await fieldError.waitFor();
      expect(await fieldError.textContent()).toMatch(/rejected/i);
      expect(await key.getAttribute('aria-invalid')).toBe('true');
      await shot(page, 'install-form-error');
      // Nothing was connected: the SDK's state says so, and no install event fired.
      expect(await page.evaluate(() => (window as unknown as { switchboard: SwitchboardSDK }).switchboard.getUser())).toMatchObject({
        integrations: { 'sandbox-apikey': { enabled: false } },
      });
      expect(await page.getByTestId('activity-entry').count()).toBe(0);

      await key.fill(`sbx_${randomBytes(6).toString('hex')}`);
      await form.getByRole('button', { name: 'Connect', exact: true }).click();
      await catalog.dialog.waitFor({ state: 'hidden' });
      await catalog.waitForCardStatus('sandbox-apikey', 'connected', 'Connected');
      await catalog.activity('onIntegrationInstall', 'sandbox-apikey').waitFor();
      expect(await page.getByTestId('activity-entry').count()).toBe(1);
    });

    it('connects a second sandbox account with "Connect another account", then disconnects one of the two', async () => {
      const catalog = await open('multi');
      const { page } = catalog;
      const first = login('account-a');
      const second = login('account-b');
      await catalog.connectSandbox(first);
      await catalog.openDetails('sandbox');
      expect(await catalog.accounts.count()).toBe(1);

      await catalog.connectThroughPopup(catalog.details.getByRole('button', { name: 'Connect another account' }), second);
      await catalog.finishPostInstall();
      await expect.poll(() => catalog.accounts.count()).toBe(2);
      expect((await catalog.accounts.getByTestId('account-name').allTextContents()).sort()).toEqual([first, second].sort());
      expect(await catalog.page.getByTestId('activity-entry').count()).toBe(2);
      await shot(page, 'details-two-accounts');

      const secondRow = catalog.accounts.filter({ has: page.getByTestId('account-name').filter({ hasText: second }) });
      const secondId = (await secondRow.getAttribute('data-credential-id'))!;
      await secondRow.getByRole('button', { name: /^Disconnect/ }).click();
      // Asked first; Cancel keeps the account, Disconnect removes it.
      const confirm = page.getByTestId('confirm-disconnect');
      await confirm.getByRole('heading', { name: `Disconnect ${second}?` }).waitFor();
      await confirm.getByRole('button', { name: 'Disconnect' }).click();
      await expect.poll(() => catalog.accounts.count()).toBe(1);
      expect(await catalog.accounts.getByTestId('account-name').textContent()).toBe(first);
      const uninstalled = catalog.activity('onIntegrationUninstall', 'sandbox');
      await uninstalled.waitFor();
      expect(await uninstalled.getAttribute('data-credential-ids')).toBe(secondId);

      await page.getByRole('button', { name: /All integrations/ }).click();
      expect(await catalog.cardStatus('sandbox')).toBe('connected');
      expect(await catalog.card('sandbox').getByTestId('card-accounts').textContent()).toBe(first);
    });

    it("shows an account's saved settings in its details and saves only the changed ones, keeping a setting saved meanwhile elsewhere", async () => {
      const catalog = await open('settings');
      const { page } = catalog;
      await catalog.connectSandbox(login('settings'));
      await catalog.openDetails('sandbox');
      const row = catalog.accounts.first();
      const credentialId = (await row.getAttribute('data-credential-id'))!;
      const settings = row.getByTestId('account-settings');
      expect(await settings.getByTestId('setting-contactList').textContent()).toBe('Not set');

      await settings.getByRole('button', { name: 'Edit settings' }).click();
      await settings.getByLabel('Contacts to sync').selectOption('starred');
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await settings.getByRole('button', { name: 'Save settings' }).click();
      await settings.getByRole('status').filter({ hasText: 'Settings saved' }).waitFor();
      expect(await settings.getByTestId('setting-contactList').textContent()).toBe('Starred contacts');
      await shot(page, 'details-settings-saved');

      // Saved on the account: the SDK's state and the server's credential both say so.
      const user = await page.evaluate(() => (window as unknown as { switchboard: SwitchboardSDK }).switchboard.getUser());
      expect(user).toMatchObject({ integrations: { sandbox: { allCredentials: [{ id: credentialId, config: { sharedSettings: { contactList: 'starred' } } }] } } });
      const session = (await (await fetch(`${env.serverOrigin}/demo/session?user=${catalog.userId.slice('demo-'.length)}`)).json()) as { projectId: string; userToken: string };
      const asUser = (path: string, init: RequestInit = {}) =>
        fetch(`${env.serverOrigin}/projects/${session.projectId}/sdk${path}`, {
          ...init,
          headers: { authorization: `Bearer ${session.userToken}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
        });
      const savedSettings = async () => {
        const credentials = (await (await asUser('/credentials?integration=sandbox')).json()) as { id: string; config: { sharedSettings?: Record<string, unknown> } }[];
        expect(credentials.map((credential) => credential.id)).toEqual([credentialId]);
        return credentials[0]!.config.sharedSettings;
      };
      expect(await savedSettings()).toEqual({ contactList: 'starred' });

      // Meanwhile the app's backend (or another tab) saves a setting of its own; the page still shows what it read.
      const elsewhere = await asUser(`/credentials/${credentialId}/settings`, { method: 'PATCH', body: JSON.stringify({ sharedSettings: { syncNote: 'from the backend' } }) });
      expect(elsewhere.status).toBe(200);
      await settings.getByRole('button', { name: 'Edit settings' }).click();
      await settings.getByLabel('Contacts to sync').selectOption('all');
      await settings.getByRole('button', { name: 'Save settings' }).click();
      await settings.getByRole('status').filter({ hasText: 'Settings saved' }).waitFor();
      expect(await settings.getByTestId('setting-contactList').textContent()).toBe('All contacts');
      // Only the setting the form changed was sent: the other writer's is kept.
      expect(await savedSettings()).toEqual({ contactList: 'all', syncNote: 'from the backend' });
    });

    it('asks before disconnecting: Cancel (and Esc) keep the account, Disconnect removes it', async () => {
      const catalog = await open('confirm');
      const { page } = catalog;
      await catalog.connectSandbox(login('confirm'));
      const confirm = page.getByTestId('confirm-disconnect');
      const disconnectCard = catalog.card('sandbox').getByRole('button', { name: /^Disconnect/ });

      await disconnectCard.click();
      await confirm.getByRole('heading', { name: 'Disconnect Sandbox?' }).waitFor();
      // The safe choice has the focus: Enter by reflex cancels.
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await shot(page, 'confirm-disconnect');
      await page.keyboard.press('Enter');
      await confirm.waitFor({ state: 'hidden' });
      await disconnectCard.click();
      await confirm.getByRole('heading').waitFor();
      await page.keyboard.press('Escape');
      await confirm.waitFor({ state: 'hidden' });
      expect(await catalog.cardStatus('sandbox')).toBe('connected');
      expect(await page.getByTestId('activity-entry').count()).toBe(1);

      await disconnectCard.click();
      await confirm.getByRole('button', { name: 'Disconnect' }).click();
      await catalog.waitForCardStatus('sandbox', 'not-connected', 'Not connected');
      await catalog.activity('onIntegrationUninstall', 'sandbox').waitFor();
    });

    it('switches between headless and Connect Portal with the keyboard, and between light and dark, keeping both in the address', async () => {
      const catalog = await open('switch');
      const { page } = catalog;
      const switcher = page.getByTestId('mode-switch');
      const headless = switcher.getByRole('radio', { name: /^Headless/ });
      const portal = switcher.getByRole('radio', { name: /^Connect Portal/ });
      expect(await headless.isChecked()).toBe(true);
      await headless.focus();
      await page.keyboard.press('ArrowRight');
      expect(await portal.isChecked()).toBe(true);
      expect(new URL(page.url()).searchParams.get('mode')).toBe('portal');

      const dark = switcher.getByRole('radio', { name: 'Dark' });
      await switcher.getByRole('radio', { name: 'Light' }).check();
      await shot(page, 'catalog-light');
      await dark.check();
      expect(await page.evaluate(() => [document.documentElement.dataset.theme, getComputedStyle(document.documentElement).backgroundColor])).toEqual(['dark', 'rgb(15, 19, 24)']);
      expect(new URL(page.url()).searchParams.get('theme')).toBe('dark');
      await shot(page, 'catalog-dark');
      await page.setViewportSize({ width: 360, height: 740 });
      await shot(page, 'catalog-dark-360');

      // A reload keeps both choices.
      await page.reload();
      await page.getByTestId('user-id').waitFor();
      expect(await page.getByTestId('mode-switch').getByRole('radio', { name: /^Connect Portal/ }).isChecked()).toBe(true);
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    });

    it('shows an account the server invalidated as Needs reconnecting, and Reconnect repairs it in place', async () => {
      const catalog = await open('invalid');
      const { page } = catalog;
      const account = login('hedy');
      await catalog.connectSandbox(account);
      await catalog.openDetails('sandbox');
      const credentialId = (await catalog.accounts.first().getAttribute('data-credential-id'))!;
      // What a refused token refresh does to an account (see docs/api.md, "Fresh tokens"), without waiting for one.
      await env.server.server.context.db.updateTable('credentials').set({ status: 'INVALID' }).where('id', '=', credentialId).execute();
      // Written behind the server's back: its cached lookups must be told (docs/deployment.md).
      await env.server.server.context.caches.clear();

      // Using the account tells the user: the proxy refuses it and the SDK reloads the user state.
      const row = catalog.account(credentialId);
      await row.getByRole('button', { name: 'Send a test request' }).click();
      await row.locator('[data-testid="test-result"][data-ok="false"]').waitFor();
      expect(await row.getByTestId('test-result').textContent()).toContain('HTTP 401');
      await row.locator('[data-testid="account-status"][data-status="needs-reconnecting"]').filter({ hasText: 'Needs reconnecting' }).waitFor();
      await page.getByRole('button', { name: /All integrations/ }).click();
      await catalog.waitForCardStatus('sandbox', 'needs-reconnecting', 'Needs reconnecting');
      await shot(page, 'catalog-needs-reconnecting');

      // Reconnecting the same provider account re-authorizes the same credential.
      await catalog.connectThroughPopup(catalog.card('sandbox').getByRole('button', { name: /^Reconnect/ }), account);
      await catalog.finishPostInstall();
      await catalog.waitForCardStatus('sandbox', 'connected', 'Connected');
      await catalog.openDetails('sandbox');
      expect(await catalog.accounts.count()).toBe(1);
      expect(await catalog.accounts.first().getAttribute('data-credential-id')).toBe(credentialId);
      expect(await catalog.accounts.first().getByTestId('account-status').textContent()).toContain('Active');
    });

    it('shows OAuthTimeoutError when the user closes the sign-in popup before approving', async () => {
      const catalog = await open('closed');
      const popup = await catalog.openPopup(catalog.card('sandbox').getByRole('button', { name: /^Connect/ }));
      expect(await catalog.cardStatus('sandbox')).toBe('connecting');
      await popup.close();
      const banner = catalog.banner('OAuthTimeoutError');
      await banner.waitFor();
      expect(await banner.textContent()).toContain('was closed before the connection finished');
      await catalog.waitForCardStatus('sandbox', 'not-connected', 'Not connected');
      expect(await catalog.page.getByTestId('activity-entry').count()).toBe(0);
      await shot(catalog.page, 'banner-oauth-timeout');
    });

    it('shows OAuthBlockedError for the ?connect= deep link (no click, popup blocked), and connects from the banner', async () => {
      // The deep link connects right after sign-in, outside any click. Nothing may touch the page before that (see
      // CatalogPage.open): the app's console report of the error says when it happened.
      const catalog = await CatalogPage.open(context, env, {
        user: freshUser('blocked'),
        params: { connect: 'sandbox' },
        until: (page) => page.waitForEvent('console', { predicate: (message) => message.text().includes('OAuthBlockedError') }),
      });
      const { page } = catalog;
      const banner = catalog.banner('OAuthBlockedError');
      await banner.waitFor();
      expect(await banner.textContent()).toContain('Your browser blocked the window to sign in to Sandbox');
      expect(context.pages()).toEqual([page]);
      expect(await catalog.cardStatus('sandbox')).toBe('not-connected');
      await shot(page, 'banner-oauth-blocked');

      // The banner's button is a click: the popup opens this time.
      await catalog.connectThroughPopup(banner.getByRole('button', { name: 'Connect again' }), login('retry'));
      await catalog.finishPostInstall();
      await catalog.waitForCardStatus('sandbox', 'connected', 'Connected');
      await banner.waitFor({ state: 'detached' });
    });

    it('ignores forged OAuth results (another origin with the right state, the server origin with another state), then completes exactly one install', async () => {
      const catalog = await open('forged');
      const { page } = catalog;
      const authorizeRequest = context.waitForEvent('request', { predicate: (request) => new URL(request.url()).pathname.endsWith('/sandbox/auth') });
      const popup = await catalog.openPopup(catalog.card('sandbox').getByRole('button', { name: /^Connect/ }));
      const state = new URL((await authorizeRequest).url()).searchParams.get('state');
      expect(state).toMatch(/\S/);
      const forged = { type: 'switchboard:oauth', status: 'success', integration: 'sandbox', credentialId: 'forged-credential' };

      // A window on another origin that the page opened, posting the right state.
      const foreignOpened = page.waitForEvent('popup');
      await page.evaluate((url) => void window.open(url, 'foreign'), `${env.foreignOrigin}/blank.html`);
      const foreign = await foreignOpened;
      await foreign.waitForLoadState();
      expect(new URL(foreign.url()).origin).toBe(env.foreignOrigin);
      await postToOpener(page, foreign, { ...forged, state });
      await foreign.close();

      // The OAuth popup itself, on the server's origin, posting another state.
      expect(new URL(popup.url()).origin).toBe(env.serverOrigin);
      await postToOpener(page, popup, { ...forged, state: 'forged-state' });

      // Still waiting for the real result.
      expect(await catalog.cardStatus('sandbox')).toBe('connecting');
      expect(await catalog.dialogAt('oauth').isVisible()).toBe(true);
      expect(await page.getByTestId('activity-entry').count()).toBe(0);
      expect(await page.getByTestId('error-banner').count()).toBe(0);
      await shot(page, 'oauth-pending');

      const account = login('real');
      await approveInPopup(popup, account);
      await catalog.finishPostInstall();
      await catalog.waitForCardStatus('sandbox', 'connected', 'Connected');
      const installs = catalog.activity('onIntegrationInstall', 'sandbox');
      expect(await installs.count()).toBe(1);
      expect(await installs.getAttribute('data-credential-ids')).not.toBe('forged-credential');
      await catalog.openDetails('sandbox');
      expect(await catalog.accounts.count()).toBe(1);
      expect(await catalog.accounts.getByTestId('account-name').textContent()).toBe(account);
    });

    it('shows UserNotAuthenticatedError when the user acts after the user token expired', async () => {
      const catalog = await open('expired');
      const { page } = catalog;
      const exp = Math.floor(Date.now() / 1000) + 2;
      const token = await env.server.userToken(catalog.userId, {}, { expiresIn: exp });
      await page.evaluate(
        ([projectId, token]) => (window as unknown as { switchboard: SwitchboardSDK }).switchboard.authenticate(projectId, token),
        [env.server.projectId, token] as const,
      );
      await page.waitForFunction((exp) => Date.now() >= exp * 1000, exp);

      await catalog.card('sandbox-apikey').getByRole('button', { name: /^Connect/ }).click();
      const banner = catalog.banner('UserNotAuthenticatedError');
      await banner.waitFor();
      expect(await banner.textContent()).toContain('Your session has expired');
      expect(await banner.getByRole('button', { name: 'Reload' }).isVisible()).toBe(true);
      await page.getByTestId('signed-out').waitFor();
      await shot(page, 'banner-session-expired');
    });
  });
}
