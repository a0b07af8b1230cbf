/**
 * `overrideRedirectUrl` in Chromium: the SDK on a customer's page (its own loopback origin) starts OAuth with the
 * customer's redirect page; the sandbox provider (oidc-provider, its client registered with that page) sends the popup
 * there, the page forwards the query to Switchboard's callback, and the account is connected.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, freshContextEachTest, launchChromium } from '../../../test/support/chromium.js';
import { signedInPage, startCustomerPage, type CustomerPage } from '../../../test/support/customer-page.js';
import { approveInPopup } from '../../../test/support/sandbox-popup.js';
import { json, newUser } from '../../server/test/support/sdk-flows.js';
import { freePort, startTestServer, type TestServer } from '../../server/test/support/test-server.js';

type Outcome = { resolved?: Record<string, any> | null; rejected?: Record<string, string> };

describe.skipIf(!chromiumPath)('overrideRedirectUrl: OAuth through the customer’s own redirect page', () => {
  let server: TestServer;
  let site: CustomerPage;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    const port = await freePort();
    const returnUrl = `http://localhost:${port}/oauth/return`;
    [server, browser] = await Promise.all([startTestServer('sqlite', { SWITCHBOARD_SANDBOX_REDIRECT_URIS: returnUrl }), launchChromium()]);
    site = await startCustomerPage(server.url, port);
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await server?.close();
  });
  freshContextEachTest(() => browser, (fresh) => {
    context = fresh;
  });

  const signedIn = (sub: string) => signedInPage(context, site, server, sub);
  const install = (page: Page, connectOptions: object) =>
    page.evaluate((options) => Object.assign(window, { openWith: 'installIntegration', integrationType: 'sandbox', connectOptions: options }), connectOptions);
  const outcome = (page: Page) => page.evaluate(() => (window as unknown as { outcome: Promise<Outcome> }).outcome);

  it('connects the account: the provider returns to the page, which forwards code and state to Switchboard', async () => {
    const sub = newUser('override');
    const page = await signedIn(sub);
    await install(page, { overrideRedirectUrl: site.returnUrl });
    const popupOpened = page.waitForEvent('popup');
    await page.getByRole('button', { name: 'Open the portal' }).click();
    const popup = await popupOpened;
    await popup.getByLabel('Sandbox login').waitFor();
    await approveInPopup(popup, 'ada-override');

    const { resolved } = await outcome(page);
    expect(resolved).toMatchObject({ integrationType: 'sandbox', credentialId: expect.any(String) });
    // The provider sent the user to the customer's page, with the code and the flow's state.
    expect(site.returns).toHaveLength(1);
    expect(site.returns[0]!.get('code')).toBeTruthy();
    expect(site.returns[0]!.get('state')).toBeTruthy();
    const me = await json(await server.sdk(sub, '/me'));
    expect(me.integrations.sandbox).toMatchObject({ credentialId: resolved!.credentialId, credentialStatus: 'VALID', providerId: 'ada-override' });
  });

  it('refuses a page on an origin the project does not allow: a SwitchboardError naming the option, no account', async () => {
    const sub = newUser('foreign');
    const page = await signedIn(sub);
    await install(page, { overrideRedirectUrl: 'https://elsewhere.example.com/oauth/return' });
    const returnsBefore = site.returns.length;
    const popupOpened = page.waitForEvent('popup');
    await page.getByRole('button', { name: 'Open the portal' }).click();
    const popup = await popupOpened;
    const { rejected } = await outcome(page);
    expect(rejected).toMatchObject({ code: 'REDIRECT_URL_NOT_ALLOWED', field: 'installOptions.overrideRedirectUrl' });
    expect(site.returns).toHaveLength(returnsBefore);
    // The popup it opened from the click is closed, having never left for the provider.
    if (!popup.isClosed()) await popup.waitForEvent('close');
    expect(popup.url()).not.toContain('/sandbox/');
    const me = await json(await server.sdk(sub, '/me'));
    expect(me.integrations.sandbox.allCredentials).toEqual([]);
  });
});
