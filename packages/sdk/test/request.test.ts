import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyCustomIntegration, defineCustomIntegration } from '../../server/test/support/management.js';
import { connectApiKey } from '../../server/test/support/proxy.js';
import { newUser } from '../../server/test/support/sdk-flows.js';
import { startTestServer, type TestServer } from '../../server/test/support/test-server.js';
import type { RequestError, Switchboard } from '@switchboard/sdk';
import { sdkFor } from './support/fake-browser.js';

/** A provider API on loopback answering in the formats `request()` must read. */
function providerApi(): Promise<{ server: Server; url: string; seen: { method: string; url: string; contentType: string; body: string; key: string }[] }> {
  const seen: { method: string; url: string; contentType: string; body: string; key: string }[] = [];
  const readBody = async (request: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString();
  };
  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    seen.push({ method: request.method!, url: request.url!, contentType: request.headers['content-type'] ?? '', body, key: String(request.headers['x-api-key'] ?? '') });
    const path = request.url!.split('?')[0];
    const json = (status: number, value: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    if (path === '/ok') return json(200, { ok: true });
    if (path === '/wrapped') return json(200, { output: { id: 7 } });
    if (path === '/not-wrapped') return json(200, { output: 1, other: 2 });
    if (path === '/text') return response.writeHead(200, { 'content-type': 'text/plain' }).end('plain words');
    if (path === '/xml') return response.writeHead(200, { 'content-type': 'application/xml' }).end('<a>1</a>');
    if (path === '/bytes') return response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from([0, 1, 2, 255]));
    if (path === '/empty') return response.writeHead(204).end();
    if (path === '/missing') return json(404, { error: 'no such thing' });
    if (path === '/denied') return json(401, { error: 'bad key' });
    return json(200, { method: request.method, key: request.headers['x-api-key'] });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen })),
  );
}

let server: TestServer;
let provider: Awaited<ReturnType<typeof providerApi>>;
let type: string;
let sdk: Switchboard;
let accounts: string[];

beforeAll(async () => {
  server = await startTestServer();
  provider = await providerApi();
  const custom = await defineCustomIntegration(server, apiKeyCustomIntegration('formats', provider.url));
  type = custom.type;
  const sub = newUser('request');
  await connectApiKey(server, sub, custom.integrationId, 'key-one');
  const second = await server.sdk(sub, '/credentials', {
    method: 'POST',
    json: { integrationId: custom.integrationId, payload: { apiKey: 'key-two' }, installOptions: { allowMultipleCredentials: true } },
  });
  expect(second.status).toBe(201);
  sdk = sdkFor(server).sdk;
  await sdk.authenticate(server.projectId, await server.userToken(sub));
  const user = sdk.getUser();
  accounts = (user.authenticated && user.integrations[type]?.allCredentials?.map((account) => account.id)) || [];
  expect(accounts).toHaveLength(2);
});
afterAll(async () => {
  await server?.close();
  provider?.server.close();
});

describe('request() through the Proxy API', () => {
  it('parses JSON, unwraps an { output } answer, and leaves other objects as they are', async () => {
    await expect(sdk.request(type, '/ok')).resolves.toEqual({ ok: true });
    await expect(sdk.request(type, 'wrapped')).resolves.toEqual({ id: 7 });
    await expect(sdk.request(type, '/not-wrapped')).resolves.toEqual({ output: 1, other: 2 });
  });

  it('answers text and XML as strings, other types as a Blob, and no body as undefined', async () => {
    await expect(sdk.request(type, '/text')).resolves.toBe('plain words');
    await expect(sdk.request(type, '/xml')).resolves.toBe('<a>1</a>');
    const bytes = await sdk.request<Blob>(type, '/bytes');
    expect(bytes).toBeInstanceOf(Blob);
    expect([...new Uint8Array(await bytes.arrayBuffer())]).toEqual([0, 1, 2, 255]);
    await expect(sdk.request(type, '/empty', { method: 'DELETE' })).resolves.toBeUndefined();
  });

  it('sends an object body as JSON, a string body for the proxy to type, the method, query and headers', async () => {
    await sdk.request(type, '/echo?q=1', { method: 'post', body: { name: 'a new contact' }, headers: { 'X-Custom': 'yes' } });
    expect(provider.seen.at(-1)).toMatchObject({ method: 'POST', url: '/echo?q=1', contentType: 'application/json', body: '{"name":"a new contact"}' });
    await sdk.request(type, '/echo', { method: 'PUT', body: '{"raw":true}' });
    expect(provider.seen.at(-1)).toMatchObject({ method: 'PUT', contentType: 'application/json', body: '{"raw":true}' });
    await sdk.request(type, '/echo', { method: 'POST', body: new URLSearchParams({ a: '1' }) });
    expect(provider.seen.at(-1)).toMatchObject({ contentType: expect.stringContaining('application/x-www-form-urlencoded'), body: 'a=1' });
  });

  it('calls the API as the account picked with selectedCredentialId', async () => {
    await expect(sdk.request(type, '/who', { selectedCredentialId: accounts[1] })).resolves.toMatchObject({ key: 'key-two' });
    await expect(sdk.request(type, '/who', { selectedCredentialId: accounts[0] })).resolves.toMatchObject({ key: 'key-one' });
  });

  it("rejects a non-2xx answer with a RequestError carrying the provider's status, body and headers", async () => {
    const error = (await sdk.request(type, '/missing').catch((caught: unknown) => caught)) as RequestError;
    expect(error).toMatchObject({ name: 'RequestError', code: 'REQUEST_FAILED', status: 404, body: { error: 'no such thing' } });
    expect(error.headers['content-type']).toMatch(/application\/json/);
    // The provider refusing the account is not the user's session ending.
    await expect(sdk.request(type, '/denied')).rejects.toMatchObject({ name: 'RequestError', status: 401 });
    expect(sdk.getUser().authenticated).toBe(true);
  });

  it("rejects Switchboard's own refusals with their code: an unknown account, an integration not connected", async () => {
    await expect(sdk.request(type, '/ok', { selectedCredentialId: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({
      name: 'RequestError',
      status: 404,
      code: 'CREDENTIAL_NOT_FOUND',
    });
    await expect(sdk.request('sandbox-apikey', '/me')).rejects.toMatchObject({ status: 404, code: 'INTEGRATION_NOT_INSTALLED' });
    // Dot segments would be resolved by the browser's URL parser into another route: refused before sending.
    const sent = provider.seen.length;
    for (const path of ['/../../me', 'a/%2e%2E/b', './x', 'x\\..\\..\\..\\me', 'x/.\t./me', '..\\me']) {
      await expect(sdk.request(type, path)).rejects.toMatchObject({ status: 400, code: 'INVALID_PROXY_PATH', field: 'path' });
    }
    expect(provider.seen).toHaveLength(sent);
  });
});
