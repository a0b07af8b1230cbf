import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS_CLAIM } from '../src/users/permissions.js';
import { management } from './support/management.js';
import { configureIntegration, json, newUser } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

type Json = Record<string, any>;

/**
 * GET /sdk/integrations and /sdk/metadata keep their serialized answer between calls: each change that shapes the
 * answer must show in the very next call, and one token's view must never answer another's.
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
});
