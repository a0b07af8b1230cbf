import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LISTENER_NAME } from '../src/storage/lookup-caches.js';
import { apiKeyCustomIntegration, defineCustomIntegration, management, rsaKeyPair, sandboxOAuthCustomIntegration, signUserToken } from './support/management.js';
import { bearerOf, startProviderSimulator, type ProviderSimulator } from './support/provider-simulator.js';
import { eventually, setTokenExpiry } from './support/proxy.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';
import { connectSandbox, newUser, postedResult } from './support/sdk-flows.js';
import { startTestServer, type TestServer } from './support/test-server.js';

/** How soon a change made on one instance must stop being used on the other. */
const WITHIN_MS = 1_000;

/**
 * Each instance keeps per-request lookups in memory (storage/lookup-caches.ts). A change written through instance A
 * must stop being used on instance B, a process of its own on the same Postgres database, within one second: B is
 * warmed first, so without the NOTIFY from A (or the flush after B's notification connection dropped) B would keep
 * answering from what it cached.
 */
describe.skipIf(!process.env.TEST_DATABASE_URL)('cached lookups across two server processes on one Postgres database', () => {
  let a: TestServer;
  let b: ServerProcess;
  let api: ProviderSimulator;
  let keyed: { integrationId: string };
  let admin: pg.Client;

  beforeAll(async () => {
    // Background refreshes off: only the requests below refresh tokens.
    const shared = { SWITCHBOARD_PROXY_RATE_LIMIT_USER: '0', SWITCHBOARD_JOBS: '0', SWITCHBOARD_CREDENTIAL_INSTALLS_PER_MINUTE: '0' };
    a = await startTestServer('postgres', shared);
    b = await startServerProcess({
      ...shared,
      DATABASE_URL: a.config.databaseUrl!,
      SWITCHBOARD_DATA_DIR: a.dataDir,
      SWITCHBOARD_ADMIN_KEY: a.adminKey,
      // B refreshes only expired tokens, so a token A refreshes early is still B's cached one until B hears of it.
      SWITCHBOARD_REFRESH_MARGIN_SECONDS: '0',
    });
    // The provider's API: answers with the credential Switchboard sent, so a test sees which one an instance used.
    api = await startProviderSimulator();
    const echo = (request: Parameters<Parameters<ProviderSimulator['route']>[2]>[0]) => ({
      body: { id: 'cache@example.com', apiKey: request.headers['x-api-key'] ?? null, accessToken: bearerOf(request) ?? null },
    });
    api.route('GET', '/me', echo);
    api.route('GET', '/ok', echo);
    keyed = await defineCustomIntegration(a, apiKeyCustomIntegration('cached', api.url));
    await defineCustomIntegration(a, sandboxOAuthCustomIntegration(a, 'cached-oauth', { overrides: { apiBaseUrl: api.url } }));
    admin = new pg.Client({ connectionString: a.config.databaseUrl! });
    await admin.connect();
  }, 60_000);
  afterAll(async () => {
    await admin?.end();
    await b?.stop();
    await a?.close();
    await api?.close();
  });

  const proxyOn = async (baseUrl: string, token: string, type = 'custom.cached') => {
    const response = await fetch(`${baseUrl}/projects/${a.projectId}/sdk/proxy/${type}/me`, { headers: { authorization: `Bearer ${token}` } });
    const text = await response.text();
    return { status: response.status, code: response.headers.get('x-switchboard-error'), body: response.status === 200 ? (JSON.parse(text) as { apiKey: string | null; accessToken: string | null }) : undefined };
  };
  const connectKey = async (sub: string, apiKey: string, selectedCredentialId?: string) => {
    const response = await a.sdk(sub, '/credentials', {
      method: 'POST',
      json: { integrationId: 'custom.cached', payload: { apiKey }, ...(selectedCredentialId && { installOptions: { selectedCredentialId } }) },
    });
    expect(response.status, await response.clone().text()).toBe(selectedCredentialId ? 200 : 201);
    return ((await response.json()) as { id: string }).id;
  };
  /** B answers as expected within the bound, after the write on A returned. */
  const bFollows = (what: string, check: () => Promise<boolean>) => eventually(`instance B: ${what}`, check, WITHIN_MS);

  it('a re-authorized credential: B sends the new API key', async () => {
    const sub = newUser('reauthorized');
    const token = await a.userToken(sub);
    const credentialId = await connectKey(sub, 'key-one');
    expect((await proxyOn(b.url, token)).body?.apiKey).toBe('key-one');
    await connectKey(sub, 'key-two', credentialId);
    await bFollows('uses key-two', async () => (await proxyOn(b.url, token)).body?.apiKey === 'key-two');
  });

  it('a deleted credential: B answers INTEGRATION_NOT_INSTALLED', async () => {
    const sub = newUser('deleted');
    const token = await a.userToken(sub);
    await connectKey(sub, 'key-deleted');
    expect((await proxyOn(b.url, token)).status).toBe(200);
    const removed = await a.sdk(sub, `/integrations/${keyed.integrationId}`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    await bFollows('refuses the deleted account', async () => (await proxyOn(b.url, token)).code === 'INTEGRATION_NOT_INSTALLED');
  });

  it('a refreshed credential: B sends the access token A got', async () => {
    const sub = newUser('refreshed');
    const token = await a.userToken(sub);
    const flow = await connectSandbox(a, sub, { integration: 'custom.cached-oauth', login: 'refresh@example.com' });
    const credentialId = postedResult(flow.page).credentialId as string;
    // Due for A's early refresh (margin 120 s), not for B's (margin 0): B caches the row with the current token.
    await setTokenExpiry(a, credentialId, 60);
    const before = (await proxyOn(b.url, token, 'custom.cached-oauth')).body?.accessToken;
    expect(before).toEqual(expect.any(String));
    const refreshed = (await proxyOn(a.url, token, 'custom.cached-oauth')).body?.accessToken;
    expect(refreshed).toEqual(expect.any(String));
    expect(refreshed).not.toBe(before);
    await bFollows('uses the refreshed token', async () => (await proxyOn(b.url, token, 'custom.cached-oauth')).body?.accessToken === refreshed);
  });

  it('a removed signing key: B refuses the tokens it signed', async () => {
    const keys = rsaKeyPair();
    const added = await management(a, a.secretKey, 'POST', `/projects/${a.projectId}/signing-keys`, { id: 'short-lived', publicKeyPem: keys.publicKeyPem });
    expect(added.status).toBe(201);
    const token = await signUserToken(keys.privateKey, newUser('key'), { kid: 'short-lived' });
    const me = () => fetch(`${b.url}/projects/${a.projectId}/sdk/me`, { headers: { authorization: `Bearer ${token}` } });
    expect((await me()).status).toBe(200);
    expect((await management(a, a.secretKey, 'DELETE', `/projects/${a.projectId}/signing-keys/short-lived`)).status).toBe(204);
    await bFollows('refuses the token', async () => (await me()).status === 401);
  });

  it('a deactivated integration: B answers INTEGRATION_NOT_FOUND', async () => {
    const sub = newUser('deactivated');
    const token = await a.userToken(sub);
    await connectKey(sub, 'key-deactivated');
    expect((await proxyOn(b.url, token)).status).toBe(200);
    const path = `/projects/${a.projectId}/integrations/custom.cached`;
    expect((await management(a, a.secretKey, 'PUT', path, { isActive: false })).status).toBe(200);
    try {
      await bFollows('refuses the inactive integration', async () => (await proxyOn(b.url, token)).code === 'INTEGRATION_NOT_FOUND');
    } finally {
      expect((await management(a, a.secretKey, 'PUT', path, { isActive: true })).status).toBe(200);
    }
  });

  it('a changed allowed origin: B stops answering it with CORS headers', async () => {
    const origin = 'http://localhost:5173';
    const token = await a.userToken(newUser('origin'));
    const allowed = async () =>
      (await fetch(`${b.url}/projects/${a.projectId}/sdk/me`, { headers: { authorization: `Bearer ${token}`, origin } })).headers.get('access-control-allow-origin');
    expect(await allowed()).toBe(origin);
    const project = `/projects/${a.projectId}`;
    const before = ((await (await management(a, a.secretKey, 'GET', project)).json()) as { allowedOrigins: string[] }).allowedOrigins;
    expect((await management(a, a.secretKey, 'PATCH', project, { allowedOrigins: ['https://app.example.com'] })).status).toBe(200);
    try {
      await bFollows('drops the origin', async () => (await allowed()) === null);
    } finally {
      expect((await management(a, a.secretKey, 'PATCH', project, { allowedOrigins: before })).status).toBe(200);
    }
  });

  it('a published, then deactivated workflow: B lists it in GET /sdk/integrations, then no more', async () => {
    const api = (method: string, path: string, body?: unknown) => management(a, a.secretKey, method, `/projects/${a.projectId}${path}`, body);
    const token = await a.userToken(newUser('workflows'));
    const listedOnB = async () => {
      const integrations = (await (await fetch(`${b.url}/projects/${a.projectId}/sdk/integrations`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        type: string;
        workflows: { name: string }[];
      }[];
      return integrations.find((integration) => integration.type === 'custom.cached')!.workflows.map((workflow) => workflow.name);
    };
    expect(await listedOnB()).toEqual([]);
    const created = await api('POST', '/workflows', {
      name: 'Listed on B',
      integration: 'custom.cached',
      trigger: { type: 'request' },
      steps: [{ id: 'me', type: 'request', method: 'GET', path: '/me' }],
    });
    const { id } = (await created.json()) as { id: string };
    expect((await api('POST', `/workflows/${id}/publish`)).status).toBe(200);
    await bFollows('lists the published workflow', async () => (await listedOnB()).includes('Listed on B'));
    expect((await api('PATCH', `/workflows/${id}`, { isActive: false })).status).toBe(200);
    await bFollows('drops the deactivated workflow', async () => (await listedOnB()).length === 0);
  });

  it("a changed project look: B's GET /sdk/integrations carries it", async () => {
    const token = await a.userToken(newUser('look'));
    const sandboxTheme = async () => {
      const items = (await (await fetch(`${b.url}/projects/${a.projectId}/sdk/integrations`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        type: string;
        configs: { values: { theme?: string } }[];
      }[];
      return items.find((item) => item.type === 'sandbox')?.configs[0]?.values.theme;
    };
    expect(await sandboxTheme()).toBeUndefined();
    const project = `/projects/${a.projectId}`;
    expect((await management(a, a.secretKey, 'PATCH', project, { portal: { theme: 'dark' } })).status).toBe(200);
    try {
      await bFollows('shows the dark theme', async () => (await sandboxTheme()) === 'dark');
    } finally {
      expect((await management(a, a.secretKey, 'PATCH', project, { portal: {} })).status).toBe(200);
    }
  });

  it("serves nothing stale after B's notification connection drops: what changed meanwhile is read again", async () => {
    const sub = newUser('deaf');
    const token = await a.userToken(sub);
    const credentialId = await connectKey(sub, 'key-before');
    expect((await proxyOn(b.url, token)).body?.apiKey).toBe('key-before');
    const listener = `${LISTENER_NAME}:${b.child.pid}`;
    const killed = await admin.query('select pg_terminate_backend(pid) as done from pg_stat_activity where application_name = $1', [listener]);
    expect(killed.rows).toEqual([{ done: true }]);
    // Re-authorized while B is not listening: B never hears this NOTIFY.
    await connectKey(sub, 'key-after', credentialId);
    await bFollows('uses the new key', async () => (await proxyOn(b.url, token)).body?.apiKey === 'key-after');
    expect(b.output()).toMatch(/cache invalidation connection lost/);
    // B listens again, and keeps following changes through notifications.
    await eventually('B to listen again', async () => (await admin.query('select 1 from pg_stat_activity where application_name = $1', [listener])).rowCount === 1);
    await connectKey(sub, 'key-later', credentialId);
    await bFollows('uses the later key', async () => (await proxyOn(b.url, token)).body?.apiKey === 'key-later');
  });
});
