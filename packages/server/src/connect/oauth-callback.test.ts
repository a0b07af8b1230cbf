import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar } from '../../test/support/sandbox-consent.js';
import {
  APP_ORIGIN,
  configureIntegration,
  credentialRowsOf,
  json,
  loadCallbackPage,
  newUser,
  postedResult,
  startOAuth,
  type StartedFlow,
} from '../../test/support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from '../../test/support/test-server.js';
import { bindingCookieName } from './browser-binding.js';

/**
 * The branches of GET /oauth/callback, each from a flow started the way the SDK starts one. Most need no consent
 * page: the callback URL is what a provider would redirect to. The full flows are in test/oauth-flow.test.ts.
 */
describe.each(testDatabases)('GET /oauth/callback on %s', (database) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(database);
  });
  afterAll(async () => server?.close());

  const callbackUrl = (query: Record<string, string>) => `${server.url}/oauth/callback?${new URLSearchParams(query)}`;
  const tokenRequests = async () =>
    (await json<{ tokenRequests: Record<string, number> }>(await fetch(`${server.url}/sandbox/_stats`))).tokenRequests.authorization_code ?? 0;
  /** What a polling SDK reads for the flow. */
  const polled = (sub: string, flow: StartedFlow) => server.sdk(sub, `/oauth/${flow.state}`).then((response) => json(response));

  describe('the state', () => {
    it('answers a callback without any state with a 400 page that posts nothing, code in X-Switchboard-Error', async () => {
      const page = await loadCallbackPage(`${server.url}/oauth/callback`);
      expect(page.status).toBe(400);
      expect(page.headers.get('x-switchboard-error')).toBe('OAUTH_STATE_INVALID');
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.posted).toEqual([]);
      expect(page.closed).toBe(false);
    });

    it('checks the state before anything a provider reported', async () => {
      const page = await loadCallbackPage(callbackUrl({ state: 'no-such-state', error: 'access_denied' }));
      expect(page.status).toBe(400);
      expect(page.headers.get('x-switchboard-error')).toBe('OAUTH_STATE_INVALID');
      expect(page.posted).toEqual([]);
    });

    it('refuses an over-long state as a validation error naming the field', async () => {
      const response = await fetch(callbackUrl({ state: 's'.repeat(201) }));
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'VALIDATION_ERROR', field: 'state' });
    });
  });

  describe('the browser binding', () => {
    it('refuses a browser without the binding cookie, or with an expired one, and leaves the flow to its own browser', async () => {
      const sub = newUser();
      const flow = await startOAuth(server, sub);
      const url = callbackUrl({ state: flow.state, error: 'access_denied' });

      const bare = await loadCallbackPage(url);
      expect(bare.status).toBe(403);
      expect(bare.headers.get('x-switchboard-error')).toBe('OAUTH_BROWSER_MISMATCH');
      expect(bare.posted).toEqual([]);

      // A binding sealed like a real one, for this very user, whose time is up.
      const session = await server.server.context.db.selectFrom('oauth_sessions').selectAll().where('state', '=', flow.state).executeTakeFirstOrThrow();
      const name = bindingCookieName(session.project_id, session.connected_user_id);
      const sealed = server.server.context.secrets.seal(
        JSON.stringify({ projectId: session.project_id, connectedUserId: session.connected_user_id, expiresAt: Date.now() - 1000 }),
        name,
      );
      const stale = new CookieJar();
      stale.store(new URL(server.url), [`${name}=${sealed}; Path=/oauth/callback`]);
      expect((await loadCallbackPage(url, stale)).status).toBe(403);
      expect(await polled(sub, flow)).toEqual({ status: 'pending', integration: 'sandbox' });

      // Neither refusal used the state up: the browser the flow was opened in still finishes it.
      const own = await loadCallbackPage(url, flow.browser);
      expect(own.status).toBe(400);
      expect(postedResult(own)).toMatchObject({ status: 'error', error: { code: 'OAUTH_ACCESS_DENIED' } });
    });
  });

  describe('what the provider reported', () => {
    it('reports a denied consent as OAUTH_ACCESS_DENIED, keeps that result for polling, and refuses a replay', async () => {
      const sub = newUser();
      const flow = await startOAuth(server, sub);
      const before = await tokenRequests();
      const url = callbackUrl({ state: flow.state, error: 'access_denied', error_description: 'The user clicked Cancel' });
      const page = await loadCallbackPage(url, flow.browser);
      expect(page.status).toBe(400);
      expect(page.headers.get('x-switchboard-error')).toBe('OAUTH_ACCESS_DENIED');
      expect(postedResult(page)).toEqual({
        type: 'switchboard:oauth',
        status: 'error',
        integration: 'sandbox',
        state: flow.state,
        error: { code: 'OAUTH_ACCESS_DENIED', message: 'The authorization was denied.' },
      });
      expect(page.closed).toBe(true);
      expect(await tokenRequests()).toBe(before);

      const replay = await loadCallbackPage(callbackUrl({ state: flow.state, code: 'a-code' }), flow.browser);
      expect(replay.status).toBe(400);
      expect(postedResult(replay)).toMatchObject({ status: 'error', error: { code: 'OAUTH_STATE_INVALID' } });
      expect(await polled(sub, flow)).toMatchObject({ status: 'error', error: { code: 'OAUTH_ACCESS_DENIED' } });
      expect(await credentialRowsOf(server, sub)).toEqual([]);
    });

    it.each([
      [{ error: 'temporarily_unavailable', error_description: 'Try again later' }, 'The provider reported an error: Try again later.'],
      [{ error: 'server_error' }, 'The provider reported an error: server_error.'],
      [{}, 'The provider reported an error.'],
    ])('reports %j (no code) as OAUTH_PROVIDER_ERROR', async (query: Record<string, string>, message: string) => {
      const sub = newUser();
      const flow = await startOAuth(server, sub);
      const page = await loadCallbackPage(callbackUrl({ state: flow.state, ...query }), flow.browser);
      expect(page.status).toBe(400);
      expect(page.headers.get('x-switchboard-error')).toBe('OAUTH_PROVIDER_ERROR');
      expect(postedResult(page)).toMatchObject({ status: 'error', error: { code: 'OAUTH_PROVIDER_ERROR', message } });
      expect(await polled(sub, flow)).toEqual({ status: 'error', integration: 'sandbox', error: { code: 'OAUTH_PROVIDER_ERROR', message } });
    });

    it('reports a code the provider will not exchange as OAUTH_GRANT_REJECTED and stores nothing', async () => {
      const sub = newUser();
      const flow = await startOAuth(server, sub);
      const before = await tokenRequests();
      const page = await loadCallbackPage(callbackUrl({ state: flow.state, code: 'not-a-code-the-sandbox-issued' }), flow.browser);
      expect(await tokenRequests()).toBe(before + 1);
      expect(page.status).toBe(400);
      expect(page.headers.get('x-switchboard-error')).toBe('OAUTH_GRANT_REJECTED');
      expect(postedResult(page)).toMatchObject({ status: 'error', integration: 'sandbox', error: { code: 'OAUTH_GRANT_REJECTED' } });
      expect(page.html).not.toContain('not-a-code-the-sandbox-issued');
      expect(await credentialRowsOf(server, sub)).toEqual([]);
      expect(await polled(sub, flow)).toMatchObject({ status: 'error', error: { code: 'OAUTH_GRANT_REJECTED' } });
    });
  });

  describe('the integration', () => {
    it('answers 404 INTEGRATION_NOT_FOUND (the status of the code everywhere) for a flow whose integration was deactivated, and records it for polling', async () => {
      const sub = newUser();
      const flow = await startOAuth(server, sub);
      await configureIntegration(server, 'sandbox', { isActive: false });
      try {
        const page = await loadCallbackPage(callbackUrl({ state: flow.state, code: 'a-code' }), flow.browser);
        expect(page.status).toBe(404);
        expect(page.headers.get('x-switchboard-error')).toBe('INTEGRATION_NOT_FOUND');
        expect(postedResult(page, APP_ORIGIN)).toMatchObject({ status: 'error', integration: 'sandbox', error: { code: 'INTEGRATION_NOT_FOUND' } });
      } finally {
        await configureIntegration(server, 'sandbox', { isActive: true });
      }
      expect(await polled(sub, flow)).toMatchObject({ status: 'error', error: { code: 'INTEGRATION_NOT_FOUND' } });
    });
  });
});
