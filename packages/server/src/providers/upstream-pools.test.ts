import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import type { Resolver } from './network-policy.js';
import { UpstreamPools, upstreamFailure } from './upstream-pools.js';

const SETTINGS = { connectTimeoutMs: 150, headersTimeoutMs: 150, bodyTimeoutMs: 150, connectionsPerOrigin: 4 };

async function listen<T extends Server | TcpServer>(server: T): Promise<T & { port: number }> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return Object.assign(server, { port: (server.address() as AddressInfo).port });
}

async function shut(server: Server | TcpServer): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** What a request through the pool ends as, seen the way the proxy route sees it: headers, then the body read. */
async function outcome(run: () => Promise<{ statusCode: number; body: string }>): Promise<{ status: number; code?: string; message?: string; body?: string }> {
  try {
    const { statusCode, body } = await run();
    return { status: statusCode, body };
  } catch (error) {
    const failure = upstreamFailure(error);
    if (!failure) throw error;
    return { status: failure.statusCode, code: failure.code, message: failure.message };
  }
}

describe('UpstreamPools against loopback servers', () => {
  const sockets = new Set<import('node:net').Socket>();
  let ok: Server & { port: number };
  let silent: Server & { port: number };
  let stallsBody: Server & { port: number };
  let garbage: TcpServer & { port: number };
  let hangsUp: TcpServer & { port: number };
  let closedPort: number;

  beforeAll(async () => {
    ok = await listen(createServer((request, response) => response.end(`ok ${request.method} ${request.url}`)));
    silent = await listen(createServer(() => {}));
    stallsBody = await listen(
      createServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
        response.write('first ten!');
      }),
    );
    garbage = await listen(createTcpServer((socket) => socket.end('NOT HTTP AT ALL\r\n\r\n')));
    hangsUp = await listen(createTcpServer((socket) => socket.once('data', () => socket.destroy())));
    for (const server of [garbage, hangsUp]) server.on('connection', (socket) => sockets.add(socket));
    const probe = await listen(createServer());
    closedPort = probe.port;
    await shut(probe);
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all([ok, silent, stallsBody, garbage, hangsUp].map(shut));
  });

  const request = (pools: UpstreamPools, origin: string, allowPrivate: boolean) => async () => {
    const response = await pools.pool(origin, allowPrivate).request({ path: '/items?x=1', method: 'GET', headers: { accept: 'text/plain' } });
    return { statusCode: response.statusCode, body: await response.body.text() };
  };

  it('answers through a pool', async () => {
    const pools = new UpstreamPools(SETTINGS);
    expect(await outcome(request(pools, `http://127.0.0.1:${ok.port}`, true))).toEqual({ status: 200, body: 'ok GET /items?x=1' });
    await pools.close();
  });

  it('maps a port with nothing listening to a 502', async () => {
    const pools = new UpstreamPools(SETTINGS);
    expect(await outcome(request(pools, `http://127.0.0.1:${closedPort}`, true))).toEqual({
      status: 502,
      code: 'UPSTREAM_UNREACHABLE',
      message: 'Switchboard could not reach the provider',
    });
    await pools.close();
  });

  it('maps a host name that does not resolve to a 502', async () => {
    const nowhere: Resolver = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.example.test'), { code: 'ENOTFOUND' });
    };
    const pools = new UpstreamPools(SETTINGS, nowhere);
    expect(await outcome(request(pools, 'http://nowhere.example.test', false))).toMatchObject({ status: 502, code: 'UPSTREAM_UNREACHABLE' });
    await pools.close();
  });

  it('maps a provider that accepts but never answers to a 504 after headersTimeout', async () => {
    const pools = new UpstreamPools(SETTINGS);
    const started = performance.now();
    expect(await outcome(request(pools, `http://127.0.0.1:${silent.port}`, true))).toEqual({
      status: 504,
      code: 'UPSTREAM_TIMEOUT',
      message: 'The provider did not answer in time',
    });
    expect(performance.now() - started).toBeLessThan(5_000);
    await pools.close();
  });

  it('maps a body that stalls to a 504 when the caller reads it, after the headers came through', async () => {
    const pools = new UpstreamPools(SETTINGS);
    const response = await pools.pool(`http://127.0.0.1:${stallsBody.port}`, true).request({ path: '/', method: 'GET' });
    // The status and headers arrive: the route has already started its reply when the body fails.
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-length']).toBe('100');
    const chunks: Buffer[] = [];
    const read = (async () => {
      for await (const chunk of response.body) chunks.push(chunk as Buffer);
    })();
    const error = await read.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(Buffer.concat(chunks).toString()).toBe('first ten!');
    expect(error).toMatchObject({ code: 'UND_ERR_BODY_TIMEOUT' });
    expect(upstreamFailure(error)).toMatchObject({ statusCode: 504, code: 'UPSTREAM_TIMEOUT' });
    await pools.close();
  });

  it('maps a connect that does not complete to a 504 after connectTimeout', async () => {
    // The connect timer starts when undici opens the socket and covers the lookup, so a resolver that never
    // answers times the connect out on every network. (A non-routable address such as 10.255.255.1 is no use
    // here: this sandbox's network answers every address, with a 404, so such a test could not fail.)
    const neverAnswers: Resolver = () => new Promise(() => {});
    const pools = new UpstreamPools(SETTINGS, neverAnswers);
    const started = performance.now();
    const result = await outcome(request(pools, 'http://slow.example.test', false));
    expect(result).toEqual({ status: 504, code: 'UPSTREAM_TIMEOUT', message: 'The provider did not answer in time' });
    expect(performance.now() - started).toBeLessThan(5_000);
    await pools.close();
  });

  it('maps a provider that hangs up mid-request to a 502', async () => {
    const pools = new UpstreamPools(SETTINGS);
    expect(await outcome(request(pools, `http://127.0.0.1:${hangsUp.port}`, true))).toMatchObject({ status: 502, code: 'UPSTREAM_UNREACHABLE' });
    await pools.close();
  });

  it('maps a provider that does not speak HTTP to a 502', async () => {
    const pools = new UpstreamPools(SETTINGS);
    expect(await outcome(request(pools, `http://127.0.0.1:${garbage.port}`, true))).toEqual({
      status: 502,
      code: 'UPSTREAM_BAD_RESPONSE',
      message: 'The provider sent a response Switchboard could not read',
    });
    await pools.close();
  });

  it('maps a failed TLS handshake to a 502', async () => {
    const pools = new UpstreamPools(SETTINGS);
    // An https origin on a plain-HTTP port: the handshake fails.
    expect(await outcome(request(pools, `https://127.0.0.1:${ok.port}`, true))).toMatchObject({ status: 502, code: 'UPSTREAM_TLS_FAILED' });
    await pools.close();
  });

  it('refuses localhost when private addresses are not allowed, and reaches it when they are', async () => {
    const pools = new UpstreamPools(SETTINGS);
    expect(await outcome(request(pools, `http://localhost:${ok.port}`, false))).toEqual({
      status: 403,
      code: 'UPSTREAM_ADDRESS_BLOCKED',
      message: 'Switchboard does not send requests to private or internal network addresses',
    });
    expect(await outcome(request(pools, `http://localhost:${ok.port}`, true))).toEqual({ status: 200, body: 'ok GET /items?x=1' });
    await pools.close();
  });

  it('refuses a name that resolves to a private address among public ones', async () => {
    const mixed: Resolver = async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ];
    const pools = new UpstreamPools(SETTINGS, mixed);
    expect(await outcome(request(pools, `http://rebound.example.test:${ok.port}`, false))).toMatchObject({ status: 403, code: 'UPSTREAM_ADDRESS_BLOCKED' });
    await pools.close();
  });

  it.each(['http://127.0.0.1', 'http://[::1]:8080', 'http://2130706433', 'http://169.254.169.254', 'https://[::ffff:10.0.0.1]'])(
    'refuses the IP-literal origin %s before connecting',
    async (origin) => {
      const pools = new UpstreamPools(SETTINGS);
      expect(() => pools.pool(origin, false)).toThrow(ApiError);
      expect(() => pools.pool(origin, false)).toThrow(expect.objectContaining({ statusCode: 403, code: 'UPSTREAM_ADDRESS_BLOCKED' }));
      expect(pools.pool(origin, true)).toBeDefined();
      await pools.close();
    },
  );

  it('refuses an origin that is not http or https', async () => {
    const pools = new UpstreamPools(SETTINGS);
    expect(() => pools.pool('ftp://files.example.com', true)).toThrow(expect.objectContaining({ statusCode: 400, code: 'INVALID_UPSTREAM_URL' }));
    await pools.close();
  });

  it('keeps one pool per origin and private-address setting', async () => {
    const pools = new UpstreamPools(SETTINGS);
    const origin = `http://localhost:${ok.port}`;
    expect(pools.pool(origin, false)).toBe(pools.pool(`${origin}/ignored/path`, false));
    expect(pools.pool(origin, true)).not.toBe(pools.pool(origin, false));
    expect(pools.pool('http://localhost:1', true)).not.toBe(pools.pool(origin, true));
    await pools.close();
  });

  it('guards fetch through agent(): names and IP literals (as a redirect would give) alike', async () => {
    const pools = new UpstreamPools(SETTINGS);
    for (const url of [`http://localhost:${ok.port}/a`, `http://127.0.0.1:${ok.port}/a`, `http://[::1]:${ok.port}/a`]) {
      const error = await fetch(url, { dispatcher: pools.agent(false) }).then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(TypeError); // fetch's "fetch failed", with our error as its cause
      expect(upstreamFailure(error)).toMatchObject({ statusCode: 403, code: 'UPSTREAM_ADDRESS_BLOCKED' });
    }
    const response = await fetch(`http://localhost:${ok.port}/token`, { method: 'POST', dispatcher: pools.agent(true) });
    expect(await response.text()).toBe('ok POST /token');
    expect(pools.agent(true)).toBe(pools.agent(true));
    await pools.close();
  });

  it('closes every socket it opened, and opens no more once closed', async () => {
    const pools = new UpstreamPools(SETTINGS);
    await request(pools, `http://127.0.0.1:${ok.port}`, true)();
    await fetch(`http://127.0.0.1:${ok.port}/`, { dispatcher: pools.agent(true) }).then((response) => response.text());
    const open = () => new Promise<number>((resolve, reject) => ok.getConnections((error, count) => (error ? reject(error) : resolve(count))));
    expect(await open()).toBe(2); // kept alive, one from the pool and one from the agent
    await pools.close();
    for (let i = 0; i < 50 && (await open()) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await open()).toBe(0);
    expect(() => pools.pool(`http://127.0.0.1:${ok.port}`, true)).toThrow(/closed/);
    expect(() => pools.agent(true)).toThrow(/closed/);
  });
});

describe('upstreamFailure', () => {
  const withCode = (code: string, message = `something ${code} 10.0.0.7:443`) => Object.assign(new Error(message), { code });

  it.each([
    ['UND_ERR_CONNECT_TIMEOUT', 504, 'UPSTREAM_TIMEOUT'],
    ['UND_ERR_HEADERS_TIMEOUT', 504, 'UPSTREAM_TIMEOUT'],
    ['UND_ERR_BODY_TIMEOUT', 504, 'UPSTREAM_TIMEOUT'],
    ['ETIMEDOUT', 504, 'UPSTREAM_TIMEOUT'],
    ['ECONNREFUSED', 502, 'UPSTREAM_UNREACHABLE'],
    ['ENOTFOUND', 502, 'UPSTREAM_UNREACHABLE'],
    ['EAI_AGAIN', 502, 'UPSTREAM_UNREACHABLE'],
    ['ECONNRESET', 502, 'UPSTREAM_UNREACHABLE'],
    ['EHOSTUNREACH', 502, 'UPSTREAM_UNREACHABLE'],
    ['ENETUNREACH', 502, 'UPSTREAM_UNREACHABLE'],
    ['UND_ERR_SOCKET', 502, 'UPSTREAM_UNREACHABLE'],
    ['CERT_HAS_EXPIRED', 502, 'UPSTREAM_TLS_FAILED'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 502, 'UPSTREAM_TLS_FAILED'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 502, 'UPSTREAM_TLS_FAILED'],
    ['HPE_INVALID_CONSTANT', 502, 'UPSTREAM_BAD_RESPONSE'],
    ['UPSTREAM_ADDRESS_BLOCKED', 403, 'UPSTREAM_ADDRESS_BLOCKED'],
  ])('maps %s to %i %s without naming the address', (code, status, ourCode) => {
    const failure = upstreamFailure(withCode(code));
    expect(failure).toMatchObject({ statusCode: status, code: ourCode, details: {} });
    expect(failure?.message).not.toMatch(/10\.0\.0\.7|443/);
  });

  it('looks through fetch wrappers and aggregate errors', () => {
    expect(upstreamFailure(new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') }))?.code).toBe('UPSTREAM_UNREACHABLE');
    expect(upstreamFailure(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]))?.code).toBe('UPSTREAM_UNREACHABLE');
  });

  it.each([
    ['a plain error', new Error('bug')],
    ['a closed pool', withCode('UND_ERR_CLOSED')],
    ['an aborted request', withCode('UND_ERR_ABORTED')],
    ['an invalid argument', withCode('UND_ERR_INVALID_ARG')],
    ['a string', 'ECONNREFUSED'],
    ['nothing', undefined],
  ])('leaves %s to the caller', (_name, error) => {
    expect(upstreamFailure(error)).toBeUndefined();
  });
});
