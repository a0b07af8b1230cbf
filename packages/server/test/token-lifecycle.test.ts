import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_SWEEP_QUEUE } from '../src/credentials/refresh-job.js';
import { defineCustomIntegration, management, sandboxOAuthCustomIntegration } from './support/management.js';
import { startProviderSimulator, type ProviderSimulator } from './support/provider-simulator.js';
import {
  credentialEvents,
  credentialRow,
  eventually,
  patchSecrets,
  proxy,
  sandboxTokenRequests,
  setTokenExpiry,
  storedSecrets,
} from './support/proxy.js';
import { connectSandbox, json, newUser, postedResult } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

type Json = Record<string, any>;

describe.each(testDatabases)('token lifecycle on %s', (database) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(database, {
      // 200 concurrent requests from one user must not meet the rate limit here.
      SWITCHBOARD_PROXY_RATE_LIMIT_USER: '0',
      SWITCHBOARD_PROXY_RATE_LIMIT_PROJECT: '0',
      // A small replay buffer, so a 2 KB body already counts as not replayable.
      SWITCHBOARD_PROXY_REPLAYABLE_BODY_BYTES: '1024',
      SWITCHBOARD_REFRESH_MARGIN_SECONDS: '120',
      // No scheduled sweep: the token endpoint counts below must see only the requests a test makes; the
      // background test sends its sweep by hand.
      SWITCHBOARD_REFRESH_SWEEP_SECONDS: '0',
    });
  });
  afterAll(async () => server?.close());

  async function connected(login: string, integration = 'sandbox'): Promise<{ sub: string; credentialId: string }> {
    const sub = newUser('tokens');
    const credentialId = postedResult((await connectSandbox(server, sub, { login, integration })).page).credentialId as string;
    return { sub, credentialId };
  }

  const refreshes = async () => (await sandboxTokenRequests(server.url)).refresh_token;
  /** refreshFailureCount as the user's account view shows it. */
  const failureCount = async (sub: string, credentialId: string) => (await json<Json>(await server.sdk(sub, `/credentials/${credentialId}`))).refreshFailureCount;

  it('uses the stored token while it is far from expiry', async () => {
    const { sub } = await connected('steady@example.com');
    const before = await refreshes();
    expect((await proxy(server, sub, 'sandbox/me')).status).toBe(200);
    expect(await refreshes()).toBe(before);
  });

  it('refreshes a token shortly before it expires, stores the new one and records it', async () => {
    const { sub, credentialId } = await connected('expiring@example.com');
    const old = await storedSecrets(server, credentialId);
    await setTokenExpiry(server, credentialId, 30);
    const before = await refreshes();

    expect(await json(await proxy(server, sub, 'sandbox/me'))).toMatchObject({ id: 'expiring@example.com' });
    expect(await refreshes()).toBe(before + 1);
    const renewed = await storedSecrets(server, credentialId);
    expect(renewed.accessToken).not.toBe(old.accessToken);
    // The sandbox rotates refresh tokens: the new one must have replaced the old.
    expect(renewed.refreshToken).not.toBe(old.refreshToken);
    const row = await credentialRow(server, credentialId);
    expect(Date.parse(row.expires_at!)).toBeGreaterThan(Date.now() + 600_000);
    expect((await credentialEvents(server, credentialId)).map((e) => e.event)).toContain('refreshed');
  });

  it('refreshes after a 401 from the provider and replays the request once', async () => {
    const { sub, credentialId } = await connected('revoked-token@example.com');
    await setTokenExpiry(server, credentialId, 3000);
    await patchSecrets(server, credentialId, { accessToken: 'an-access-token-the-sandbox-never-issued' });
    const before = await refreshes();

    const created = await proxy(server, sub, 'sandbox/contacts', { method: 'POST', json: { name: 'Replayed', email: 'r@example.com' } });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ name: 'Replayed' });
    expect(await refreshes()).toBe(before + 1);
    expect((await storedSecrets(server, credentialId)).accessToken).not.toBe('an-access-token-the-sandbox-never-issued');
  });

  it('after a 401 on a body too large to replay, refreshes and answers the 401, and the next call works', async () => {
    const { sub, credentialId } = await connected('large-body@example.com');
    await setTokenExpiry(server, credentialId, 3000);
    await patchSecrets(server, credentialId, { accessToken: 'another-token-the-sandbox-never-issued' });
    const before = await refreshes();
    const big = JSON.stringify({ padding: 'x'.repeat(2048) });

    const first = await proxy(server, sub, 'sandbox/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(first.status).toBe(401);
    expect(await first.json()).toMatchObject({ error: 'invalid_token' });
    expect(await refreshes()).toBe(before + 1);
    const second = await proxy(server, sub, 'sandbox/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(second.status).toBe(200);
  });

  it('does not refresh again on a 401 right after a refresh: that 401 is the provider’s real answer', async () => {
    const { sub, credentialId } = await connected('fresh-401@example.com');
    await patchSecrets(server, credentialId, { accessToken: 'refused-right-after-connect' });
    const before = await refreshes();
    const response = await proxy(server, sub, 'sandbox/me');
    expect(response.status).toBe(401);
    expect(await refreshes()).toBe(before);
  });

  it('makes exactly one refresh for 200 concurrent requests finding an expired token', async () => {
    const { sub, credentialId } = await connected('concurrent@example.com');
    await setTokenExpiry(server, credentialId, -60);
    const before = await refreshes();
    const token = await server.userToken(sub);
    const statuses = await Promise.all(
      Array.from({ length: 200 }, () =>
        fetch(`${server.url}/projects/${server.projectId}/sdk/proxy/sandbox/me`, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        }),
      ),
    );
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(await refreshes()).toBe(before + 1);
  });

  describe('a revoked grant', () => {
    let sub: string;
    let credentialId: string;

    beforeAll(async () => {
      ({ sub, credentialId } = await connected('revoked-grant@example.com'));
      const { refreshToken } = await storedSecrets(server, credentialId);
      const revoked = await fetch(`${server.url}/sandbox/token/revocation`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: refreshToken!, token_type_hint: 'refresh_token', client_id: 'sandbox-client', client_secret: 'sandbox-secret' }),
      });
      expect(revoked.status).toBe(200);
      await setTokenExpiry(server, credentialId, -60);
    });

    it('marks the credential INVALID, records why, and answers 401 CREDENTIAL_INVALID', async () => {
      const response = await proxy(server, sub, 'sandbox/me');
      expect(response.status).toBe(401);
      const body = await response.text();
      expect(JSON.parse(body)).toMatchObject({ code: 'CREDENTIAL_INVALID', message: expect.any(String) });
      expect(body).not.toContain((await storedSecrets(server, credentialId)).refreshToken!);

      const me = await json(await server.sdk(sub, '/me'));
      expect(me.integrations.sandbox).toMatchObject({ credentialStatus: 'INVALID' });
      const invalidated = (await credentialEvents(server, credentialId)).find((e) => e.event === 'invalidated');
      expect(invalidated?.detail).toMatchObject({ reason: 'invalid_grant' });
      expect(await failureCount(sub, credentialId)).toBe(1);
    });

    it('then answers 401 without calling the provider until the user reconnects', async () => {
      const before = await sandboxTokenRequests(server.url);
      for (const headers of [{}, { 'x-paragon-credential': credentialId }] as Record<string, string>[]) {
        const response = await proxy(server, sub, 'sandbox/me', { headers });
        expect(response.status).toBe(401);
        expect(await response.json()).toMatchObject({ code: 'CREDENTIAL_INVALID' });
      }
      expect(await sandboxTokenRequests(server.url)).toEqual(before);

      // Connecting the same account again re-authorizes this credential in place.
      const again = postedResult((await connectSandbox(server, sub, { login: 'revoked-grant@example.com' })).page);
      expect(again.credentialId).toBe(credentialId);
      expect(await json(await proxy(server, sub, 'sandbox/me'))).toMatchObject({ id: 'revoked-grant@example.com' });
      expect((await credentialRow(server, credentialId)).status).toBe('VALID');
      // A new grant: the refused one's failure no longer counts.
      expect(await failureCount(sub, credentialId)).toBe(0);
    });
  });

  describe('a token endpoint that fails transiently', () => {
    let simulator: ProviderSimulator;
    let sub: string;
    let credentialId: string;
    let customId: string;
    let definition: ReturnType<typeof sandboxOAuthCustomIntegration>;

    beforeAll(async () => {
      simulator = await startProviderSimulator();
      simulator.route('POST', '/token', () => ({ status: 503, body: { error: 'temporarily_unavailable' } }));
      definition = sandboxOAuthCustomIntegration(server, 'flaky-tokens');
      customId = (await defineCustomIntegration(server, definition)).id;
      sub = newUser('flaky');
      credentialId = postedResult((await connectSandbox(server, sub, { integration: 'custom.flaky-tokens', login: 'flaky@example.com' })).page)
        .credentialId as string;
      // From now on, the token endpoint is down.
      const updated = await management(server, server.secretKey, 'PUT', `/projects/${server.projectId}/custom-integrations/${customId}`, {
        ...definition,
        auth: { ...(definition.auth as Json), tokenUrl: `${simulator.url}/token` },
      });
      expect(updated.status).toBe(200);
    });
    afterAll(async () => simulator?.close());

    it('keeps using a token that has not expired yet, and the credential stays VALID', async () => {
      expect(await failureCount(sub, credentialId)).toBe(0);
      await setTokenExpiry(server, credentialId, 60);
      const attempts = simulator.requestsTo('/token').length;
      expect(await json(await proxy(server, sub, 'custom.flaky-tokens/me'))).toMatchObject({ id: 'flaky@example.com' });
      expect(simulator.requestsTo('/token').length).toBeGreaterThan(attempts);
      expect((await credentialRow(server, credentialId)).status).toBe('VALID');
      // One failed refresh (its three tries at the endpoint count once).
      expect(await failureCount(sub, credentialId)).toBe(1);
    });

    it('then leaves the failing token endpoint alone for a while, still using the valid token', async () => {
      const attempts = simulator.requestsTo('/token').length;
      expect(await json(await proxy(server, sub, 'custom.flaky-tokens/me'))).toMatchObject({ id: 'flaky@example.com' });
      expect(simulator.requestsTo('/token').length).toBe(attempts);
    });

    it('answers 503 for an expired token, retrying the token endpoint with backoff, and the credential stays VALID', async () => {
      await setTokenExpiry(server, credentialId, -60);
      const attempts = simulator.requestsTo('/token').length;
      const response = await proxy(server, sub, 'custom.flaky-tokens/me');
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ code: 'TOKEN_REFRESH_UNAVAILABLE', message: expect.any(String) });
      expect(simulator.requestsTo('/token').length - attempts).toBe(3);
      expect((await credentialRow(server, credentialId)).status).toBe('VALID');
      expect((await credentialEvents(server, credentialId)).map((e) => e.event)).not.toContain('invalidated');
      expect(await failureCount(sub, credentialId)).toBe(2);
    });

    it('counts refresh failures since the last success: the endpoint back, the next refresh sets refreshFailureCount to 0', async () => {
      const restored = await management(server, server.secretKey, 'PUT', `/projects/${server.projectId}/custom-integrations/${customId}`, definition);
      expect(restored.status).toBe(200);
      await setTokenExpiry(server, credentialId, -60);
      expect(await json(await proxy(server, sub, 'custom.flaky-tokens/me'))).toMatchObject({ id: 'flaky@example.com' });
      expect(await failureCount(sub, credentialId)).toBe(0);
      const listed = await json<Json[]>(await server.sdk(sub, '/credentials'));
      expect(listed.find((credential) => credential.id === credentialId)).toMatchObject({ refreshFailureCount: 0, status: 'VALID' });
    });
  });

  it('fetches a new client-credentials token when the old one expires', async () => {
    const sub = newUser('machine');
    const installed = await server.sdk(sub, '/credentials', {
      method: 'POST',
      json: { integrationId: 'sandbox-client-credentials', payload: { clientId: 'sandbox-client', clientSecret: 'sandbox-secret' } },
    });
    const { id } = (await json(installed, 201)) as Json;
    await setTokenExpiry(server, id, -1);
    const before = (await sandboxTokenRequests(server.url)).client_credentials;
    expect(await json(await proxy(server, sub, 'sandbox-client-credentials/me'))).toMatchObject({ id: 'client:sandbox-client' });
    expect((await sandboxTokenRequests(server.url)).client_credentials).toBe(before + 1);
  });

  it('refreshes in the background the tokens of credentials in use that near expiry, and leaves unused and long-expired ones', async () => {
    const used = await connected('background-used@example.com');
    const unused = await connected('background-unused@example.com');
    const long = await connected('background-long-expired@example.com');
    for (const { sub, credentialId } of [used, long]) {
      expect((await proxy(server, sub, 'sandbox/me')).status).toBe(200);
      await eventually('the last use to be recorded', async () => (await credentialRow(server, credentialId)).last_used_at !== null);
    }
    // Nearing expiry, but outside the proxy's own margin: only the background job would refresh it.
    for (const { credentialId } of [used, unused]) await setTokenExpiry(server, credentialId, 300);
    // Expired two hours ago: left to the proxy, so it cannot crowd out the tokens the sweep can still save.
    await setTokenExpiry(server, long.credentialId, -7200);
    const usedBefore = await credentialRow(server, used.credentialId);
    const unusedBefore = await credentialRow(server, unused.credentialId);
    const longBefore = await credentialRow(server, long.credentialId);

    await server.server.jobs!.send(REFRESH_SWEEP_QUEUE, {});
    await eventually('the background refresh', async () => (await credentialRow(server, used.credentialId)).refreshed_at !== usedBefore.refreshed_at);
    expect(Date.parse((await credentialRow(server, used.credentialId)).expires_at!)).toBeGreaterThan(Date.now() + 600_000);
    expect((await credentialRow(server, unused.credentialId)).refreshed_at).toBe(unusedBefore.refreshed_at);
    expect((await credentialRow(server, long.credentialId)).refreshed_at).toBe(longBefore.refreshed_at);
  });

  it('never writes an access token, refresh token or client secret to a log line', async () => {
    const rows = await server.server.context.db.selectFrom('credentials').select('id').execute();
    const secrets = new Set<string>(['sandbox-secret']);
    for (const { id } of rows) {
      const { accessToken, refreshToken } = await storedSecrets(server, id);
      for (const value of [accessToken, refreshToken]) if (value) secrets.add(value);
    }
    expect(secrets.size).toBeGreaterThan(10);
    const logs = server.logs.join('');
    expect(logs).toContain('access token refreshed');
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });
});

describe.each(testDatabases)('short-lived tokens on %s', (database) => {
  let server: TestServer;

  beforeAll(async () => {
    // Sandbox tokens live 60 s, under half the default 120 s refresh margin.
    server = await startTestServer(database, { SWITCHBOARD_SANDBOX_TOKEN_TTL: '60', SWITCHBOARD_REFRESH_SWEEP_SECONDS: '0' });
  });
  afterAll(async () => server?.close());

  it('are not refreshed on every use: the early-refresh margin is at most half their lifetime', async () => {
    const sub = newUser('short-lived');
    const credentialId = postedResult((await connectSandbox(server, sub, { login: 'short-lived@example.com' })).page).credentialId as string;
    const row = await credentialRow(server, credentialId);
    expect(Date.parse(row.expires_at!) - Date.parse(row.refreshed_at!)).toBeLessThanOrEqual(60_000);
    const before = (await sandboxTokenRequests(server.url)).refresh_token;
    for (let call = 0; call < 3; call++) expect((await proxy(server, sub, 'sandbox/me')).status).toBe(200);
    expect((await sandboxTokenRequests(server.url)).refresh_token).toBe(before);
  });
});
