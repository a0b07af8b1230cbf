import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveSandboxConsent, CookieJar } from './support/sandbox-consent.js';
import { APP_ORIGIN, expectError, integrationIdOf, json, loadCallbackPage, newUser, postedResult, startOAuth } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

/** The customer's own redirect page: on an allowed origin of the dev project, registered with the sandbox's client. */
const RETURN_PAGE = `${APP_ORIGIN}/oauth/return`;

describe.each(testDatabases)('overrideRedirectUrl: the customer’s own redirect page, on %s', (database) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(database, { SWITCHBOARD_SANDBOX_REDIRECT_URIS: RETURN_PAGE });
  });
  afterAll(async () => server?.close());

  const pendingFlows = async () => (await server.server.context.db.selectFrom('oauth_sessions').select('state').execute()).length;

  it('sends the provider to that page, which forwards code and state to the callback: the account is connected', async () => {
    const sub = newUser();
    const started = await startOAuth(server, sub, { installOptions: { overrideRedirectUrl: RETURN_PAGE } });
    expect(new URL(started.authorizationUrl).searchParams.get('redirect_uri')).toBe(RETURN_PAGE);

    // The sandbox (oidc-provider) sends the user to the customer's page, which forwards the query as it is.
    const returned = new URL(await approveSandboxConsent(started.authorizationUrl, { login: 'grace@example.com', cookies: started.browser }));
    expect(returned.origin + returned.pathname).toBe(RETURN_PAGE);
    expect(returned.searchParams.get('state')).toBe(started.state);
    expect(returned.searchParams.get('code')).toBeTruthy();
    // The token exchange names the same redirect_uri (the sandbox refuses the code otherwise), so the account connects.
    const page = await loadCallbackPage(`${server.url}/oauth/callback${returned.search}`, started.browser);
    expect(page.status).toBe(200);
    const message = postedResult(page, APP_ORIGIN);
    expect(message).toMatchObject({ type: 'switchboard:oauth', status: 'success', integration: 'sandbox', credentialId: expect.any(String) });

    const me = await json(await server.sdk(sub, '/me'));
    expect(me.integrations.sandbox).toMatchObject({ credentialId: message.credentialId, credentialStatus: 'VALID', providerId: 'grace@example.com' });
  });

  it('without it, the provider returns to Switchboard’s own callback as before', async () => {
    const started = await startOAuth(server, newUser());
    expect(new URL(started.authorizationUrl).searchParams.get('redirect_uri')).toBe(`${server.url}/oauth/callback`);
  });

  it.each([
    ['a foreign origin', 'https://elsewhere.example.com/oauth/return'],
    ['a non-http scheme', 'javascript:alert(1)'],
    ['a fragment', `${RETURN_PAGE}#code`],
    ['credentials in the URL', 'http://user:pass@localhost:5173/oauth/return'],
    ['not a URL', 'oauth/return'],
  ])('refuses %s: 400 naming installOptions.overrideRedirectUrl, no flow stored', async (_name, overrideRedirectUrl) => {
    const before = await pendingFlows();
    const response = await server.sdk(newUser(), '/oauth/start', {
      method: 'POST',
      json: { integration: 'sandbox', origin: APP_ORIGIN, installOptions: { overrideRedirectUrl } },
    });
    await expectError(response, 400, 'REDIRECT_URL_NOT_ALLOWED', 'installOptions.overrideRedirectUrl');
    expect(await pendingFlows()).toBe(before);
  });

  describe('the reference SDK’s redirectUrl (build-oauth)', () => {
    const buildOAuth = async (sub: string, redirectUrl: string) => {
      const query = new URLSearchParams({
        integrationId: await integrationIdOf(server, 'sandbox'),
        originForPostMessage: APP_ORIGIN,
        oauthMetaKeyId: `key-${sub.slice(-12)}`,
        redirectUrl,
      });
      return fetch(`${server.url}/v2/projects/${server.projectId}/sdk/actions/build-oauth?${query}`, {
        headers: { authorization: `Bearer ${await server.userToken(sub)}` },
      });
    };

    it('takes a page on an allowed origin as the redirect URI', async () => {
      const { redirectUrl } = await json<{ redirectUrl: string }>(await buildOAuth(newUser(), RETURN_PAGE));
      expect(new URL(redirectUrl).searchParams.get('redirect_uri')).toBe(RETURN_PAGE);
    });

    it('refuses a foreign origin: 400 naming redirectUrl, no flow stored', async () => {
      const before = await pendingFlows();
      await expectError(await buildOAuth(newUser(), 'https://elsewhere.example.com/cb'), 400, 'REDIRECT_URL_NOT_ALLOWED', 'redirectUrl');
      expect(await pendingFlows()).toBe(before);
    });
  });

  it('a code sent to the page cannot be finished in another browser', async () => {
    const started = await startOAuth(server, newUser(), { installOptions: { overrideRedirectUrl: RETURN_PAGE } });
    const returned = new URL(await approveSandboxConsent(started.authorizationUrl, { cookies: started.browser }));
    const page = await loadCallbackPage(`${server.url}/oauth/callback${returned.search}`, new CookieJar());
    expect(page.status).toBe(403);
    expect(page.posted).toEqual([]);
  });
});
