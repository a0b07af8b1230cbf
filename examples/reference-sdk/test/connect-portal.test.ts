/**
 * The Connect Portal (packages/portal) framed by the reference product's browser SDK (`@useparagon/connect` 2.4.0,
 * unchanged) on another origin than Switchboard, driven through `connect()` and `installIntegration()` in Chromium:
 * OAuth through the SDK's popup and the sandbox consent page, settings saved to the account, a workflow switched on,
 * disconnect with confirmation, API keys refused then accepted, the headless install, the keyboard alone, several
 * accounts, a message from a foreign origin, axe-core, and screenshots (test-artifacts/screenshots/).
 */
import type { Browser, BrowserContext, FrameLocator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, freshContextEachTest, launchChromium, screenshot } from '../../../test/support/chromium.js';
import { approveInPopup } from '../../../test/support/sandbox-popup.js';
import { management, sandboxOAuthCustomIntegration } from '../../../packages/server/test/support/management.js';
import { SANDBOX_CLIENT } from '../../../packages/server/src/projects/dev-project.js';
import { startOverridesEnvironment, type ReferenceEnvironment } from './support/reference-environment.js';
import { freshLogin, freshUser, ReferencePage } from './support/reference-page.js';
import { axeViolations, connectOutcome, portalFrame, portalShown, startConnect } from './support/portal-page.js';

/** A host name that reaches the server but is none of the project's allowed origins. */
const FOREIGN_HOST = 'foreign.test';

interface SdkCredential {
  id: string;
  integrationId: string;
  config: { sharedSettings?: Record<string, unknown>; configuredWorkflows?: Record<string, { enabled: boolean }> };
}

describe.skipIf(!chromiumPath)('Connect Portal, framed by the reference SDK', () => {
  let env: ReferenceEnvironment;
  let browser: Browser;
  let context: BrowserContext;
  let workflowId: string;
  /** A workflow with a required setting: the portal asks for it before turning the workflow on. */
  let routingId: string;
  const api = (method: string, path: string, body?: unknown) => management(env.server, env.server.secretKey, method, `/projects/${env.server.projectId}${path}`, body);
  const sdk = async <T,>(sub: string, path: string): Promise<T> => {
    const response = await fetch(`${env.server.url}/projects/${env.server.projectId}${path}`, { headers: { authorization: `Bearer ${await env.server.userToken(sub)}` } });
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as T;
  };
  const open = () => ReferencePage.open(context, env);

  beforeAll(async () => {
    [env, browser] = await Promise.all([startOverridesEnvironment(), launchChromium({ args: [`--host-resolver-rules=MAP ${FOREIGN_HOST} 127.0.0.1`] })]);
    const portal = {
      description: 'Send alerts from the app to your sandbox account.',
      overview: '## What it does\n\n- Posts **alerts** to your [sandbox](https://example.com/docs)\n\n<script>window.injected = true</script><img src=x onerror="window.injected=true">',
      userSettings: [
        { id: 'channel', label: 'Channel', type: 'text', required: true, help: 'Where alerts are posted, e.g. #alerts.' },
        { id: 'digest', label: 'Daily digest', type: 'boolean' },
        { id: 'priority', label: 'Priority', type: 'enum', options: [{ value: 'low', label: 'Low' }, { value: 'high', label: 'High' }] },
        { id: 'team', label: 'Team', type: 'customDropdown' },
        { id: 'contact', label: 'Contact to notify', type: 'dynamicEnum', source: { path: '/contacts', itemsPath: 'data', valueField: 'id', labelField: 'name' } },
      ],
    };
    expect((await api('PUT', '/integrations/sandbox', { portal })).status).toBe(200);
    const created = await api('POST', '/workflows', {
      integration: 'sandbox',
      name: 'Post alerts',
      trigger: { type: 'request' },
      settings: [{ id: 'prefix', label: 'Message prefix', type: 'text', help: 'Put in front of every alert.' }],
      steps: [{ id: 'me', type: 'request', method: 'GET', path: '/me' }],
    });
    expect(created.status, await created.clone().text()).toBe(201);
    workflowId = ((await created.json()) as { id: string }).id;
    expect((await api('POST', `/workflows/${workflowId}/publish`)).status).toBe(200);
    const routing = await api('POST', '/workflows', {
      integration: 'sandbox',
      name: 'Route tickets',
      trigger: { type: 'request' },
      settings: [{ id: 'queue', label: 'Queue', type: 'text', required: true }],
      steps: [{ id: 'me', type: 'request', method: 'GET', path: '/me' }],
    });
    expect(routing.status, await routing.clone().text()).toBe(201);
    routingId = ((await routing.json()) as { id: string }).id;
    expect((await api('POST', `/workflows/${routingId}/publish`)).status).toBe(200);
  });
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });
  freshContextEachTest(() => browser, (fresh) => (context = fresh));

  /** Clicks the portal's Connect button, approves the sandbox consent page as `login` in the SDK's popup. */
  async function connectThroughPopup(reference: ReferencePage, frame: FrameLocator, login: string, press?: () => Promise<void>) {
    const popupOpened = reference.page.context().waitForEvent('page');
    if (press) await press();
    else await frame.getByRole('button', { name: 'Connect Sandbox' }).click();
    const popup = await popupOpened;
    const closed = popup.waitForEvent('close', { timeout: 25_000 });
    await popup.getByLabel('Sandbox login').waitFor();
    await approveInPopup(popup, login);
    await closed;
  }

  it('connect("sandbox"): OAuth through the SDK popup, a setting saved to the account, a workflow switched on, disconnect after confirming', async () => {
    const reference = await open();
    const sub = freshUser('portal-oauth');
    await reference.signIn(sub);
    const teams = [{ label: 'Sales', value: 'sales' }, { label: 'Support', value: 'support' }];
    const frame = await startConnect(reference, 'sandbox', { dropdowns: { team: teams } });
    expect(await portalShown(reference.page)).toBe(true);
    await expect.poll(() => reference.page.evaluate(() => window.events.length)).toBe(0);

    // Overview: the description, and the markdown rendered with its HTML left inert.
    await frame.getByText('Send alerts from the app to your sandbox account.').waitFor();
    const link = frame.getByRole('link', { name: 'sandbox' });
    await link.waitFor();
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toContain('noopener');
    expect(await frame.locator('.markdown script, .markdown img').count()).toBe(0);
    await screenshot(reference.page, 'portal-connect-light');

    await connectThroughPopup(reference, frame, freshLogin('portal'));
    await frame.getByText('Connected as').waitFor();
    await expect.poll(() => connectOutcome(reference.page)).toMatchObject({ state: 'resolved', credentialId: expect.any(String) });

    // The post-install options come first, saved to the account.
    await frame.getByRole('heading', { name: 'A few more details' }).waitFor();
    await frame.getByLabel('Contacts to sync').selectOption('starred');
    // A contact in the new sandbox account, for the dynamic enum to find through the Proxy API.
    const contact = await reference.page.evaluate(() => window.paragon.request('sandbox', '/contacts', { method: 'POST', body: { name: 'Ada Lovelace', email: 'ada@example.com' } }) as Promise<{ id: string }>);
    await frame.getByRole('button', { name: 'Finish' }).click();

    // Settings: required field checked in the portal first, then saved to the account's config.
    await frame.getByRole('tab', { name: 'Configuration' }).waitFor();
    await frame.getByRole('button', { name: 'Save settings' }).waitFor();
    await frame.getByRole('button', { name: 'Save settings' }).click();
    await frame.getByText('Enter channel.').waitFor();
    await frame.getByLabel('Channel').fill('#alerts');
    await frame.getByLabel('Priority').selectOption('high');
    // Options from the page (connect's dropdowns) and from the provider's API.
    expect(await frame.getByLabel('Team').locator('option').allTextContents()).toEqual(['Choose…', 'Sales', 'Support']);
    await frame.getByLabel('Team').selectOption('support');
    await frame.getByLabel('Contact to notify').locator('option', { hasText: 'Ada Lovelace' }).waitFor({ state: 'attached' });
    await frame.getByLabel('Contact to notify').selectOption(contact.id);
    await frame.getByRole('button', { name: 'Save settings' }).click();
    await frame.getByText('Settings saved.').waitFor();
    const [credential] = await sdk<SdkCredential[]>(sub, '/sdk/credentials');
    expect(credential!.config.sharedSettings).toMatchObject({ contactList: 'starred', channel: '#alerts', priority: 'high', team: 'support', contact: contact.id });

    // A workflow switched on shows in /sdk/me.
    await reference.page.evaluate(() => {
      const changes: unknown[] = [];
      (window as unknown as { workflowChanges: unknown[] }).workflowChanges = changes;
      const subscribe = window.paragon.subscribe.bind(window.paragon) as unknown as (name: string, handler: (event: { workflowId: string; workflowStateChange: { enabled: boolean } }) => void) => void;
      subscribe('onWorkflowChange', (event) => changes.push({ workflowId: event.workflowId, enabled: event.workflowStateChange.enabled }));
    });
    await frame.getByRole('switch', { name: 'Post alerts' }).click();
    await expect.poll(async () => (await sdk<{ integrations: { sandbox: { configuredWorkflows?: Record<string, { enabled: boolean }> } } }>(sub, '/sdk/me')).integrations.sandbox.configuredWorkflows?.[workflowId]?.enabled).toBe(true);
    await expect(frame.getByRole('switch', { name: 'Post alerts' }).isChecked()).resolves.toBe(true);
    // The SDK told the page (onWorkflowChange) which workflow changed.
    await expect.poll(() => reference.page.evaluate(() => (window as unknown as { workflowChanges: unknown[] }).workflowChanges)).toEqual([{ workflowId, enabled: true }]);
    // An enabled workflow's own settings, saved to it.
    await frame.getByLabel('Message prefix').fill('[app]');
    await frame.getByRole('button', { name: 'Save', exact: true }).click();
    await frame.getByText('Workflow settings saved.').waitFor();
    const [withWorkflow] = await sdk<SdkCredential[]>(sub, '/sdk/credentials');
    expect(withWorkflow!.config.configuredWorkflows?.[workflowId]).toMatchObject({ enabled: true, settings: { prefix: '[app]' } });
    // Each save keeps what the other saved.
    expect(withWorkflow!.config.sharedSettings).toMatchObject({ channel: '#alerts', team: 'support' });
    // A workflow with a required setting asks for it first, then turns on with it.
    await frame.getByRole('switch', { name: 'Route tickets' }).click();
    const turnOn = frame.getByRole('button', { name: 'Save and turn on' });
    await turnOn.click();
    await frame.getByText('Enter queue.').waitFor();
    await frame.getByLabel('Queue').fill('billing');
    await turnOn.click();
    await expect.poll(async () => (await sdk<SdkCredential[]>(sub, '/sdk/credentials'))[0]!.config.configuredWorkflows?.[routingId]).toMatchObject({ enabled: true, settings: { queue: 'billing' } });
    await expect(frame.getByRole('switch', { name: 'Route tickets' }).isChecked()).resolves.toBe(true);
    expect((await sdk<SdkCredential[]>(sub, '/sdk/credentials'))[0]!.config.configuredWorkflows?.[workflowId]).toMatchObject({ enabled: true, settings: { prefix: '[app]' } });
    await screenshot(reference.page, 'portal-configuration-light');

    // Disconnect asks first; Cancel keeps the account.
    await frame.getByRole('button', { name: 'Disconnect' }).click();
    await frame.getByRole('alertdialog').waitFor();
    await frame.getByRole('button', { name: 'Cancel' }).click();
    expect(await sdk<SdkCredential[]>(sub, '/sdk/credentials')).toHaveLength(1);
    await frame.getByRole('button', { name: 'Disconnect' }).click();
    await frame.getByRole('alertdialog').getByRole('button', { name: 'Disconnect' }).click();
    await frame.getByRole('button', { name: 'Connect Sandbox' }).waitFor();
    expect(await sdk<SdkCredential[]>(sub, '/sdk/credentials')).toEqual([]);
    expect((await reference.events()).map((event) => event.name)).toEqual(['onIntegrationInstall', 'onIntegrationUninstall']);
    expect(await reference.page.evaluate(() => (window as unknown as { injected?: boolean }).injected)).toBeUndefined();

    // Close: the SDK hides its iframe.
    await frame.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => portalShown(reference.page)).toBe(false);
    expect(reference.corsErrors()).toEqual([]);
  });

  it('a pre-OAuth input (a shop domain) is checked in the portal, then goes with the OAuth popup', async () => {
    const base = sandboxOAuthCustomIntegration(env.server, 'portal-shop', { overrides: { name: 'Shop' } });
    const auth = base.auth as Record<string, unknown>;
    const shopField = { id: 'shop', label: 'Shop domain', type: 'text', required: true, pattern: '[a-z0-9-]+\\.myshop\\.example', placeholder: 'your-store.myshop.example', help: 'The address of your shop.' };
    const created = await management(env.server, env.server.secretKey, 'POST', `/projects/${env.server.projectId}/custom-integrations`, { ...base, auth: { ...auth, inputFields: [shopField] } });
    expect(created.status, await created.clone().text()).toBe(201);
    const { type } = (await created.json()) as { type: string };

    const reference = await open();
    const sub = freshUser('portal-shop');
    await reference.signIn(sub);
    const frame = await startConnect(reference, type);
    await frame.getByLabel('Shop domain').fill('not a shop');
    await frame.getByRole('button', { name: 'Continue to Shop' }).click();
    await frame.getByText('Shop domain should look like your-store.myshop.example.').waitFor();
    expect(reference.page.context().pages()).toHaveLength(1);

    await frame.getByLabel('Shop domain').fill('ada-store.myshop.example');
    const popupOpened = reference.page.context().waitForEvent('page');
    await frame.getByRole('button', { name: 'Continue to Shop' }).click();
    const popup = await popupOpened;
    const closed = popup.waitForEvent('close', { timeout: 25_000 });
    await popup.getByLabel('Sandbox login').waitFor();
    await approveInPopup(popup, freshLogin('shop'));
    await closed;
    await frame.getByText('Connected as').waitFor();
    await expect.poll(() => connectOutcome(reference.page)).toMatchObject({ state: 'resolved' });
    expect(await sdk<SdkCredential[]>(sub, '/sdk/credentials')).toHaveLength(1);
    // The SDK asked the server for the authorization URL with the shop the user typed.
    const buildOAuth = reference.requests.find((url) => url.pathname.endsWith('/sdk/actions/build-oauth'));
    expect(JSON.parse(buildOAuth!.searchParams.get('endUserSuppliedValues')!)).toEqual({ shop: 'ada-store.myshop.example' });
  });

  it('a user who clicks Deny at the provider is told they declined, and can connect again', async () => {
    const reference = await open();
    await reference.signIn(freshUser('portal-deny'));
    const frame = await startConnect(reference, 'sandbox');
    const popupOpened = reference.page.context().waitForEvent('page');
    await frame.getByRole('button', { name: 'Connect Sandbox' }).click();
    const popup = await popupOpened;
    await popup.getByLabel('Sandbox login').fill(freshLogin('deny'));
    await popup.getByRole('button', { name: 'Deny' }).click();
    await frame.getByRole('alert').filter({ hasText: 'You declined access at Sandbox' }).waitFor();
    expect(await frame.getByRole('alert').textContent()).not.toMatch(/something went wrong/i);
    await frame.getByRole('button', { name: 'Try again' }).waitFor();
    await screenshot(reference.page, 'portal-denied');
  });

  it('connect("sandbox-apikey"): a refused key is shown inline, a good one connects and resolves connect()', async () => {
    const reference = await open();
    const sub = freshUser('portal-key');
    await reference.signIn(sub);
    const frame = await startConnect(reference, 'sandbox-apikey');
    await frame.getByLabel('API key', { exact: true }).fill('not-a-sandbox-key');
    await frame.getByRole('button', { name: 'Connect' }).click();
    const refusal = frame.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/key/i);
    expect(await sdk<SdkCredential[]>(sub, '/sdk/credentials')).toEqual([]);
    expect(await connectOutcome(reference.page)).toEqual({ state: 'pending' });
    await screenshot(reference.page, 'portal-apikey-refused');

    await frame.getByLabel('API key', { exact: true }).fill('sbx_portal');
    await frame.getByRole('button', { name: 'Connect' }).click();
    await frame.getByText('Connected as').waitFor();
    await expect.poll(() => connectOutcome(reference.page)).toMatchObject({ state: 'resolved', credentialId: expect.any(String) });
    expect(await sdk<SdkCredential[]>(sub, '/sdk/credentials')).toHaveLength(1);
    expect((await reference.user()).integrations?.['sandbox-apikey']?.enabled).toBe(true);
  });

  it('installIntegration("sandbox-apikey") shows the portal for the key alone, then closes it by itself', async () => {
    const reference = await open();
    const sub = freshUser('portal-headless');
    await reference.signIn(sub);
    await reference.page.evaluate(() => window.harness.prepareInstall('sandbox-apikey'));
    await reference.page.getByTestId('install').click();
    const frame = portalFrame(reference.page);
    await frame.getByLabel('API key', { exact: true }).waitFor();
    expect(await frame.getByRole('tab').count()).toBe(0);
    await frame.getByLabel('API key', { exact: true }).fill('sbx_headless');
    await frame.getByRole('button', { name: 'Connect' }).click();
    await expect.poll(() => reference.page.evaluate(() => window.harness.lastInstall?.state)).toBe('resolved');
    await expect.poll(() => portalShown(reference.page)).toBe(false);
    expect(await sdk<SdkCredential[]>(sub, '/sdk/credentials')).toHaveLength(1);
  });

  it('the keyboard alone opens, connects and closes the portal; Tab stays inside the dialog', async () => {
    const reference = await open();
    await reference.signIn(freshUser('portal-keys'));
    const frame = await startConnect(reference, 'sandbox');
    // Focus starts in the dialog; Tab cycles through its controls without leaving it.
    const focusedInDialog = () => frame.locator('[role="dialog"]').evaluate((dialog) => dialog.contains(document.activeElement));
    for (let i = 0; i < 6; i++) {
      await reference.page.keyboard.press('Tab');
      expect(await focusedInDialog()).toBe(true);
    }
    await reference.page.keyboard.press('Shift+Tab');
    expect(await focusedInDialog()).toBe(true);
    // Tab to the Connect button and press Enter.
    const connectButton = frame.getByRole('button', { name: 'Connect Sandbox' });
    for (let i = 0; i < 10 && !(await connectButton.evaluate((button) => button === document.activeElement)); i++) await reference.page.keyboard.press('Tab');
    expect(await connectButton.evaluate((button) => button === document.activeElement)).toBe(true);
    await connectThroughPopup(reference, frame, freshLogin('keys'), () => reference.page.keyboard.press('Enter'));
    await frame.getByText('Connected as').waitFor();
    const finish = frame.getByRole('button', { name: 'Finish' });
    for (let i = 0; i < 10 && !(await finish.evaluate((button) => button === document.activeElement)); i++) await reference.page.keyboard.press('Tab');
    await reference.page.keyboard.press('Enter');
    // Finished: the keyboard is on the Configuration tab; the arrow keys switch tabs; Escape closes.
    const configurationTab = frame.getByRole('tab', { name: 'Configuration' });
    await expect.poll(() => configurationTab.evaluate((tab) => tab === document.activeElement), { timeout: 5000 }).toBe(true);
    await frame.getByRole('button', { name: 'Save settings' }).waitFor();
    await reference.page.keyboard.press('ArrowLeft');
    await frame.getByRole('tab', { name: 'Overview', selected: true }).waitFor();
    await reference.page.keyboard.press('ArrowRight');
    await frame.getByRole('button', { name: 'Save settings' }).waitFor();
    expect(await focusedInDialog()).toBe(true);
    await reference.page.keyboard.press('Escape');
    await expect.poll(() => portalShown(reference.page)).toBe(false);
  });

  it('two accounts: the switcher shows each one, selectedCredentialId opens that one, Disconnect removes only it', async () => {
    const reference = await open();
    const sub = freshUser('portal-two');
    await reference.signIn(sub);
    let frame = await startConnect(reference, 'sandbox', { allowMultipleCredentials: true });
    await connectThroughPopup(reference, frame, 'first-account');
    await frame.getByText('Connected as').waitFor();
    await frame.getByRole('button', { name: 'Add another account' }).click();
    await connectThroughPopup(reference, frame, 'second-account');
    const switcher = frame.getByLabel('Sandbox account', { exact: true });
    await switcher.waitFor();
    const options = await switcher.locator('option').allTextContents();
    expect(options).toHaveLength(2);
    const credentials = await sdk<(SdkCredential & { providerId: string })[]>(sub, '/sdk/credentials');
    expect(credentials).toHaveLength(2);
    await screenshot(reference.page, 'portal-two-accounts');

    // Reopened on the first account by selectedCredentialId; disconnecting it leaves the second.
    await frame.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => portalShown(reference.page)).toBe(false);
    const [first, second] = credentials;
    frame = await startConnect(reference, 'sandbox', { allowMultipleCredentials: true, selectedCredentialId: first!.id });
    expect(await frame.getByLabel('Sandbox account', { exact: true }).inputValue()).toBe(first!.id);
    await frame.getByRole('button', { name: 'Disconnect' }).click();
    await frame.getByRole('alertdialog').getByRole('button', { name: 'Disconnect' }).click();
    await expect.poll(async () => (await sdk<SdkCredential[]>(sub, '/sdk/credentials')).map((credential) => credential.id)).toEqual([second!.id]);
    // The reference SDK ends the connect() session of the account it was opened for: the portal closes.
    await expect.poll(() => portalShown(reference.page)).toBe(false);
    // Opened again, it shows the one account left.
    frame = await startConnect(reference, 'sandbox', { allowMultipleCredentials: true });
    await frame.getByText('Connected as').waitFor();
    expect(await frame.getByLabel('Sandbox account', { exact: true }).count()).toBe(0);
  });

  it('a page on a foreign origin can neither frame the portal nor drive it by messages', async () => {
    // foreign.test resolves to the server, but it is none of the project's allowed origins.
    const foreignOrigin = `http://${FOREIGN_HOST}:${new URL(env.server.url).port}`;
    const page = await context.newPage();
    await page.goto(`${foreignOrigin}/health`);
    const portalUrl = `${env.server.url}/ui?projectId=${env.server.projectId}`;

    // Framed by it: frame-ancestors refuses, the portal's page never loads.
    await page.evaluate((src) => {
      const frame = document.createElement('iframe');
      frame.src = src;
      document.body.append(frame);
    }, portalUrl);
    await expect.poll(() => page.frames().length).toBe(2);
    const framed = page.frames()[1]!;
    await expect.poll(() => framed.url()).not.toBe('about:blank');
    expect(await framed.locator('#root').count().catch(() => 0)).toBe(0);

    // Opened by it and sent a UI_UPDATE that asks for a dialog: ignored (not its parent, not an allowed origin).
    const popupOpened = context.waitForEvent('page');
    await page.evaluate((src) => {
      const button = document.createElement('button');
      button.textContent = 'Open';
      button.addEventListener('click', () => {
        (window as unknown as { portal: Window | null }).portal = window.open(src);
      });
      document.body.append(button);
    }, portalUrl);
    await page.getByRole('button', { name: 'Open' }).click();
    const portal = await popupOpened;
    await portal.locator('#root').waitFor({ state: 'attached' });
    await page.evaluate((target) => {
      const integration = { id: 'forged', type: 'sandbox', name: 'Forged', needPreOauthInputs: false };
      (window as unknown as { portal: Window }).portal.postMessage({ messageType: 'UI_UPDATE', nextContext: {}, nextModalState: { integration, config: {} } }, target);
    }, new URL(env.server.url).origin);
    await portal.waitForTimeout(500);
    expect(await portal.getByRole('dialog').count()).toBe(0);
  });

  it('passes axe-core without a serious or critical violation, connecting and connected, light and dark, and fits 360 px', async () => {
    const reference = await open();
    await reference.signIn(freshUser('portal-axe'));
    const frame = await startConnect(reference, 'sandbox');
    await frame.getByRole('button', { name: 'Connect Sandbox' }).waitFor();
    expect(await axeViolations(reference.page)).toEqual([]);
    await reference.page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(reference.page, 'portal-connect-dark');
    expect(await axeViolations(reference.page)).toEqual([]);
    await reference.page.emulateMedia({ colorScheme: 'light' });

    await connectThroughPopup(reference, frame, freshLogin('axe'));
    await frame.getByRole('button', { name: 'Finish' }).click();
    await frame.getByRole('button', { name: 'Save settings' }).click();
    await frame.getByText('Enter channel.').waitFor();
    expect(await axeViolations(reference.page)).toEqual([]);
    await reference.page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(reference.page, 'portal-configuration-dark');
    expect(await axeViolations(reference.page)).toEqual([]);

    await reference.page.setViewportSize({ width: 360, height: 740 });
    await reference.page.emulateMedia({ colorScheme: 'light' });
    await screenshot(reference.page, 'portal-configuration-360');
    const overflow = () => frame.locator('body').evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await frame.getByRole('tab', { name: 'Overview' }).click();
    await screenshot(reference.page, 'portal-overview-360');
    expect(await overflow()).toBeLessThanOrEqual(0);
  });

  it("takes the integration's theme and accent colour from its portal settings", async () => {
    expect((await api('PUT', '/integrations/sandbox-apikey', { portal: { theme: 'dark', accentColor: '#0F766E' } })).status).toBe(200);
    try {
      const reference = await open();
      await reference.signIn(freshUser('portal-theme'));
      const frame = await startConnect(reference, 'sandbox-apikey');
      const look = await frame.locator('html').evaluate((root) => ({ theme: root.dataset.theme, accent: root.style.getPropertyValue('--accent'), background: getComputedStyle(document.querySelector('.dialog')!).backgroundColor }));
      expect(look).toEqual({ theme: 'dark', accent: '#0F766E', background: 'rgb(24, 28, 33)' });
      await screenshot(reference.page, 'portal-theme-dark-teal');
      expect(await axeViolations(reference.page)).toEqual([]);
    } finally {
      await api('PUT', '/integrations/sandbox-apikey', { portal: {} });
    }
  });

  it('follows the system setting under the system theme, also when it changes while the portal is open', async () => {
    expect((await api('PUT', '/integrations/sandbox-apikey', { portal: { theme: 'system' } })).status).toBe(200);
    try {
      const reference = await open();
      await reference.page.emulateMedia({ colorScheme: 'dark' });
      await reference.signIn(freshUser('portal-system'));
      const frame = await startConnect(reference, 'sandbox-apikey');
      const look = () => frame.locator('html').evaluate((root) => ({ theme: root.dataset.theme, background: getComputedStyle(document.querySelector('.dialog')!).backgroundColor }));
      expect(await look()).toEqual({ theme: 'dark', background: 'rgb(24, 28, 33)' });
      await reference.page.emulateMedia({ colorScheme: 'light' });
      await expect.poll(look).toEqual({ theme: 'light', background: 'rgb(255, 255, 255)' });
    } finally {
      await api('PUT', '/integrations/sandbox-apikey', { portal: {} });
    }
  });

  /** Tabs until `target` has the focus (at most `tries` presses); fails the test if it never does. */
  async function tabTo(reference: ReferencePage, target: ReturnType<FrameLocator['getByRole']>, tries = 12) {
    for (let i = 0; i < tries && !(await target.evaluate((element) => element === document.activeElement)); i++) await reference.page.keyboard.press('Tab');
    expect(await target.evaluate((element) => element === document.activeElement)).toBe(true);
  }

  it('connect("sandbox-basic"): a refused login is shown inline, a good one connects, and a field mapping is saved to the account', async () => {
    const mapper = {
      id: 'contactFields',
      label: 'Contact fields',
      type: 'fieldMapper',
      fields: [{ value: 'fullName', label: 'Full name' }, { value: 'workEmail', label: 'Work email' }],
      options: [{ value: 'name', label: 'Name' }, { value: 'email', label: 'Email' }],
    };
    expect((await api('PUT', '/integrations/sandbox-basic', { isActive: true, portal: { userSettings: [mapper] } })).status).toBe(200);
    const reference = await open();
    const sub = freshUser('portal-basic');
    await reference.signIn(sub);
    const frame = await startConnect(reference, 'sandbox-basic');
    await frame.getByLabel('Username', { exact: true }).fill(freshLogin('basic'));
    await frame.getByLabel('Password', { exact: true }).fill('wrong-password');
    await frame.getByRole('button', { name: 'Connect', exact: true }).click();
    await frame.getByRole('alert').filter({ hasText: /wrong username or password/i }).waitFor();
    expect(await sdk<SdkCredential[]>(sub, '/sdk/credentials')).toEqual([]);
    expect(await connectOutcome(reference.page)).toEqual({ state: 'pending' });

    await frame.getByLabel('Password', { exact: true }).fill('sandbox-password');
    await frame.getByRole('button', { name: 'Connect', exact: true }).click();
    await frame.getByText('Connected as').waitFor();
    await expect.poll(() => connectOutcome(reference.page)).toMatchObject({ state: 'resolved', credentialId: expect.any(String) });

    await frame.getByRole('tab', { name: 'Configuration' }).click();
    const group = frame.getByRole('group', { name: 'Contact fields' });
    await group.getByRole('combobox', { name: 'Full name' }).selectOption('name');
    await group.getByRole('combobox', { name: 'Work email' }).selectOption('email');
    await frame.getByRole('button', { name: 'Save settings' }).click();
    await frame.getByText('Settings saved.').waitFor();
    expect((await sdk<SdkCredential[]>(sub, '/sdk/credentials'))[0]!.config.sharedSettings).toEqual({ contactFields: { fullName: 'name', workEmail: 'email' } });
    expect(await axeViolations(reference.page)).toEqual([]);
    await screenshot(reference.page, 'portal-field-mapper-light');
  });

  describe('account types (sandbox-regions)', () => {
    beforeAll(async () => {
      expect((await api('PUT', '/integrations/sandbox-regions', { isActive: true, ...SANDBOX_CLIENT, portal: { accountTypes: ['eu', 'us'] } })).status).toBe(200);
    });

    it("asks which kind of account in the project's order, chosen with the keyboard alone; the chosen type signs in", async () => {
      const reference = await open();
      const sub = freshUser('portal-regions');
      await reference.signIn(sub);
      const frame = await startConnect(reference, 'sandbox-regions');
      const choice = frame.getByRole('group', { name: 'Which kind of Sandbox (regions) account?' });
      await choice.waitFor();
      expect(await choice.getByRole('button').allTextContents()).toEqual(['EU workspace', 'US workspace']);
      await screenshot(reference.page, 'portal-account-types-light');
      expect(await axeViolations(reference.page)).toEqual([]);
      await reference.page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(reference.page, 'portal-account-types-dark');
      expect(await axeViolations(reference.page)).toEqual([]);
      await reference.page.emulateMedia({ colorScheme: 'light' });

      await tabTo(reference, choice.getByRole('button', { name: 'EU workspace' }));
      await reference.page.keyboard.press('Enter');
      // The keyboard goes on to Connect, which opens the sign-in with the chosen type.
      const connectButton = frame.getByRole('button', { name: 'Connect Sandbox (regions)' });
      await expect.poll(() => connectButton.evaluate((button) => button === document.activeElement)).toBe(true);
      await frame.getByText('EU workspace account.').waitFor();
      await connectThroughPopup(reference, frame, freshLogin('regions'), () => reference.page.keyboard.press('Enter'));
      await frame.getByText('Connected as').waitFor();
      const [credential] = await sdk<(SdkCredential & { accountType: string })[]>(sub, '/sdk/credentials');
      expect(credential!.accountType).toBe('eu');
      const buildOAuth = reference.requests.find((url) => url.pathname.endsWith('/sdk/actions/build-oauth'));
      expect(JSON.parse(buildOAuth!.searchParams.get('installOptions')!)).toMatchObject({ accountType: 'eu' });
    });

    it('skips the choice when connect() names an offered type', async () => {
      const reference = await open();
      await reference.signIn(freshUser('portal-regions-given'));
      const frame = await startConnect(reference, 'sandbox-regions', { accountType: 'us' });
      await frame.getByRole('button', { name: 'Connect Sandbox (regions)' }).waitFor();
      expect(await frame.getByRole('group', { name: /Which kind/ }).count()).toBe(0);
    });

    describe('with one account type offered', () => {
      beforeAll(async () => {
        expect((await api('PUT', '/integrations/sandbox-regions', { portal: { accountTypes: ['eu'] } })).status).toBe(200);
      });
      afterAll(async () => {
        await api('PUT', '/integrations/sandbox-regions', { portal: { accountTypes: ['eu', 'us'] } });
      });

      it('says inline that connect() named a type the project does not offer, instead of a blank view', async () => {
        const reference = await open();
        await reference.signIn(freshUser('portal-regions-refused'));
        const frame = await startConnect(reference, 'sandbox-regions', { accountType: 'us' });
        const alert = frame.getByRole('alert');
        await alert.waitFor({ state: 'visible' });
        expect(await alert.textContent()).toContain('accounts of type “us”');
        expect(await frame.getByRole('button', { name: 'Connect Sandbox (regions)' }).count()).toBe(0);
        // The viewport, which the portal covers: a full-page capture would lay the page out again under it.
        await screenshot(reference.page, 'portal-account-type-refused', { fullPage: false });
        expect(await axeViolations(reference.page)).toEqual([]);
      });

      it('skips the choice and signs in with the one type', async () => {
        const reference = await open();
        const sub = freshUser('portal-regions-single');
        await reference.signIn(sub);
        const frame = await startConnect(reference, 'sandbox-regions');
        await frame.getByRole('button', { name: 'Connect Sandbox (regions)' }).waitFor();
        expect(await frame.getByRole('group', { name: /Which kind/ }).count()).toBe(0);
        await connectThroughPopup(reference, frame, freshLogin('regions-single'));
        await frame.getByText('Connected as').waitFor();
        expect((await sdk<(SdkCredential & { accountType: string })[]>(sub, '/sdk/credentials'))[0]!.accountType).toBe('eu');
      });
    });
  });
});
