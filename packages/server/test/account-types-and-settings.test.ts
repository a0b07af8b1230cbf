/**
 * The account types a project offers (`portal.accountTypes`, management API) and how the server enforces them on
 * every front door; and partial settings writes (`PATCH /sdk/credentials/:id/settings`), which change only the
 * settings they name.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CLIENT } from '../src/projects/dev-project.js';
import { PERMISSIONS_CLAIM } from '../src/users/permissions.js';
import { management } from './support/management.js';
import { APP_ORIGIN, connectSandbox, expectError, integrationIdOf, json, newUser, postedResult } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';
import { publishWorkflow } from './support/workflows.js';

type Json = Record<string, any>;

describe.each(testDatabases)('account types and partial settings writes on %s', (database) => {
  let server: TestServer;
  const api = (method: string, path: string, body?: unknown) => management(server, server.secretKey, method, `/projects/${server.projectId}${path}`, body);
  const configure = (type: string, body: unknown) => api('PUT', `/integrations/${type}`, body);
  const listed = async (type: string) => (await json<Json[]>(await server.sdk(newUser('lister'), '/integrations'))).find((item) => item.type === type)!;

  beforeAll(async () => {
    server = await startTestServer(database);
    await json(await configure('sandbox-regions', { isActive: true, ...SANDBOX_CLIENT }));
  });
  afterAll(async () => {
    await server?.close();
  });

  describe('portal.accountTypes through the management API', () => {
    it('offers every declared account type, in the definition order, until the project chooses', async () => {
      const item = await listed('sandbox-regions');
      expect(item.accountTypes.map((type: Json) => type.id)).toEqual(['us', 'eu']);
      expect(item.sdkIntegrationConfig.accountTypes).toEqual([
        { id: 'us', label: 'US workspace', scheme: 'oauth' },
        { id: 'eu', label: 'EU workspace', scheme: 'oauth' },
      ]);
      expect(item.needPreOauthInputs).toBe(true);
    });

    it("shows only the chosen types, in the project's order, in GET /sdk/integrations", async () => {
      const saved = await json<Json>(await configure('sandbox-regions', { portal: { accountTypes: ['eu', 'us'] } }));
      expect(saved.portal.accountTypes).toEqual(['eu', 'us']);
      expect((await listed('sandbox-regions')).sdkIntegrationConfig.accountTypes.map((type: Json) => type.id)).toEqual(['eu', 'us']);

      await json(await configure('sandbox-regions', { portal: { accountTypes: ['eu'] } }));
      const item = await listed('sandbox-regions');
      expect(item.accountTypes).toEqual([{ id: 'eu', label: 'EU workspace' }]);
      expect(item.sdkIntegrationConfig.accountTypes).toEqual([{ id: 'eu', label: 'EU workspace', scheme: 'oauth' }]);
      // One type left: nothing to ask before the sign-in.
      expect(item.needPreOauthInputs).toBe(false);
    });

    it.each([
      ['an unknown id', 'sandbox-regions', ['eu', 'apac'], 'portal.accountTypes[1]'],
      ['a duplicate', 'sandbox-regions', ['us', 'us'], 'portal.accountTypes[1]'],
      ['an empty list', 'sandbox-regions', [], 'portal.accountTypes'],
      ['an integration without account types', 'sandbox-apikey', ['default'], 'portal.accountTypes'],
    ])('refuses %s with 400 INVALID_ACCOUNT_TYPES naming the field, saving nothing', async (_name, type, accountTypes, field) => {
      const before = (await json<Json[]>(await api('GET', '/integrations'))).find((item) => item.type === type)!;
      await expectError(await configure(type, { portal: { description: 'changed', accountTypes } }), 400, 'INVALID_ACCOUNT_TYPES', field);
      const after = (await json<Json[]>(await api('GET', '/integrations'))).find((item) => item.type === type)!;
      expect(after.portal).toEqual(before.portal);
      expect(after.dateUpdated).toBe(before.dateUpdated);
    });
  });

  describe('connecting with an account type the project does not offer', () => {
    beforeAll(async () => {
      await json(await configure('sandbox-regions', { portal: { accountTypes: ['eu'] } }));
    });

    it('refuses it at POST /sdk/oauth/start with 400 naming installOptions.accountType, and connects the offered one', async () => {
      const sub = newUser('regions');
      const refused = await server.sdk(sub, '/oauth/start', {
        method: 'POST',
        json: { integration: 'sandbox-regions', origin: APP_ORIGIN, installOptions: { accountType: 'us' } },
      });
      const body = await expectError(refused, 400, 'INVALID_ACCOUNT_TYPE', 'installOptions.accountType');
      expect(body.message).toMatch(/does not offer us/);

      const { page } = await connectSandbox(server, sub, { integration: 'sandbox-regions', installOptions: { accountType: 'eu' } });
      expect(postedResult(page)).toMatchObject({ type: 'switchboard:oauth', status: 'success' });
      const [credential] = await json<Json[]>(await server.sdk(sub, '/credentials?integration=sandbox-regions'));
      expect(credential).toMatchObject({ accountType: 'eu' });
    });

    it('refuses it through the reference SDK’s build-oauth', async () => {
      const sub = newUser('regions-reference');
      const query = new URLSearchParams({
        action: 'sandbox-regions',
        integrationId: await integrationIdOf(server, 'sandbox-regions'),
        originForPostMessage: APP_ORIGIN,
        oauthMetaKeyId: randomBytes(8).toString('hex'),
        installOptions: JSON.stringify({ accountType: 'us' }),
        endUserSuppliedValues: '{}',
      });
      const response = await fetch(`${server.url}/v2/projects/${server.projectId}/sdk/actions/build-oauth?${query}`, {
        headers: { authorization: `Bearer ${await server.userToken(sub)}`, origin: APP_ORIGIN },
      });
      await expectError(response, 400, 'INVALID_ACCOUNT_TYPE', 'installOptions.accountType');
    });

    it('refuses an account type on a typed-credential install, storing nothing', async () => {
      const sub = newUser('typed');
      const response = await server.sdk(sub, '/credentials', {
        method: 'POST',
        json: { integrationId: 'sandbox-apikey', payload: { apiKey: 'sbx_typed' }, installOptions: { accountType: 'eu' } },
      });
      await expectError(response, 400, 'INVALID_ACCOUNT_TYPE', 'installOptions.accountType');
      expect(await json<Json[]>(await server.sdk(sub, '/credentials'))).toEqual([]);
    });
  });

  describe('PATCH /sdk/credentials/:id/settings', () => {
    let workflowId: string;
    beforeAll(async () => {
      await json(
        await configure('sandbox-apikey', {
          portal: {
            userSettings: [
              { id: 'channel', label: 'Channel', type: 'text' },
              { id: 'digest', label: 'Daily digest', type: 'boolean' },
              { id: 'limit', label: 'Limit', type: 'number' },
              { id: 'tier', label: 'Tier', type: 'enum', options: [{ value: 'free', label: 'Free' }, { value: 'pro', label: 'Pro' }] },
              {
                id: 'mapping',
                label: 'Contact fields',
                type: 'fieldMapper',
                fields: [{ value: 'fullName', label: 'Full name' }],
                options: [{ value: 'name', label: 'Name' }, { value: 'email', label: 'Email' }],
              },
            ],
          },
        }),
      );
      workflowId = await publishWorkflow(server, {
        name: 'Copy contacts',
        trigger: { type: 'request' },
        settings: [{ id: 'folder', label: 'Folder', type: 'text', required: false }],
        steps: [{ id: 'contacts', type: 'request', method: 'GET', path: '/contacts' }],
      });
    });

    async function connectedAccount(label: string): Promise<{ sub: string; id: string }> {
      const sub = newUser(label);
      const credential = await json<Json>(
        await server.sdk(sub, '/credentials', { method: 'POST', json: { integrationId: 'sandbox-apikey', payload: { apiKey: `sbx_${randomBytes(6).toString('hex')}` } } }),
        201,
      );
      return { sub, id: credential.id };
    }
    const save = (sub: string, id: string, body: unknown) => server.sdk(sub, `/credentials/${id}/settings`, { method: 'PATCH', json: body });
    const configOf = async (sub: string) => (await json<Json[]>(await server.sdk(sub, '/credentials?integration=sandbox-apikey')))[0]!.config;

    it('keeps both of two writers’ different settings, workflow state included', async () => {
      const { sub, id } = await connectedAccount('two-writers');
      // The app's own code set a setting of its own and turned a workflow on.
      await json(await server.sdk(sub, `/credentials/${id}`, { method: 'PATCH', json: { config: { sharedSettings: { appKey: 'kept' } } } }));
      await json(await server.sdk(sub, `/workflows/${workflowId}`, { method: 'POST', headers: { 'x-paragon-credential': id } }));

      // Two tabs save different settings at the same moment.
      const [first, second] = await Promise.all([
        save(sub, id, { sharedSettings: { channel: '#alerts' } }),
        save(sub, id, { sharedSettings: { digest: true }, workflowSettings: { [workflowId]: { folder: 'Inbox' } } }),
      ]);
      await json(first);
      await json(second);
      const config = await configOf(sub);
      expect(config.sharedSettings).toEqual({ appKey: 'kept', channel: '#alerts', digest: true });
      expect(config.configuredWorkflows[workflowId]).toEqual({ enabled: true, settings: { folder: 'Inbox' } });

      // null removes one setting and leaves the rest.
      const answered = await json<Json>(await save(sub, id, { sharedSettings: { channel: null, limit: 5 } }));
      expect(answered.config.sharedSettings).toEqual({ appKey: 'kept', digest: true, limit: 5 });
    });

    it('saves a field mapping into the account’s config', async () => {
      const { sub, id } = await connectedAccount('mapper');
      await json(await save(sub, id, { sharedSettings: { mapping: { fullName: 'name' } } }));
      expect((await configOf(sub)).sharedSettings).toEqual({ mapping: { fullName: 'name' } });
    });

    it.each([
      ['a string for a boolean', { sharedSettings: { channel: '#ok', digest: 'yes' } }, 'sharedSettings.digest'],
      ['a string for a number', { sharedSettings: { limit: '5' } }, 'sharedSettings.limit'],
      ['a number for text', { sharedSettings: { channel: 7 } }, 'sharedSettings.channel'],
      ['a value off an enum', { sharedSettings: { tier: 'gold' } }, 'sharedSettings.tier'],
      ['a mapping of an unknown field', { sharedSettings: { mapping: { phone: 'name' } } }, 'sharedSettings.mapping.phone'],
      ['a mapping to an unknown provider field', { sharedSettings: { mapping: { fullName: 'phone' } } }, 'sharedSettings.mapping.fullName'],
    ])('refuses %s with 400 INVALID_SETTING naming it, changing nothing', async (_name, body, field) => {
      const { sub, id } = await connectedAccount('bad-value');
      await json(await save(sub, id, { sharedSettings: { channel: '#before' } }));
      await expectError(await save(sub, id, body), 400, 'INVALID_SETTING', field);
      expect((await configOf(sub)).sharedSettings).toEqual({ channel: '#before' });
    });

    it('refuses a workflow setting of the wrong type, or a workflow that is not the integration’s', async () => {
      const { sub, id } = await connectedAccount('bad-workflow');
      await expectError(await save(sub, id, { workflowSettings: { [workflowId]: { folder: 3 } } }), 400, 'INVALID_FIELD', `workflowSettings.${workflowId}.folder`);
      await expectError(await save(sub, id, { workflowSettings: { 'no-such-workflow': { folder: 'x' } } }), 400, 'INVALID_SETTING', 'workflowSettings.no-such-workflow');
      expect((await configOf(sub)).configuredWorkflows ?? {}).toEqual({});
    });

    it('accepts the settings of a workflow published after the account’s first settings save', async () => {
      const { sub, id } = await connectedAccount('later-workflow');
      // The first save reads the project's published workflows (and keeps them in memory).
      await json(await save(sub, id, { workflowSettings: { [workflowId]: { folder: 'Inbox' } } }));
      const later = await publishWorkflow(server, {
        name: 'Archive contacts',
        trigger: { type: 'request' },
        settings: [{ id: 'days', label: 'Days', type: 'select', options: [{ value: '7', label: 'A week' }, { value: '30', label: 'A month' }] }],
        steps: [{ id: 'contacts', type: 'request', method: 'GET', path: '/contacts' }],
      });
      await json(await save(sub, id, { workflowSettings: { [later]: { days: '30' } } }));
      const configured = (await configOf(sub)).configuredWorkflows;
      expect(configured[workflowId].settings).toEqual({ folder: 'Inbox' });
      expect(configured[later].settings).toEqual({ days: '30' });
    });

    it('checks a workflow’s settings against the version published after the account’s first settings save', async () => {
      const definition = (settings: unknown[]) => ({
        name: 'Sort contacts',
        trigger: { type: 'request' },
        settings,
        steps: [{ id: 'contacts', type: 'request', method: 'GET', path: '/contacts' }],
      });
      const sorting = await publishWorkflow(server, definition([{ id: 'order', label: 'Order', type: 'text', required: false }]));
      const { sub, id } = await connectedAccount('republished');
      await json(await save(sub, id, { workflowSettings: { [sorting]: { order: 'name' } } }));

      // Version 2 makes `order` a choice of two: a value off it is refused, one of them saved, as version 2 says.
      const choice = { id: 'order', label: 'Order', type: 'select', options: [{ value: 'name', label: 'Name' }, { value: 'email', label: 'Email' }] };
      await json(await api('PUT', `/workflows/${sorting}`, { integration: 'sandbox-apikey', ...definition([choice]) }));
      await json(await api('POST', `/workflows/${sorting}/publish`));
      await expectError(await save(sub, id, { workflowSettings: { [sorting]: { order: 'date' } } }), 400, 'INVALID_FIELD', `workflowSettings.${sorting}.order`);
      await json(await save(sub, id, { workflowSettings: { [sorting]: { order: 'email' } } }));
      expect((await configOf(sub)).configuredWorkflows[sorting].settings).toEqual({ order: 'email' });
    });

    it('accepts the settings of a published workflow the project has turned off', async () => {
      const { sub, id } = await connectedAccount('turned-off');
      await json(await save(sub, id, { workflowSettings: { [workflowId]: { folder: 'Inbox' } } }));
      await json(await api('PATCH', `/workflows/${workflowId}`, { isActive: false }));
      try {
        await json(await save(sub, id, { workflowSettings: { [workflowId]: { folder: 'Archive' } } }));
        await expectError(await save(sub, id, { workflowSettings: { [workflowId]: { folder: 3 } } }), 400, 'INVALID_FIELD', `workflowSettings.${workflowId}.folder`);
      } finally {
        await json(await api('PATCH', `/workflows/${workflowId}`, { isActive: true }));
      }
      expect((await configOf(sub)).configuredWorkflows[workflowId].settings).toEqual({ folder: 'Archive' });
    });

    it("refuses a workflow's settings to a token whose JWT permissions deny workflows, while its account settings still save", async () => {
      const { sub, id } = await connectedAccount('no-workflows');
      const claims = { [PERMISSIONS_CLAIM]: { 'integration:*': { workflows: false } } };
      const denied = await server.sdk(sub, `/credentials/${id}/settings`, { method: 'PATCH', json: { workflowSettings: { [workflowId]: { folder: 'x' } } }, claims });
      await expectError(denied, 403, 'PERMISSION_DENIED');
      await json(await server.sdk(sub, `/credentials/${id}/settings`, { method: 'PATCH', json: { sharedSettings: { channel: '#ok' } }, claims }));
      expect(await configOf(sub)).toEqual({ sharedSettings: { channel: '#ok' } });
    });

    it('checks declared settings on the whole-config PATCH too', async () => {
      const { sub, id } = await connectedAccount('whole');
      await expectError(
        await server.sdk(sub, `/credentials/${id}`, { method: 'PATCH', json: { config: { sharedSettings: { digest: 'yes' } } } }),
        400,
        'INVALID_SETTING',
        'config.sharedSettings.digest',
      );
    });

    it('answers 404 for another user’s account and 400 for an unknown body key', async () => {
      const { id } = await connectedAccount('owner');
      await expectError(await save(newUser('stranger'), id, { sharedSettings: { channel: '#x' } }), 404, 'CREDENTIAL_NOT_FOUND');
      const response = await save(newUser('any'), id, { config: {} });
      expect(response.status).toBe(400);
    });
  });
});
