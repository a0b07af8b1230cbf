import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialFingerprint } from '../src/sandbox/echo.js';
import { apiKeyCustomIntegration, defineCustomIntegration, sandboxOAuthCustomIntegration } from './support/management.js';
import { startLoopbackProvider, type LoopbackProvider } from './support/loopback-provider.js';
import { startProviderSimulator, type ProviderSimulator } from './support/provider-simulator.js';
import { connectApiKey, proxy, rawRequest, storedSecrets } from './support/proxy.js';
import { APP_ORIGIN, connectSandbox, json, newUser, postedResult } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

type Json = Record<string, any>;

interface Echo {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string | string[]>;
  bodyType: 'empty' | 'json' | 'form' | 'digest';
  body: any;
}

describe.each(testDatabases)('proxy API forwarding on %s', (database) => {
  let server: TestServer;
  let sub: string;
  let credentialId: string;
  let accessToken: string;

  beforeAll(async () => {
    server = await startTestServer(database);
    sub = newUser('proxy');
    credentialId = postedResult((await connectSandbox(server, sub, { login: 'first@example.com' })).page).credentialId as string;
    accessToken = (await storedSecrets(server, credentialId)).accessToken!;
  });
  afterAll(async () => server?.close());

  const echo = async (path: string, init: RequestInit & { json?: unknown } = {}, as = sub): Promise<Echo> =>
    json<Echo>(await proxy(server, as, `sandbox/echo${path}`, init));

  it.each(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])('forwards %s with the user credential added', async (method) => {
    const echoed = await echo('/items/42', { method });
    expect(echoed.method).toBe(method);
    expect(echoed.path).toBe('/sandbox/api/echo/items/42');
    expect(echoed.headers.authorization).toBe(credentialFingerprint(`Bearer ${accessToken}`));
  });

  it('forwards HEAD and answers the status and headers without a body', async () => {
    const response = await proxy(server, sub, 'sandbox/echo/head', { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(await response.text()).toBe('');
  });

  it('keeps the query string as sent, repeated and encoded parameters included', async () => {
    const echoed = await echo('?q=a%20b&tag=x&tag=y&empty=&plus=1%2B1');
    expect(echoed.query).toEqual({ q: 'a b', tag: ['x', 'y'], empty: '', plus: '1+1' });
  });

  it('forwards a JSON body', async () => {
    const body = { name: 'Ada', nested: { list: [1, 2, 3] }, unicode: 'é漢' };
    const echoed = await echo('', { method: 'POST', json: body });
    expect(echoed).toMatchObject({ bodyType: 'json', body });
    expect(echoed.headers['content-type']).toBe('application/json');
  });

  it('infers the type of a body sent with Content-Type: auto', async () => {
    const echoed = await echo('', { method: 'POST', headers: { 'content-type': 'auto' }, body: JSON.stringify({ inferred: true }) });
    expect(echoed).toMatchObject({ bodyType: 'json', body: { inferred: true } });
    expect(echoed.headers['content-type']).toBe('application/json');
  });

  it('forwards a form body', async () => {
    const form = new URLSearchParams({ a: '1', b: 'two words' });
    form.append('a', '2');
    const echoed = await echo('', { method: 'POST', body: form });
    expect(echoed).toMatchObject({ bodyType: 'form', body: { a: ['1', '2'], b: 'two words' } });
  });

  it('forwards a multipart body byte for byte, boundary included', async () => {
    const form = new FormData();
    form.append('field', 'value');
    form.append('file', new Blob([new Uint8Array([0, 1, 2, 250, 255])], { type: 'application/octet-stream' }), 'bytes.bin');
    const encoded = new Response(form);
    const contentType = encoded.headers.get('content-type')!;
    const bytes = Buffer.from(await encoded.arrayBuffer());
    const echoed = await echo('', { method: 'POST', headers: { 'content-type': contentType }, body: bytes });
    expect(echoed.bodyType).toBe('digest');
    expect(echoed.body).toMatchObject({ bytes: bytes.length, sha256: sha256(bytes), contentType });
  });

  it('forwards a binary body byte for byte', async () => {
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
    const echoed = await echo('', { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    expect(echoed.body).toMatchObject({ bytes: bytes.length, sha256: sha256(bytes) });
  });

  it('forwards custom headers and drops hop-by-hop ones, cookies, forwarding headers and our own', async () => {
    const answer = await rawRequest(server, `/projects/${server.projectId}/sdk/proxy/sandbox/echo`, {
      authorization: `Bearer ${await server.userToken(sub)}`,
      'x-custom': 'kept',
      accept: 'application/json',
      'if-none-match': '"abc"',
      cookie: 'session=switchboard',
      connection: 'keep-alive, x-hop',
      'x-hop': 'dropped',
      'x-forwarded-for': '10.0.0.1',
      'x-paragon-sdk-version': '2.4.0',
      'x-switchboard-retry': '0',
      origin: 'http://localhost:5173',
    });
    expect(answer.status).toBe(200);
    const echoed = JSON.parse(answer.body) as Echo;
    expect(echoed.headers).toMatchObject({ 'x-custom': 'kept', accept: 'application/json', 'if-none-match': '"abc"' });
    for (const dropped of ['cookie', 'x-hop', 'x-forwarded-for', 'x-paragon-sdk-version', 'x-switchboard-retry', 'origin']) {
      expect(echoed.headers, dropped).not.toHaveProperty(dropped);
    }
    // The user token never travels upstream: the Authorization header is the provider credential.
    expect(echoed.headers.authorization).toBe(credentialFingerprint(`Bearer ${accessToken}`));
  });

  it("answers the provider's status and body as they came", async () => {
    const response = await proxy(server, sub, 'sandbox/status/418');
    expect(response.status).toBe(418);
    expect(await response.json()).toEqual({ status: 418, error: 'status_418', message: 'The sandbox answered 418 as asked' });
    const missing = await proxy(server, sub, 'sandbox/contacts/nope');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found' });
  });

  it('proxies the sandbox API as the connected account: create then read a contact', async () => {
    const created = await json(await proxy(server, sub, 'sandbox/contacts', { method: 'POST', json: { name: 'Ada', email: 'ada@example.com' } }), 201);
    const listed = await json<{ data: Json[] }>(await proxy(server, sub, 'sandbox/contacts'));
    expect(listed.data).toContainEqual(created);
    const me = await json(await proxy(server, sub, 'sandbox/me'));
    expect(me).toMatchObject({ id: 'first@example.com' });
  });

  it("lets an allowed browser origin send the provider's headers and read the answer's", async () => {
    const url = `${server.url}/projects/${server.projectId}/sdk/proxy/sandbox/echo`;
    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: {
        origin: APP_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,notion-version,x-switchboard-retry',
      },
    });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect((preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase()).toContain('notion-version');
    const actual = await proxy(server, sub, 'sandbox/echo', { headers: { origin: APP_ORIGIN } });
    expect(actual.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    // `*` for the provider's headers; X-Switchboard-Error named too, so it stays readable for credentialed requests.
    expect(actual.headers.get('access-control-expose-headers')).toBe('*, X-Switchboard-Error');
    const refused = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  describe('choosing an account', () => {
    let owner: string;
    let first: string;
    let second: string;

    beforeAll(async () => {
      owner = newUser('multi');
      first = postedResult((await connectSandbox(server, owner, { login: 'one@example.com' })).page).credentialId as string;
      second = postedResult(
        (await connectSandbox(server, owner, { login: 'two@example.com', installOptions: { allowMultipleCredentials: true } })).page,
      ).credentialId as string;
    });

    it('uses the first connected account by default', async () => {
      expect(await json(await proxy(server, owner, 'sandbox/me'))).toMatchObject({ id: 'one@example.com' });
    });

    it('uses the account named by X-Paragon-Credential', async () => {
      expect(await json(await proxy(server, owner, 'sandbox/me', { headers: { 'x-paragon-credential': second } }))).toMatchObject({ id: 'two@example.com' });
      expect(await json(await proxy(server, owner, 'sandbox/me', { headers: { 'x-paragon-credential': first } }))).toMatchObject({ id: 'one@example.com' });
    });

    it("answers 404 for another user's credential, an unknown one, and calls nothing", async () => {
      for (const id of [credentialId, '00000000-0000-4000-8000-000000000000']) {
        const response = await proxy(server, owner, 'sandbox/me', { headers: { 'x-paragon-credential': id } });
        expect(response.status).toBe(404);
        expect(await response.json()).toMatchObject({ code: 'CREDENTIAL_NOT_FOUND', message: expect.any(String) });
      }
    });

    it('answers 404 INTEGRATION_NOT_INSTALLED for a user without an account, and for an inactive or unknown integration', async () => {
      expect(await (await proxy(server, newUser('none'), 'sandbox/me')).json()).toMatchObject({ code: 'INTEGRATION_NOT_INSTALLED' });
      const unknown = await proxy(server, owner, 'salesforce/me');
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ code: 'INTEGRATION_NOT_FOUND' });
    });
  });

  describe('custom integrations', () => {
    let created: { id: string; integrationId: string; type: string };
    let customUser: string;

    beforeAll(async () => {
      created = await defineCustomIntegration(server, sandboxOAuthCustomIntegration(server, 'proxied'));
      customUser = newUser('custom');
      postedResult((await connectSandbox(server, customUser, { integration: 'custom.proxied', login: 'custom@example.com' })).page);
    });

    it('are proxied by custom.<slug>', async () => {
      expect(await json(await proxy(server, customUser, 'custom.proxied/me'))).toMatchObject({ id: 'custom@example.com' });
    });

    it('are proxied by integration id under /proxy/custom/, and by the custom integration id', async () => {
      const echoed = await json<Echo>(await proxy(server, customUser, `custom/${created.integrationId}/echo/x?y=1`));
      expect(echoed).toMatchObject({ path: '/sandbox/api/echo/x', query: { y: '1' } });
      expect(await json(await proxy(server, customUser, `custom/${created.id}/me`))).toMatchObject({ id: 'custom@example.com' });
    });

    it('answer 404 under /proxy/custom/ for a built-in integration id', async () => {
      const builtIn = ((await (await server.sdk(customUser, '/integrations')).json()) as Json[]).find((i) => i.type === 'sandbox')!;
      const response = await proxy(server, customUser, `custom/${builtIn.id}/me`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ code: 'INTEGRATION_NOT_FOUND' });
    });
  });

  describe('a 50 MB body', () => {
    const CHUNK = Buffer.alloc(256 * 1024, 7);
    const CHUNKS = 200; // 50 MiB
    let provider: LoopbackProvider;
    let sentChunks = 0;
    let sentWhenUpstreamPaused = -1;
    let sentAfterPause = -1;
    let received: { bytes: number; sha256: string } | undefined;

    beforeAll(async () => {
      // An API that reads the first bytes, then stops reading for a while: a streaming proxy passes the pause
      // back to the client (backpressure); one that buffers would keep reading the whole body meanwhile.
      provider = await startLoopbackProvider(server, 'uploads', (req, res) => {
        const hash = createHash('sha256');
        let bytes = 0;
        let paused = false;
        req.on('data', (chunk: Buffer) => {
          hash.update(chunk);
          bytes += chunk.length;
          if (paused) return;
          paused = true;
          req.pause();
          sentWhenUpstreamPaused = sentChunks;
          setTimeout(() => {
            sentAfterPause = sentChunks;
            req.resume();
          }, 500);
        });
        req.on('end', () => {
          received = { bytes, sha256: hash.digest('hex') };
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(received));
        });
      });
    });
    afterAll(async () => provider?.close());

    it('streams through with backpressure instead of being held in memory', async () => {
      const expected = createHash('sha256');
      for (let i = 0; i < CHUNKS; i += 1) expected.update(CHUNK);
      const body = Readable.from(
        (function* () {
          for (sentChunks = 0; sentChunks < CHUNKS; sentChunks += 1) yield CHUNK;
        })(),
      );
      const response = await proxy(server, provider.user, 'custom.uploads/files', {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(CHUNK.length * CHUNKS) },
        body: Readable.toWeb(body) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      expect(await json(response)).toEqual({ bytes: CHUNK.length * CHUNKS, sha256: expected.digest('hex') });
      // The API saw bytes long before the client had sent them all...
      expect(sentWhenUpstreamPaused).toBeGreaterThanOrEqual(0);
      expect(sentWhenUpstreamPaused).toBeLessThan(CHUNKS / 2);
      // ...and while it did not read, the client could send only what socket buffers hold, not the rest.
      expect(sentAfterPause).toBeLessThan(CHUNKS / 2);
    });
  });

  describe('a caller that hangs up before the provider answers', () => {
    let provider: LoopbackProvider;
    /** Each request the provider got and never answered, and whether it saw the request closed. */
    const pending: { closed: Promise<void> }[] = [];
    let onRequest: () => void = () => {};

    beforeAll(async () => {
      provider = await startLoopbackProvider(server, 'silent', (_req, res) => {
        // Never answered: the only way this request ends is Switchboard giving up on it.
        pending.push({ closed: new Promise<void>((resolve) => res.once('close', () => resolve())) });
        onRequest();
      });
    });
    afterAll(async () => provider?.close());

    it("stops the provider's request too", async () => {
      const caller = new AbortController();
      const reached = new Promise<void>((resolve) => (onRequest = resolve));
      const call = proxy(server, provider.user, 'custom.silent/slow', { signal: caller.signal }).catch((error: unknown) => error);
      await reached;
      caller.abort();
      expect(await call).toBeInstanceOf(Error);
      await pending[0]!.closed;
    });
  });

  describe('a long answer streamed to the caller', () => {
    const CHUNK = Buffer.alloc(64 * 1024, 'a');
    const CHUNKS = 512; // 32 MB: far more than the sockets between the provider and the caller hold
    let provider: LoopbackProvider;
    /** How many chunks the provider has written, and a promise for its answer's end or close. */
    let written = 0;
    let providerDone: Promise<'finished' | 'closed'> = Promise.resolve('finished');

    beforeAll(async () => {
      provider = await startLoopbackProvider(server, 'downloads', (_req, res) => {
        written = 0;
        providerDone = new Promise((resolve) => {
          res.once('finish', () => resolve('finished'));
          res.once('close', () => resolve(res.writableFinished ? 'finished' : 'closed'));
        });
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const more = () => {
          while (written < CHUNKS && !res.destroyed) {
            written += 1;
            if (!res.write(CHUNK)) return void res.once('drain', more);
          }
          if (written === CHUNKS) res.end();
        };
        more();
      });
    });
    afterAll(async () => provider?.close());

    it('holds the provider while the caller does not read, and delivers every byte once it does', async () => {
      const response = await proxy(server, provider.user, 'custom.downloads/file');
      expect(response.status).toBe(200);
      // The caller reads nothing for a while: the provider must be held at what the sockets and buffers hold.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(written).toBeLessThan(CHUNKS / 2);
      const bytes = (await response.arrayBuffer()).byteLength;
      expect(bytes).toBe(CHUNK.length * CHUNKS);
      expect(await providerDone).toBe('finished');
    });

    it("stops the provider's answer when the caller hangs up halfway", async () => {
      const caller = new AbortController();
      const response = await proxy(server, provider.user, 'custom.downloads/file', { signal: caller.signal });
      const reader = response.body!.getReader();
      await reader.read();
      caller.abort();
      expect(await providerDone).toBe('closed');
      expect(written).toBeLessThan(CHUNKS);
    });
  });

  describe("the provider's response headers", () => {
    let simulator: ProviderSimulator;
    let keyUser: string;

    beforeAll(async () => {
      simulator = await startProviderSimulator();
      simulator.route('GET', '/headers', () => ({
        status: 200,
        headers: {
          'x-ratelimit-remaining': '41',
          etag: '"v1"',
          'set-cookie': 'provider=1; Path=/',
          'access-control-allow-origin': '*',
          'x-provider': 'kept',
        },
        body: { ok: true },
      }));
      await defineCustomIntegration(server, apiKeyCustomIntegration('headers', simulator.url, { testEndpointUrl: '/headers' }));
      keyUser = newUser('headers');
      await connectApiKey(server, keyUser, 'custom.headers', 'key-123');
    });
    afterAll(async () => simulator?.close());

    it('come back as sent, minus cookies and CORS headers meant for another origin', async () => {
      const response = await proxy(server, keyUser, 'custom.headers/headers');
      expect(response.status).toBe(200);
      expect(response.headers.get('x-ratelimit-remaining')).toBe('41');
      expect(response.headers.get('etag')).toBe('"v1"');
      expect(response.headers.get('x-provider')).toBe('kept');
      expect(response.headers.get('set-cookie')).toBeNull();
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(simulator.requestsTo('/headers').at(-1)!.headers['x-api-key']).toBe('key-123');
    });
  });
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
