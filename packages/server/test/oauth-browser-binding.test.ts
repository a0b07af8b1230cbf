/**
 * An OAuth flow completes only in the browser the customer's page opened it in, through both front doors:
 * Switchboard's SDK (POST /sdk/oauth/start, then a form POST of the state into the popup) and the reference SDK's
 * popup protocol (the oauth-nonce page, build-oauth, session-id polling). Browsers are cookie jars here; the
 * provider is the real sandbox OAuth server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveSandboxConsent, CookieJar } from './support/sandbox-consent.js';
import { APP_ORIGIN, credentialRowsOf, expectError, integrationIdOf, json, loadCallbackPage, newUser, openPopup, startOAuth } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

const FOREIGN_ORIGIN = 'https://attacker.example';

describe.each(testDatabases)('OAuth flows bound to a browser on %s', (database) => {
  let server: TestServer;
  let sandboxId: string;
  beforeAll(async () => {
    server = await startTestServer(database);
    sandboxId = await integrationIdOf(server, 'sandbox');
  });
  afterAll(async () => {
    await server?.close();
  });

  const sessionOf = (state: string) => server.server.context.db.selectFrom('oauth_sessions').selectAll().where('state', '=', state).executeTakeFirstOrThrow();

  /** The reference SDK's popup page, opened by the customer's page at `origin` (the Referer a browser sends). */
  async function noncePage(sub: string, browser: CookieJar, options: { origin?: string; referer?: string | null; token?: string } = {}) {
    const origin = options.origin ?? APP_ORIGIN;
    const token = options.token ?? (await server.userToken(sub));
    const url = new URL(`${server.url}/projects/${server.projectId}/sdk/actions/oauth-nonce`);
    url.search = new URLSearchParams({ action: 'sandbox', integrationId: sandboxId, originForPostMessage: origin, userToken: token }).toString();
    const referer = options.referer === undefined ? `${origin}/settings/integrations` : options.referer;
    const response = await fetch(url, { headers: { accept: 'text/html', ...(referer !== null && { referer }) } });
    browser.store(url, response.headers.getSetCookie());
    return response;
  }

  /** The reference SDK's build-oauth call from the customer's page. */
  async function buildOAuth(sub: string, key: string, extra: Record<string, string> = {}) {
    const query = new URLSearchParams({
      action: 'sandbox',
      integrationId: sandboxId,
      originForPostMessage: APP_ORIGIN,
      oauthMetaKeyId: key,
      installOptions: JSON.stringify({ isApiInstallation: true, allowMultipleCredentials: false }),
      endUserSuppliedValues: '{}',
      parameters: '{}',
      isPreviewMode: 'false',
      ...extra,
    });
    return fetch(`${server.url}/v2/projects/${server.projectId}/sdk/actions/build-oauth?${query}`, {
      headers: { authorization: `Bearer ${await server.userToken(sub)}`, 'content-type': 'application/json', origin: APP_ORIGIN },
    });
  }

  describe("a flow finished in another person's browser connects nothing", () => {
    it("refuses a victim's callback for a flow the attacker started with their own token (Switchboard's SDK)", async () => {
      const attacker = newUser('attacker');
      const started = await startOAuth(server, attacker);
      // The attacker sends the authorization URL to the victim, who approves as the victim's own account in a
      // browser that never opened the flow. (A victim who uses the same app has a binding of their own: still no.)
      const victim = new CookieJar();
      await noncePage(newUser('victim'), victim);
      const callbackUrl = await approveSandboxConsent(started.authorizationUrl, { login: 'victim@example.com', cookies: victim });
      const page = await loadCallbackPage(callbackUrl, victim);
      expect(page.status).toBe(403);
      expect(page.headers.get('x-switchboard-error')).toBe('OAUTH_BROWSER_MISMATCH');
      expect(page.html).toContain('another browser');
      expect(page.posted).toEqual([]);
      expect(await credentialRowsOf(server, attacker)).toEqual([]);
      // Nothing changed: the flow is still open, for its own browser only.
      expect(await json(await server.sdk(attacker, `/oauth/${started.state}`))).toEqual({ status: 'pending', integration: 'sandbox' });
      expect((await sessionOf(started.state)).consumed_at).toBeNull();
    });

    it("refuses a victim's callback for a flow the attacker set up through the reference SDK's build-oauth", async () => {
      const attacker = newUser('attacker');
      const attackerBrowser = new CookieJar();
      expect((await noncePage(attacker, attackerBrowser)).status).toBe(200);
      const { redirectUrl } = await json<{ redirectUrl: string }>(await buildOAuth(attacker, 'k1'));
      const victim = new CookieJar();
      const callbackUrl = await approveSandboxConsent(redirectUrl, { login: 'victim@example.com', cookies: victim });
      const page = await loadCallbackPage(callbackUrl, victim);
      expect(page.status).toBe(403);
      expect(page.posted).toEqual([]);
      expect(await credentialRowsOf(server, attacker)).toEqual([]);
      const pending = await server.sdk(attacker, '/actions/session-id/k1');
      expect(await json(pending)).toEqual({ status: 'pending', connectCredentialId: null });
    });

    it('refuses a binding cookie made for another user, or tampered with', async () => {
      const owner = newUser('owner');
      const started = await startOAuth(server, owner);
      const forged = new CookieJar();
      // Another user's binding, renamed to the owner's cookie name: sealed to its own name, so it does not open.
      const other = new CookieJar();
      const otherResponse = await noncePage(newUser('other'), other);
      const otherCookie = otherResponse.headers.getSetCookie()[0]!;
      const ownerName = started.browser.header(new URL(`${server.url}/oauth/callback`)).split('=')[0]!;
      forged.store(new URL(server.url), [`${ownerName}=${otherCookie.split(';')[0]!.split('=').slice(1).join('=')}; Path=/oauth/callback`]);
      const callbackUrl = await approveSandboxConsent(started.authorizationUrl, { cookies: forged });
      expect((await loadCallbackPage(callbackUrl, forged)).status).toBe(403);
      expect(await credentialRowsOf(server, owner)).toEqual([]);
    });
  });

  describe('only the customer’s page can open the popup', () => {
    it("refuses Switchboard's popup step from a foreign origin, without Origin, or for a used state; sets no cookie", async () => {
      const sub = newUser();
      const response = await server.sdk(sub, '/oauth/start', { method: 'POST', json: { integration: 'sandbox', origin: APP_ORIGIN } });
      const { popupUrl, state } = await json<{ popupUrl: string; state: string }>(response);
      expect(popupUrl).toBe(`${server.url}/oauth/popup`);
      for (const origin of [FOREIGN_ORIGIN, 'http://localhost:9999', 'null', undefined]) {
        const browser = new CookieJar();
        const refused = await openPopup(popupUrl, state, origin, browser);
        expect(refused.status).toBe(403);
        expect(refused.headers.get('x-switchboard-error')).toBe('ORIGIN_NOT_ALLOWED');
        expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
        expect(refused.headers.getSetCookie()).toEqual([]);
        // A page served with Referrer-Policy: no-referrer sends `Origin: null`: the page says how to fix it.
        if (origin === 'null') expect(await refused.text()).toContain('Referrer-Policy');
      }
      const unknown = await openPopup(popupUrl, 'no-such-state', APP_ORIGIN, new CookieJar());
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get('x-switchboard-error')).toBe('OAUTH_STATE_INVALID');
      // The page itself cannot pick a foreign origin either.
      await expectError(
        await server.sdk(sub, '/oauth/start', { method: 'POST', json: { integration: 'sandbox', origin: FOREIGN_ORIGIN } }),
        403,
        'ORIGIN_NOT_ALLOWED',
      );
    });

    it("sets a browser-binding cookie that is HttpOnly, SameSite=Lax and scoped to the callback", async () => {
      const sub = newUser();
      const started = await startOAuth(server, sub);
      const response = await openPopup(started.popupUrl, started.state, APP_ORIGIN, new CookieJar());
      const { connected_user_id: connectedUserId } = await sessionOf(started.state);
      const [cookie] = response.headers.getSetCookie();
      expect(cookie).toMatch(/^sb_oauth_[A-Za-z0-9_-]{22}=/);
      expect(cookie).toContain('Path=/oauth/callback');
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('SameSite=Lax');
      expect(cookie).toContain('Max-Age=600');
      expect(cookie).not.toContain('Domain=');
      // Nothing readable in it: sealed, so neither the user, the connected user nor the project shows, as text or base64.
      const value = decodeURIComponent(cookie!.split(';')[0]!.split('=').slice(1).join('='));
      for (const secret of [sub, connectedUserId, server.projectId]) {
        expect(value).not.toContain(secret);
        expect(Buffer.from(value.replace(/[^A-Za-z0-9_-]/g, ''), 'base64url').toString('latin1')).not.toContain(secret);
      }
    });

    it("refuses the reference SDK's popup page opened from elsewhere, without a Referer, or with a bad token", async () => {
      const sub = newUser();
      const cases = [
        { options: { referer: `${FOREIGN_ORIGIN}/mail` }, status: 403, code: 'ORIGIN_NOT_ALLOWED' },
        { options: { referer: null }, status: 403, code: 'ORIGIN_NOT_ALLOWED' },
        { options: { origin: FOREIGN_ORIGIN }, status: 403, code: 'ORIGIN_NOT_ALLOWED' },
        { options: { token: 'not-a-token' }, status: 401, code: 'USER_TOKEN_INVALID' },
      ];
      for (const { options, status, code } of cases) {
        const browser = new CookieJar();
        const response = await noncePage(sub, browser, options);
        expect({ status: response.status, code: response.headers.get('x-switchboard-error') }).toEqual({ status, code });
        expect(response.headers.getSetCookie()).toEqual([]);
        const html = await response.text();
        expect(html).not.toContain('<script');
        expect(html).toContain('start again from the app');
      }
    });

    it('refuses build-oauth for a foreign originForPostMessage, one that differs from the asking page, or an override redirect elsewhere', async () => {
      const sub = newUser();
      await expectError(await buildOAuth(sub, 'k2', { originForPostMessage: FOREIGN_ORIGIN }), 403, 'ORIGIN_NOT_ALLOWED');
      await expectError(await buildOAuth(sub, 'k3', { originForPostMessage: 'http://localhost:4444' }), 403, 'ORIGIN_NOT_ALLOWED');
      await expectError(await buildOAuth(sub, 'k4', { redirectUrl: 'https://app.example/oauth' }), 400, 'REDIRECT_URL_NOT_ALLOWED', 'redirectUrl');
      await expectError(await buildOAuth(sub, 'k5', { installOptions: '{not json' }), 400, 'INVALID_JSON', 'installOptions');
      await expectError(await buildOAuth(sub, 'k6', { endUserSuppliedValues: `${'['.repeat(200)}${']'.repeat(200)}` }), 400, 'JSON_TOO_DEEP', 'endUserSuppliedValues');
      await expectError(await buildOAuth(sub, 'bad key!'), 400, 'VALIDATION_ERROR', 'oauthMetaKeyId');
      const sessions = await server.server.context.db.selectFrom('oauth_sessions').select('state').where('client_key', 'in', ['k2', 'k3', 'k4', 'k5', 'k6']).execute();
      expect(sessions).toEqual([]);
    });
  });

  describe("the reference SDK's popup protocol", () => {
    it('binds the browser, answers the provider URL, and reports the new account by its key once the popup closed', async () => {
      const sub = newUser();
      const browser = new CookieJar();
      const nonce = await noncePage(sub, browser);
      expect(nonce.status).toBe(200);
      expect(nonce.headers.get('referrer-policy')).toBe('no-referrer');
      const noncePageHtml = await nonce.text();
      expect(noncePageHtml).toContain('"oauth-nonce-loaded"');
      expect(noncePageHtml).toContain(JSON.stringify(APP_ORIGIN));

      const { redirectUrl } = await json<{ redirectUrl: string }>(await buildOAuth(sub, 'meta1'));
      expect(new URL(redirectUrl).pathname).toBe('/sandbox/auth');
      expect(await json(await server.sdk(sub, '/actions/session-id/meta1'))).toEqual({ status: 'pending', connectCredentialId: null });

      const callbackUrl = await approveSandboxConsent(redirectUrl, { login: 'reference@example.com', cookies: browser });
      const page = await loadCallbackPage(callbackUrl, browser);
      expect(page.status).toBe(200);
      // Success is read by polling: no message could carry the provider's tokens through the browser.
      expect(page.posted).toEqual([]);
      expect(page.closed).toBe(true);

      const result = await json<{ status: string; connectCredentialId: string }>(await server.sdk(sub, '/actions/session-id/meta1'));
      expect(result).toMatchObject({ status: 'success', connectCredentialId: expect.any(String) });
      const credential = await json(await server.sdk(sub, `/credentials/${result.connectCredentialId}`));
      expect(credential).toMatchObject({
        id: result.connectCredentialId,
        integrationId: sandboxId,
        status: 'VALID',
        providerId: 'reference@example.com',
        configurations: [{ id: result.connectCredentialId, isDefault: true, connectCredentialId: result.connectCredentialId, workflowSettings: {}, sharedSettings: {} }],
      });
      expect(JSON.stringify(credential)).not.toMatch(/accessToken|refreshToken/);

      // The SDK forgets the flow once read; another user's key never matches.
      expect(await json(await server.sdk(newUser(), '/actions/session-id/meta1'), 404)).toMatchObject({ code: 'OAUTH_STATE_NOT_FOUND' });
      expect(await json(await server.sdk(sub, '/actions/session-id/meta1', { method: 'DELETE', headers: { 'content-type': 'application/json' } }))).toEqual({ success: true });
      await expectError(await server.sdk(sub, '/actions/session-id/meta1'), 404, 'OAUTH_STATE_NOT_FOUND');
    });

    it('tells the opener of a denied consent with oauth_error_callback, to the opener origin only', async () => {
      const sub = newUser();
      const browser = new CookieJar();
      await noncePage(sub, browser);
      const { redirectUrl } = await json<{ redirectUrl: string }>(await buildOAuth(sub, 'meta2'));
      const callbackUrl = await approveSandboxConsent(redirectUrl, { decision: 'deny', cookies: browser });
      const page = await loadCallbackPage(callbackUrl, browser);
      expect(page.posted).toEqual([
        {
          targetOrigin: APP_ORIGIN,
          message: {
            type: 'oauth_error_callback',
            error: 'The authorization was denied.',
            errorResponse: { code: 'OAUTH_ACCESS_DENIED', message: 'The authorization was denied.' },
            integrationId: sandboxId,
          },
        },
      ]);
      expect(await json(await server.sdk(sub, '/actions/session-id/meta2'))).toMatchObject({ status: 'error', connectCredentialId: null, error: { code: 'OAUTH_ACCESS_DENIED' } });
      expect(await credentialRowsOf(server, sub)).toEqual([]);
    });
  });
});

describe('the binding cookie on a service host name', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('sqlite', { SWITCHBOARD_PUBLIC_URL: 'https://sb.test' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('is scoped to the public host and Secure when the popup starts on zeus.<public host>', async () => {
    const sub = newUser();
    const token = await server.userToken(sub);
    const integrationId = await integrationIdOf(server, 'sandbox');
    const query = new URLSearchParams({ integrationId, originForPostMessage: APP_ORIGIN, userToken: token });
    const response = await server.server.app.inject({
      method: 'GET',
      url: `/projects/${server.projectId}/sdk/actions/oauth-nonce?${query}`,
      headers: { host: 'zeus.sb.test', referer: `${APP_ORIGIN}/` },
    });
    expect(response.statusCode).toBe(200);
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toContain('Domain=sb.test');
    expect(cookie).toContain('Secure');
    // On the public host itself the cookie stays host-only.
    const direct = await server.server.app.inject({
      method: 'GET',
      url: `/projects/${server.projectId}/sdk/actions/oauth-nonce?${query}`,
      headers: { host: 'sb.test', referer: `${APP_ORIGIN}/` },
    });
    expect(String(direct.headers['set-cookie'])).not.toContain('Domain=');
  });
});
