/**
 * The SDK's side of the Connect Portal protocol in Chromium: the customer's page on one origin loads /switchboard.js
 * from a real Switchboard server on another, and `connect()` frames a page on a third origin that speaks the portal's
 * side of the protocol (test/support/portal-site.ts; `configureGlobal({ portalUrl })` points the SDK at it).
 */
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, freshContextEachTest, launchChromium, screenshot } from '../../../test/support/chromium.js';
import { approveInPopup } from '../../../test/support/sandbox-popup.js';
import { startTestServer, type TestServer } from '../../server/test/support/test-server.js';
import { startPortalSite, type PortalSite } from './support/portal-site.js';

interface LogEntry {
  via: 'subscribe' | 'connect';
  name: string;
  event: Record<string, unknown>;
}

describe.skipIf(!chromiumPath)('connect(): the Connect Portal iframe', () => {
  let server: TestServer;
  let site: PortalSite;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startTestServer('sqlite', { SWITCHBOARD_DEMO: 'true' }), launchChromium()]);
    site = await startPortalSite(server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await server?.close();
  });
  freshContextEachTest(() => browser, (fresh) => (context = fresh), { viewport: { width: 1024, height: 720 } });

  /** The customer's page, signed in as a fresh demo user, with the SDK pointed at the stand-in portal. */
  async function signedIn(portalUrl = site.portalUrl): Promise<{ page: Page; userToken: string; projectId: string }> {
    const response = await fetch(`${server.url}/demo/session?user=portal-${randomBytes(4).toString('hex')}`);
    const session = (await response.json()) as { projectId: string; userToken: string };
    const page = await context.newPage();
    await page.goto(site.hostPage);
    await page.evaluate(
      async ({ host, portalUrl, projectId, userToken }) => {
        const sdk = (window as unknown as { switchboard: { configureGlobal(o: object): void; authenticate(p: string, t: string): Promise<void> } }).switchboard;
        sdk.configureGlobal({ host, portalUrl });
        await sdk.authenticate(projectId, userToken);
      },
      { host: server.url, portalUrl, ...session },
    );
    return { page, ...session };
  }

  const portalFrame = async (page: Page): Promise<Frame> => {
    await page.waitForFunction(() => document.querySelector('dialog iframe, div iframe') !== null);
    const handle = await page.locator('iframe[title="Connect Portal"]').elementHandle();
    const frame = await handle!.contentFrame();
    await frame!.waitForFunction(() => (window as unknown as { received: unknown[] }).received.length > 0);
    return frame!;
  };
  const log = (page: Page) => page.evaluate(() => (window as unknown as { log: LogEntry[] }).log);
  const outcome = (page: Page) =>
    page.evaluate(() => (window as unknown as { outcome: Promise<{ resolved?: Record<string, unknown> | null; rejected?: Record<string, string> }> }).outcome);
  const open = async (page: Page, type: string, options: { method?: string; connectOptions?: object } = {}) => {
    await page.evaluate(
      ({ type, method, connectOptions }) => Object.assign(window, { integrationType: type, openWith: method, connectOptions }),
      { type, method: options.method ?? 'connect', connectOptions: options.connectOptions ?? {} },
    );
    await page.getByRole('button', { name: 'Open the portal' }).click();
  };
  const waitShown = (page: Page) => page.waitForFunction(() => document.querySelector('dialog')?.open === true);

  it('opens over the page as a modal: scroll locked, focus inside, onOpen and onPortalOpen fired, the portal told the integration and the user', async () => {
    const { page, userToken, projectId } = await signedIn();
    await page.evaluate(() => window.scrollTo(0, 200));
    await open(page, 'sandbox-apikey', { connectOptions: { theme: 'dark', accentColor: '#7048e8', fontFamily: 'Georgia, serif' } });
    const frame = await portalFrame(page);
    await waitShown(page);

    const state = await page.evaluate(() => {
      const dialog = document.querySelector('dialog')!;
      const frameElement = dialog.querySelector('iframe')!;
      const box = frameElement.getBoundingClientRect();
      return {
        src: frameElement.src,
        box: [box.x, box.y, box.width, box.height],
        viewport: [window.innerWidth, window.innerHeight],
        htmlOverflow: getComputedStyle(document.documentElement).overflow,
        bodyOverflow: getComputedStyle(document.body).overflow,
        focused: document.activeElement === frameElement,
        // The portal is on top of everything, in the top layer.
        onTop: document.elementFromPoint(10, 10) === frameElement,
      };
    });
    expect(state.src).toBe(`${site.portalUrl}?projectId=${projectId}`);
    expect(state.box).toEqual([0, 0, ...state.viewport]);
    expect(state.htmlOverflow).toBe('hidden');
    expect(state.bodyOverflow).toBe('hidden');
    expect(state.focused).toBe(true);
    expect(state.onTop).toBe(true);
    expect(await frame.evaluate(() => document.activeElement?.id)).toBe('apiKey');

    const update = await frame.evaluate(() => (window as unknown as { received: Record<string, any>[] }).received.at(-1)!);
    expect(update.messageType).toBe('UI_UPDATE');
    expect(update.nextModalState.integration).toMatchObject({ type: 'sandbox-apikey', isActive: true });
    expect(update.nextModalState.apiInstallationOptions.isApiInstallation).toBe(false);
    expect(update.nextModalState.config).toMatchObject({ theme: 'dark', accentColor: '#7048e8', fontFamily: 'Georgia, serif', description: expect.any(String) });
    expect(update.nextContext).toMatchObject({ projectId, user: { authenticated: true }, environments: { ZEUS_PUBLIC_URL: server.url } });
    // The portal makes every call through the SDK: the user token stays on the page.
    expect(JSON.stringify(update)).not.toContain(userToken);

    await page.waitForFunction(() => (window as unknown as { log: LogEntry[] }).log.length >= 2);
    expect(await log(page)).toEqual([
      { via: 'connect', name: 'onOpen', event: { integrationId: update.nextModalState.integration.id, integrationType: 'sandbox-apikey' } },
      { via: 'subscribe', name: 'onPortalOpen', event: { integrationId: update.nextModalState.integration.id, integrationType: 'sandbox-apikey' } },
    ]);
    await screenshot(page, 'sdk-portal-open');
  });

  it('closes on Esc inside the portal and by closePortal(): focus back on the button, scroll restored, onClose fired, connect() resolved without an account', async () => {
    const { page } = await signedIn();
    await page.getByRole('button', { name: 'Open the portal' }).focus();
    await open(page, 'sandbox-apikey');
    const frame = await portalFrame(page);
    await waitShown(page);
    await frame.locator('#apiKey').press('Escape');
    await page.waitForFunction(() => document.querySelector('dialog')?.open === false);
    expect(await outcome(page)).toEqual({ resolved: null });
    const after = await page.evaluate(() => ({
      focused: document.activeElement?.id,
      overflow: getComputedStyle(document.documentElement).overflow,
      inlineOverflow: document.documentElement.style.overflow,
      shown: getComputedStyle(document.querySelector('dialog')!).display,
    }));
    expect(after).toEqual({ focused: 'open', overflow: 'visible', inlineOverflow: '', shown: 'none' });
    expect((await log(page)).map((entry) => `${entry.via}:${entry.name}`)).toEqual(['connect:onOpen', 'subscribe:onPortalOpen', 'connect:onClose', 'subscribe:onPortalClose']);
    // The portal was told it is closed.
    expect(await frame.evaluate(() => (window as unknown as { received: { nextModalState: { integration: unknown } }[] }).received.at(-1)!.nextModalState.integration)).toBeNull();

    await open(page, 'sandbox');
    await waitShown(page);
    await page.evaluate(() => (window as unknown as { switchboard: { closePortal(): void } }).switchboard.closePortal());
    await page.waitForFunction(() => document.querySelector('dialog')?.open === false);
    expect(await outcome(page)).toEqual({ resolved: null });
  });

  it('connects an API key typed in the portal: a refused key is answered to the portal, a good one fires onInstall and resolves connect()', async () => {
    const { page, userToken, projectId } = await signedIn();
    await open(page, 'sandbox-apikey');
    const frame = await portalFrame(page);
    await waitShown(page);
    await frame.locator('#apiKey').fill('not-a-sandbox-key');
    await frame.getByRole('button', { name: 'Save key' }).click();
    await frame.locator('#error').filter({ hasText: 'CREDENTIAL_REJECTED' }).waitFor();
    expect((await log(page)).some((entry) => entry.name === 'onInstall')).toBe(false);

    await frame.locator('#apiKey').fill(`sbx_${randomBytes(6).toString('hex')}`);
    await frame.getByRole('button', { name: 'Save key' }).click();
    await page.waitForFunction(() => (window as unknown as { log: LogEntry[] }).log.some((entry) => entry.name === 'onInstall'));
    // connect() stays open after an install (the user may change settings); it resolves once closed.
    await frame.getByRole('button', { name: 'Close' }).click();
    const result = await outcome(page);
    expect(result.resolved).toMatchObject({ integrationType: 'sandbox-apikey', credential: { status: 'VALID' } });
    const credentials = (await (
      await fetch(`${server.url}/projects/${projectId}/sdk/credentials?integration=sandbox-apikey`, { headers: { authorization: `Bearer ${userToken}` } })
    ).json()) as { id: string }[];
    expect(credentials.map((credential) => credential.id)).toEqual([result.resolved!.credentialId]);
    const names = (await log(page)).map((entry) => `${entry.via}:${entry.name}`);
    expect(names.filter((name) => name.endsWith('Install'))).toEqual(['subscribe:onIntegrationInstall', 'connect:onInstall']);
  });

  it('installIntegration for an API-key integration shows the portal for the key alone and closes it by itself once connected', async () => {
    const { page } = await signedIn();
    await open(page, 'sandbox-apikey', { method: 'installIntegration' });
    const frame = await portalFrame(page);
    await waitShown(page);
    const update = await frame.evaluate(() => (window as unknown as { received: Record<string, any>[] }).received.at(-1)!);
    expect(update.nextModalState.apiInstallationOptions.isApiInstallation).toBe(true);
    await frame.locator('#apiKey').fill(`sbx_${randomBytes(6).toString('hex')}`);
    await frame.getByRole('button', { name: 'Save key' }).click();
    await page.waitForFunction(() => document.querySelector('dialog')?.open === false);
    expect((await outcome(page)).resolved).toMatchObject({ integrationType: 'sandbox-apikey' });
  });

  it('runs OAuth from a click inside the portal (the popup opens, consent connects the account), then saves the account\'s settings', async () => {
    const { page } = await signedIn();
    await open(page, 'sandbox');
    const frame = await portalFrame(page);
    await waitShown(page);
    const popupOpened = page.waitForEvent('popup');
    await frame.getByRole('button', { name: 'Connect with OAuth' }).click();
    const popup = await popupOpened;
    await popup.getByLabel('Sandbox login').waitFor();
    await approveInPopup(popup, `portal-${randomBytes(3).toString('hex')}`);
    await page.waitForFunction(() => (window as unknown as { log: LogEntry[] }).log.some((entry) => entry.name === 'onInstall'));
    const user = await page.evaluate(() => (window as unknown as { switchboard: { getUser(): any } }).switchboard.getUser());
    expect(user.integrations.sandbox.allCredentials).toHaveLength(1);

    type Call = (type: string, ...parameters: unknown[]) => Promise<{ messageType: string; result: any; code?: string }>;
    const saved = await frame.evaluate(() => (window as unknown as { call: Call }).call('updateIntegrationUserSettings', 'sandbox', { contactList: 'starred' }, {}));
    expect(saved).toMatchObject({ messageType: 'SDK_FUNCTION_RESPONSE', result: { errors: {} } });
    expect(saved.result.userState.integrations.sandbox.allCredentials[0].config.sharedSettings).toEqual({ contactList: 'starred' });
    const refused = await frame.evaluate(() => (window as unknown as { call: Call }).call('updateIntegrationUserSettings', 'sandbox', { contactList: 'nobody' }, {}));
    // As the reference SDK does: the server's { message, code, field } as the message's JSON text.
    expect(refused).toMatchObject({ messageType: 'SDK_FUNCTION_ERROR', field: 'sharedSettings.contactList' });
    expect(JSON.parse((refused as unknown as { message: string }).message)).toMatchObject({ field: 'sharedSettings.contactList', code: expect.any(String) });
    // The portal heard of the change too.
    const last = await frame.evaluate(() => (window as unknown as { received: any[] }).received.at(-1));
    expect(last.nextContext.user.integrations.sandbox.allCredentials[0].config.sharedSettings).toEqual({ contactList: 'starred' });

    // Disconnecting from the portal: onUninstall for this portal, onIntegrationUninstall for everyone.
    const credentialId = user.integrations.sandbox.allCredentials[0].id;
    const removed = await frame.evaluate((id) => (window as unknown as { call: Call }).call('uninstallIntegration', 'sandbox', { selectedCredentialId: id }), credentialId);
    expect(removed.messageType).toBe('SDK_FUNCTION_RESPONSE');
    const uninstalls = (await log(page)).filter((entry) => entry.name.includes('ninstall'));
    expect(uninstalls.map((entry) => `${entry.via}:${entry.name}`)).toEqual(['subscribe:onIntegrationUninstall', 'connect:onUninstall']);
    expect(uninstalls[1]!.event).toMatchObject({ integrationType: 'sandbox', credentialId });
  });

  it('ignores SDK calls from another window of the portal origin and from the page itself', async () => {
    const { page } = await signedIn();
    await open(page, 'sandbox-apikey');
    await portalFrame(page);
    await waitShown(page);
    // A second frame of the portal's origin (not the portal's window), and the page posting to itself.
    await page.evaluate((url) => {
      const other = document.createElement('iframe');
      other.src = url;
      other.id = 'other';
      document.querySelector('dialog')!.append(other);
      return new Promise((resolve) => other.addEventListener('load', resolve));
    }, `${site.portalOrigin}/foreign.html`);
    await page.evaluate(() => {
      (document.getElementById('other') as HTMLIFrameElement).contentWindow!.postMessage('fire', '*');
      window.postMessage({ messageType: 'SDK_FUNCTION_INVOCATION', id: 'self', type: 'closePortal', parameters: [] }, '*');
    });
    // Give both messages time to arrive, then one from the real portal to show the channel still works.
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => document.querySelector('dialog')?.open)).toBe(true);
    const frame = await portalFrame(page);
    const reply = await frame.evaluate(() => (window as unknown as { call(type: string): Promise<Record<string, unknown>> }).call('updateCredentialData'));
    expect(reply).toMatchObject({ messageType: 'SDK_FUNCTION_RESPONSE', type: 'updateCredentialData' });
    // Functions outside the list the portal may call are refused.
    const refused = await frame.evaluate(() => (window as unknown as { call(type: string): Promise<Record<string, unknown>> }).call('logout'));
    expect(refused).toMatchObject({ messageType: 'SDK_FUNCTION_ERROR', code: 'INVALID_ARGUMENT' });
    expect(await page.evaluate(() => (window as unknown as { switchboard: { getUser(): { authenticated: boolean } } }).switchboard.getUser().authenticated)).toBe(true);
  });

  it('keeps the portal whole under host CSS with !important on generic selectors', async () => {
    const { page } = await signedIn();
    await page.addStyleTag({
      content: `body *, dialog, iframe, div, body > * { display: none !important; opacity: 0 !important; visibility: hidden !important;
        transform: scale(0.2) !important; filter: blur(4px) !important; width: 10px !important; height: 10px !important;
        position: static !important; border: 20px solid red !important; margin: 50px !important; clip-path: inset(50%) !important; }
        html, body { overflow: scroll !important; }`,
    });
    await page.evaluate(() => {
      void (window as unknown as { switchboard: { connect(type: string): Promise<unknown> } }).switchboard.connect('sandbox-apikey');
    });
    await portalFrame(page);
    await waitShown(page);
    const looks = await page.evaluate(() => {
      const frame = document.querySelector('dialog iframe') as HTMLElement;
      const style = getComputedStyle(frame);
      const box = frame.getBoundingClientRect();
      return {
        box: [box.x, box.y, box.width, box.height],
        viewport: [window.innerWidth, window.innerHeight],
        style: [style.display, style.opacity, style.visibility, style.transform, style.filter, style.borderTopWidth, style.clipPath],
        overflow: getComputedStyle(document.documentElement).overflow,
      };
    });
    expect(looks.box).toEqual([0, 0, ...looks.viewport]);
    expect(looks.style).toEqual(['block', '1', 'visible', 'none', 'none', '0px', 'none']);
    expect(looks.overflow).toBe('hidden');
    await screenshot(page, 'sdk-portal-host-css');
  });

  it('shows the portal inside a container the page names, leaving the page scrollable', async () => {
    const { page } = await signedIn();
    await page.evaluate(() => {
      const slot = document.createElement('section');
      slot.id = 'slot';
      slot.style.cssText = 'position:relative;width:480px;height:360px;margin:40px';
      document.body.prepend(slot);
    });
    await open(page, 'sandbox-apikey', { connectOptions: { container: '#slot' } });
    await portalFrame(page);
    await page.waitForFunction(() => getComputedStyle(document.querySelector('#slot > div')!).display === 'block');
    const placed = await page.evaluate(() => {
      const frame = document.querySelector('#slot iframe')!.getBoundingClientRect();
      const slot = document.getElementById('slot')!.getBoundingClientRect();
      return { frame: [frame.x, frame.y, frame.width, frame.height], slot: [slot.x, slot.y, slot.width, slot.height], dialogs: document.querySelectorAll('dialog').length, overflow: getComputedStyle(document.documentElement).overflow };
    });
    expect(placed.frame).toEqual(placed.slot);
    expect(placed.dialogs).toBe(0);
    expect(placed.overflow).toBe('visible');
    await page.evaluate(() => (window as unknown as { switchboard: { closePortal(): void } }).switchboard.closePortal());
    expect(await outcome(page)).toEqual({ resolved: null });
  });

  it('closes a frame that never says it is shown after 5 s, so the page is not held by an invisible portal', async () => {
    const { page } = await signedIn(`${site.portalOrigin}/silent`);
    const warned = page.waitForEvent('console', { predicate: (message) => message.text().includes('did not open'), timeout: 8000 });
    await open(page, 'sandbox');
    await page.waitForFunction(() => document.querySelector('dialog')?.open === true);
    await warned;
    expect(await outcome(page)).toEqual({ resolved: null });
    expect(await page.evaluate(() => [document.querySelector('dialog')?.open, getComputedStyle(document.documentElement).overflow, document.activeElement?.id])).toEqual([false, 'visible', 'open']);
    expect(await log(page)).toEqual([]);
  });

  it.each([
    ['theme', 'sepia'],
    ['accentColor', 'red'],
    ['accentColor', '#fff;background:url(x)'],
    ['fontFamily', 'Inter; color: red'],
    ['fontFamily', '"Segoe UI"'],
    ['fontFamily', 'url(https://fonts.example.com/x.woff2)'],
    ['fontFamily', 42],
    ['overrideRedirectUrl', 'javascript:alert(1)'],
  ])('refuses connect() with %s %j: a SwitchboardError naming the option, onError, no portal', async (option, value) => {
    const { page } = await signedIn();
    await open(page, 'sandbox-apikey', { connectOptions: { [option]: value } });
    const { rejected } = await outcome(page);
    expect(rejected).toMatchObject({ name: 'SwitchboardError', code: 'INVALID_ARGUMENT', field: option });
    expect(rejected!.message).toContain(option);
    expect(await log(page)).toEqual([{ via: 'connect', name: 'onError', event: { message: rejected!.message, code: 'INVALID_ARGUMENT' } }]);
    expect(await page.evaluate(() => document.querySelector('dialog')?.open ?? false)).toBe(false);
  });

  it('shows nothing for an integration the project does not offer, and says why in the console', async () => {
    const { page } = await signedIn();
    const warnings: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'warning') warnings.push(message.text());
    });
    await open(page, 'no-such-integration');
    expect(await outcome(page)).toEqual({ resolved: null });
    expect(warnings.some((text) => text.includes('no active integration no-such-integration'))).toBe(true);
    expect(await page.evaluate(() => document.querySelector('dialog')?.open ?? false)).toBe(false);
    expect(await log(page)).toEqual([]);
  });
});
