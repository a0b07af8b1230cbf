import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyCustomIntegration, defineCustomIntegration } from './support/management.js';
import { startProviderSimulator, type ProviderSimulator } from './support/provider-simulator.js';
import { connectApiKey } from './support/proxy.js';
import { APP_ORIGIN, newUser } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

/**
 * Warm Proxy API calls without a body or with a small one are answered before Fastify (src/proxy/warm-lane-route.ts). Each test makes a
 * first, cold call (answered by the Proxy API route) and then the same call warm, and reads from the request log
 * line (LOG_LEVEL=debug here) which way each one went: `served: "warm lane"`.
 */
const REPLAYABLE_BYTES = 4096;

describe.each(testDatabases)('the Proxy API warm lane on %s', (database) => {
  let server: TestServer;
  let provider: ProviderSimulator;

  beforeAll(async () => {
    // A small replayable size, so that a body past it (which the route streams) is quick to send.
    server = await startTestServer(database, { SWITCHBOARD_PROXY_REPLAYABLE_BODY_BYTES: String(REPLAYABLE_BYTES) });
    provider = await startProviderSimulator();
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      provider.route(method, '/echo', (request) => ({
        status: 201,
        body: { method: request.method, raw: request.rawBody, type: request.headers['content-type'] ?? null, length: request.headers['content-length'] ?? null },
      }));
    }
    provider.route('GET', '/ok', () => ({ body: { ok: true } }));
    provider.route('GET', '/warm', () => ({ body: { ok: true } }));
    provider.route('GET', '/items', (request) => ({
      status: 203,
      headers: { vary: 'Accept', 'x-rate-limit-remaining': '41', 'set-cookie': 'provider=1' },
      body: { key: request.headers['x-api-key'], query: request.query },
    }));
    provider.route('DELETE', '/items/7', () => ({ status: 204 }));
    provider.route('HEAD', '/items/7', () => ({ status: 200, headers: { etag: '"v7"' } }));
    await defineCustomIntegration(server, apiKeyCustomIntegration('lane-api', provider.url));
  });
  afterAll(async () => {
    await provider?.close();
    await server?.close();
  });

  /** A connected user with one fixed user token, so that its second call finds the token verified already. */
  async function connectedCaller(label: string) {
    const sub = newUser(label);
    await connectApiKey(server, sub, 'custom.lane-api', `key-${sub}`);
    const token = await server.userToken(sub);
    const call = (path: string, init: RequestInit = {}) =>
      fetch(`${server.url}/projects/${server.projectId}/sdk/proxy/custom.lane-api${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string> | undefined) },
      });
    return { sub, token, call };
  }

  /** The request log lines for a path, in order: whether each call was served by the warm lane, and its status. */
  const served = (path: string) =>
    server.logs
      .map((line) => JSON.parse(line) as { msg?: string; path?: string; status?: number; served?: string })
      .filter((line) => line.msg === 'request' && line.path === `/projects/${server.projectId}/sdk/proxy/custom.lane-api${path}`)
      .map((line) => ({ lane: line.served === 'warm lane', status: line.status }));

  const answerOf = async (response: Response) => ({
    status: response.status,
    body: await response.text(),
    headers: Object.fromEntries(['content-type', 'vary', 'x-rate-limit-remaining', 'set-cookie', 'access-control-allow-origin', 'access-control-expose-headers', 'x-switchboard-error'].map((name) => [name, response.headers.get(name)])),
  });

  it('answers a warm call exactly as the Proxy API route answers it cold', async () => {
    const { call } = await connectedCaller('lane-same');
    const init = { headers: { origin: APP_ORIGIN } };
    const cold = await answerOf(await call('/items?page=2', init));
    const warm = await answerOf(await call('/items?page=2', init));
    expect(warm).toEqual(cold);
    expect(cold.status).toBe(203);
    expect(JSON.parse(cold.body)).toMatchObject({ key: expect.stringMatching(/^key-lane-same-/), query: { page: '2' } });
    // CORS for the allowed origin, Switchboard's Vary beside the provider's, and no provider cookie.
    expect(cold.headers).toMatchObject({ vary: 'Origin, Accept', 'x-rate-limit-remaining': '41', 'set-cookie': null, 'access-control-allow-origin': APP_ORIGIN });
    expect(served('/items')).toEqual([
      { lane: false, status: 203 },
      { lane: true, status: 203 },
    ]);
  });

  it('serves HEAD and DELETE warm too', async () => {
    const { call } = await connectedCaller('lane-methods');
    for (let round = 0; round < 2; round += 1) expect((await call('/items/7', { method: 'DELETE' })).status).toBe(204);
    const head = await call('/items/7', { method: 'HEAD' });
    expect([head.status, head.headers.get('etag'), await head.text()]).toEqual([200, '"v7"', '']);
    expect(served('/items/7')).toEqual([
      { lane: false, status: 204 },
      { lane: true, status: 204 },
      { lane: true, status: 200 },
    ]);
  });

  it('serves a warm call with a small body as the route does: the provider gets the same body, type and length', async () => {
    const bodies: [string, string | undefined, string][] = [
      ['POST', 'application/json', JSON.stringify({ name: 'Ada', tags: ['a', 'b'] })],
      ['PUT', 'text/plain; charset=utf-8', 'plain words, ünïcödé'],
      ['PATCH', undefined, 'x'.repeat(REPLAYABLE_BYTES)],
      ['DELETE', 'application/json', '{"ids":[1,2]}'],
    ];
    for (const [method, type, text] of bodies) {
      // A caller of its own per method, so that each first call is cold (the route) and each second one warm.
      const { call } = await connectedCaller(`lane-body-${method}`);
      const init = { method, body: text, headers: { origin: APP_ORIGIN, ...(type && { 'content-type': type }) } };
      const cold = await answerOf(await call('/echo', init));
      const warm = await answerOf(await call('/echo', init));
      expect(warm).toEqual(cold);
      expect(cold.status).toBe(201);
      // fetch sends a string body as text/plain;charset=UTF-8 when no type is given.
      expect(JSON.parse(cold.body)).toEqual({ method, raw: text, type: type ?? 'text/plain;charset=UTF-8', length: String(Buffer.byteLength(text)) });
    }
    expect(served('/echo')).toEqual(bodies.flatMap(() => [{ lane: false, status: 201 }, { lane: true, status: 201 }]));
  });

  it('leaves to the route a body it must stream, infer or refuse: past the replayable size, chunked, Content-Type: auto, a Content-Type Fastify refuses', async () => {
    const { call } = await connectedCaller('lane-body-route');
    expect((await call('/warm')).status).toBe(200);
    const large = 'y'.repeat(REPLAYABLE_BYTES + 1);
    const chunked = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('in '));
        controller.enqueue(new TextEncoder().encode('parts'));
        controller.close();
      },
    });
    const answers = [
      await call('/echo', { method: 'POST', body: large, headers: { 'content-type': 'text/plain' } }),
      await call('/echo', { method: 'POST', body: chunked, headers: { 'content-type': 'text/plain' }, duplex: 'half' } as RequestInit),
      await call('/echo', { method: 'POST', body: '{"inferred":true}', headers: { 'content-type': 'auto' } }),
    ];
    const echoed = await Promise.all(answers.map(async (answer) => (await answer.json()) as { raw: string; type: string }));
    expect(echoed.map(({ raw, type }) => ({ raw, type }))).toEqual([
      { raw: large, type: 'text/plain' },
      { raw: 'in parts', type: 'text/plain' },
      { raw: '{"inferred":true}', type: 'application/json' },
    ]);
    // Fastify refuses a Content-Type that is not a media type, on every method that may carry a body (415).
    for (const method of ['POST', 'DELETE']) {
      const refused = await call('/echo', { method, body: 'x', headers: { 'content-type': 'not a media type' } });
      expect(refused.status).toBe(415);
    }
    // The earlier test's calls to /echo are logged too: these are the last five.
    expect(served('/echo').slice(-5)).toEqual([
      { lane: false, status: 201 },
      { lane: false, status: 201 },
      { lane: false, status: 201 },
      { lane: false, status: 415 },
      { lane: false, status: 415 },
    ]);
  });

  it('leaves to the route what it must check or read: a retry asked for, an over-long credential id, Content-Type: auto', async () => {
    const { call } = await connectedCaller('lane-leaves');
    expect((await call('/ok')).status).toBe(200);
    expect((await call('/ok', { headers: { 'x-switchboard-retry': '2' } })).status).toBe(200);
    expect((await call('/ok', { headers: { 'x-switchboard-retry': 'often' } })).status).toBe(400);
    expect((await call('/ok', { headers: { 'x-paragon-credential': 'x'.repeat(101) } })).status).toBe(400);
    expect((await call('/ok', { method: 'DELETE', headers: { 'content-type': 'auto' } })).status).toBe(404);
    expect(served('/ok').map((line) => line.lane)).toEqual([false, false, false, false, false]);
  });

  it('leaves a call with a token it has not verified to the route, which refuses a bad one', async () => {
    const { call } = await connectedCaller('lane-token');
    expect((await call('/ok')).status).toBe(200);
    const forged = await fetch(`${server.url}/projects/${server.projectId}/sdk/proxy/custom.lane-api/ok`, { headers: { authorization: 'Bearer not.a.token' } });
    expect(forged.status).toBe(401);
    expect(forged.headers.get('x-switchboard-error')).toBe('USER_TOKEN_INVALID');
    expect(served('/ok').filter((line) => line.lane)).toEqual([]);
  });

  it('answers a provider gone since the last call in the one error shape, with the CORS headers', async () => {
    const gone = await startProviderSimulator();
    gone.route('GET', '/ok', () => ({ body: { ok: true } }));
    await defineCustomIntegration(server, apiKeyCustomIntegration('lane-gone', gone.url));
    const sub = newUser('lane-gone');
    await connectApiKey(server, sub, 'custom.lane-gone', 'key-gone');
    const token = await server.userToken(sub);
    const call = () => fetch(`${server.url}/projects/${server.projectId}/sdk/proxy/custom.lane-gone/ok`, { headers: { authorization: `Bearer ${token}`, origin: APP_ORIGIN } });
    expect((await call()).status).toBe(200);
    await gone.close();
    const response = await call();
    expect(response.status).toBe(502);
    expect(response.headers.get('x-switchboard-error')).toBe('UPSTREAM_UNREACHABLE');
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ message: expect.any(String), code: 'UPSTREAM_UNREACHABLE' });
    const lines = server.logs
      .map((line) => JSON.parse(line) as { msg?: string; path?: string; status?: number; served?: string })
      .filter((line) => line.msg === 'request' && line.path?.endsWith('/custom.lane-gone/ok'));
    expect(lines.map((line) => [line.served ?? 'route', line.status])).toEqual([
      ['route', 200],
      ['warm lane', 502],
    ]);
  });
});

describe('the Proxy API warm lane and the rate limits', () => {
  let server: TestServer;
  let provider: ProviderSimulator;

  beforeAll(async () => {
    // One call per second per user: the second call at once is refused, by the route, not served by the lane.
    server = await startTestServer('sqlite', { SWITCHBOARD_PROXY_RATE_LIMIT_USER: '1' });
    provider = await startProviderSimulator();
    provider.route('GET', '/ok', () => ({ body: { ok: true } }));
    await defineCustomIntegration(server, apiKeyCustomIntegration('lane-limited', provider.url));
  });
  afterAll(async () => {
    await provider?.close();
    await server?.close();
  });

  it('leaves a call over the limit to the route, which answers 429', async () => {
    const sub = newUser('lane-limited');
    await connectApiKey(server, sub, 'custom.lane-limited', 'key-limited');
    const token = await server.userToken(sub);
    const call = () => fetch(`${server.url}/projects/${server.projectId}/sdk/proxy/custom.lane-limited/ok`, { headers: { authorization: `Bearer ${token}` } });
    const statuses = [(await call()).status, (await call()).status];
    expect(statuses).toEqual([200, 429]);
    expect(provider.requestsTo('/ok')).toHaveLength(2); // the connect's test call and the first proxied one
  });
});
