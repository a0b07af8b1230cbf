import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS_CLAIM } from '../src/users/permissions.js';
import { management } from './support/management.js';
import { configureIntegration, json, newUser } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

type Json = Record<string, any>;

/**
 * GET /sdk/integrations and /sdk/metadata keep their serialized answer between calls, and GET /sdk/me the text of
 * the integrations a user has no account in: each change that shapes the answer must show in the very next call,
 * and one token's view must never answer another's.
 */
describe.each(testDatabases)('the SDK listings follow every change, on %s', (database) => {
  let server: TestServer;
  const sub = newUser('listings');
  const api = (method: string, path: string, body?: unknown) => management(server, server.secretKey, method, `/projects/${server.projectId}${path}`, body);
  const listed = async (claims?: Record<string, unknown>) => json<Json[]>(await server.sdk(sub, '/integrations', claims && { claims }));
  const workflowsOf = async (type: string) => (await listed()).find((integration) => integration.type === type)!.workflows.map((workflow: Json) => workflow.name);
  const definition = (name: string) => ({
    name,
    integration: 'sandbox-apikey',
    trigger: { type: 'appEvent', event: 'Listing Changed' },
    steps: [{ id: 'contacts', type: 'request', method: 'GET', path: '/contacts' }],
  });

  beforeAll(async () => {
    server = await startTestServer(database);
    await api('PUT', '/app-events/Listing%20Changed', { samplePayload: {} });
  });
  afterAll(async () => server?.close());

  it('shows a workflow once published, its next published version, and drops it when deactivated', async () => {
    expect(await workflowsOf('sandbox-apikey')).toEqual([]);
    const { id } = await json<{ id: string }>(await api('POST', '/workflows', definition('First name')), 201);
    expect(await workflowsOf('sandbox-apikey')).toEqual([]);
    await api('POST', `/workflows/${id}/publish`);
    expect(await workflowsOf('sandbox-apikey')).toEqual(['First name']);

    expect((await api('PUT', `/workflows/${id}`, definition('Second name'))).status).toBe(200);
    expect(await workflowsOf('sandbox-apikey')).toEqual(['First name']);
    await api('POST', `/workflows/${id}/publish`);
    expect(await workflowsOf('sandbox-apikey')).toEqual(['Second name']);

    await api('PATCH', `/workflows/${id}`, { isActive: false });
    expect(await workflowsOf('sandbox-apikey')).toEqual([]);
  });

  it('serves the published workflows from memory between writes: a rollback, a deletion show at once, SQL by hand only once the caches are told', async () => {
    const { id } = await json<{ id: string }>(await api('POST', '/workflows', definition('Kept in memory')), 201);
    await api('POST', `/workflows/${id}/publish`);
    expect(await workflowsOf('sandbox-apikey')).toEqual(['Kept in memory']);
    expect(server.server.context.caches.sizes()['published-workflows']).toBe(1);

    // Behind Switchboard's back: the listing does not read the workflows again, so it does not see this.
    const { db, caches } = server.server.context;
    await db.updateTable('workflows').set({ is_active: 0 }).where('id', '=', id).execute();
    expect(await workflowsOf('sandbox-apikey')).toEqual(['Kept in memory']);
    await caches.clear();
    expect(await workflowsOf('sandbox-apikey')).toEqual([]);
    await db.updateTable('workflows').set({ is_active: 1 }).where('id', '=', id).execute();
    await caches.clear();

    expect((await api('PUT', `/workflows/${id}`, definition('Renamed'))).status).toBe(200);
    await api('POST', `/workflows/${id}/publish`);
    expect(await workflowsOf('sandbox-apikey')).toEqual(['Renamed']);
    expect((await api('POST', `/workflows/${id}/rollback`, { version: 1 })).status).toBe(200);
    expect(await workflowsOf('sandbox-apikey')).toEqual(['Kept in memory']);
    expect((await api('DELETE', `/workflows/${id}`)).status).toBe(204);
    expect(await workflowsOf('sandbox-apikey')).toEqual([]);
  });

  it("shows an integration's new portal description in both listings at once", async () => {
    const description = () => `Described at ${Date.now()}`;
    for (const text of [description(), `${description()}, again`]) {
      await configureIntegration(server, 'sandbox', { portal: { description: text } });
      const sandbox = (await listed()).find((integration) => integration.type === 'sandbox')!;
      expect(sandbox.configs[0].values.description).toBe(text);
      const metadata = await json<Json[]>(await server.sdk(sub, '/metadata'));
      expect(metadata.find((integration) => integration.type === 'sandbox')!.description).toBe(text);
    }
  });

  it("answers each token with its own view: a token that hides an integration, between two that do not, sees its list", async () => {
    const hidden = { [PERMISSIONS_CLAIM]: { 'integration:sandbox': { visible: false } } };
    const types = (integrations: Json[]) => integrations.map((integration) => integration.type);
    const full = types(await listed());
    expect(full).toContain('sandbox');
    expect(types(await listed(hidden))).toEqual(full.filter((type) => type !== 'sandbox'));
    expect(types(await listed())).toEqual(full);
    const metadata = async (claims?: Record<string, unknown>) => types(await json<Json[]>(await server.sdk(sub, '/metadata', claims && { claims })));
    expect(await metadata()).toEqual(full);
    expect(await metadata(hidden)).toEqual(full.filter((type) => type !== 'sandbox'));
    expect(await metadata()).toEqual(full);
  });

  describe('GET /sdk/me, its not-connected states kept per catalog', () => {
    const NOT_CONNECTED = { enabled: false, configuredWorkflows: {}, workflowSettings: {}, allCredentials: [] };
    const me = async (user: string, claims?: Record<string, unknown>) => json<Json>(await server.sdk(user, '/me', claims && { claims }));
    const types = async (claims?: Record<string, unknown>) => (await listed(claims)).map((integration) => integration.type).sort();

    it('states every integration offered: the same not-connected state for each, until the user connects one', async () => {
      const user = newUser('me-states');
      const before = await me(user);
      expect(Object.keys(before.integrations).sort()).toEqual(await types());
      for (const state of Object.values(before.integrations)) expect(state).toEqual(NOT_CONNECTED);

      const installed = await server.sdk(user, '/credentials', { method: 'POST', json: { integrationId: 'sandbox-apikey', payload: { apiKey: 'sbx_me_states' } } });
      const { id } = await json<{ id: string }>(installed, 201);
      const after = await me(user);
      expect(Object.keys(after.integrations).sort()).toEqual(await types());
      expect(after.integrations['sandbox-apikey']).toMatchObject({ enabled: true, credentialId: id, allCredentials: [expect.objectContaining({ id })] });
      for (const [type, state] of Object.entries(after.integrations)) if (type !== 'sandbox-apikey') expect(state).toEqual(NOT_CONNECTED);
      // Another user of the project gets the same kept text, and none of this user's account.
      expect((await me(newUser('me-other'))).integrations['sandbox-apikey']).toEqual(NOT_CONNECTED);
    });

    it('states an integration activated since the last call, and drops it once deactivated', async () => {
      const user = newUser('me-catalog');
      expect(Object.keys((await me(user)).integrations)).not.toContain('sandbox-basic');
      expect((await api('PUT', '/integrations/sandbox-basic', { isActive: true })).status).toBe(200);
      expect((await me(user)).integrations['sandbox-basic']).toEqual(NOT_CONNECTED);
      expect((await api('PUT', '/integrations/sandbox-basic', { isActive: false })).status).toBe(200);
      expect(Object.keys((await me(user)).integrations)).not.toContain('sandbox-basic');
    });

    it('answers a token that sees no integration with an empty object, and one that sees one with only that', async () => {
      const user = newUser('me-hidden');
      expect((await me(user, { [PERMISSIONS_CLAIM]: { 'integration:*': false } })).integrations).toEqual({});
      expect((await me(user, { [PERMISSIONS_CLAIM]: { 'integration:*': false, 'integration:sandbox': true } })).integrations).toEqual({ sandbox: NOT_CONNECTED });
    });

    it('keeps a user id that looks like JSON inside its string, and the states in the integrations object', async () => {
      const user = `me-"integrations":{"x":1},"meta":{}-${newUser()}`;
      const state = await me(user);
      expect(state.userId).toBe(user);
      expect(Object.keys(state.integrations).sort()).toEqual(await types());
      expect(state.meta).toEqual({});
    });

    it('PATCH /sdk/me answers the same states with the new meta, whose own "integrations" stays its own', async () => {
      const user = newUser('me-patch');
      const meta = { plan: 'pro', integrations: {} };
      const patched = await json<Json>(await server.sdk(user, '/me', { method: 'PATCH', json: { meta } }));
      expect(patched.meta).toEqual(meta);
      expect(patched.integrations).toEqual((await me(user)).integrations);
      expect(Object.keys(patched.integrations).sort()).toEqual(await types());
    });
  });
});
