import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyCustomIntegration, defineCustomIntegration, management } from './support/management.js';
import { startProviderSimulator, type ProviderSimulator } from './support/provider-simulator.js';
import { connectApiKey, proxy, rawRequest } from './support/proxy.js';
import { APP_ORIGIN, connectSandbox, expectError, json, newUser, postedResult } from './support/sdk-flows.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const ERROR_HEADER = 'x-switchboard-error';

/** Asserts Switchboard's own error: the status, the `{ message, code, field? }` body, and X-Switchboard-Error naming the code. */
async function expectOwnError(response: Response, status: number, code: string, field?: string) {
  expect(response.headers.get(ERROR_HEADER), `${status} ${code}`).toBe(code);
  return expectError(response, status, code, field);
}

/** The exposed response headers, lower-cased. */
const exposed = (response: Response) =>
  (response.headers.get('access-control-expose-headers') ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);

describe('X-Switchboard-Error', () => {
  let server: TestServer;
  let simulator: ProviderSimulator;
  /** Connected to the simulated API (custom.fake-api), whose routes answer what each test needs. */
  let apiUser: string;

  beforeAll(async () => {
    server = await startTestServer('sqlite', {
      // Room for the other tests; the rate-limit test spends one user's budget on purpose.
      SWITCHBOARD_PROXY_RATE_LIMIT_USER: '5',
      SWITCHBOARD_PROXY_RATE_LIMIT_PROJECT: '0',
      SWITCHBOARD_PROXY_HEADERS_TIMEOUT_MS: '500',
    });
    simulator = await startProviderSimulator();
    simulator.route('GET', '/ok', () => ({ body: { ok: true } }));
    simulator.route('GET', '/rejected', () => ({ status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' }, body: { error: 'invalid_token' } }));
    simulator.route('GET', '/faked', () => ({
      status: 401,
      headers: { 'X-Switchboard-Error': 'USER_TOKEN_EXPIRED', 'x-switchboard-other': '1' },
      body: { message: 'The user token has expired', code: 'USER_TOKEN_EXPIRED' },
    }));
    simulator.route('GET', '/faked-ok', () => ({ headers: { 'x-switchboard-error': 'CREDENTIAL_INVALID' }, body: { ok: true } }));
    await defineCustomIntegration(server, apiKeyCustomIntegration('fake-api', simulator.url));
    apiUser = newUser('api');
    await connectApiKey(server, apiUser, 'custom.fake-api', 'key-1');
  });
  afterAll(async () => {
    await simulator?.close();
    await server?.close();
  });

  describe('on errors of the SDK API', () => {
    it('names the code of a refused user token (401 USER_TOKEN_*)', async () => {
      const expired = await server.userToken(newUser(), {}, { expiresIn: Math.floor(Date.now() / 1000) - 3600 });
      await expectOwnError(
        await fetch(`${server.url}/projects/${server.projectId}/sdk/me`, { headers: { authorization: `Bearer ${expired}` } }),
        401,
        'USER_TOKEN_EXPIRED',
      );
      await expectOwnError(await fetch(`${server.url}/projects/${server.projectId}/sdk/me`), 401, 'USER_TOKEN_MISSING');
    });

    it('names the code of a validation error, a direct refusal and a not-found', async () => {
      const sub = newUser();
      await expectOwnError(await server.sdk(sub, '/oauth/start', { method: 'POST', json: { origin: APP_ORIGIN } }), 400, 'VALIDATION_ERROR', 'integration');
      await expectOwnError(await server.sdk(sub, '/me', { method: 'PATCH', json: { meta: { big: 'x'.repeat(70_000) } } }), 400, 'META_TOO_LARGE', 'meta');
      await expectOwnError(await server.sdk(sub, '/credentials/00000000-0000-4000-8000-000000000000', { method: 'PATCH', json: { config: {} } }), 404, 'CREDENTIAL_NOT_FOUND');
      await expectOwnError(await server.sdk(sub, '/nosuch'), 404, 'ROUTE_NOT_FOUND');
      await expectOwnError(await fetch(`${server.url}/projects/nosuch/sdk/me`), 404, 'PROJECT_NOT_FOUND');
    });

    it('names the code on the management API and on URLs the router cannot decode, in the same shape', async () => {
      await expectOwnError(await management(server, undefined, 'GET', `/projects/${server.projectId}`), 401, 'SECRET_KEY_MISSING');
      await expectOwnError(await management(server, 'sk_wrong', 'GET', `/projects/${server.projectId}`), 401, 'SECRET_KEY_INVALID');
      const bad = await rawRequest(server, '/icons/%E0%A4%A.svg', {});
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body)).toEqual({ message: expect.any(String), code: 'INVALID_URL' });
      expect(bad.headers[ERROR_HEADER]).toBe('INVALID_URL');
    });

    it('is absent from successful answers', async () => {
      const response = await server.sdk(newUser(), '/me');
      expect(response.status).toBe(200);
      expect(response.headers.get(ERROR_HEADER)).toBeNull();
    });

    it('is readable cross-origin: allowed origins get it in Access-Control-Expose-Headers, on errors and successes', async () => {
      const error = await fetch(`${server.url}/projects/${server.projectId}/sdk/me`, { headers: { origin: APP_ORIGIN } });
      expect(error.status).toBe(401);
      expect(error.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
      expect(exposed(error)).toContain(ERROR_HEADER);
      expect(error.headers.get(ERROR_HEADER)).toBe('USER_TOKEN_MISSING');

      const ok = await server.sdk(newUser(), '/me', { headers: { origin: APP_ORIGIN } });
      expect(exposed(ok)).toContain(ERROR_HEADER);

      const refused = await fetch(`${server.url}/projects/${server.projectId}/sdk/me`, { headers: { origin: 'https://evil.example' } });
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      expect(refused.headers.get('access-control-expose-headers')).toBeNull();
    });
  });

  describe("on the proxy's own errors", () => {
    it('names 401 USER_TOKEN_EXPIRED on a proxied call, readable cross-origin', async () => {
      const expired = await server.userToken(apiUser, {}, { expiresIn: Math.floor(Date.now() / 1000) - 3600 });
      const response = await fetch(`${server.url}/projects/${server.projectId}/sdk/proxy/custom.fake-api/ok`, {
        headers: { authorization: `Bearer ${expired}`, origin: APP_ORIGIN },
      });
      expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
      expect(exposed(response)).toEqual(expect.arrayContaining(['*', ERROR_HEADER]));
      await expectOwnError(response, 401, 'USER_TOKEN_EXPIRED');
    });

    it('names 404 INTEGRATION_NOT_INSTALLED and 404 INTEGRATION_NOT_FOUND', async () => {
      await expectOwnError(await proxy(server, newUser('none'), 'sandbox/me'), 404, 'INTEGRATION_NOT_INSTALLED');
      await expectOwnError(await proxy(server, apiUser, 'salesforce/me'), 404, 'INTEGRATION_NOT_FOUND');
    });

    it('names 401 CREDENTIAL_INVALID for an account that must reconnect', async () => {
      const sub = newUser('invalid');
      const credentialId = postedResult((await connectSandbox(server, sub, { login: 'invalid@example.com' })).page).credentialId as string;
      await server.server.context.db.updateTable('credentials').set({ status: 'INVALID' }).where('id', '=', credentialId).execute();
      await server.server.context.caches.clear();
      await expectOwnError(await proxy(server, sub, 'sandbox/me'), 401, 'CREDENTIAL_INVALID');
    });

    it('names 400 INVALID_PROXY_PATH and 405 METHOD_NOT_ALLOWED', async () => {
      const escaped = await rawRequest(server, `/projects/${server.projectId}/sdk/proxy/custom.fake-api/%2e%2e/admin`, {
        authorization: `Bearer ${await server.userToken(apiUser)}`,
      });
      expect(escaped.status).toBe(400);
      expect(escaped.headers[ERROR_HEADER]).toBe('INVALID_PROXY_PATH');
      const method = await rawRequest(server, `/projects/${server.projectId}/sdk/proxy/custom.fake-api/ok`, { authorization: `Bearer ${await server.userToken(apiUser)}` }, 'TRACE');
      expect(method.status).toBe(405);
      expect(JSON.parse(method.body)).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
      expect(method.headers[ERROR_HEADER]).toBe('METHOD_NOT_ALLOWED');
    });

    it('names 429 RATE_LIMITED', async () => {
      const sub = newUser('busy');
      await connectApiKey(server, sub, 'custom.fake-api', 'key-busy');
      const token = await server.userToken(sub);
      const url = `${server.url}/projects/${server.projectId}/sdk/proxy/custom.fake-api/ok`;
      const answers = await Promise.all(Array.from({ length: 10 }, () => fetch(url, { headers: { authorization: `Bearer ${token}` } })));
      const [limited, ...others] = answers.filter((response) => response.status === 429);
      expect(limited).toBeDefined();
      expect(limited!.headers.get('retry-after')).toMatch(/^\d+$/);
      await expectOwnError(limited!, 429, 'RATE_LIMITED');
      for (const response of [...others, ...answers.filter((r) => r.status !== 429)]) await response.body?.cancel();
    });

    it('names 504 UPSTREAM_TIMEOUT (a provider slower than SWITCHBOARD_PROXY_HEADERS_TIMEOUT_MS)', async () => {
      const sub = newUser('slow');
      postedResult((await connectSandbox(server, sub, { login: 'slow@example.com' })).page);
      await expectOwnError(await proxy(server, sub, 'sandbox/slow?ms=2000'), 504, 'UPSTREAM_TIMEOUT');
    });

    it('names 502 UPSTREAM_UNREACHABLE', async () => {
      // An API that was reachable when the account was connected, and is gone now.
      const gone = await startProviderSimulator();
      gone.route('GET', '/ok', () => ({ body: { ok: true } }));
      await defineCustomIntegration(server, apiKeyCustomIntegration('vanishing', gone.url));
      const user = newUser('vanishing');
      await connectApiKey(server, user, 'custom.vanishing', 'key-2');
      await gone.close();
      await expectOwnError(await proxy(server, user, 'custom.vanishing/ok'), 502, 'UPSTREAM_UNREACHABLE');
    });
  });

  describe("on a provider's answers", () => {
    it("is absent from a provider's 401 passed through", async () => {
      const response = await proxy(server, apiUser, 'custom.fake-api/rejected');
      expect(response.status).toBe(401);
      expect(response.headers.get(ERROR_HEADER)).toBeNull();
      expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(await response.json()).toEqual({ error: 'invalid_token' });
    });

    it("cannot be faked by a provider: Switchboard's headers in its answer never reach the client", async () => {
      const faked = await proxy(server, apiUser, 'custom.fake-api/faked', { headers: { origin: APP_ORIGIN } });
      expect(faked.status).toBe(401);
      expect(faked.headers.get(ERROR_HEADER)).toBeNull();
      expect(faked.headers.get('x-switchboard-other')).toBeNull();
      // The body is the provider's, as it came; only the header is Switchboard's word.
      expect(await json(faked, 401)).toMatchObject({ code: 'USER_TOKEN_EXPIRED' });

      const ok = await proxy(server, apiUser, 'custom.fake-api/faked-ok');
      expect(ok.status).toBe(200);
      expect(ok.headers.get(ERROR_HEADER)).toBeNull();
    });
  });

  it('names the code on a failed OAuth callback page', async () => {
    const response = await fetch(`${server.url}/oauth/callback?state=forged&code=x`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get(ERROR_HEADER)).toBe('OAUTH_STATE_INVALID');
  });
});
