import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newUser } from '../../server/test/support/sdk-flows.js';
import { startTestServer, type TestServer } from '../../server/test/support/test-server.js';
import type { IntegrationInstallEvent, SwitchboardUser } from '@switchboard/sdk';
import { clampOAuthTimeout, MAX_OAUTH_TIMEOUT_MS } from '../src/oauth-popup.js';
import { eventually } from '../../server/test/support/proxy.js';
import { approveInPopup, popupUrl, sdkFor } from './support/fake-browser.js';

let server: TestServer;
let serverOrigin: string;
beforeAll(async () => {
  server = await startTestServer();
  serverOrigin = new URL(server.url).origin;
});
afterAll(() => server?.close());

async function signedIn(options: { pollMs?: number } = {}) {
  const { sdk, browser } = sdkFor(server, options);
  await sdk.authenticate(server.projectId, await server.userToken(newUser('sdk')));
  return { sdk, browser };
}

describe('installIntegration with the OAuth popup', () => {
  it('opens the popup synchronously, accepts only the callback message of its own flow, and resolves with the install event', async () => {
    // No polling within the test's time: only a message can complete this install.
    const { sdk, browser } = await signedIn({ pollMs: 60_000 });
    const seen: { event: IntegrationInstallEvent; user: SwitchboardUser }[] = [];
    sdk.subscribe('onIntegrationInstall', (event, user) => seen.push({ event, user }));
    const onSuccess = vi.fn();
    const onInstall = vi.fn();

    const install = sdk.installIntegration('sandbox', { onSuccess, onInstall });
    // Within the same tick as the click: a popup opened after an await would be blocked.
    expect(browser.popups).toHaveLength(1);
    const popup = browser.popups[0]!;
    expect(new URL(await popupUrl(popup, browser)).origin).toBe(serverOrigin);
    const { message, targetOrigin } = await approveInPopup(popup, browser, 'first-login');
    expect(targetOrigin).toBe('http://localhost:5173');

    // Forgeries: the right state from another origin, from another window, and the right origin with another state.
    browser.post(message, { origin: 'http://localhost:5173', source: popup });
    browser.post(message, { origin: serverOrigin, source: {} });
    browser.post({ ...message, state: 'another-state' }, { origin: serverOrigin, source: popup });
    browser.post({ ...message, type: 'other' }, { origin: serverOrigin, source: popup });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toHaveLength(0);
    // Still waiting: had a forgery been taken, the SDK would have stopped listening.
    expect(browser.listening).toBe(1);

    browser.post(message, { origin: serverOrigin, source: popup });
    const event = await install;
    expect(event).toMatchObject({ integrationType: 'sandbox', credentialId: message.credentialId });
    expect(event.credential).toMatchObject({ id: message.credentialId, status: 'VALID', providerData: expect.any(Object) });
    expect(seen).toHaveLength(1);
    // The user state is current before handlers run.
    const user = seen[0]!.user;
    expect(user.authenticated && user.integrations.sandbox).toMatchObject({ enabled: true, credentialId: event.credentialId });
    expect(onSuccess).toHaveBeenCalledWith(event, user);
    expect(onInstall).toHaveBeenCalledWith(event, user);
    expect(browser.listening).toBe(0);
  });

  it('refuses a second account unless allowMultipleCredentials is set, then connects it', async () => {
    const { sdk, browser } = await signedIn();
    const first = sdk.installIntegration('sandbox');
    const firstMessage = await approveInPopup(browser.popups[0]!, browser, 'account-a');
    browser.post(firstMessage.message, { origin: serverOrigin, source: browser.popups[0] });
    await first;

    await expect(sdk.installIntegration('sandbox')).rejects.toMatchObject({ name: 'IntegrationAlreadyInstalledError', code: 'INTEGRATION_ALREADY_INSTALLED' });
    expect(browser.popups).toHaveLength(1);

    const second = sdk.installIntegration('sandbox', { allowMultipleCredentials: true });
    const secondMessage = await approveInPopup(browser.popups[1]!, browser, 'account-b');
    browser.post(secondMessage.message, { origin: serverOrigin, source: browser.popups[1] });
    const event = await second;
    const user = sdk.getUser();
    expect(user.authenticated && user.integrations.sandbox?.allCredentials?.map((account) => account.id)).toEqual([
      firstMessage.message.credentialId,
      event.credentialId,
    ]);
  });

  it('rejects with OAuthBlockedError when the browser blocks the popup, and calls onError', async () => {
    const { sdk, browser } = await signedIn();
    browser.blockPopups = true;
    const onError = vi.fn();
    await expect(sdk.installIntegration('sandbox', { onError })).rejects.toMatchObject({ name: 'OAuthBlockedError', code: 'OAUTH_BLOCKED' });
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ name: 'OAuthBlockedError' }));
  });

  it('rejects with OAuthTimeoutError when the user closes the popup before finishing', async () => {
    const { sdk, browser } = await signedIn();
    const install = sdk.installIntegration('sandbox');
    await popupUrl(browser.popups[0]!, browser);
    browser.popups[0]!.close();
    await expect(install).rejects.toMatchObject({ name: 'OAuthTimeoutError', code: 'OAUTH_TIMEOUT' });
    const user = sdk.getUser();
    expect(user.authenticated && user.integrations.sandbox?.enabled).toBe(false);
  });

  it('rejects with OAuthTimeoutError and closes the popup when oauthTimeout passes', async () => {
    const { sdk, browser } = await signedIn();
    await expect(sdk.installIntegration('sandbox', { oauthTimeout: 300 })).rejects.toMatchObject({ name: 'OAuthTimeoutError' });
    expect(browser.popups[0]!.closed).toBe(true);
  });

  it('finds the result by polling when the popup lost its opener and no message arrives', async () => {
    const { sdk, browser } = await signedIn();
    const install = sdk.installIntegration('sandbox');
    const { message } = await approveInPopup(browser.popups[0]!, browser, 'no-opener');
    // No postMessage: the provider's page cut the link. The callback page then closes itself.
    browser.popups[0]!.close();
    await expect(install).resolves.toMatchObject({ credentialId: message.credentialId });
  });

  it('rejects when the popup seems closed, yet reports the account if the user finishes after all (the popup only lost its opener)', async () => {
    const { sdk, browser } = await signedIn();
    const installs: string[] = [];
    sdk.subscribe('onIntegrationInstall', (event) => installs.push(event.credentialId));
    const install = sdk.installIntegration('sandbox');
    const popup = browser.popups[0]!;
    const url = await popupUrl(popup, browser);
    // A provider page with Cross-Origin-Opener-Policy makes the popup read as closed while the user is still in it.
    popup.closed = true;
    await expect(install).rejects.toMatchObject({ name: 'OAuthTimeoutError' });
    expect(installs).toEqual([]);

    popup.closed = false;
    expect(url).toBe(await popupUrl(popup, browser));
    const { message } = await approveInPopup(popup, browser, 'late-login');
    await eventually('the late install to be reported', () => installs.length === 1);
    expect(installs).toEqual([message.credentialId]);
    const user = sdk.getUser();
    expect(user.authenticated && user.integrations.sandbox?.credentialId).toBe(message.credentialId);
  });

  it('does not finish an install for another user who signed in meanwhile', async () => {
    const { sdk, browser } = await signedIn({ pollMs: 60_000 });
    const install = sdk.installIntegration('sandbox');
    const { message } = await approveInPopup(browser.popups[0]!, browser, 'first-user-login');
    const otherUser = newUser('other');
    await sdk.authenticate(server.projectId, await server.userToken(otherUser));
    browser.post(message, { origin: serverOrigin, source: browser.popups[0] });
    await expect(install).rejects.toMatchObject({ name: 'UserNotAuthenticatedError' });
    const user = sdk.getUser();
    expect(user).toMatchObject({ userId: otherUser });
    expect(user.authenticated && user.integrations.sandbox?.enabled).toBe(false);
  });

  it('resolves for a member-level token that does not see the new account: the event names it, with no credential', async () => {
    const { sdk, browser } = sdkFor(server);
    // JWT permissions that show no account yet: the backend grants the new one by signing a token that names it.
    await sdk.authenticate(server.projectId, await server.userToken(newUser('member'), { 'urn:useparagon:connect:permissions': { 'credential:*': false } }));
    const installs: IntegrationInstallEvent[] = [];
    sdk.subscribe('onIntegrationInstall', (event) => installs.push(event));
    const install = sdk.installIntegration('sandbox');
    const { message } = await approveInPopup(browser.popups[0]!, browser, 'member-login');
    browser.post(message, { origin: serverOrigin, source: browser.popups[0] });
    const event = await install;
    expect(event).toEqual({ integrationId: expect.any(String), integrationType: 'sandbox', credentialId: message.credentialId });
    expect(installs).toEqual([event]);
    const user = sdk.getUser();
    expect(user.authenticated && user.integrations.sandbox?.allCredentials).toEqual([]);
  });

  it('keeps oauthTimeout within the life of the server-side flow', () => {
    expect(clampOAuthTimeout(30 * 24 * 3600_000, 1)).toBe(MAX_OAUTH_TIMEOUT_MS);
    expect(clampOAuthTimeout(5000, 1)).toBe(5000);
    for (const bad of [0, -1, Number.NaN, Infinity, '5000']) expect(clampOAuthTimeout(bad, 1234)).toBe(1234);
  });

  it('rejects with the provider error when the user denies consent', async () => {
    const { sdk, browser } = await signedIn();
    const install = sdk.installIntegration('sandbox');
    const { approveSandboxConsent } = await import('../../server/test/support/sandbox-consent.js');
    const { loadCallbackPage } = await import('../../server/test/support/sdk-flows.js');
    const callback = await approveSandboxConsent(await popupUrl(browser.popups[0]!, browser), { decision: 'deny', cookies: browser.cookies });
    const page = await loadCallbackPage(callback, browser.cookies);
    browser.post(page.posted[0]!.message, { origin: serverOrigin, source: browser.popups[0] });
    await expect(install).rejects.toMatchObject({ name: 'SwitchboardError', code: 'OAUTH_ACCESS_DENIED' });
  });

  it('refuses before opening a popup: no session, an unknown integration, an integration that needs typed credentials', async () => {
    const { sdk: signedOut, browser: quiet } = sdkFor(server);
    await expect(signedOut.installIntegration('sandbox')).rejects.toMatchObject({ name: 'UserNotAuthenticatedError' });
    expect(quiet.popups).toHaveLength(0);

    const { sdk, browser } = await signedIn();
    await expect(sdk.installIntegration('nope')).rejects.toMatchObject({ name: 'IntegrationNotFoundError', code: 'INTEGRATION_NOT_FOUND' });
    await expect(sdk.installIntegration('sandbox-apikey')).rejects.toMatchObject({ code: 'INSTALL_FLOW_REQUIRED' });
    expect(browser.popups).toHaveLength(0);
  });
});
