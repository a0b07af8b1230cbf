import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createManagementClient,
  createUserClient,
  signUserToken,
  SwitchboardApiError,
  SwitchboardError,
  type Credential,
  type UserClient,
} from '@switchboard/node';
import { apiKeyCustomIntegration } from '../../server/test/support/management.js';
import { freePort, startTestServer, type TestServer } from '../../server/test/support/test-server.js';
import { expectApiError, expectLocalError, expectNotLeaked, rejectionOf } from './support/helpers.js';

/** What the sandbox's echo endpoint answers (packages/server/src/sandbox/echo.ts). */
interface Echo {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  bodyType: 'empty' | 'json' | 'form' | 'digest';
  body: unknown;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

describe('createUserClient', () => {
  let server: TestServer;
  let privateKeyPem: string;

  beforeAll(async () => {
    server = await startTestServer();
    privateKeyPem = server.server.devProject!.privateKeyPem;
  });
  afterAll(async () => server?.close());

  /** A client for a fresh end user, signing a token per call as a backend would. */
  function userClient(userId = `user-${randomUUID()}`, options: { host?: string; timeoutMs?: number } = {}): UserClient & { userId: string } {
    const client = createUserClient({
      host: options.host ?? server.url,
      projectId: server.projectId,
      userToken: () => signUserToken(privateKeyPem, userId),
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    });
    return Object.assign(client, { userId });
  }

  /** Connects a sandbox-apikey account; every distinct sbx_ key is its own sandbox account. */
  const connectSandboxKey = (user: UserClient, apiKey: string, allowMultipleCredentials = false) =>
    user.connectCredential('sandbox-apikey', { apiKey }, allowMultipleCredentials ? { allowMultipleCredentials } : undefined);

  describe('user state', () => {
    it('getUser answers the user state for the token\'s user, every active integration disconnected at first', async () => {
      const user = userClient();
      const state = await user.getUser();
      expect(state).toMatchObject({ authenticated: true, userId: user.userId, meta: {}, project: { id: server.projectId } });
      expect(state.integrations['sandbox-apikey']).toMatchObject({ enabled: false, allCredentials: [] });
    });

    it('accepts a host with a trailing slash and a plain string token', async () => {
      const token = await signUserToken(privateKeyPem, 'slash-user');
      const user = createUserClient({ host: `${server.url}/`, projectId: server.projectId, userToken: token });
      expect(await user.getUser()).toMatchObject({ userId: 'slash-user' });
    });

    it('calls a userToken function for every request, so each call carries a freshly signed token', async () => {
      let calls = 0;
      const user = createUserClient({
        host: server.url,
        projectId: server.projectId,
        userToken: () => {
          calls += 1;
          // The first token is already expired: only a function called again can recover.
          return signUserToken(privateKeyPem, 'fresh-token-user', { expiresIn: calls === 1 ? -120 : '1h' });
        },
      });
      await expectApiError(user.getUser(), 401, 'USER_TOKEN_EXPIRED');
      expect(await user.getUser()).toMatchObject({ userId: 'fresh-token-user' });
      expect(calls).toBe(2);
    });

    it('setUserMetadata merges into the user\'s meta and answers the new state', async () => {
      const user = userClient();
      expect((await user.setUserMetadata({ plan: 'pro', seats: 3 })).meta).toEqual({ plan: 'pro', seats: 3 });
      const merged = await user.setUserMetadata({ seats: 5, region: 'eu' });
      expect(merged.meta).toEqual({ plan: 'pro', seats: 5, region: 'eu' });
      expect((await user.getUser()).meta).toEqual({ plan: 'pro', seats: 5, region: 'eu' });
    });

    it('surfaces a refused metadata update as SwitchboardApiError with code and field', async () => {
      const error = await expectApiError(userClient().setUserMetadata({ blob: 'x'.repeat(70 * 1024) }), 400, 'META_TOO_LARGE');
      expect(error.field).toBe('meta');
      expect(error.body).toMatchObject({ code: 'META_TOO_LARGE', field: 'meta' });
    });

    it('getIntegrations lists the active integrations with their ids and install fields; getIntegrationMetadata their name and icon', async () => {
      const user = userClient();
      const integrations = await user.getIntegrations();
      const sandboxKey = integrations.find((i) => i.type === 'sandbox-apikey');
      expect(sandboxKey).toMatchObject({ isActive: true, authenticationType: 'basic', authenticationMethod: 'apiKey', credentialFields: [expect.objectContaining({ id: 'apiKey' })] });
      expect(typeof sandboxKey!.id).toBe('string');
      const metadata = await user.getIntegrationMetadata();
      expect(metadata.find((m) => m.type === 'sandbox-apikey')).toMatchObject({
        type: 'sandbox-apikey',
        name: 'Sandbox (API key)',
        brandColor: expect.stringMatching(/^#/),
        icon: expect.stringMatching(new RegExp(`^${server.url}/icons/`)),
      });
    });
  });

  describe('credentials', () => {
    it('connectCredential connects a sandbox-apikey account that listCredentials then lists, all or by type', async () => {
      const user = userClient();
      const credential = await connectSandboxKey(user, 'sbx_list');
      expect(credential).toMatchObject({ integrationType: 'sandbox-apikey', status: 'VALID', providerId: expect.stringMatching(/^key_/) });
      expect((await user.listCredentials()).map((c) => c.id)).toEqual([credential.id]);
      expect((await user.listCredentials('sandbox-apikey')).map((c) => c.id)).toEqual([credential.id]);
      expect(await user.listCredentials('sandbox')).toEqual([]);
      await expectApiError(user.listCredentials('no-such-integration'), 404, 'INTEGRATION_NOT_FOUND');
    });

    it('surfaces a credential the provider rejects as 400 CREDENTIAL_REJECTED', async () => {
      await expectApiError(connectSandboxKey(userClient(), 'not-a-sandbox-key'), 400, 'CREDENTIAL_REJECTED');
    });
  });

  describe('request (Proxy API)', () => {
    let user: UserClient;
    let credential: Credential;

    beforeAll(async () => {
      user = userClient();
      credential = await connectSandboxKey(user, 'sbx_proxy');
    });

    it('GET /me returns the provider\'s JSON answer, parsed', async () => {
      const me = await user.request<{ id: string; name: string }>('sandbox-apikey', '/me');
      expect(me).toMatchObject({ id: credential.providerId, name: expect.any(String) });
    });

    it('a path without a leading slash and a query string reach the provider unchanged', async () => {
      const echo = await user.request<Echo>('sandbox-apikey', 'echo/items?limit=5&q=a%20b');
      expect(echo).toMatchObject({ method: 'GET', path: '/sandbox/api/echo/items', query: { limit: '5', q: 'a b' }, bodyType: 'empty' });
    });

    it('a POST with a plain object body goes as JSON and round-trips through the echo endpoint', async () => {
      const sent = { name: 'a new contact', tags: ['a', 'b'], nested: { n: 1, ok: true } };
      const echo = await user.request<Echo>('sandbox-apikey', '/echo/contacts', { method: 'post', body: sent });
      expect(echo).toMatchObject({ method: 'POST', path: '/sandbox/api/echo/contacts', bodyType: 'json', body: sent });
      expect(echo.headers['content-type']).toMatch(/^application\/json/);
    });

    it('an array body goes as JSON too', async () => {
      const echo = await user.request<Echo>('sandbox-apikey', '/echo', { method: 'PUT', body: [1, 'two', { three: 3 }] });
      expect(echo).toMatchObject({ method: 'PUT', bodyType: 'json', body: [1, 'two', { three: 3 }] });
    });

    it('a string body goes as it is, its type inferred by Switchboard unless the caller set Content-Type', async () => {
      const text = await user.request<Echo>('sandbox-apikey', '/echo', { method: 'POST', body: 'hello, provider' });
      expect(text.bodyType).toBe('digest');
      expect(text.body).toMatchObject({ bytes: 15, sha256: sha256('hello, provider'), contentType: expect.stringMatching(/^text\/plain/) });

      const jsonText = await user.request<Echo>('sandbox-apikey', '/echo', { method: 'POST', body: '{"raw":true}' });
      expect(jsonText).toMatchObject({ bodyType: 'json', body: { raw: true } });

      const labelled = await user.request<Echo>('sandbox-apikey', '/echo', { method: 'POST', body: '<a/>', headers: { 'Content-Type': 'application/xml' } });
      expect(labelled.body).toMatchObject({ contentType: 'application/xml', sha256: sha256('<a/>') });
    });

    it('Buffer, Uint8Array and ArrayBuffer bodies arrive byte for byte', async () => {
      const bytes = Buffer.from([0, 1, 2, 250, 255, 0, 7]);
      for (const body of [bytes, new Uint8Array(bytes), bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)]) {
        const echo = await user.request<Echo>('sandbox-apikey', '/echo', { method: 'POST', body });
        expect(echo).toMatchObject({ bodyType: 'digest', body: { bytes: 7, sha256: sha256(bytes), contentType: 'application/octet-stream' } });
      }
    });

    it('another typed array goes as its bytes, not as JSON of its indices', async () => {
      const words = new Uint16Array([1, 0xfffe, 3]);
      const echo = await user.request<Echo>('sandbox-apikey', '/echo', { method: 'POST', body: words });
      expect(echo.body).toMatchObject({ bytes: 6, sha256: sha256(Buffer.from(words.buffer)) });
    });

    it('a URLSearchParams body goes as a form', async () => {
      const echo = await user.request<Echo>('sandbox-apikey', '/echo', { method: 'POST', body: new URLSearchParams({ a: '1', b: 'two words' }) });
      expect(echo).toMatchObject({ bodyType: 'form', body: { a: '1', b: 'two words' } });
    });

    it('passes the caller\'s headers to the provider, but never lets one replace the user token', async () => {
      const echo = await user.request<Echo>('sandbox-apikey', '/echo', { headers: { 'X-Trace-Id': 'trace-123', Authorization: 'Bearer not-the-user-token' } });
      // Had the caller's Authorization replaced the user token, Switchboard would have answered 401.
      expect(echo.headers['x-trace-id']).toBe('trace-123');
      expect(echo.headers['x-api-key']).toMatch(/redacted/);
    });

    it('a non-2xx answer from the provider rejects with its status, parsed body and headers', async () => {
      const error = await expectApiError(user.request('sandbox-apikey', '/status/418?retry_after=7'), 418, 'HTTP_ERROR');
      expect(error.body).toEqual({ status: 418, error: 'status_418', message: 'The sandbox answered 418 as asked' });
      expect(error.headers['retry-after']).toBe('7');
      expect(error.headers['content-type']).toMatch(/^application\/json/);
      expect(error.message).toContain('The sandbox answered 418 as asked');
      expect(error.message).not.toContain('retry_after');
      await expectApiError(user.request('sandbox-apikey', '/status/503'), 503, 'HTTP_ERROR');
    });

    it('a 204 answer resolves with undefined, as does HEAD', async () => {
      expect(await user.request('sandbox-apikey', '/status/204')).toBeUndefined();
      expect(await user.request('sandbox-apikey', '/me', { method: 'HEAD' })).toBeUndefined();
    });

    it('Switchboard\'s own proxy errors carry their code: a user without an account gets 404 INTEGRATION_NOT_INSTALLED', async () => {
      const error = await expectApiError(userClient().request('sandbox-apikey', '/me'), 404, 'INTEGRATION_NOT_INSTALLED');
      expect(error.body).toMatchObject({ code: 'INTEGRATION_NOT_INSTALLED', message: expect.any(String) });
    });

    it('never puts the user token in an error', async () => {
      const token = await signUserToken(privateKeyPem, 'leak-check-user');
      const client = createUserClient({ host: server.url, projectId: server.projectId, userToken: token });
      expectNotLeaked(await rejectionOf(client.request('sandbox-apikey', '/me')), token);
      const expired = await signUserToken(privateKeyPem, 'leak-check-user', { expiresIn: -120 });
      expectNotLeaked(await rejectionOf(createUserClient({ host: server.url, projectId: server.projectId, userToken: expired }).getUser()), expired);
    });
  });

  describe('two accounts of one integration', () => {
    it('selectedCredentialId picks the account for request; without it the first valid account is used', async () => {
      const user = userClient();
      const first = await connectSandboxKey(user, 'sbx_first');
      const second = await connectSandboxKey(user, 'sbx_second', true);
      expect(first.providerId).not.toBe(second.providerId);
      expect(await user.request('sandbox-apikey', '/me', { selectedCredentialId: second.id })).toMatchObject({ id: second.providerId });
      expect(await user.request('sandbox-apikey', '/me', { selectedCredentialId: first.id })).toMatchObject({ id: first.providerId });
      expect(await user.request('sandbox-apikey', '/me')).toMatchObject({ id: first.providerId });
      await expectApiError(user.request('sandbox-apikey', '/me', { selectedCredentialId: randomUUID() }), 404, 'CREDENTIAL_NOT_FOUND');
    });

    it('uninstall with selectedCredentialId removes that account only; uninstall without it removes the rest', async () => {
      const user = userClient();
      const first = await connectSandboxKey(user, 'sbx_keep');
      const second = await connectSandboxKey(user, 'sbx_drop', true);

      expect(await user.uninstall('sandbox-apikey', { selectedCredentialId: second.id })).toEqual({ success: true, removedCredentialIds: [second.id] });
      expect((await user.listCredentials('sandbox-apikey')).map((c) => c.id)).toEqual([first.id]);
      await expectApiError(user.request('sandbox-apikey', '/me', { selectedCredentialId: second.id }), 404, 'CREDENTIAL_NOT_FOUND');

      const third = await connectSandboxKey(user, 'sbx_third', true);
      const removed = await user.uninstall('sandbox-apikey');
      expect(removed.success).toBe(true);
      expect([...removed.removedCredentialIds].sort()).toEqual([first.id, third.id].sort());
      expect(await user.listCredentials('sandbox-apikey')).toEqual([]);
      expect((await user.getUser()).integrations['sandbox-apikey']).toMatchObject({ enabled: false });
      await expectApiError(user.uninstall('sandbox-apikey'), 404, 'INTEGRATION_NOT_INSTALLED');
    });

    it('uninstall of a type the project does not have rejects with INTEGRATION_NOT_FOUND before calling DELETE', async () => {
      const error = await expectLocalError(() => userClient().uninstall('no-such-integration'), 'INTEGRATION_NOT_FOUND');
      expect(error.message).toContain('no-such-integration');
    });
  });

  describe('answers of other content types (a provider on this machine, as a custom integration)', () => {
    let provider: Server;
    let user: UserClient;
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0xff]);

    beforeAll(async () => {
      const answers: Record<string, { type?: string; body: string | Buffer; status?: number }> = {
        '/ok': { type: 'application/json', body: '{"ok":true}' },
        '/text': { type: 'text/plain; charset=utf-8', body: 'plain words ✓' },
        '/latin1': { type: 'text/plain; charset=iso-8859-1', body: Buffer.from([0x63, 0x61, 0x66, 0xe9]) },
        '/xml': { type: 'application/xml', body: '<contact id="1"/>' },
        '/atom': { type: 'application/atom+xml', body: '<feed/>' },
        '/image': { type: 'image/png', body: png },
        '/untyped': { body: Buffer.from('no type') },
        '/output': { type: 'application/json', body: '{"output":{"rows":[1,2]}}' },
        '/output-and-more': { type: 'application/json', body: '{"output":1,"next":"abc"}' },
        '/problem': { type: 'application/problem+json', body: '{"title":"Nope"}', status: 422 },
        '/empty': { type: 'application/json', body: '' },
        '/broken-json': { type: 'application/json', body: '{"cut' },
        '/html-error': { type: 'text/html', body: '<h1>Bad gateway</h1>', status: 502 },
        '/looks-like-switchboard': { type: 'application/json', body: '{"message":"gone","code":"INTEGRATION_NOT_INSTALLED"}', status: 404 },
      };
      provider = createServer((req, res) => {
        const answer = answers[(req.url ?? '').split('?')[0]!];
        if (!answer) return res.writeHead(404).end();
        res.writeHead(answer.status ?? 200, answer.type ? { 'content-type': answer.type } : {}).end(answer.body);
      });
      await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
      const management = createManagementClient({ host: server.url, projectId: server.projectId, secretKey: server.secretKey });
      await management.createCustomIntegration(
        apiKeyCustomIntegration('local-api', `http://127.0.0.1:${(provider.address() as AddressInfo).port}`) as never,
      );
      user = userClient();
      await user.connectCredential('custom.local-api', { apiKey: 'local-key' });
    });
    afterAll(async () => {
      provider?.closeAllConnections();
      await new Promise((resolve) => provider?.close(resolve));
    });

    it('text/* resolves with a string, decoded in the charset the answer names', async () => {
      expect(await user.request('custom.local-api', '/text')).toBe('plain words ✓');
      expect(await user.request('custom.local-api', '/latin1')).toBe('café');
    });

    it('XML (application/xml and +xml) resolves with a string', async () => {
      expect(await user.request('custom.local-api', '/xml')).toBe('<contact id="1"/>');
      expect(await user.request('custom.local-api', '/atom')).toBe('<feed/>');
    });

    it('binary or untyped answers resolve with a Buffer of the exact bytes', async () => {
      const image = await user.request('custom.local-api', '/image');
      expect(Buffer.isBuffer(image)).toBe(true);
      expect((image as Buffer).equals(png)).toBe(true);
      const untyped = await user.request('custom.local-api', '/untyped');
      expect(Buffer.isBuffer(untyped) && untyped.toString()).toBe('no type');
    });

    it('an answer that is exactly { output: X } resolves with X; one with more fields stays as it is', async () => {
      expect(await user.request('custom.local-api', '/output')).toEqual({ rows: [1, 2] });
      expect(await user.request('custom.local-api', '/output-and-more')).toEqual({ output: 1, next: 'abc' });
    });

    it('an empty 200 resolves with undefined; JSON that does not parse resolves with its text', async () => {
      expect(await user.request('custom.local-api', '/empty')).toBeUndefined();
      expect(await user.request('custom.local-api', '/broken-json')).toBe('{"cut');
    });

    it("a provider's error is never taken for Switchboard's own, even with a Switchboard-like code in its body", async () => {
      const error = await expectApiError(user.request('custom.local-api', '/looks-like-switchboard'), 404, 'HTTP_ERROR');
      expect(error.body).toEqual({ message: 'gone', code: 'INTEGRATION_NOT_INSTALLED' });
      await expectApiError(user.request('custom.local-api', '/ok', { selectedCredentialId: '00000000-0000-4000-8000-000000000000' }), 404, 'CREDENTIAL_NOT_FOUND');
    });

    it('error bodies are parsed the same way: +json as JSON, HTML as text', async () => {
      expect((await expectApiError(user.request('custom.local-api', '/problem'), 422, 'HTTP_ERROR')).body).toEqual({ title: 'Nope' });
      expect((await expectApiError(user.request('custom.local-api', '/html-error'), 502, 'HTTP_ERROR')).body).toBe('<h1>Bad gateway</h1>');
    });
  });

  describe('failures before any answer', () => {
    it('an unreachable host rejects with NETWORK_ERROR naming the host, never the token', async () => {
      const host = `http://127.0.0.1:${await freePort()}`;
      const token = await signUserToken(privateKeyPem, 'offline-user');
      const error = await expectLocalError(() => createUserClient({ host, projectId: server.projectId, userToken: token }).getUser(), 'NETWORK_ERROR');
      expect(error.message).toContain(host);
      expect(error.message).toMatch(/ECONNREFUSED/);
      expectNotLeaked(error, token);
    });

    describe('against a server that never answers', () => {
      // A host of its own: a call cut short inside Switchboard's proxy would test the server, not this client.
      let silent: Server;
      let host: string;

      beforeAll(async () => {
        silent = createServer(() => {});
        await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
        host = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      });
      afterAll(async () => {
        silent?.closeAllConnections();
        await new Promise((resolve) => silent?.close(resolve));
      });

      it('a call slower than timeoutMs rejects with TIMEOUT', async () => {
        const started = Date.now();
        const error = await expectLocalError(() => userClient(undefined, { host, timeoutMs: 300 }).getUser(), 'TIMEOUT');
        expect(error.message).toMatch(/300 ms/);
        expect(Date.now() - started).toBeLessThan(3000);
      });

      it('an aborted signal rejects a proxy call with ABORTED', async () => {
        const user = userClient(undefined, { host, timeoutMs: 0 });
        await expectLocalError(() => user.request('sandbox-apikey', '/me', { signal: AbortSignal.timeout(200) }), 'ABORTED');
      });
    });

    it('refuses bad options and a token that could not be sent as a header, without quoting it', async () => {
      await expectLocalError(() => createUserClient({ host: 'not a url', projectId: 'p', userToken: 't' }), 'INVALID_OPTIONS');
      await expectLocalError(() => createUserClient({ host: 'ftp://example.com', projectId: 'p', userToken: 't' }), 'INVALID_OPTIONS');
      await expectLocalError(() => createUserClient({ host: 'https://user:pw@example.com', projectId: 'p', userToken: 't' }), 'INVALID_OPTIONS');
      await expectLocalError(() => createUserClient({ host: server.url, projectId: '', userToken: 't' }), 'INVALID_OPTIONS');
      await expectLocalError(() => createUserClient({ host: server.url, projectId: 'p', userToken: '' }), 'INVALID_USER_TOKEN');
      const badToken = 'eyJ secret\npart';
      const fromFunction = createUserClient({ host: server.url, projectId: server.projectId, userToken: () => badToken });
      expectNotLeaked(await expectLocalError(() => fromFunction.getUser(), 'INVALID_USER_TOKEN'), 'secret');
      const user = userClient();
      expectNotLeaked(await expectLocalError(() => user.request('sandbox-apikey', '/me', { headers: { 'x-key': 'top-secret\nvalue' } }), 'INVALID_HEADER'), 'top-secret');
      await expectLocalError(() => user.request('sandbox-apikey', '/me', { method: 'GE T' }), 'INVALID_OPTIONS');
      await expectLocalError(() => user.request('sandbox-apikey', '/me', { method: 'GET', body: { a: 1 } }), 'INVALID_OPTIONS');
    });

    it('every error is a SwitchboardError, answers from the server a SwitchboardApiError', async () => {
      const error = await rejectionOf(userClient().listCredentials('no-such-integration'));
      expect(error).toBeInstanceOf(SwitchboardError);
      expect(error).toBeInstanceOf(SwitchboardApiError);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toBe('SwitchboardApiError');
    });
  });
});
