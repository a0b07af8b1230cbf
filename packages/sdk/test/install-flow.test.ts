import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialRowsOf, newUser } from '../../server/test/support/sdk-flows.js';
import { startTestServer, type TestServer } from '../../server/test/support/test-server.js';
import type { InstallStage, IntegrationInstallEvent, Switchboard } from '@switchboard/sdk';
import { eventually } from '../../server/test/support/proxy.js';
import { defineCustomIntegration, management, sandboxOAuthCustomIntegration } from '../../server/test/support/management.js';
import { approveInPopup, popupUrl, sdkFor } from './support/fake-browser.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

/** Records what a flow reports, for assertions. */
function recorder() {
  const stages: InstallStage[] = [];
  const errors: { error: Error & { code?: string; field?: string }; stage: InstallStage | undefined }[] = [];
  const completed: IntegrationInstallEvent[] = [];
  return {
    stages,
    errors,
    completed,
    callbacks: {
      onNext: (stage: InstallStage) => stages.push(stage),
      onError: (error: Error, stage: InstallStage | undefined) => errors.push({ error, stage }),
      onComplete: (event: IntegrationInstallEvent) => completed.push(event),
    },
  };
}

async function signedIn(sub = newUser('flow')): Promise<{ sdk: Switchboard; browser: ReturnType<typeof sdkFor>['browser']; sub: string }> {
  const { sdk, browser } = sdkFor(server);
  await sdk.authenticate(server.projectId, await server.userToken(sub));
  return { sdk, browser, sub };
}

describe('installFlow for an API-key integration', () => {
  it('describes the credentials stage, keeps it on a refused key, and completes with a good one', async () => {
    const { sdk, sub } = await signedIn();
    const installs: IntegrationInstallEvent[] = [];
    sdk.subscribe('onIntegrationInstall', (event) => installs.push(event));
    const flow = recorder();

    sdk.installFlow.start('sandbox-apikey', flow.callbacks);
    expect(flow.stages).toEqual([
      {
        stage: 'credentials',
        integrationType: 'sandbox-apikey',
        fields: [expect.objectContaining({ id: 'apiKey', label: 'API key', type: 'password', required: true, help: expect.any(String) })],
      },
    ]);

    // Missing: refused before any request.
    await sdk.installFlow.setCredentials({});
    expect(flow.errors.at(-1)?.error).toMatchObject({ code: 'INVALID_FIELD', field: 'apiKey' });
    // Refused by the provider's test endpoint: the server's reason, and still at the credentials stage.
    await sdk.installFlow.setCredentials({ apiKey: 'not-a-sandbox-key' });
    expect(flow.errors.at(-1)?.error).toMatchObject({ name: 'SwitchboardError', code: 'CREDENTIAL_REJECTED', status: 400 });
    expect(sdk.installFlow.current()?.stage).toBe('credentials');
    expect(await credentialRowsOf(server, sub)).toHaveLength(0);

    await sdk.installFlow.setCredentials({ apiKey: 'sbx_flow_test' });
    expect(flow.stages.at(-1)).toMatchObject({ stage: 'done', integrationType: 'sandbox-apikey' });
    expect(flow.completed).toHaveLength(1);
    expect(installs).toEqual(flow.completed);
    expect(sdk.installFlow.current()).toBeUndefined();
    const user = sdk.getUser();
    expect(user.authenticated && user.integrations['sandbox-apikey']).toMatchObject({ enabled: true, credentialId: flow.completed[0]!.credentialId });
  });

  it("names the field at fault by its id when the server refuses it, and ends the flow with UserNotAuthenticatedError on sign-out", async () => {
    const { sdk } = await signedIn();
    const flow = recorder();
    sdk.installFlow.start('sandbox-apikey', flow.callbacks);
    // Too long for the server (the browser does not check lengths): the server names `payload.apiKey`.
    await sdk.installFlow.setCredentials({ apiKey: `sbx_${'a'.repeat(5000)}` });
    expect(flow.errors.at(-1)?.error).toMatchObject({ code: 'INVALID_FIELD', status: 400, field: 'apiKey' });
    expect(sdk.installFlow.current()?.stage).toBe('credentials');

    sdk.logout();
    expect(flow.errors.at(-1)).toMatchObject({ error: { name: 'UserNotAuthenticatedError' }, stage: { stage: 'credentials' } });
    expect(sdk.installFlow.current()).toBeUndefined();
  });

  it('refuses set… calls without a flow or at another stage, and start for an account already connected', async () => {
    const { sdk } = await signedIn();
    await expect(sdk.installFlow.setCredentials({ apiKey: 'sbx_x' })).rejects.toMatchObject({ name: 'NoActiveInstallFlowError' });
    expect(() => sdk.installFlow.setPreOptions({})).toThrow(expect.objectContaining({ name: 'NoActiveInstallFlowError' }));

    const flow = recorder();
    sdk.installFlow.start('sandbox-apikey', flow.callbacks);
    expect(() => sdk.installFlow.setAccountType('default')).toThrow(expect.objectContaining({ code: 'WRONG_INSTALL_STAGE' }));
    await sdk.installFlow.setCredentials({ apiKey: 'sbx_once' });

    const again = recorder();
    sdk.installFlow.start('sandbox-apikey', again.callbacks);
    expect(again.errors[0]?.error).toMatchObject({ name: 'IntegrationAlreadyInstalledError' });
    expect(again.stages).toEqual([]);
    const more = recorder();
    sdk.installFlow.start('sandbox-apikey', { ...more.callbacks, allowMultipleCredentials: true });
    expect(more.stages[0]?.stage).toBe('credentials');
  });
});

describe('installFlow for an OAuth integration', () => {
  it('opens the popup at start, then asks for the post-install options and saves them in the account settings', async () => {
    const { sdk, browser } = await signedIn();
    const flow = recorder();
    sdk.installFlow.start('sandbox', flow.callbacks);
    expect(flow.stages).toEqual([{ stage: 'oauth', integrationType: 'sandbox' }]);
    expect(browser.popups).toHaveLength(1);

    const { message } = await approveInPopup(browser.popups[0]!, browser, 'flow-login');
    browser.post(message, { origin: new URL(server.url).origin, source: browser.popups[0] });
    await eventually('the post-install stage', () => flow.stages.length === 2);
    expect(flow.stages[1]).toEqual({
      stage: 'postOptions',
      integrationType: 'sandbox',
      credentialId: message.credentialId,
      fields: [expect.objectContaining({ id: 'contactList', type: 'select', required: false, options: expect.any(Array) })],
    });

    await sdk.installFlow.setPostOptions({ contactList: 'no-such-choice' });
    expect(flow.errors.at(-1)?.error).toMatchObject({ code: 'INVALID_FIELD', field: 'contactList' });
    await sdk.installFlow.setPostOptions({ contactList: 'starred' });
    expect(flow.stages.at(-1)).toMatchObject({ stage: 'done' });
    const user = sdk.getUser();
    expect(user.authenticated && user.integrations.sandbox?.sharedSettings).toEqual({ contactList: 'starred' });
  });

  it('ends the flow with OAuthTimeoutError when the popup is closed, and cancel() closes the popup silently', async () => {
    const { sdk, browser } = await signedIn();
    const closed = recorder();
    sdk.installFlow.start('sandbox', closed.callbacks);
    await eventually('the form posted into the popup', () => browser.popups[0]!.form !== undefined);
    browser.popups[0]!.close();
    await eventually('the flow to end', () => closed.errors.length === 1);
    expect(closed.errors[0]).toMatchObject({ error: { name: 'OAuthTimeoutError' }, stage: { stage: 'oauth' } });
    expect(sdk.installFlow.current()).toBeUndefined();

    const cancelled = recorder();
    sdk.installFlow.start('sandbox', cancelled.callbacks);
    sdk.installFlow.cancel();
    await eventually('the popup to close', () => browser.popups[1]!.closed);
    expect(cancelled.errors).toEqual([]);
    await eventually('the SDK to stop listening for the result', () => browser.listening === 0);
    expect(sdk.installFlow.current()).toBeUndefined();
  });

  it('asks for the account type first, refuses an unknown one, and opens the popup on the chosen type\'s login host', async () => {
    const activate = await management(server, server.secretKey, 'PUT', `/projects/${server.projectId}/integrations/salesforce`, {
      isActive: true,
      clientId: 'sf-client',
      clientSecret: 'sf-secret',
    });
    expect(activate.status).toBeLessThan(300);
    const { sdk, browser } = await signedIn();
    const flow = recorder();
    sdk.installFlow.start('salesforce', flow.callbacks);
    expect(flow.stages).toEqual([
      { stage: 'accountType', integrationType: 'salesforce', options: [{ id: 'production', label: 'Production' }, { id: 'sandbox', label: 'Sandbox' }] },
    ]);
    expect(browser.popups).toHaveLength(0);
    sdk.installFlow.setAccountType('developer');
    expect(flow.errors.at(-1)?.error).toMatchObject({ code: 'INVALID_FIELD', field: 'accountType' });
    expect(browser.popups).toHaveLength(0);

    sdk.installFlow.setAccountType('sandbox');
    expect(flow.stages.at(-1)).toEqual({ stage: 'oauth', integrationType: 'salesforce' });
    expect(browser.popups).toHaveLength(1);
    const url = new URL(await popupUrl(browser.popups[0]!, browser));
    expect(url.origin).toBe('https://test.salesforce.com');
    sdk.installFlow.cancel();

    // Given up front, a single allowed type skips the stage.
    const direct = recorder();
    sdk.installFlow.start('salesforce', { ...direct.callbacks, accountType: ['production'] });
    expect(direct.stages).toEqual([{ stage: 'oauth', integrationType: 'salesforce' }]);
    expect(new URL(await popupUrl(browser.popups[1]!, browser)).origin).toBe('https://login.salesforce.com');
    sdk.installFlow.cancel();
  });

  it('asks for pre-OAuth inputs before opening the popup, refusing missing ones, and passes them to the provider', async () => {
    const custom = await defineCustomIntegration(server, sandboxOAuthCustomIntegration(server, `pre-${Date.now()}`, {
      overrides: { auth: { ...(sandboxOAuthCustomIntegration(server, 'x').auth as object), inputFields: [{ id: 'team', label: 'Team', type: 'text', required: true, pattern: '[a-z]+' }] } },
    }));
    const { sdk, browser } = await signedIn();
    const flow = recorder();
    sdk.installFlow.start(custom.type, flow.callbacks);
    expect(flow.stages).toEqual([{ stage: 'preOptions', integrationType: custom.type, fields: [expect.objectContaining({ id: 'team', required: true })] }]);
    expect(browser.popups).toHaveLength(0);
    sdk.installFlow.setPreOptions({ team: 'NOT LOWER' });
    expect(flow.errors.at(-1)?.error).toMatchObject({ code: 'INVALID_FIELD', field: 'team' });
    expect(browser.popups).toHaveLength(0);
    sdk.installFlow.setPreOptions({ team: 'core' });
    expect(flow.stages.at(-1)).toEqual({ stage: 'oauth', integrationType: custom.type });
    expect(browser.popups).toHaveLength(1);
    await approveInPopup(browser.popups[0]!, browser, 'pre-login');
    await eventually('the flow to finish', () => flow.completed.length === 1);
    const user = sdk.getUser();
    expect(user.authenticated && user.integrations[custom.type]?.enabled).toBe(true);
  });

  it('ends a flow when another user signs in, so its account is never stored for them', async () => {
    const { sdk, sub } = await signedIn();
    const flow = recorder();
    sdk.installFlow.start('sandbox-apikey', flow.callbacks);
    const other = newUser('other');
    await sdk.authenticate(server.projectId, await server.userToken(other));
    expect(flow.errors.at(-1)?.error).toMatchObject({ name: 'UserNotAuthenticatedError' });
    await expect(sdk.installFlow.setCredentials({ apiKey: 'sbx_wrong_user' })).rejects.toMatchObject({ name: 'NoActiveInstallFlowError' });
    expect(await credentialRowsOf(server, sub)).toHaveLength(0);
    expect(await credentialRowsOf(server, other)).toHaveLength(0);
  });

  it('keeps going when an app callback throws', async () => {
    const { sdk } = await signedIn();
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const completed: IntegrationInstallEvent[] = [];
      sdk.installFlow.start('sandbox-apikey', {
        onNext: () => {
          throw new Error('a rendering bug');
        },
        onComplete: (event) => completed.push(event),
      });
      await sdk.installFlow.setCredentials({ apiKey: 'sbx_after_bug' });
      expect(completed).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(uncaught.length).toBeGreaterThan(0);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('reports OAuthBlockedError when the popup is blocked', async () => {
    const { sdk, browser } = await signedIn();
    browser.blockPopups = true;
    const flow = recorder();
    sdk.installFlow.start('sandbox', flow.callbacks);
    expect(flow.errors[0]?.error).toMatchObject({ name: 'OAuthBlockedError' });
    expect(sdk.installFlow.current()).toBeUndefined();
  });
});
