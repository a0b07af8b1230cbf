import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneOAuthSessions } from '../src/connect/oauth-sessions.js';
import { openCredentialSecrets } from '../src/credentials/credential-store.js';
import { approveSandboxConsent } from './support/sandbox-consent.js';
import {
  APP_ORIGIN,
  configureIntegration,
  connectSandbox,
  credentialRowsOf,
  expectError,
  json,
  loadCallbackPage,
  newUser,
  postedResult,
  startOAuth,
} from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

describe.each(testDatabases)('SDK OAuth flow on %s', (database) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(database);
  });
  afterAll(async () => server?.close());

  const sandboxStats = async () => (await json<{ tokenRequests: Record<string, number> }>(await fetch(`${server.url}/sandbox/_stats`))).tokenRequests;

  describe('full code flow', () => {
    it('connects a sandbox account, posts the result to exactly the start origin, and shows it in /me', async () => {
      const sub = newUser();
      const started = await startOAuth(server, sub);
      const authorizationUrl = new URL(started.authorizationUrl);
      expect(authorizationUrl.origin + authorizationUrl.pathname).toBe(`${server.url}/sandbox/auth`);
      expect(authorizationUrl.searchParams.get('state')).toBe(started.state);
      expect(authorizationUrl.searchParams.get('client_id')).toBe('sandbox-client');
      expect(authorizationUrl.searchParams.get('redirect_uri')).toBe(`${server.url}/oauth/callback`);
      expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');

      // Before the callback the SDK's poll says pending.
      expect(await json(await server.sdk(sub, `/oauth/${started.state}`))).toEqual({ status: 'pending', integration: 'sandbox' });

      const callbackUrl = await approveSandboxConsent(started.authorizationUrl, { login: 'ada@example.com', cookies: started.browser });
      expect(new URL(callbackUrl).searchParams.get('state')).toBe(started.state);
      const page = await loadCallbackPage(callbackUrl, started.browser);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);

      const message = postedResult(page, APP_ORIGIN);
      expect(message).toEqual({ type: 'switchboard:oauth', status: 'success', integration: 'sandbox', credentialId: expect.any(String), state: started.state });
      expect(page.closed).toBe(true);
      // Never a wildcard target anywhere in the page.
      expect(page.html).not.toMatch(/postMessage\([^)]*['"]\*['"]/);

      // CSP: nothing loads, only the page's own nonce'd script runs.
      const nonce = /<script nonce="([^"]+)"/.exec(page.html)?.[1];
      expect(nonce).toBeTruthy();
      expect(page.csp).toContain("default-src 'none'");
      expect(page.csp).toContain(`script-src 'nonce-${nonce}'`);
      expect(page.csp).not.toContain('unsafe-inline\'; script');
      expect(page.csp).toContain("frame-ancestors 'none'");
      expect(page.headers.get('cache-control')).toBe('no-store');

      const credentialId = message.credentialId as string;
      expect(await json(await server.sdk(sub, `/oauth/${started.state}`))).toEqual({ status: 'success', integration: 'sandbox', credentialId });

      const me = await json(await server.sdk(sub, '/me'));
      const sandbox = me.integrations.sandbox;
      expect(sandbox).toMatchObject({ enabled: true, credentialId, credentialStatus: 'VALID', providerId: 'ada@example.com' });
      expect(sandbox.providerData).toMatchObject({ name: 'ada@example.com', email: 'ada@example.com' });
      expect(sandbox.allCredentials).toHaveLength(1);
      expect(sandbox.allCredentials[0]).toMatchObject({
        id: credentialId,
        status: 'VALID',
        providerId: 'ada@example.com',
        dateRefreshed: expect.any(String),
        dateValidUntil: expect.any(String),
        configurations: [{ id: expect.any(String), isDefault: true, connectCredentialId: credentialId, workflowSettings: {}, sharedSettings: {}, configMeta: {} }],
      });
      expect(me.integrations['sandbox-apikey']).toEqual({ enabled: false, configuredWorkflows: {}, workflowSettings: {}, allCredentials: [] });

      // The stored credential really holds a working access token and a refresh token.
      const [row] = await credentialRowsOf(server, sub);
      const secrets = openCredentialSecrets(server.server.context.secrets, row!);
      expect(secrets.accessToken).toEqual(expect.any(String));
      expect(secrets.refreshToken).toEqual(expect.any(String));
      const apiMe = await fetch(`${server.url}/sandbox/api/me`, { headers: { authorization: `Bearer ${secrets.accessToken}` } });
      expect((await json(apiMe)).id).toBe('ada@example.com');
    });

    it('a denied consent reports OAUTH_ACCESS_DENIED to the origin and stores nothing', async () => {
      const sub = newUser();
      const before = await sandboxStats();
      const flow = await connectSandbox(server, sub, { decision: 'deny' });
      expect(flow.page.status).toBe(400);
      expect(postedResult(flow.page)).toEqual({
        type: 'switchboard:oauth',
        status: 'error',
        integration: 'sandbox',
        state: flow.state,
        error: { code: 'OAUTH_ACCESS_DENIED', message: expect.any(String) },
      });
      expect(await json(await server.sdk(sub, `/oauth/${flow.state}`))).toEqual({
        status: 'error',
        integration: 'sandbox',
        error: { code: 'OAUTH_ACCESS_DENIED', message: expect.any(String) },
      });
      expect(await credentialRowsOf(server, sub)).toEqual([]);
      expect((await sandboxStats()).authorization_code).toBe(before.authorization_code);
      expect((await json(await server.sdk(sub, '/me'))).integrations.sandbox.enabled).toBe(false);
    });
  });

  describe('state checks', () => {
    it('refuses a replayed callback URL and keeps the first result', async () => {
      const sub = newUser();
      const flow = await connectSandbox(server, sub);
      const first = postedResult(flow.page);
      expect(first.status).toBe('success');

      const replay = await loadCallbackPage(flow.callbackUrl, flow.browser);
      expect(replay.status).toBe(400);
      expect(postedResult(replay)).toMatchObject({ status: 'error', error: { code: 'OAUTH_STATE_INVALID' } });
      expect(await json(await server.sdk(sub, `/oauth/${flow.state}`))).toEqual({
        status: 'success',
        integration: 'sandbox',
        credentialId: first.credentialId,
      });
      expect(await credentialRowsOf(server, sub)).toHaveLength(1);
    });

    it('lets exactly one of two concurrent callbacks for one state win', async () => {
      const sub = newUser();
      const started = await startOAuth(server, sub);
      const callbackUrl = await approveSandboxConsent(started.authorizationUrl, { cookies: started.browser });
      const pages = await Promise.all([loadCallbackPage(callbackUrl, started.browser), loadCallbackPage(callbackUrl, started.browser)]);
      expect(pages.map((page) => page.status).sort()).toEqual([200, 400]);
      expect(await credentialRowsOf(server, sub)).toHaveLength(1);
    });

    it('answers a forged state with a 400 page that posts nothing', async () => {
      const forged = `${server.url}/oauth/callback?state=forged-${Date.now()}&code=abc`;
      const page = await loadCallbackPage(forged);
      expect(page.status).toBe(400);
      expect(page.posted).toEqual([]);
      expect(page.html).not.toContain('<script');
      expect(page.html).toContain('not valid');

      const missing = await loadCallbackPage(`${server.url}/oauth/callback?code=abc`);
      expect(missing.status).toBe(400);
      expect(missing.posted).toEqual([]);
    });

    it('sweeps sessions expired over a day ago and keeps recent ones for polling SDKs', async () => {
      const sub = newUser();
      const old = await startOAuth(server, sub);
      const recent = await startOAuth(server, sub, { installOptions: { allowMultipleCredentials: true } });
      const db = server.server.context.db;
      await db.updateTable('oauth_sessions').set({ expires_at: new Date(Date.now() - 25 * 3600_000).toISOString() }).where('state', '=', old.state).execute();
      await db.updateTable('oauth_sessions').set({ expires_at: new Date(Date.now() - 3600_000).toISOString() }).where('state', '=', recent.state).execute();
      await pruneOAuthSessions(db);
      const states = (await db.selectFrom('oauth_sessions').select('state').where('state', 'in', [old.state, recent.state]).execute()).map((r) => r.state);
      expect(states).toEqual([recent.state]);
    });

    it('refuses an expired state and stores nothing', async () => {
      const sub = newUser();
      const started = await startOAuth(server, sub);
      const callbackUrl = await approveSandboxConsent(started.authorizationUrl, { cookies: started.browser });
      await server.server.context.db
        .updateTable('oauth_sessions')
        .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
        .where('state', '=', started.state)
        .execute();
      const before = await sandboxStats();
      const page = await loadCallbackPage(callbackUrl, started.browser);
      expect(page.status).toBe(400);
      expect(postedResult(page)).toMatchObject({ status: 'error', error: { code: 'OAUTH_STATE_INVALID' } });
      expect(await credentialRowsOf(server, sub)).toEqual([]);
      expect((await sandboxStats()).authorization_code).toBe(before.authorization_code);
      expect(await json(await server.sdk(sub, `/oauth/${started.state}`))).toEqual({
        status: 'error',
        integration: 'sandbox',
        error: { code: 'OAUTH_STATE_EXPIRED', message: expect.any(String) },
      });
    });

    it('stores nothing when the integration was deactivated after start', async () => {
      const sub = newUser();
      const started = await startOAuth(server, sub);
      const callbackUrl = await approveSandboxConsent(started.authorizationUrl, { cookies: started.browser });
      await configureIntegration(server, 'sandbox', { isActive: false });
      try {
        const before = await sandboxStats();
        const page = await loadCallbackPage(callbackUrl, started.browser);
        expect(page.status).toBe(404);
        expect(postedResult(page)).toMatchObject({ status: 'error', integration: 'sandbox', error: { code: 'INTEGRATION_NOT_FOUND' } });
        expect((await sandboxStats()).authorization_code).toBe(before.authorization_code);
        expect(await credentialRowsOf(server, sub)).toEqual([]);
      } finally {
        await configureIntegration(server, 'sandbox', { isActive: true });
      }
      expect((await json(await server.sdk(sub, '/me'))).integrations.sandbox.enabled).toBe(false);
    });

    it("answers 404 for another user's state", async () => {
      const started = await startOAuth(server, newUser('owner'));
      await expectError(await server.sdk(newUser('intruder'), `/oauth/${started.state}`), 404, 'OAUTH_STATE_NOT_FOUND');
      await expectError(await server.sdk(newUser(), '/oauth/no-such-state'), 404, 'OAUTH_STATE_NOT_FOUND');
    });
  });

  describe('start validation', () => {
    const start = (body: Record<string, unknown>) => server.sdk(newUser(), '/oauth/start', { method: 'POST', json: body });

    it('refuses an origin outside the project list with 403 ORIGIN_NOT_ALLOWED', async () => {
      await expectError(await start({ integration: 'sandbox', origin: 'https://evil.example' }), 403, 'ORIGIN_NOT_ALLOWED');
      // Not a bare origin (a path smuggled in), or a lookalike host.
      await expectError(await start({ integration: 'sandbox', origin: 'http://localhost:5173/x' }), 403, 'ORIGIN_NOT_ALLOWED');
      await expectError(await start({ integration: 'sandbox', origin: 'http://localhost.evil.example:5173' }), 403, 'ORIGIN_NOT_ALLOWED');
      await expectError(await start({ integration: 'sandbox', origin: '*' }), 403, 'ORIGIN_NOT_ALLOWED');
    });

    it('answers 404 for an unknown integration and 400 for an API-key one', async () => {
      await expectError(await start({ integration: 'nosuch', origin: APP_ORIGIN }), 404, 'INTEGRATION_NOT_FOUND');
      await expectError(await start({ integration: 'salesforce', origin: APP_ORIGIN }), 404, 'INTEGRATION_NOT_FOUND');
      await expectError(await start({ integration: 'sandbox-apikey', origin: APP_ORIGIN }), 400, 'NOT_AN_OAUTH_INTEGRATION', 'integration');
      await expectError(await start({ integration: 'sandbox-client-credentials', origin: APP_ORIGIN }), 400, 'NOT_AN_OAUTH_INTEGRATION', 'integration');
    });

    it('answers 400 naming the field for bad bodies, preOptions and accountType', async () => {
      await expectError(await start({ origin: APP_ORIGIN }), 400, 'VALIDATION_ERROR', 'integration');
      await expectError(await start({ integration: 'sandbox' }), 400, 'VALIDATION_ERROR', 'origin');
      await expectError(await start({ integration: 'sandbox', origin: APP_ORIGIN, installOptions: { preOptions: 'x' } }), 400, 'VALIDATION_ERROR', 'installOptions.preOptions');
      await expectError(
        await start({ integration: 'sandbox', origin: APP_ORIGIN, installOptions: { preOptions: { shop: 'x' } } }),
        400,
        'UNKNOWN_FIELD',
        'installOptions.preOptions.shop',
      );
      await expectError(
        await start({ integration: 'sandbox', origin: APP_ORIGIN, installOptions: { accountType: 'sandbox-eu' } }),
        400,
        'INVALID_ACCOUNT_TYPE',
        'installOptions.accountType',
      );
      await expectError(await start({ integration: 'sandbox', origin: APP_ORIGIN, installOptions: { accountType: ['x', 'y'] } }), 400, 'INVALID_ACCOUNT_TYPE', 'installOptions.accountType');
      await expectError(
        await start({ integration: 'sandbox', origin: APP_ORIGIN, installOptions: { allowMultipleCredentials: 'maybe' } }),
        400,
        'VALIDATION_ERROR',
        'installOptions.allowMultipleCredentials',
      );
      await expectError(
        await start({ integration: 'sandbox', origin: APP_ORIGIN, installOptions: { selectedCredentialId: 'not-mine' } }),
        404,
        'CREDENTIAL_NOT_FOUND',
      );
    });
  });

  describe('multiple accounts', () => {
    it('refuses a second install with 409 unless allowMultipleCredentials; adds a second account for another login', async () => {
      const sub = newUser();
      const first = postedResult((await connectSandbox(server, sub, { login: 'alice' })).page);
      expect(first.status).toBe('success');

      await expectError(
        await server.sdk(sub, '/oauth/start', { method: 'POST', json: { integration: 'sandbox', origin: APP_ORIGIN } }),
        409,
        'INTEGRATION_ALREADY_INSTALLED',
      );

      const second = postedResult((await connectSandbox(server, sub, { login: 'bob', installOptions: { allowMultipleCredentials: true } })).page);
      expect(second.status).toBe('success');
      expect(second.credentialId).not.toBe(first.credentialId);

      const me = await json(await server.sdk(sub, '/me'));
      expect(me.integrations.sandbox.credentialId).toBe(first.credentialId);
      expect(me.integrations.sandbox.allCredentials.map((c: { id: string; providerId: string }) => [c.id, c.providerId])).toEqual([
        [first.credentialId, 'alice'],
        [second.credentialId, 'bob'],
      ]);

      // The same login again re-authorizes that account: no duplicate.
      const [bobBefore] = (await credentialRowsOf(server, sub)).filter((row) => row.id === second.credentialId);
      const again = postedResult((await connectSandbox(server, sub, { login: 'bob', installOptions: { allowMultipleCredentials: true } })).page);
      expect(again).toMatchObject({ status: 'success', credentialId: second.credentialId });
      const rows = await credentialRowsOf(server, sub);
      expect(rows).toHaveLength(2);
      const bobAfter = rows.find((row) => row.id === second.credentialId)!;
      const box = server.server.context.secrets;
      expect(openCredentialSecrets(box, bobAfter).accessToken).not.toBe(openCredentialSecrets(box, bobBefore!).accessToken);
    });

    it('re-authorizes the selectedCredentialId account in place, keeping its settings', async () => {
      const sub = newUser();
      const first = postedResult((await connectSandbox(server, sub, { login: 'carol' })).page);
      const credentialId = first.credentialId as string;
      const config = { sharedSettings: { channel: '#general' }, configuredWorkflows: { wf1: { enabled: true, settings: { a: 1 } } } };
      await json(await server.sdk(sub, `/credentials/${credentialId}`, { method: 'PATCH', json: { config } }));
      const [before] = await credentialRowsOf(server, sub);

      const again = postedResult((await connectSandbox(server, sub, { login: 'carol', installOptions: { selectedCredentialId: credentialId } })).page);
      expect(again).toMatchObject({ status: 'success', credentialId });

      const rows = await credentialRowsOf(server, sub);
      expect(rows).toHaveLength(1);
      const box = server.server.context.secrets;
      expect(openCredentialSecrets(box, rows[0]!).accessToken).not.toBe(openCredentialSecrets(box, before!).accessToken);
      const me = await json(await server.sdk(sub, '/me'));
      expect(me.integrations.sandbox).toMatchObject({
        credentialId,
        providerId: 'carol',
        sharedSettings: config.sharedSettings,
        configuredWorkflows: config.configuredWorkflows,
      });
    });

    it('refuses to re-authorize the selectedCredentialId account with another provider account, changing nothing', async () => {
      const sub = newUser();
      const first = postedResult((await connectSandbox(server, sub, { login: 'dave' })).page);
      const [before] = await credentialRowsOf(server, sub);

      const other = postedResult(
        (await connectSandbox(server, sub, { login: 'erin', installOptions: { selectedCredentialId: first.credentialId } })).page,
      );
      expect(other).toMatchObject({ status: 'error', error: { code: 'CREDENTIAL_ACCOUNT_MISMATCH' } });

      const rows = await credentialRowsOf(server, sub);
      expect(rows).toEqual([before]);
    });
  });
});
