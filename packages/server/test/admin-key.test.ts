import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManagedProject, management, type ManagedProject } from './support/management.js';
import { expectError } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

describe.each(testDatabases)('the admin key on %s', (database) => {
  let server: TestServer;
  let managed: ManagedProject;

  beforeAll(async () => {
    server = await startTestServer(database, { SWITCHBOARD_ADMIN_KEY_FAILURES_PER_MINUTE: '3' });
    managed = await createManagedProject(server, 'Admin key checks');
  });
  afterAll(async () => server?.close());

  const patch = (key: string, body: Record<string, unknown>, projectId = managed.projectId) => management(server, key, 'PATCH', `/projects/${projectId}`, body);
  const project = async () => (await (await management(server, managed.secretKey, 'GET', `/projects/${managed.projectId}`)).json()) as Record<string, unknown>;

  describe('allowPrivateUpstreams', () => {
    it("cannot be turned on with the project's own secret key: 403 ADMIN_KEY_REQUIRED, nothing changed", async () => {
      const response = await patch(managed.secretKey, { name: 'Renamed on the way', allowPrivateUpstreams: true });
      await expectError(response, 403, 'ADMIN_KEY_REQUIRED', 'allowPrivateUpstreams');
      expect(await project()).toMatchObject({ name: 'Admin key checks', allowPrivateUpstreams: false });
    });

    it('is turned on with the admin key; the project key may then send it unchanged, and turn it off', async () => {
      expect(await (await patch(server.adminKey, { allowPrivateUpstreams: true })).json()).toMatchObject({ id: managed.projectId, allowPrivateUpstreams: true });
      expect((await patch(managed.secretKey, { name: 'Still private', allowPrivateUpstreams: true })).status).toBe(200);
      expect(await (await patch(managed.secretKey, { allowPrivateUpstreams: false })).json()).toMatchObject({ name: 'Still private', allowPrivateUpstreams: false });
    });

    it('answers 404 PROJECT_NOT_FOUND to the admin key for a project that does not exist', async () => {
      await expectError(await patch(server.adminKey, { allowPrivateUpstreams: true }, 'no-such-project'), 404, 'PROJECT_NOT_FOUND');
    });

    it("is no key to the project's other routes", async () => {
      await expectError(await management(server, server.adminKey, 'GET', `/projects/${managed.projectId}/connected-users`), 401, 'SECRET_KEY_INVALID');
    });
  });

  describe('wrong admin keys', () => {
    // A second loopback address is a second client; 127.0.0.1 keeps its budget for the other tests.
    const guesser = new Agent({ localAddress: '127.0.0.2' });
    afterAll(() => guesser.close());
    /** A management call from 127.0.0.2, with undici's own fetch (the global one takes no local address). */
    const fromGuesser = async (path: string, method: string, key: string, body: unknown) =>
      (await undiciFetch(`${server.url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        dispatcher: guesser,
      })) as unknown as Response;
    const create = (key: string, from: 'guesser' | 'test' = 'guesser') =>
      from === 'guesser' ? fromGuesser('/projects', 'POST', key, { name: 'Guessed' }) : management(server, key, 'POST', '/projects', { name: 'Guessed' });

    it('are throttled per client address: 429 RATE_LIMITED with Retry-After, even for the right key, and other addresses go on', async () => {
      for (let attempt = 0; attempt < 3; attempt++) await expectError(await create(`ak_guess_${attempt}`), 401, 'ADMIN_KEY_INVALID');
      const throttled = await create('ak_guess_3');
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      await expectError(throttled, 429, 'RATE_LIMITED');
      // The right key from the throttled address is refused too, so the limit tells a guesser nothing.
      await expectError(await create(server.adminKey), 429, 'RATE_LIMITED');
      // PATCH /projects/:id takes the admin key too: the limit holds there as well.
      await expectError(await fromGuesser(`/projects/${managed.projectId}`, 'PATCH', 'ak_guess_4', {}), 429, 'RATE_LIMITED');

      expect((await create(server.adminKey, 'test')).status).toBe(201);
    });

    it('do not spend the budget when the key is right', async () => {
      for (let attempt = 0; attempt < 5; attempt++) expect((await create(server.adminKey, 'test')).status).toBe(201);
    });
  });
});

describe('the client address behind a proxy', () => {
  // Only 127.0.0.1 is a trusted proxy here: it may name the client in X-Forwarded-For; any other peer may not.
  let server: TestServer;
  const untrusted = new Agent({ localAddress: '127.0.0.4' });
  const trusted = new Agent({ localAddress: '127.0.0.1' });

  beforeAll(async () => {
    server = await startTestServer('sqlite', { SWITCHBOARD_ADMIN_KEY_FAILURES_PER_MINUTE: '3', SWITCHBOARD_TRUST_PROXY: '127.0.0.1' });
  });
  afterAll(async () => {
    await Promise.all([untrusted.close(), trusted.close()]);
    await server?.close();
  });

  const guess = async (agent: Agent, key: string, forwardedFor: string) =>
    (await undiciFetch(`${server.url}/api/v1/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
      body: JSON.stringify({ name: 'Guessed' }),
      dispatcher: agent,
    })) as unknown as Response;

  it('is not taken from X-Forwarded-For sent by an untrusted peer: a guesser cannot rotate its way past the limit', async () => {
    for (let attempt = 0; attempt < 3; attempt++) await expectError(await guess(untrusted, `ak_guess_${attempt}`, `198.51.100.${attempt}`), 401, 'ADMIN_KEY_INVALID');
    await expectError(await guess(untrusted, 'ak_guess_3', '198.51.100.200'), 429, 'RATE_LIMITED');
  });

  it('is taken from X-Forwarded-For sent by a trusted proxy: each client behind it has its own budget', async () => {
    for (let attempt = 0; attempt < 3; attempt++) await expectError(await guess(trusted, `ak_guess_${attempt}`, '203.0.113.7'), 401, 'ADMIN_KEY_INVALID');
    await expectError(await guess(trusted, 'ak_guess_3', '203.0.113.7'), 429, 'RATE_LIMITED');
    // Another client behind the same proxy is not throttled for the first one's guesses.
    await expectError(await guess(trusted, 'ak_guess_4', '203.0.113.8'), 401, 'ADMIN_KEY_INVALID');
  });
});
