import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectApiKey } from './support/proxy.js';
import { credentialRowsOf, expectError, integrationIdOf, json, newUser } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

/** `{"a":{"a":…{}…}}` with `levels` objects in all (the outermost included). */
const nestedObject = (levels: number) => '{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1);
const nestedArray = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

describe.each(testDatabases)('JSON request bodies on %s', (database) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(database);
  });
  afterAll(async () => server?.close());

  const send = async (sub: string, method: string, path: string, body: string) =>
    fetch(`${server.url}/projects/${server.projectId}/sdk${path}`, {
      method,
      headers: { authorization: `Bearer ${await server.userToken(sub)}`, 'content-type': 'application/json' },
      body,
    });

  describe('nesting depth', () => {
    it('refuses 12,000 levels in PATCH /sdk/me with 400 JSON_TOO_DEEP, and stores nothing', async () => {
      const sub = newUser('deep-me');
      const response = await send(sub, 'PATCH', '/me', `{"meta":${nestedObject(12_000)}}`);
      await expectError(response, 400, 'JSON_TOO_DEEP');
      expect(response.headers.get('x-switchboard-error')).toBe('JSON_TOO_DEEP');
      expect((await json(await server.sdk(sub, '/me'))).meta).toEqual({});
    });

    it('refuses 100,000 levels in PATCH /sdk/credentials/:id with 400 JSON_TOO_DEEP, and the config stays', async () => {
      const sub = newUser('deep-config');
      await connectApiKey(server, sub, 'sandbox-apikey', 'sbx_deep');
      const [credential] = await credentialRowsOf(server, sub);
      const response = await send(sub, 'PATCH', `/credentials/${credential!.id}`, `{"config":${nestedArray(100_000)}}`);
      await expectError(response, 400, 'JSON_TOO_DEEP');
      const [after] = await credentialRowsOf(server, sub);
      expect(after!.config).toBe(credential!.config);
    });

    it('accepts a body exactly 64 levels deep', async () => {
      const sub = newUser('deep-enough');
      // The body object and `meta` are two of the 64.
      const response = await send(sub, 'PATCH', '/me', `{"meta":${nestedObject(63)}}`);
      expect(response.status).toBe(200);
      expect((await json(await server.sdk(sub, '/me'))).meta).toHaveProperty('a.a.a');
    });

    it('refuses 65 levels on the management API too', async () => {
      const response = await fetch(`${server.url}/api/v1/projects/${server.projectId}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
        body: `{"name":${nestedArray(64)}}`,
      });
      await expectError(response, 400, 'JSON_TOO_DEEP');
    });

    it('counts brackets inside strings as text', async () => {
      const sub = newUser('brackets');
      const response = await send(sub, 'PATCH', '/me', JSON.stringify({ meta: { note: '['.repeat(500) } }));
      expect(response.status).toBe(200);
    });
  });

  describe('an empty body with Content-Type: application/json', () => {
    it('is no body on DELETE /sdk/integrations/:id, as the reference SDK sends it', async () => {
      const sub = newUser('empty-delete');
      await connectApiKey(server, sub, 'sandbox-apikey', 'sbx_empty');
      const response = await send(sub, 'DELETE', `/integrations/${await integrationIdOf(server, 'sandbox-apikey')}`, '');
      expect(await json(response)).toMatchObject({ success: true, removedCredentialIds: [expect.any(String)] });
      expect(await credentialRowsOf(server, sub)).toEqual([]);
    });

    it('is no body on a route that needs one: 400 VALIDATION_ERROR, not INVALID_JSON', async () => {
      const response = await send(newUser('empty-post'), 'POST', '/oauth/start', '');
      const body = await expectError(response, 400, 'VALIDATION_ERROR', 'body');
      expect(body.message).not.toMatch(/JSON/);
    });

    it('is no body on the management API', async () => {
      const response = await fetch(`${server.url}/api/v1/projects/${server.projectId}/signing-keys/no-such-key`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
        body: '',
      });
      await expectError(response, 404, 'SIGNING_KEY_NOT_FOUND');
    });

    it('still refuses a body that is not JSON with 400 INVALID_JSON', async () => {
      await expectError(await send(newUser('bad-json'), 'PATCH', '/me', '{"meta": '), 400, 'INVALID_JSON');
    });
  });
});
