import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectApiKey } from '../../server/test/support/proxy.js';
import { management, rsaKeyPair, signUserToken } from '../../server/test/support/management.js';
import { newUser } from '../../server/test/support/sdk-flows.js';
import { startTestServer, type TestServer } from '../../server/test/support/test-server.js';
import { createSwitchboard, type IntegrationUninstallEvent } from '@switchboard/sdk';
import { sdkFor } from './support/fake-browser.js';

let server: TestServer;
let apiKeyIntegrationId: string;
beforeAll(async () => {
  server = await startTestServer();
  const integrations = (await (await server.sdk('setup', '/integrations')).json()) as { id: string; type: string }[];
  apiKeyIntegrationId = integrations.find((integration) => integration.type === 'sandbox-apikey')!.id;
});
afterAll(() => server?.close());

describe('authenticate and getUser', () => {
  it('answers { authenticated: false } and no metadata before authenticate', () => {
    const { sdk } = sdkFor(server);
    expect(sdk.getUser()).toEqual({ authenticated: false });
    expect(sdk.getIntegrationMetadata()).toEqual([]);
    expect(sdk.getIntegrationMetadata('sandbox')).toBeUndefined();
  });

  it('loads the user state and the integration metadata, and sets metadata when given', async () => {
    const { sdk } = sdkFor(server);
    const sub = newUser('auth');
    const changes = vi.fn();
    sdk.subscribe('onUserChange', changes);
    await sdk.authenticate(server.projectId, await server.userToken(sub), { metadata: { plan: 'pro' } });

    const user = sdk.getUser();
    expect(user).toMatchObject({ authenticated: true, userId: sub, meta: { plan: 'pro' } });
    expect(user.authenticated && user.integrations.sandbox).toMatchObject({ enabled: false });
    expect(changes).toHaveBeenCalled();
    expect(sdk.getIntegrationMetadata('sandbox')).toEqual({
      type: 'sandbox',
      name: 'Sandbox',
      brandColor: expect.stringMatching(/^#[0-9A-Fa-f]{6}$/),
      icon: `${server.url}/icons/sandbox.svg`,
      authenticationType: 'oauth',
      description: expect.stringContaining('OAuth'),
    });
    expect(sdk.getIntegrationMetadata().map((integration) => integration.type).sort()).toEqual(['sandbox', 'sandbox-apikey', 'sandbox-client-credentials']);
  });

  it("getWorkflows lists an integration's published workflows as of authenticate, not drafts nor other integrations'", async () => {
    const api = (method: string, path: string, body?: unknown) => management(server, server.secretKey, method, `/projects/${server.projectId}${path}`, body);
    await api('PUT', '/app-events/Listed', {});
    const definition = (name: string) => ({
      name,
      description: `${name}, described`,
      integration: 'sandbox-apikey',
      trigger: { type: 'appEvent', event: 'Listed' },
      settings: [{ id: 'label', label: 'Label', type: 'text', required: true }],
      steps: [{ id: 'me', type: 'request', method: 'GET', path: '/me' }],
    });
    const published = ((await (await api('POST', '/workflows', definition('Listed one'))).json()) as { id: string }).id;
    expect((await api('POST', `/workflows/${published}/publish`)).status).toBe(200);
    const draft = ((await (await api('POST', '/workflows', definition('Draft only'))).json()) as { id: string }).id;

    const { sdk } = sdkFor(server);
    expect(sdk.getWorkflows('sandbox-apikey')).toEqual([]);
    await sdk.authenticate(server.projectId, await server.userToken(newUser('workflows')));
    const listed = sdk.getWorkflows('sandbox-apikey');
    expect(listed.find((workflow) => workflow.id === published)).toEqual({
      id: published,
      name: 'Listed one',
      description: 'Listed one, described',
      triggerType: 'appEvent',
      defaultEnabled: false,
      settings: [expect.objectContaining({ id: 'label', label: 'Label', required: true })],
    });
    expect(listed.map((workflow) => workflow.id)).not.toContain(draft);
    expect(sdk.getWorkflows('sandbox').map((workflow) => workflow.id)).not.toContain(published);
    expect(sdk.getWorkflows('no-such-integration')).toEqual([]);
  });

  it('rejects a malformed or expired token with UserNotAuthenticatedError, without asking the server', async () => {
    const { sdk, browser } = sdkFor(server);
    const fetchSpy = vi.spyOn(browser, 'fetch');
    await expect(sdk.authenticate(server.projectId, 'not-a-jwt')).rejects.toMatchObject({ name: 'UserNotAuthenticatedError' });
    const expired = await server.userToken(newUser('old'), {}, { expiresIn: Math.floor(Date.now() / 1000) - 60 });
    await expect(sdk.authenticate(server.projectId, expired)).rejects.toMatchObject({ name: 'UserNotAuthenticatedError', message: expect.stringMatching(/expired/) });
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(sdk.getUser()).toEqual({ authenticated: false });
  });

  it('rejects a token the server refuses, and stays signed out', async () => {
    const { sdk } = sdkFor(server);
    const stranger = rsaKeyPair();
    const token = await signUserToken(stranger.privateKey, newUser('stranger'));
    await expect(sdk.authenticate(server.projectId, token)).rejects.toMatchObject({ name: 'UserNotAuthenticatedError', status: 401 });
    expect(sdk.getUser()).toEqual({ authenticated: false });
  });

  it('refuses to start without a host', async () => {
    const sdk = createSwitchboard();
    await expect(sdk.authenticate(server.projectId, await server.userToken('x'))).rejects.toMatchObject({ code: 'NO_HOST' });
    expect(() => sdk.configureGlobal({ host: 'javascript:alert(1)' })).toThrow(expect.objectContaining({ code: 'INVALID_HOST' }));
    sdk.configureGlobal({ host: `${server.url}/` });
  });

  it('signs the user out when the token expires during the session', async () => {
    const { sdk, browser } = sdkFor(server);
    await sdk.authenticate(server.projectId, await server.userToken(newUser('expiring'), {}, { expiresIn: '1h' }));
    browser.clockSkewMs = 2 * 3600_000;
    await expect(sdk.request('sandbox', '/me')).rejects.toMatchObject({ name: 'UserNotAuthenticatedError' });
    expect(sdk.getUser()).toEqual({ authenticated: false });
  });

  it('signs the user out when the server refuses the token mid-session (its key was removed)', async () => {
    const { sdk } = sdkFor(server);
    const keys = rsaKeyPair();
    const keyId = `temp-${Date.now()}`;
    const add = await management(server, server.secretKey, 'POST', `/projects/${server.projectId}/signing-keys`, { id: keyId, publicKeyPem: keys.publicKeyPem });
    expect(add.status).toBe(201);
    await sdk.authenticate(server.projectId, await signUserToken(keys.privateKey, newUser('revoked'), { kid: keyId }));
    const remove = await management(server, server.secretKey, 'DELETE', `/projects/${server.projectId}/signing-keys/${keyId}`);
    expect(remove.status).toBeLessThan(300);
    await expect(sdk.setUserMetadata({ a: 1 })).rejects.toMatchObject({ name: 'UserNotAuthenticatedError', status: 401 });
    expect(sdk.getUser()).toEqual({ authenticated: false });
  });
});

describe('setUserMetadata, uninstallIntegration and events', () => {
  it('merges metadata into the user state', async () => {
    const { sdk } = sdkFor(server);
    await sdk.authenticate(server.projectId, await server.userToken(newUser('meta')), { metadata: { a: 1 } });
    const user = await sdk.setUserMetadata({ b: 2 });
    expect(user).toMatchObject({ meta: { a: 1, b: 2 } });
    expect(sdk.getUser()).toBe(user);
    await expect(sdk.setUserMetadata(null as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'meta' });
  });

  it('disconnects one account, then the rest, firing onIntegrationUninstall with the state already current', async () => {
    const sub = newUser('uninstall');
    await connectApiKey(server, sub, apiKeyIntegrationId, 'sbx_one');
    const secondAccount = await server.sdk(sub, '/credentials', {
      method: 'POST',
      json: { integrationId: apiKeyIntegrationId, payload: { apiKey: 'sbx_two' }, installOptions: { allowMultipleCredentials: true } },
    });
    expect(secondAccount.status).toBe(201);
    const { sdk } = sdkFor(server);
    await sdk.authenticate(server.projectId, await server.userToken(sub));
    const before = sdk.getUser();
    const [first, second] = (before.authenticated && before.integrations['sandbox-apikey']?.allCredentials) || [];
    expect(first && second).toBeTruthy();

    const seen: { event: IntegrationUninstallEvent; accounts: number }[] = [];
    const stop = sdk.subscribe('onIntegrationUninstall', (event, user) =>
      seen.push({ event, accounts: user.authenticated ? user.integrations['sandbox-apikey']?.allCredentials?.length ?? 0 : -1 }),
    );
    const one = await sdk.uninstallIntegration('sandbox-apikey', { selectedCredentialId: first!.id });
    expect(one).toEqual({ integrationId: apiKeyIntegrationId, integrationType: 'sandbox-apikey', credentialId: first!.id, removedCredentialIds: [first!.id] });
    expect(seen).toEqual([{ event: one, accounts: 1 }]);

    stop();
    const rest = await sdk.uninstallIntegration('sandbox-apikey');
    expect(rest.removedCredentialIds).toEqual([second!.id]);
    expect(seen).toHaveLength(1);
    const after = sdk.getUser();
    expect(after.authenticated && after.integrations['sandbox-apikey']?.enabled).toBe(false);

    await expect(sdk.uninstallIntegration('sandbox-apikey')).rejects.toMatchObject({ name: 'IntegrationNotInstalledError', status: 404 });
    await expect(sdk.uninstallIntegration('nope')).rejects.toMatchObject({ name: 'IntegrationNotFoundError' });
  });

  it('keeps calling other handlers when one throws, and refuses unknown event names', async () => {
    const { sdk } = sdkFor(server);
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const second = vi.fn();
      sdk.subscribe('onUserChange', () => {
        throw new Error('a handler bug');
      });
      sdk.subscribe('onUserChange', second);
      await sdk.authenticate(server.projectId, await server.userToken(newUser('events')));
      expect(second).toHaveBeenCalled();
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(uncaught).toEqual([expect.objectContaining({ message: 'a handler bug' })]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(() => sdk.subscribe('onSomething' as never, () => undefined)).toThrow(expect.objectContaining({ code: 'UNKNOWN_EVENT' }));
  });
});

describe('enableWorkflow and disableWorkflow', () => {
  it("turns a published workflow on and off for the user's account, firing onWorkflowChange with the state already current", async () => {
    const api = (method: string, path: string, body?: unknown) => management(server, server.secretKey, method, `/projects/${server.projectId}${path}`, body);
    const created = await api('POST', '/workflows', {
      name: 'Notify on new contacts',
      integration: 'sandbox-apikey',
      trigger: { type: 'request' },
      steps: [{ id: 'contacts', type: 'request', method: 'GET', path: '/contacts' }],
    });
    const { id } = (await created.json()) as { id: string };
    await api('POST', `/workflows/${id}/publish`);
    const sub = newUser('workflows');
    await connectApiKey(server, sub, apiKeyIntegrationId, 'sbx_workflows');
    const { sdk } = sdkFor(server);
    await sdk.authenticate(server.projectId, await server.userToken(sub));
    const enabledNow = () => {
      const user = sdk.getUser();
      return user.authenticated ? user.integrations['sandbox-apikey']?.configuredWorkflows[id] : undefined;
    };
    const seen: { change: unknown; enabled: unknown }[] = [];
    sdk.subscribe('onWorkflowChange', (event) => seen.push({ change: event, enabled: enabledNow() }));

    const on = await sdk.enableWorkflow(id);
    expect(on).toEqual({ integrationId: apiKeyIntegrationId, workflowId: id, workflowStateChange: { enabled: true } });
    expect(enabledNow()).toEqual({ enabled: true, settings: {} });
    const off = await sdk.disableWorkflow(id);
    expect(off.workflowStateChange).toEqual({ enabled: false });
    expect(seen).toEqual([
      { change: on, enabled: { enabled: true, settings: {} } },
      { change: off, enabled: { enabled: false, settings: {} } },
    ]);

    await expect(sdk.enableWorkflow('no-such-workflow')).rejects.toMatchObject({ code: 'WORKFLOW_NOT_FOUND' });
    const other = newUser('other-account');
    const theirs = await server.sdk(other, '/credentials', { method: 'POST', json: { integrationId: apiKeyIntegrationId, payload: { apiKey: 'sbx_theirs' } } });
    const theirId = ((await theirs.json()) as { id: string }).id;
    await expect(sdk.enableWorkflow(id, { selectedCredentialId: theirId })).rejects.toMatchObject({ code: 'CREDENTIAL_NOT_FOUND', status: 404 });
  });
});

describe('event and workflow', () => {
  it("sends an app event that runs the user's enabled workflow, and runs a Request-triggered workflow for its response", async () => {
    const api = (method: string, path: string, body?: unknown) => management(server, server.secretKey, method, `/projects/${server.projectId}${path}`, body);
    await api('PUT', '/app-events/SDK%20Ping', {});
    const publish = async (definition: Record<string, unknown>) => {
      const { id } = (await (await api('POST', '/workflows', { integration: 'sandbox-apikey', ...definition })).json()) as { id: string };
      await api('POST', `/workflows/${id}/publish`);
      return id;
    };
    const onEvent = await publish({ name: 'On ping', trigger: { type: 'appEvent', event: 'SDK Ping' }, steps: [{ id: 'me', type: 'request', method: 'GET', path: '/me' }] });
    const onRequest = await publish({
      name: 'Answer',
      trigger: { type: 'request' },
      steps: [{ id: 'answer', type: 'response', body: { hello: '{{trigger.body.name}}', page: '{{trigger.query.page}}' } }],
    });
    const sub = newUser('sdk-events');
    await connectApiKey(server, sub, apiKeyIntegrationId, 'sbx_sdk_events');
    const { sdk } = sdkFor(server);
    await sdk.authenticate(server.projectId, await server.userToken(sub));
    await sdk.enableWorkflow(onEvent);
    await sdk.enableWorkflow(onRequest);

    const accepted = await sdk.event('SDK Ping', { n: 1 });
    expect(accepted.runs).toEqual([{ id: expect.any(String), workflowId: onEvent }]);
    expect(await sdk.workflow(onRequest, { body: { name: 'Ada' }, query: { page: '3' } })).toEqual({ hello: 'Ada', page: '3' });
    await expect(sdk.event('Never Defined')).rejects.toMatchObject({ code: 'APP_EVENT_NOT_FOUND', status: 404 });
  });
});
