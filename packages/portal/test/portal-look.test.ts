/**
 * The Connect Portal's look in Chromium, end to end: the project's look (management API), an integration's own portal
 * settings over it, and connect()'s options over both, read from the real portal's computed styles as Switchboard's
 * SDK frames it on a customer's page of another origin.
 */
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seriousAccessibilityViolations } from '../../../test/support/accessibility.js';
import { chromiumPath, freshContextEachTest, launchChromium, screenshot } from '../../../test/support/chromium.js';
import { signedInPage, startCustomerPage, type CustomerPage } from '../../../test/support/customer-page.js';
import { management } from '../../server/test/support/management.js';
import { newUser } from '../../server/test/support/sdk-flows.js';
import { freePort, startTestServer, type TestServer } from '../../server/test/support/test-server.js';

interface SeenLook {
  theme: string | undefined;
  accent: string;
  border: string;
  background: string;
  font: string;
  /** The SDK's iframe: its colour scheme must be the portal's, or the browser paints the frame opaque. */
  frameScheme: string;
}

describe.skipIf(!chromiumPath)("the Connect Portal's look: connect() options, then the integration's, then the project's", () => {
  let server: TestServer;
  let site: CustomerPage;
  let browser: Browser;
  let context: BrowserContext;
  const api = (method: string, path: string, body?: unknown) => management(server, server.secretKey, method, `/projects/${server.projectId}${path}`, body);

  beforeAll(async () => {
    [server, browser] = await Promise.all([startTestServer('sqlite'), launchChromium()]);
    site = await startCustomerPage(server.url, await freePort());
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await server?.close();
  });
  freshContextEachTest(() => browser, (fresh) => {
    context = fresh;
  });
  afterEach(async () => {
    await api('PATCH', '', { portal: {} });
    await api('PUT', '/integrations/sandbox-apikey', { portal: {} });
  });

  const signedIn = () => signedInPage(context, site, server, newUser('look'));

  /** Opens the portal with connect('sandbox-apikey', options) and answers its frame once the dialog is drawn. */
  async function openPortal(page: Page, connectOptions: object = {}): Promise<Frame> {
    await page.evaluate((options) => Object.assign(window, { integrationType: 'sandbox-apikey', connectOptions: options }), connectOptions);
    await page.getByRole('button', { name: 'Open the portal' }).click();
    await page.waitForFunction(() => (document.querySelector('iframe[title="Connect Portal"]')?.parentElement as HTMLDialogElement | null)?.open === true);
    const frame = page.frames().find((candidate) => candidate.url().includes('/ui?'))!;
    await frame.getByRole('dialog').waitFor();
    return frame;
  }

  async function seenLook(page: Page, frame: Frame): Promise<SeenLook> {
    const inPortal = await frame.evaluate(() => {
      const root = document.documentElement;
      const dialog = getComputedStyle(document.querySelector('.dialog')!);
      return {
        theme: root.dataset.theme,
        accent: getComputedStyle(root).getPropertyValue('--accent').trim(),
        border: dialog.borderTopColor,
        background: dialog.backgroundColor,
        font: getComputedStyle(document.body).fontFamily,
      };
    });
    const frameScheme = await page.evaluate(() => getComputedStyle(document.querySelector('iframe[title="Connect Portal"]')!).colorScheme);
    return { ...inPortal, frameScheme };
  }

  const DARK_BACKGROUND = 'rgb(24, 28, 33)';
  const LIGHT_BACKGROUND = 'rgb(255, 255, 255)';

  it("shows the project's look for an integration without its own: accent, dark theme, font", async () => {
    const saved = await api('PATCH', '', { portal: { accentColor: '#0b7285', theme: 'dark', fontFamily: 'Georgia, serif' } });
    expect(saved.status).toBe(200);
    const page = await signedIn();
    const frame = await openPortal(page);
    expect(await seenLook(page, frame)).toEqual({
      theme: 'dark',
      accent: '#0b7285',
      border: 'rgb(11, 114, 133)',
      background: DARK_BACKGROUND,
      font: 'Georgia, serif',
      frameScheme: 'dark',
    });
    expect(await seriousAccessibilityViolations(frame)).toEqual([]);
    await screenshot(page, 'portal-look-project-dark');
  });

  it("lets the integration's own portal settings win over the project's, field by field", async () => {
    await api('PATCH', '', { portal: { accentColor: '#0b7285', theme: 'dark', fontFamily: 'Georgia, serif' } });
    expect((await api('PUT', '/integrations/sandbox-apikey', { portal: { accentColor: '#aa0000', theme: 'light' } })).status).toBe(200);
    const page = await signedIn();
    const frame = await openPortal(page);
    expect(await seenLook(page, frame)).toEqual({
      theme: 'light',
      accent: '#aa0000',
      border: 'rgb(170, 0, 0)',
      background: LIGHT_BACKGROUND,
      // Not set on the integration: still the project's.
      font: 'Georgia, serif',
      frameScheme: 'light',
    });
    expect(await seriousAccessibilityViolations(frame)).toEqual([]);
    await screenshot(page, 'portal-look-integration-light');
  });

  it("lets connect()'s theme, accentColor and fontFamily win over both", async () => {
    await api('PATCH', '', { portal: { accentColor: '#0b7285', theme: 'light', fontFamily: 'Georgia, serif' } });
    await api('PUT', '/integrations/sandbox-apikey', { portal: { accentColor: '#aa0000', theme: 'light' } });
    const page = await signedIn();
    const frame = await openPortal(page, { theme: 'dark', accentColor: '#9775fa', fontFamily: 'Courier New, monospace' });
    expect(await seenLook(page, frame)).toEqual({
      theme: 'dark',
      accent: '#9775fa',
      border: 'rgb(151, 117, 250)',
      background: DARK_BACKGROUND,
      font: '"Courier New", monospace',
      frameScheme: 'dark',
    });
    expect(await seriousAccessibilityViolations(frame)).toEqual([]);
    await screenshot(page, 'portal-look-connect-options-dark');
  });

  it('without any look, shows the built-in one: the brand colour, the light system theme, the system font', async () => {
    const page = await signedIn();
    await page.emulateMedia({ colorScheme: 'light' });
    const frame = await openPortal(page);
    const look = await seenLook(page, frame);
    expect(look).toMatchObject({ theme: 'light', background: LIGHT_BACKGROUND, frameScheme: 'light dark' });
    expect(look.font).toContain('system-ui');
    expect(look.accent).not.toBe('#0b7285');
  });

  it("keeps the project's look at 360 px, and the keyboard reaches the portal's controls", async () => {
    await api('PATCH', '', { portal: { accentColor: '#0b7285', theme: 'dark', fontFamily: 'Georgia, serif' } });
    const page = await signedIn();
    await page.setViewportSize({ width: 360, height: 720 });
    const frame = await openPortal(page);
    expect((await seenLook(page, frame)).accent).toBe('#0b7285');
    const width = await frame.evaluate(() => document.querySelector('.dialog')!.getBoundingClientRect().width);
    expect(width).toBeLessThanOrEqual(360);
    // Tab moves the focus between the portal's own controls.
    await page.keyboard.press('Tab');
    expect(await frame.evaluate(() => document.activeElement?.closest('.dialog') !== null)).toBe(true);
    expect(await seriousAccessibilityViolations(frame)).toEqual([]);
    await screenshot(page, 'portal-look-project-dark-360');
  });
});
