import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS_CLAIM } from '../src/users/permissions.js';
import { management } from './support/management.js';
import { expectError, json, newUser } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

type Json = Record<string, any>;

/** A workflow of the sandbox's API-key integration, with a required setting when `withSetting`. */
const definition = (name: string, options: { withSetting?: boolean; trigger?: Record<string, unknown>; steps?: unknown[] } = {}) => ({
  name,
  description: `${name}: copies contacts`,
  integration: 'sandbox-apikey',
  trigger: options.trigger ?? { type: 'appEvent', event: 'Contact Created' },
  ...(options.withSetting && { settings: [{ id: 'channel', label: 'Channel', type: 'text', required: true }] }),
  steps: options.steps ?? [{ id: 'contacts', type: 'request', method: 'GET', path: '/contacts' }],
});

describe.each(testDatabases)('enabling workflows per user through the SDK REST API, on %s', (database) => {
  let server: TestServer;
  let published: string;
  let withSetting: string;
  let draftOnly: string;
  let requestTriggered: string;
  const api = (method: string, path: string, body?: unknown) => management(server, server.secretKey, method, `/projects/${server.projectId}${path}`, body);
  const createWorkflow = async (body: unknown, publish = true) => {
    const { id } = await json<{ id: string }>(await api('POST', '/workflows', body), 201);
    if (publish) await api('POST', `/workflows/${id}/publish`);
    return id;
  };
  /** A user with an API-key account of the sandbox; answers the account's id. */
  const connect = async (sub: string, key = `sbx_${Math.random().toString(36).slice(2)}`, installOptions?: unknown) => {
    const response = await server.sdk(sub, '/credentials', { method: 'POST', json: { integrationId: 'sandbox-apikey', payload: { apiKey: key }, ...(installOptions !== undefined && { installOptions }) } });
    expect(response.status, await response.clone().text()).toBe(201);
    return (await json<{ id: string }>(response, 201)).id;
  };
  const enable = (sub: string, id: string, headers: Record<string, string> = {}, claims?: Record<string, unknown>) =>
    server.sdk(sub, `/workflows/${id}`, { method: 'POST', headers, ...(claims && { claims }) });

  beforeAll(async () => {
    server = await startTestServer(database);
    await api('PUT', '/app-events/Contact%20Created', { samplePayload: { name: 'Ada' } });
    published = await createWorkflow(definition('Sync contacts'));
    withSetting = await createWorkflow(definition('Post to a channel', { withSetting: true }));
    draftOnly = await createWorkflow(definition('Not yet'), false);
    requestTriggered = await createWorkflow(definition('Answer the app', { trigger: { type: 'request' }, steps: [{ id: 'answer', type: 'response', body: { ok: true } }] }));
  });
  afterAll(async () => server?.close());

  it('lists published, active workflows in GET /sdk/integrations, with workflowMeta where the reference SDK looks', async () => {
    const integrations = await json<Json[]>(await server.sdk(newUser('list'), '/integrations'));
    const apiKey = integrations.find((integration) => integration.type === 'sandbox-apikey')!;
    expect(apiKey.workflows.map((w: Json) => w.id).sort()).toEqual([published, withSetting, requestTriggered].sort());
    expect(apiKey.workflows.find((w: Json) => w.id === withSetting)).toMatchObject({
      name: 'Post to a channel',
      triggerType: 'appEvent',
      defaultEnabled: false,
      settings: [{ id: 'channel', label: 'Channel', type: 'text', required: true }],
    });
    expect(apiKey.configs[0].values.workflowMeta[withSetting]).toEqual({
      id: withSetting,
      description: 'Post to a channel',
      infoText: 'Post to a channel: copies contacts',
      defaultEnabled: false,
      hidden: false,
      inputs: [{ id: 'channel', title: 'Channel', type: 'TEXT_NO_VARS', required: true }],
    });
    expect(Object.keys(apiKey.configs[0].values.workflowMeta)).not.toContain(draftOnly);
    expect(integrations.find((integration) => integration.type === 'sandbox')!.workflows).toEqual([]);
  });

  it('a deactivated workflow leaves the listing and can no longer be enabled', async () => {
    const id = await createWorkflow(definition('Paused'));
    await api('PATCH', `/workflows/${id}`, { isActive: false });
    const sub = newUser('paused');
    await connect(sub);
    const integrations = await json<Json[]>(await server.sdk(sub, '/integrations'));
    expect(integrations.find((integration) => integration.type === 'sandbox-apikey')!.workflows.map((w: Json) => w.id)).not.toContain(id);
    await expectError(await enable(sub, id), 404, 'WORKFLOW_NOT_FOUND');
  });

  it('enables and disables a workflow on the account; /sdk/me and the account views show it, settings kept', async () => {
    const sub = newUser('enable');
    const account = await connect(sub);
    const enabled = await json<Json>(await enable(sub, published));
    expect(enabled).toMatchObject({ id: account, config: { configuredWorkflows: { [published]: { enabled: true, settings: {} } } } });
    const me = await json<Json>(await server.sdk(sub, '/me'));
    expect(me.integrations['sandbox-apikey'].configuredWorkflows).toEqual({ [published]: { enabled: true, settings: {} } });
    expect(me.integrations['sandbox-apikey'].allCredentials[0].configurations[0].workflowSettings).toEqual({ [published]: { enabled: true, settings: {} } });

    const disabled = await json<Json>(await server.sdk(sub, `/workflows/${published}`, { method: 'DELETE' }));
    expect(disabled.config.configuredWorkflows[published]).toEqual({ enabled: false, settings: {} });
    const events = await json<Json[]>(await api('GET', `/credential-events?credentialId=${account}`));
    expect(events.filter((event) => event.event === 'config_updated').map((event) => event.detail)).toEqual([
      { workflowId: published, enabled: true },
      { workflowId: published, enabled: false },
    ]);
  });

  it('refuses to enable a workflow whose required setting is not given, then enables it once the settings are saved', async () => {
    const sub = newUser('settings');
    const account = await connect(sub);
    await expectError(await enable(sub, withSetting), 400, 'WORKFLOW_SETTINGS_REQUIRED', `config.configuredWorkflows.${withSetting}.settings.channel`);
    const saved = await server.sdk(sub, `/credentials/${account}`, {
      method: 'PATCH',
      json: { config: { configuredWorkflows: { [withSetting]: { enabled: false, settings: { channel: '#sales' } } } } },
    });
    expect(saved.status).toBe(200);
    expect((await json<Json>(await enable(sub, withSetting))).config.configuredWorkflows[withSetting]).toEqual({ enabled: true, settings: { channel: '#sales' } });
  });

  it('X-Paragon-Credential picks one of several accounts; the other is left as it was', async () => {
    const sub = newUser('two');
    const first = await connect(sub);
    const second = await connect(sub, undefined, { allowMultipleCredentials: true });
    expect((await json<Json>(await enable(sub, published, { 'x-paragon-credential': second }))).id).toBe(second);
    const accounts = await json<Json[]>(await server.sdk(sub, '/credentials'));
    expect(accounts.find((a) => a.id === second)!.config.configuredWorkflows).toEqual({ [published]: { enabled: true, settings: {} } });
    expect(accounts.find((a) => a.id === first)!.config.configuredWorkflows ?? {}).toEqual({});
    // The reference SDK sends the configuration id too: one configuration per account, so it names the same account.
    const byConfiguration = await server.sdk(sub, `/workflows/${published}`, { method: 'DELETE', headers: { 'x-paragon-configuration-id': second } });
    expect((await json<Json>(byConfiguration)).id).toBe(second);
  });

  it('uninstalling the account disables its workflows and clears their settings', async () => {
    const sub = newUser('uninstall');
    const account = await connect(sub);
    await enable(sub, published);
    const integrationId = (await json<Json[]>(await server.sdk(sub, '/credentials')))[0]!.integrationId as string;
    expect((await server.sdk(sub, `/integrations/${integrationId}`, { method: 'DELETE' })).status).toBe(200);
    const again = await connect(sub);
    expect(again).not.toBe(account);
    expect((await json<Json>(await server.sdk(sub, '/me'))).integrations['sandbox-apikey'].configuredWorkflows).toEqual({});
  });

  it('refuses what cannot be enabled: no account, an unknown or unpublished workflow, another user\'s account, a token without workflow permission', async () => {
    const sub = newUser('refusals');
    await expectError(await enable(sub, published), 404, 'INTEGRATION_NOT_INSTALLED');
    const account = await connect(sub);
    await expectError(await enable(sub, 'no-such-workflow'), 404, 'WORKFLOW_NOT_FOUND');
    await expectError(await enable(sub, draftOnly), 404, 'WORKFLOW_NOT_FOUND');
    const other = newUser('other');
    await expectError(await enable(other, published, { 'x-paragon-credential': account }), 404, 'CREDENTIAL_NOT_FOUND');
    const noWorkflows = { [PERMISSIONS_CLAIM]: { 'integration:*': { workflows: false } } };
    await expectError(await enable(sub, published, {}, noWorkflows), 403, 'PERMISSION_DENIED');
    expect((await json<Json>(await server.sdk(sub, '/me'))).integrations['sandbox-apikey'].configuredWorkflows).toEqual({});
  });

  it('PATCH /sdk/credentials/:id that turns a workflow on, off or changes its settings needs the workflows permission too', async () => {
    const sub = newUser('patch-permissions');
    const account = await connect(sub);
    const noWorkflows = { [PERMISSIONS_CLAIM]: { 'integration:*': { workflows: false } } };
    const patch = (config: Json, claims?: Record<string, unknown>) =>
      server.sdk(sub, `/credentials/${account}`, { method: 'PATCH', json: { config }, ...(claims && { claims }) });
    const stored = async () => (await json<Json>(await server.sdk(sub, `/credentials/${account}`))).config;

    const turnOn = { configuredWorkflows: { [published]: { enabled: true, settings: {} } } };
    expect((await expectError(await patch(turnOn, noWorkflows), 403, 'PERMISSION_DENIED')).message).toMatch(/workflow/);
    expect(await stored()).toEqual({});
    // Settings of a workflow that stays off are workflow state as well.
    await expectError(await patch({ configuredWorkflows: { [withSetting]: { settings: { channel: '#sales' } } } }, noWorkflows), 403, 'PERMISSION_DENIED');
    expect(await stored()).toEqual({});

    // The same token may still save the account's other settings, sending the workflows back as they are.
    expect((await patch(turnOn)).status).toBe(200);
    const kept = { ...turnOn, sharedSettings: { note: 'kept' } };
    expect((await json<Json>(await patch({ sharedSettings: { note: 'kept' }, configuredWorkflows: { [published]: { settings: {}, enabled: true } } }, noWorkflows))).config).toEqual(kept);
    // Leaving configuredWorkflows out would turn the workflow off: refused, and the account keeps it on.
    await expectError(await patch({ sharedSettings: { note: 'dropped' } }, noWorkflows), 403, 'PERMISSION_DENIED');
    expect(await stored()).toEqual(kept);
    const me = await json<Json>(await server.sdk(sub, '/me'));
    expect(me.integrations['sandbox-apikey'].configuredWorkflows[published]).toEqual({ enabled: true, settings: {} });
  });

  it('triggers of an unpublished or unknown workflow answer 404, and an undefined app event 404', async () => {
    const sub = newUser('triggers');
    await expectError(await server.sdk(sub, `/triggers/${draftOnly}`, { method: 'POST', json: {} }), 404, 'WORKFLOW_NOT_FOUND');
    await expectError(await server.sdk(sub, '/triggers/no-such-workflow', { method: 'POST', json: {} }), 404, 'WORKFLOW_NOT_FOUND');
    // A workflow with another trigger cannot be started by a request.
    await expectError(await server.sdk(sub, `/triggers/${published}`, { method: 'POST', json: {} }), 404, 'WORKFLOW_NOT_FOUND');
    const event = await fetch(`${server.url}/v2/projects/${server.projectId}/sdk/events/trigger`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await server.userToken(sub)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Never Defined', payload: {} }),
    });
    await expectError(event, 404, 'APP_EVENT_NOT_FOUND');
  });

  it('a server without background jobs answers triggers with 503 WORKFLOW_RUNS_UNAVAILABLE', async () => {
    const noJobs = await startTestServer(database, { SWITCHBOARD_JOBS: '0' });
    try {
      const sub = newUser('no-jobs');
      await expectError(await noJobs.sdk(sub, '/triggers/anything', { method: 'POST', json: {} }), 503, 'WORKFLOW_RUNS_UNAVAILABLE');
    } finally {
      await noJobs.close();
    }
  });
});
