/**
 * The demo in Connect Portal mode, in Chromium, against a real Switchboard server and its real portal (`/ui`): the
 * page is on another origin and uses Switchboard's SDK (script tag), whose `connect()` frames the portal.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Frame, FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SwitchboardSDK } from '@switchboard/sdk';
import { chromiumPath, freshContextEachTest, launchChromium, screenshot } from '../../../test/support/chromium.js';
import { approveInPopup } from '../../../test/support/sandbox-popup.js';
import { management } from '../../../packages/server/test/support/management.js';
import { SANDBOX_CLIENT } from '../../../packages/server/src/projects/dev-project.js';
import { seriousAccessibilityViolations } from '../../../test/support/accessibility.js';
import { CatalogPage, freshUser } from './support/catalog-page.js';
import { startDemoEnvironment, type DemoEnvironment } from './support/demo-environment.js';

const login = (name: string) => `${name}-${randomBytes(3).toString('hex')}`;
/** The Connect Portal's frame in the page. */
function portalFrameOf(page: Page): Frame {
  const frame = page.frames().find((candidate) => candidate.url().includes('/ui?'));
  if (!frame) throw new Error('The portal frame is not loaded');
  return frame;
}
const sdkOf = (page: Page) => page.evaluate(() => (window as unknown as { switchboard: SwitchboardSDK }).switchboard.getUser());

describe.skipIf(!chromiumPath)('catalog demo in Connect Portal mode (real portal)', () => {
  let env: DemoEnvironment;
  let browser: Browser;
  let context: BrowserContext;
  let workflowId: string;

  beforeAll(async () => {
    [env, browser] = await Promise.all([startDemoEnvironment('cross-origin'), launchChromium()]);
    const { server } = env;
    const api = (method: string, path: string, body?: unknown) => management(server, server.secretKey, method, `/projects/${server.projectId}${path}`, body);
    const created = await api('POST', '/workflows', {
      name: 'Sync new contacts',
      integration: 'sandbox',
      trigger: { type: 'request' },
      steps: [{ id: 'contacts', type: 'request', method: 'GET', path: '/contacts' }],
    });
    workflowId = ((await created.json()) as { id: string }).id;
    await api('POST', `/workflows/${workflowId}/publish`);
    expect((await api('PUT', '/integrations/sandbox-regions', { isActive: true, ...SANDBOX_CLIENT, portal: { accountTypes: ['eu', 'us'] } })).status).toBe(200);
    const mapper = {
      id: 'contactFields',
      label: 'Contact fields',
      type: 'fieldMapper',
      help: 'Which of your sandbox fields fills each field of the app.',
      fields: [
        { value: 'fullName', label: 'Full name' },
        { value: 'workEmail', label: 'Work email' },
      ],
      options: [
        { value: 'name', label: 'Name' },
        { value: 'email', label: 'Email' },
      ],
    };
    expect((await api('PUT', '/integrations/sandbox-basic', { isActive: true, portal: { userSettings: [mapper] } })).status).toBe(200);
  });
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });
  freshContextEachTest(() => browser, (fresh) => (context = fresh), { viewport: { width: 1280, height: 860 } });

  const open = async (label: string, theme = 'light') => {
    const catalog = await CatalogPage.open(context, env, { user: freshUser(label), params: { mode: 'portal', theme } });
    if (process.env.DEBUG_PORTAL) catalog.page.on('console', (message) => console.log('page:', message.type(), message.text()));
    return catalog;
  };
  const portal = (page: Page): FrameLocator => page.frameLocator('iframe[title="Connect Portal"]');
  // The SDK's dialog is the one around the portal's frame (the demo has dialogs of its own).
  const portalShown = (page: Page) => page.waitForFunction(() => (document.querySelector('iframe[title="Connect Portal"]')?.parentElement as HTMLDialogElement | null)?.open === true);
  const portalClosed = (page: Page) => page.waitForFunction(() => (document.querySelector('iframe[title="Connect Portal"]')?.parentElement as HTMLDialogElement | null)?.open !== true);
  /** The user's own view of the REST API, with a fresh token for the same demo user. */
  async function rest(catalog: CatalogPage, path: string): Promise<unknown> {
    const name = catalog.userId.slice('demo-'.length);
    const session = (await (await fetch(`${env.serverOrigin}/demo/session?user=${name}`)).json()) as { projectId: string; userToken: string };
    const response = await fetch(`${env.serverOrigin}/projects/${session.projectId}/sdk${path}`, { headers: { authorization: `Bearer ${session.userToken}` } });
    return response.json();
  }

  it('connects sandbox in the portal with the mouse, saves a setting, turns a workflow on and disconnects after confirming', async () => {
    const catalog = await open('portal-mouse');
    const { page } = catalog;
    await catalog.card('sandbox').getByRole('button', { name: /^Connect/ }).click();
    await portalShown(page);
    const frame = portal(page);
    await screenshot(page, 'portal-mode-connect-light');
    const popupOpened = page.waitForEvent('popup');
    await frame.getByRole('button', { name: 'Connect Sandbox' }).click();
    const popup = await popupOpened;
    await popup.getByLabel('Sandbox login').waitFor();
    await approveInPopup(popup, login('portal'));
    await catalog.activity('onIntegrationInstall', 'sandbox').waitFor();

    // The post-install setting, then the configuration.
    const setting = frame.getByLabel('Contacts to sync');
    await setting.waitFor();
    await setting.selectOption('starred');
    await frame.getByRole('button', { name: /^(Finish|Save settings)$/ }).click();
    await expect.poll(async () => ((await rest(catalog, '/credentials?integration=sandbox')) as { config: { sharedSettings?: Record<string, unknown> } }[])[0]?.config.sharedSettings).toEqual({ contactList: 'starred' });

    await frame.getByRole('tab', { name: 'Configuration' }).click();
    const toggle = frame.getByRole('switch', { name: 'Sync new contacts' });
    await toggle.click();
    await expect.poll(async () => ((await rest(catalog, '/me')) as { integrations: Record<string, { configuredWorkflows: Record<string, { enabled?: boolean }> }> }).integrations.sandbox?.configuredWorkflows[workflowId]?.enabled).toBe(true);
    await screenshot(page, 'portal-mode-configuration-light');

    await frame.getByRole('button', { name: 'Disconnect' }).click();
    const confirm = frame.getByRole('alertdialog');
    await confirm.waitFor();
    await confirm.getByRole('button', { name: 'Disconnect' }).click();
    await catalog.activity('onIntegrationUninstall', 'sandbox').waitFor();
    expect(((await sdkOf(page)) as { integrations: Record<string, { allCredentials: unknown[] }> }).integrations.sandbox!.allCredentials).toEqual([]);
    await frame.getByRole('button', { name: 'Close', exact: true }).click();
    await portalClosed(page);
  });

  it('connects sandbox-apikey with the keyboard alone: a bad key, then a good one, then Esc; the focus is back on the card', async () => {
    const catalog = await open('portal-keys');
    const { page } = catalog;
    const connect = catalog.card('sandbox-apikey').getByRole('button', { name: /^Connect/ });
    await connect.focus();
    await page.keyboard.press('Enter');
    await portalShown(page);
    const frame = portal(page);
    const key = frame.getByLabel('API key', { exact: true });
    await key.waitFor();
    // From the dialog's first focus, Tab reaches the key field.
    for (let tries = 0; tries < 10 && !(await key.evaluate((element) => element === document.activeElement)); tries += 1) await page.keyboard.press('Tab');
    await page.keyboard.type('not-a-sandbox-key');
    await page.keyboard.press('Enter');
    await frame.getByText(/rejected/i).first().waitFor();
    expect(((await sdkOf(page)) as { integrations: Record<string, { enabled: boolean }> }).integrations['sandbox-apikey']!.enabled).toBe(false);
    await key.fill('');
    await key.focus();
    await page.keyboard.type(`sbx_${randomBytes(6).toString('hex')}`);
    await page.keyboard.press('Enter');
    await catalog.activity('onIntegrationInstall', 'sandbox-apikey').waitFor();
    await frame.getByText(/Connected/).first().waitFor();
    // The key form is gone once connected; the focus stays in the dialog, where Esc closes.
    await frame.locator('[role="dialog"]').evaluate((dialog) => new Promise<void>((resolve) => {
      const check = () => (dialog.contains(document.activeElement) ? resolve() : requestAnimationFrame(check));
      check();
    }));
    await page.keyboard.press('Escape');
    await portalClosed(page);
    const focused = await page.evaluate(() => document.activeElement?.closest('[data-integration]')?.getAttribute('data-integration'));
    expect(focused).toBe('sandbox-apikey');
    await catalog.waitForCardStatus('sandbox-apikey', 'connected', 'Connected');
  });

  it('installIntegration asks the portal for the API key alone, which closes by itself once connected', async () => {
    const catalog = await open('portal-headless');
    const { page } = catalog;
    await page.evaluate(() => {
      (window as unknown as { installed: Promise<unknown> }).installed = (window as unknown as { switchboard: SwitchboardSDK }).switchboard.installIntegration('sandbox-apikey');
    });
    await portalShown(page);
    await portal(page).getByLabel('API key', { exact: true }).fill(`sbx_${randomBytes(6).toString('hex')}`);
    await portal(page).getByLabel('API key', { exact: true }).press('Enter');
    await portalClosed(page);
    expect(await page.evaluate(() => (window as unknown as { installed: Promise<unknown> }).installed)).toMatchObject({ integrationType: 'sandbox-apikey' });
  });

  it('adds a second account and switches between them in the portal', async () => {
    const catalog = await open('portal-two');
    const { page } = catalog;
    const frame = portal(page);
    await catalog.card('sandbox').getByRole('button', { name: /^Connect/ }).click();
    await portalShown(page);
    const firstPopup = page.waitForEvent('popup');
    await frame.getByRole('button', { name: 'Connect Sandbox' }).click();
    await approveInPopup(await firstPopup, login('first'));
    await catalog.activity('onIntegrationInstall', 'sandbox').waitFor();
    await frame.getByRole('button', { name: 'Close', exact: true }).click();
    await portalClosed(page);

    await catalog.openDetails('sandbox');
    await catalog.details.getByRole('button', { name: 'Connect another account' }).click();
    await portalShown(page);
    await frame.getByRole('button', { name: 'Add another account' }).click();
    const popupOpened = page.waitForEvent('popup');
    await frame.getByRole('button', { name: 'Connect Sandbox' }).click();
    await approveInPopup(await popupOpened, login('second'));
    await expect.poll(async () => ((await sdkOf(page)) as { integrations: Record<string, { allCredentials: unknown[] }> }).integrations.sandbox!.allCredentials.length).toBe(2);
    const switcher = frame.getByRole('combobox', { name: /account/i });
    await switcher.waitFor();
    expect(await switcher.locator('option').count()).toBe(2);
    await screenshot(page, 'portal-mode-two-accounts');
  });

  it('passes axe-core on the demo and in the portal, light and dark, and is screenshotted at 360 px', async () => {
    const light = await open('portal-axe-light');
    expect(await seriousAccessibilityViolations(light.page)).toEqual([]);
    await light.card('sandbox').getByRole('button', { name: /^Connect/ }).click();
    await portalShown(light.page);
    await portal(light.page).getByRole('button', { name: 'Connect Sandbox' }).waitFor();
    expect(await seriousAccessibilityViolations(portalFrameOf(light.page))).toEqual([]);

    const catalog = await open('portal-dark', 'dark');
    const { page } = catalog;
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await catalog.card('sandbox').getByRole('button', { name: /^Connect/ }).click();
    await portalShown(page);
    await portal(page).getByRole('button', { name: 'Connect Sandbox' }).waitFor();
    expect(await seriousAccessibilityViolations(portalFrameOf(page))).toEqual([]);
    await screenshot(page, 'portal-mode-connect-dark');
    await page.setViewportSize({ width: 360, height: 740 });
    await screenshot(page, 'portal-mode-connect-dark-360');
    await page.keyboard.press('Escape');
    await portalClosed(page);
  });

  /** Tabs until `target` has the focus; fails the test if it never does. */
  async function tabTo(page: Page, target: ReturnType<FrameLocator['getByRole']>, tries = 14) {
    for (let i = 0; i < tries && !(await target.evaluate((element) => element === document.activeElement)); i++) await page.keyboard.press('Tab');
    expect(await target.evaluate((element) => element === document.activeElement)).toBe(true);
  }
  const credentialsOf = async (catalog: CatalogPage, type: string) =>
    (await rest(catalog, `/credentials?integration=${type}`)) as { accountType: string | null; config: { sharedSettings?: Record<string, unknown> } }[];

  it("asks which kind of account in the project's order, chosen with the keyboard alone, and signs in with it", async () => {
    const catalog = await open('portal-regions');
    const { page } = catalog;
    await catalog.card('sandbox-regions').getByRole('button', { name: /^Connect/ }).focus();
    await page.keyboard.press('Enter');
    await portalShown(page);
    const frame = portal(page);
    const choice = frame.getByRole('group', { name: 'Which kind of Sandbox (regions) account?' });
    await choice.waitFor();
    expect(await choice.getByRole('button').allTextContents()).toEqual(['EU workspace', 'US workspace']);
    expect(await seriousAccessibilityViolations(portalFrameOf(page))).toEqual([]);
    await screenshot(page, 'portal-mode-account-types-light');

    // US first, then back to the choice with "Choose another kind", then EU.
    await tabTo(page, choice.getByRole('button', { name: 'US workspace' }));
    await page.keyboard.press('Enter');
    const connectButton = frame.getByRole('button', { name: 'Connect Sandbox (regions)' });
    await expect.poll(() => connectButton.evaluate((button) => button === document.activeElement)).toBe(true);
    await frame.getByText('US workspace account.').waitFor();
    await page.keyboard.press('Shift+Tab');
    const another = frame.getByRole('button', { name: 'Choose another kind' });
    await expect.poll(() => another.evaluate((button) => button === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => choice.getByRole('button', { name: 'EU workspace' }).evaluate((button) => button === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => connectButton.evaluate((button) => button === document.activeElement)).toBe(true);
    const popupOpened = page.waitForEvent('popup');
    await page.keyboard.press('Enter');
    await approveInPopup(await popupOpened, login('regions'));
    await catalog.activity('onIntegrationInstall', 'sandbox-regions').waitFor();
    expect((await credentialsOf(catalog, 'sandbox-regions'))[0]?.accountType).toBe('eu');
  });

  it('skips the choice when connect() names an offered account type, and names one that is not offered inline', async () => {
    const catalog = await open('portal-regions-given');
    const { page } = catalog;
    const frame = portal(page);
    await page.evaluate(() => void (window as unknown as { switchboard: SwitchboardSDK }).switchboard.connect('sandbox-regions', { accountType: 'us' }));
    await portalShown(page);
    await frame.getByRole('button', { name: 'Connect Sandbox (regions)' }).waitFor();
    expect(await frame.getByRole('group', { name: /Which kind/ }).count()).toBe(0);
    await page.keyboard.press('Escape');
    await portalClosed(page);

    await page.evaluate(() => void (window as unknown as { switchboard: SwitchboardSDK }).switchboard.connect('sandbox-regions', { accountType: 'apac' }));
    await portalShown(page);
    const alert = frame.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('accounts of type “apac”');
    expect(await frame.getByRole('button', { name: 'Connect Sandbox (regions)' }).count()).toBe(0);
    expect(await seriousAccessibilityViolations(portalFrameOf(page))).toEqual([]);
    // At the phone's size, once the portal has laid out again with its alert showing: the viewport is the portal.
    await page.setViewportSize({ width: 360, height: 740 });
    await alert.waitFor({ state: 'visible' });
    await expect.poll(() => alert.evaluate((element) => element.getBoundingClientRect().right <= window.innerWidth)).toBe(true);
    await screenshot(page, 'portal-mode-account-type-refused-360', { fullPage: false });
  });

  it('connects sandbox-basic with the keyboard alone: labelled fields checked first, a refused login inline, then a field mapping saved', async () => {
    const catalog = await open('portal-basic');
    const { page } = catalog;
    await catalog.card('sandbox-basic').getByRole('button', { name: /^Connect/ }).focus();
    await page.keyboard.press('Enter');
    await portalShown(page);
    const frame = portal(page);
    const username = frame.getByLabel('Username', { exact: true });
    const password = frame.getByLabel('Password', { exact: true });
    await username.waitFor();
    expect(await password.getAttribute('type')).toBe('password');

    // Nothing typed: the portal names what is missing and sends nothing.
    await tabTo(page, frame.getByRole('button', { name: 'Connect', exact: true }));
    await page.keyboard.press('Enter');
    await frame.getByText('Enter username.').waitFor();
    await expect.poll(() => username.evaluate((input) => input === document.activeElement)).toBe(true);
    expect(await credentialsOf(catalog, 'sandbox-basic')).toEqual([]);

    await page.keyboard.type(login('basic'));
    await page.keyboard.press('Tab');
    await expect.poll(() => password.evaluate((input) => input === document.activeElement)).toBe(true);
    await page.keyboard.type('wrong-password');
    await page.keyboard.press('Enter');
    await frame.getByRole('alert').filter({ hasText: /rejected|wrong/i }).waitFor();
    expect(await credentialsOf(catalog, 'sandbox-basic')).toEqual([]);
    await screenshot(page, 'portal-mode-basic-refused-light');
    expect(await seriousAccessibilityViolations(portalFrameOf(page))).toEqual([]);

    await password.fill('');
    await password.focus();
    await page.keyboard.type('sandbox-password');
    await page.keyboard.press('Enter');
    await catalog.activity('onIntegrationInstall', 'sandbox-basic').waitFor();

    // The field mapper: each field of the app mapped to one of the provider's, with the keyboard.
    await frame.getByRole('tab', { name: 'Configuration' }).click();
    const mapper = frame.getByRole('group', { name: 'Contact fields' });
    await mapper.waitFor();
    const fullName = mapper.getByRole('combobox', { name: 'Full name' });
    const workEmail = mapper.getByRole('combobox', { name: 'Work email' });
    await tabTo(page, fullName);
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => fullName.inputValue()).toBe('name');
    await page.keyboard.press('Tab');
    await expect.poll(() => workEmail.evaluate((select) => select === document.activeElement)).toBe(true);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => workEmail.inputValue()).toBe('email');
    await tabTo(page, frame.getByRole('button', { name: 'Save settings' }));
    await page.keyboard.press('Enter');
    await frame.getByText('Settings saved.').waitFor();
    const [credential] = await credentialsOf(catalog, 'sandbox-basic');
    expect(credential?.config.sharedSettings).toEqual({ contactFields: { fullName: 'name', workEmail: 'email' } });
    expect(await seriousAccessibilityViolations(portalFrameOf(page))).toEqual([]);
    await screenshot(page, 'portal-mode-field-mapper-light');
  });

  it('shows the basic-auth form and the field mapper in dark and at 360 px without a serious accessibility violation', async () => {
    const catalog = await open('portal-basic-dark', 'dark');
    const { page } = catalog;
    await catalog.card('sandbox-basic').getByRole('button', { name: /^Connect/ }).click();
    await portalShown(page);
    const frame = portal(page);
    await frame.getByLabel('Username', { exact: true }).fill(login('basic-dark'));
    await frame.getByLabel('Password', { exact: true }).fill('wrong-password');
    await frame.getByRole('button', { name: 'Connect', exact: true }).click();
    await frame.getByRole('alert').waitFor();
    expect(await seriousAccessibilityViolations(portalFrameOf(page))).toEqual([]);
    await screenshot(page, 'portal-mode-basic-refused-dark');
    await frame.getByLabel('Password', { exact: true }).fill('sandbox-password');
    await frame.getByRole('button', { name: 'Connect', exact: true }).click();
    await catalog.activity('onIntegrationInstall', 'sandbox-basic').waitFor();
    await frame.getByRole('tab', { name: 'Configuration' }).click();
    await frame.getByRole('group', { name: 'Contact fields' }).waitFor();
    expect(await seriousAccessibilityViolations(portalFrameOf(page))).toEqual([]);
    await screenshot(page, 'portal-mode-field-mapper-dark');
    await page.setViewportSize({ width: 360, height: 740 });
    await screenshot(page, 'portal-mode-field-mapper-dark-360');
  });
});
