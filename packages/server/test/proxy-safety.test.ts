import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyCustomIntegration, createManagedProject, defineCustomIntegration, management, signUserToken, type ManagedProject } from './support/management.js';
import { startProviderSimulator, type ProviderSimulator } from './support/provider-simulator.js';
import { connectApiKey, proxy, rawRequest } from './support/proxy.js';
import { newUser } from './support/sdk-flows.js';
import { freePort, startTestServer, testDatabases, type TestServer } from './support/test-server.js';

type Json = Record<string, any>;

describe.each(testDatabases)('proxy API safety on %s', (database) => {
  let server: TestServer;
  let simulator: ProviderSimulator;
  let sub: string;

  beforeAll(async () => {
    server = await startTestServer(database, {
      SWITCHBOARD_PROXY_HEADERS_TIMEOUT_MS: '300',
      SWITCHBOARD_PROXY_RATE_LIMIT_USER: '0',
      SWITCHBOARD_PROXY_RETRY_MAX_WAIT_MS: '2000',
    });
    simulator = await startProviderSimulator();
    simulator.route('GET', '/ok', () => ({ body: { ok: true } }));
    await defineCustomIntegration(server, apiKeyCustomIntegration('sim', simulator.url));
    sub = newUser('safety');
    await connectApiKey(server, sub, 'custom.sim', 'sim-key');
  });
  afterAll(async () => {
    await server?.close();
    await simulator?.close();
  });

  describe('path escapes', () => {
    const vectors = [
      ['an absolute URL', 'https://evil.example/x'],
      ['an absolute URL, encoded', 'https%3A%2F%2Fevil.example/x'],
      ['a scheme-relative URL', '/evil.example/x'],
      ['a dot-dot segment', '../../me'],
      ['an encoded dot-dot', '%2e%2e/%2e%2e/me'],
      ['a mixed-case encoded dot-dot', '%2E./me'],
      ['a double-encoded dot-dot', '%252e%252e/me'],
      ['an encoded slash', 'a%2f..%2fb'],
      ['a double-encoded slash', 'a%252fb'],
      ['a backslash', 'a\\..\\b'],
      ['an encoded backslash', 'a%5c..%5cb'],
      ['an encoded CR LF', 'a%0d%0aX-Injected:%20yes'],
      ['an encoded NUL', 'a%00b'],
      ['a single dot segment', './ok'],
    ];

    it.each(vectors)('refuses %s with 400 and calls nothing', async (_name, path) => {
      const before = simulator.requests.length;
      const answer = await rawRequest(server, `/projects/${server.projectId}/sdk/proxy/custom.sim/${path}`, {
        authorization: `Bearer ${await server.userToken(sub)}`,
      });
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'INVALID_PROXY_PATH', field: 'path', message: expect.any(String) });
      expect(simulator.requests.length).toBe(before);
    });

    it('keeps an encoded line break in the query as data: it cannot split the request', async () => {
      simulator.route('GET', '/search', (request) => ({ body: { q: request.query.q } }));
      const answer = await rawRequest(server, `/projects/${server.projectId}/sdk/proxy/custom.sim/search?q=SELECT%20Id%0AFROM%20Account`, {
        authorization: `Bearer ${await server.userToken(sub)}`,
      });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ q: 'SELECT Id\nFROM Account' });
    });

    it('forwards an ordinary path with a colon and encoded spaces untouched', async () => {
      simulator.route('GET', '/files/a%20b.txt:meta', () => ({ body: { file: true } }));
      const before = simulator.requests.length;
      const answer = await rawRequest(server, `/projects/${server.projectId}/sdk/proxy/custom.sim/files/a%20b.txt:meta`, {
        authorization: `Bearer ${await server.userToken(sub)}`,
      });
      expect(answer.status).toBe(200);
      expect(simulator.requests.length).toBe(before + 1);
    });
  });

  it('refuses TRACE with 405, and methods it does not route, before calling the provider', async () => {
    const before = simulator.requests.length;
    const authorization = `Bearer ${await server.userToken(sub)}`;
    const trace = await rawRequest(server, `/projects/${server.projectId}/sdk/proxy/custom.sim/ok`, { authorization }, 'TRACE');
    expect(trace.status).toBe(405);
    expect(JSON.parse(trace.body)).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
    const propfind = await rawRequest(server, `/projects/${server.projectId}/sdk/proxy/custom.sim/ok`, { authorization }, 'PROPFIND');
    expect(propfind.status).toBe(404);
    expect(simulator.requests.length).toBe(before);
  });

  it('checks the path before anything else: an escape on an integration the user has not connected is still a 400', async () => {
    const answer = await rawRequest(server, `/projects/${server.projectId}/sdk/proxy/sandbox/../me`, { authorization: `Bearer ${await server.userToken(newUser('no-account'))}` });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'INVALID_PROXY_PATH' });
  });

  it('answers 502 UPSTREAM_BAD_RESPONSE for a status outside HTTP’s range', async () => {
    simulator.route('GET', '/odd-status', () => ({ status: 999, body: { odd: true } }));
    const response = await proxy(server, sub, 'custom.sim/odd-status');
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ code: 'UPSTREAM_BAD_RESPONSE' });
    // The connection to the provider is released: the next call goes through.
    expect((await proxy(server, sub, 'custom.sim/ok')).status).toBe(200);
  });

  it('forwards a real OPTIONS call from an allowed browser origin (no Access-Control-Request-Method)', async () => {
    simulator.route('OPTIONS', '/ok', () => ({ status: 200, headers: { allow: 'GET, OPTIONS' }, body: '' }));
    const before = simulator.requestsTo('/ok').filter((r) => r.method === 'OPTIONS').length;
    const response = await proxy(server, sub, 'custom.sim/ok', { method: 'OPTIONS', headers: { origin: 'http://localhost:5173' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('allow')).toBe('GET, OPTIONS');
    expect(simulator.requestsTo('/ok').filter((r) => r.method === 'OPTIONS').length).toBe(before + 1);
  });

  describe('a custom integration whose API name resolves to a private address', () => {
    let managed: ManagedProject;
    let token: string;

    /** Only the admin key turns the opt-in on; the project's own key may turn it off. */
    const allow = (allowPrivateUpstreams: boolean) =>
      management(server, allowPrivateUpstreams ? server.adminKey : managed.secretKey, 'PATCH', `/projects/${managed.projectId}`, { allowPrivateUpstreams });

    beforeAll(async () => {
      managed = await createManagedProject(server, 'SSRF check');
      const { port } = new URL(simulator.url);
      // Plain http to loopback can be defined only while the project allows private addresses.
      expect((await allow(true)).status).toBe(200);
      // `localhost` is a name, not an address: only the check at connect time sees that it resolves to 127.0.0.1.
      await defineCustomIntegration(server, apiKeyCustomIntegration('internal', `http://localhost:${port}`), managed);
      expect((await allow(false)).status).toBe(200);
      token = await signUserToken(managed.keys.privateKey, 'ssrf-user', { kid: managed.keyId });
    });

    const sdk = (path: string, init: RequestInit = {}) =>
      fetch(`${server.url}/projects/${managed.projectId}/sdk${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } });

    it('cannot be connected until the project allows private addresses', async () => {
      const before = simulator.requests.length;
      // The install test request is refused too: it would reach the same address.
      const installed = await sdk('/credentials', { method: 'POST', body: JSON.stringify({ integrationId: 'custom.internal', payload: { apiKey: 'k' } }) });
      expect(installed.status).toBe(403);
      expect(await installed.json()).toMatchObject({ code: 'UPSTREAM_ADDRESS_BLOCKED' });
      expect(simulator.requests.length).toBe(before);
    });

    it('is proxied once the project opts in, and refused again when it opts out', async () => {
      expect((await allow(true)).status).toBe(200);
      const installed = await sdk('/credentials', { method: 'POST', body: JSON.stringify({ integrationId: 'custom.internal', payload: { apiKey: 'k' } }) });
      expect(installed.status).toBe(201);
      expect((await sdk('/proxy/custom.internal/ok')).status).toBe(200);

      expect((await allow(false)).status).toBe(200);
      const before = simulator.requests.length;
      const refused = await sdk('/proxy/custom.internal/ok');
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ code: 'UPSTREAM_ADDRESS_BLOCKED', message: expect.any(String) });
      expect(simulator.requests.length).toBe(before);
    });
  });

  describe('an upstream that fails', () => {
    let stalled: Server;

    beforeAll(async () => {
      const closedPort = await freePort();
      stalled = createServer(() => {
        // Accepts the request and never answers.
      });
      await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
      const stalledPort = (stalled.address() as AddressInfo).port;
      for (const [slug, url] of [
        ['down', `http://127.0.0.1:${closedPort}`],
        ['stalled', `http://127.0.0.1:${stalledPort}`],
      ] as const) {
        await defineCustomIntegration(server, apiKeyCustomIntegration(slug, url, { testEndpointUrl: `${simulator.url}/ok` }));
      }
      // Their test endpoint is the simulator's, so the accounts connect; only their API base fails.
      for (const slug of ['down', 'stalled']) {
        await connectApiKey(server, sub, `custom.${slug}`, 'k');
      }
    });
    afterAll(async () => {
      stalled?.closeAllConnections();
      await new Promise((resolve) => stalled?.close(resolve));
    });

    it('answers 502 UPSTREAM_UNREACHABLE when nothing listens', async () => {
      const response = await proxy(server, sub, 'custom.down/anything');
      expect(response.status).toBe(502);
      expect(await response.json()).toEqual({ code: 'UPSTREAM_UNREACHABLE', message: expect.any(String) });
    });

    it('answers 504 UPSTREAM_TIMEOUT when the provider does not answer in time', async () => {
      const response = await proxy(server, sub, 'custom.stalled/anything');
      expect(response.status).toBe(504);
      expect(await response.json()).toEqual({ code: 'UPSTREAM_TIMEOUT', message: expect.any(String) });
    });

    it('answers 504 for the sandbox API when it is slower than the headers timeout', async () => {
      const keyUser = newUser('slow');
      await connectApiKey(server, keyUser, 'sandbox-apikey', 'sbx_slow');
      expect((await proxy(server, keyUser, 'sandbox-apikey/slow?ms=10')).status).toBe(200);
      const slow = await proxy(server, keyUser, 'sandbox-apikey/slow?ms=3000');
      expect(slow.status).toBe(504);
      expect(await slow.json()).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    });
  });

  describe('opt-in retries', () => {
    let calls = 0;

    beforeAll(() => {
      simulator.route('GET', '/busy', () => {
        calls += 1;
        return calls % 3 === 0 ? { body: { ok: true, calls } } : { status: 429, headers: { 'retry-after': '0' }, body: { error: 'rate_limited' } };
      });
      simulator.route('POST', '/busy', () => ({ status: 503, headers: { 'retry-after': '0' }, body: { error: 'busy' } }));
      simulator.route('GET', '/patient', () => ({ status: 503, headers: { 'retry-after': '120' }, body: { error: 'come back later' } }));
      simulator.route('GET', '/busy-a-second', () => {
        busyCalled();
        return { status: 429, headers: { 'retry-after': '1' }, body: { error: 'rate_limited' } };
      });
    });
    let busyCalled: () => void = () => {};

    it('passes a 429 through when the caller did not ask for retries', async () => {
      calls = 0;
      const response = await proxy(server, sub, 'custom.sim/busy');
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('0');
      expect(calls).toBe(1);
    });

    it('retries an idempotent request on 429 when asked, after the provider’s Retry-After', async () => {
      calls = 0;
      const response = await proxy(server, sub, 'custom.sim/busy', { headers: { 'x-switchboard-retry': '3' } });
      expect(response.status).toBe(200);
      expect(calls).toBe(3);
    });

    it('stops after the asked number of attempts', async () => {
      calls = 0;
      const response = await proxy(server, sub, 'custom.sim/busy', { headers: { 'x-switchboard-retry': '1' } });
      expect(response.status).toBe(429);
      expect(calls).toBe(2);
    });

    it('never retries a POST', async () => {
      const before = simulator.requestsTo('/busy').filter((r) => r.method === 'POST').length;
      const response = await proxy(server, sub, 'custom.sim/busy', { method: 'POST', headers: { 'x-switchboard-retry': '3' }, json: {} });
      expect(response.status).toBe(503);
      expect(simulator.requestsTo('/busy').filter((r) => r.method === 'POST').length).toBe(before + 1);
    });

    it('sends no retry once the caller has hung up during the wait', async () => {
      const caller = new AbortController();
      const reached = new Promise<void>((resolve) => (busyCalled = resolve));
      const call = proxy(server, sub, 'custom.sim/busy-a-second', { headers: { 'x-switchboard-retry': '3' }, signal: caller.signal }).catch((error: unknown) => error);
      await reached;
      // Switchboard has the 429 by now and waits the second the provider asked for; the caller gives up meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 200));
      caller.abort();
      expect(await call).toBeInstanceOf(Error);
      // Well past the provider's Retry-After: a retry would have been sent by now.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(simulator.requestsTo('/busy-a-second')).toHaveLength(1);
    });

    it('does not wait longer than the configured total', async () => {
      const before = simulator.requestsTo('/patient').length;
      const response = await proxy(server, sub, 'custom.sim/patient', { headers: { 'x-switchboard-retry': 'true' } });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('120');
      expect(simulator.requestsTo('/patient').length).toBe(before + 1);
    });
  });
});

describe.each([
  ['user', { SWITCHBOARD_PROXY_RATE_LIMIT_USER: '3', SWITCHBOARD_PROXY_RATE_LIMIT_PROJECT: '0' }],
  ['project', { SWITCHBOARD_PROXY_RATE_LIMIT_USER: '0', SWITCHBOARD_PROXY_RATE_LIMIT_PROJECT: '3' }],
] as const)('the proxy rate limit per %s', (scope, env) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('sqlite', env);
  });
  afterAll(async () => server?.close());

  it('answers 429 RATE_LIMITED with Retry-After once the limit is spent', async () => {
    const sub = newUser('limited');
    await connectApiKey(server, sub, 'sandbox-apikey', `sbx_${sub}`);
    const token = await server.userToken(sub);
    // 3 a second with bursts of 3: of 20 requests at once, most must be refused whatever the machine's speed.
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`${server.url}/projects/${server.projectId}/sdk/proxy/sandbox-apikey/me`, { headers: { authorization: `Bearer ${token}` } })),
    );
    const limited = answers.filter((r) => r.status === 429);
    expect(answers.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(3);
    expect(limited.length).toBeGreaterThanOrEqual(10);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await limited[0]!.json()) as Json;
    expect(body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(body.message).toContain(scope);
  });
});
