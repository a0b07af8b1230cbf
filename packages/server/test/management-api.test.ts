import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManagedProject, management, rsaKeyPair, type ManagedProject } from './support/management.js';
import { expectError } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

const CLIENT_SECRET = 'mgmt-test-client-secret-9f3c1e';

describe.each(testDatabases)('management API on %s', (database) => {
  let server: TestServer;
  let other: ManagedProject;
  const p = () => `/projects/${server.projectId}`;
  const api = (method: string, path: string, json?: unknown) => management(server, server.secretKey, method, path, json);

  /** Runs `work` with a Kysely plugin on the server's real database (to count or order its queries). */
  async function withDatabasePlugin(plugin: KyselyPlugin, work: () => Promise<unknown>): Promise<void> {
    const context = server.server.context as { db: typeof server.server.context.db };
    const original = context.db;
    context.db = original.withPlugin(plugin);
    try {
      await work();
    } finally {
      context.db = original;
    }
  }

  beforeAll(async () => {
    server = await startTestServer(database);
    other = await createManagedProject(server, 'Another project');
  });
  afterAll(async () => server?.close());

  describe('secret-key auth', () => {
    // One route of each family, with a body the route would accept, so only the key decides.
    const routes = (): [string, string, unknown?][] => [
      ['GET', p()],
      ['PATCH', p(), { name: 'Renamed' }],
      ['GET', `${p()}/signing-keys`],
      ['POST', `${p()}/signing-keys`, { publicKeyPem: rsaKeyPair().publicKeyPem }],
      ['DELETE', `${p()}/signing-keys/dev`],
      ['GET', `${p()}/integrations`],
      ['PUT', `${p()}/integrations/sandbox`, { isActive: false }],
      ['GET', `${p()}/custom-integrations`],
      ['POST', `${p()}/custom-integrations`, {}],
      ['PUT', `${p()}/custom-integrations/x`, {}],
      ['DELETE', `${p()}/custom-integrations/x`],
      ['GET', `${p()}/connected-users`],
      ['GET', `${p()}/credential-events`],
    ];

    it('answers 401 without a key, 401 with a wrong key and 403 with another project’s key, on every route family', async () => {
      for (const [method, path, body] of routes()) {
        for (const [key, status, code] of [
          [undefined, 401, 'SECRET_KEY_MISSING'],
          ['sk_not-a-real-key', 401, 'SECRET_KEY_INVALID'],
          [other.secretKey, 403, 'SECRET_KEY_WRONG_PROJECT'],
        ] as const) {
          const response = await management(server, key, method, path, body);
          expect({ route: `${method} ${path}`, key: key?.slice(0, 6), status: response.status }).toEqual({
            route: `${method} ${path}`,
            key: key?.slice(0, 6),
            status,
          });
          expect(await response.json()).toMatchObject({ code, message: expect.any(String) });
        }
      }
      // Nothing changed: the dev project keeps its name, key and active sandbox.
      expect(await (await api('GET', p())).json()).toMatchObject({ name: 'Development' });
      expect(((await (await api('GET', `${p()}/signing-keys`)).json()) as { id: string }[]).map((k) => k.id)).toEqual(['dev']);
      const integrations = (await (await api('GET', `${p()}/integrations`)).json()) as { type: string; isActive: boolean }[];
      expect(integrations.find((i) => i.type === 'sandbox')?.isActive).toBe(true);
    });

    it('refuses a key sent other than as a Bearer token', async () => {
      const response = await fetch(`${server.url}/api/v1${p()}`, { headers: { authorization: server.secretKey } });
      expect(response.status).toBe(401);
    });
  });

  describe('POST /api/v1/projects', () => {
    it('needs the admin key: missing or wrong → 401, a project secret key → 401', async () => {
      for (const key of [undefined, 'ak_wrong', server.secretKey]) {
        const response = await management(server, key, 'POST', '/projects', { name: 'Nope' });
        expect(response.status).toBe(401);
        expect(await response.json()).toMatchObject({ code: expect.any(String), message: expect.any(String) });
      }
    });

    it('answers {project, secretKey} once; the key works and is never shown again', async () => {
      const response = await management(server, server.adminKey, 'POST', '/projects', { name: 'Fresh', allowedOrigins: ['https://app.example.com'] });
      expect(response.status).toBe(201);
      const body = (await response.json()) as { project: { id: string; name: string; allowedOrigins: string[] }; secretKey: string };
      expect(Object.keys(body).sort()).toEqual(['project', 'secretKey']);
      expect(body.project).toMatchObject({ name: 'Fresh', allowedOrigins: ['https://app.example.com'] });
      expect(body.secretKey).toMatch(/^sk_/);
      const fetched = await management(server, body.secretKey, 'GET', `/projects/${body.project.id}`);
      expect(fetched.status).toBe(200);
      expect(await fetched.text()).not.toContain(body.secretKey);
    });

    it('refuses an invalid origin with 400 naming allowedOrigins[i]', async () => {
      const response = await management(server, server.adminKey, 'POST', '/projects', { name: 'Bad', allowedOrigins: ['https://ok.example.com', 'ftp://x'] });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ field: 'allowedOrigins[1]' });
    });
  });

  describe('PATCH project', () => {
    it('replaces allowedOrigins and renames', async () => {
      const response = await management(server, other.secretKey, 'PATCH', `/projects/${other.projectId}`, {
        name: 'Renamed',
        allowedOrigins: ['https://app.example.com', 'http://localhost:*'],
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ id: other.projectId, name: 'Renamed', allowedOrigins: ['https://app.example.com', 'http://localhost:*'] });
    });

    it.each([
      ['a path', 'https://app.example.com/path'],
      ['a trailing slash', 'https://app.example.com/'],
      ['a non-http scheme', 'javascript:alert(1)'],
      ['not a URL', 'app.example.com'],
    ])('refuses an origin with %s: 400 naming allowedOrigins[i], nothing stored', async (_name, bad) => {
      const response = await management(server, other.secretKey, 'PATCH', `/projects/${other.projectId}`, { allowedOrigins: ['https://fine.example.com', bad] });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { message: string; field: string };
      expect(body.field).toBe('allowedOrigins[1]');
      expect(body.message).toContain('allowedOrigins[1]');
      const project = (await (await management(server, other.secretKey, 'GET', `/projects/${other.projectId}`)).json()) as { allowedOrigins: string[] };
      expect(project.allowedOrigins).not.toContain('https://fine.example.com');
    });
  });

  describe('signing keys', () => {
    const keys = (project: ManagedProject) => `/projects/${project.projectId}/signing-keys`;

    it('adds, lists and deletes a public key; deleting an unknown key is 404', async () => {
      const project = await createManagedProject(server, 'Keys');
      const added = rsaKeyPair();
      const response = await management(server, project.secretKey, 'POST', keys(project), { id: 'second', publicKeyPem: added.publicKeyPem });
      expect(response.status).toBe(201);
      expect(await response.json()).toMatchObject({ id: 'second', publicKeyPem: added.publicKeyPem });
      const listed = (await (await management(server, project.secretKey, 'GET', keys(project))).json()) as { id: string }[];
      expect(listed.map((k) => k.id)).toEqual(['main', 'second']);

      const duplicate = await management(server, project.secretKey, 'POST', keys(project), { id: 'second', publicKeyPem: rsaKeyPair().publicKeyPem });
      expect(duplicate.status).toBe(409);

      expect((await management(server, project.secretKey, 'DELETE', `${keys(project)}/second`)).status).toBe(204);
      const missing = await management(server, project.secretKey, 'DELETE', `${keys(project)}/second`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ code: 'SIGNING_KEY_NOT_FOUND' });
      expect(((await (await management(server, project.secretKey, 'GET', keys(project))).json()) as { id: string }[]).map((k) => k.id)).toEqual(['main']);
    });

    it('gives a key without an id a generated one', async () => {
      const response = await api('POST', `${p()}/signing-keys`, { publicKeyPem: rsaKeyPair().publicKeyPem });
      expect(response.status).toBe(201);
      const { id } = (await response.json()) as { id: string };
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect((await api('DELETE', `${p()}/signing-keys/${id}`)).status).toBe(204);
    });

    it('refuses a private key PEM, a 1024-bit key, a non-RSA key and garbage with 400 on publicKeyPem', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const candidates = {
        pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        pkcs1: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
        weak,
        ec,
        garbage: `-----BEGIN PUBLIC KEY-----\n${'A'.repeat(120)}\n-----END PUBLIC KEY-----\n`,
      };
      for (const [name, publicKeyPem] of Object.entries(candidates)) {
        const response = await api('POST', `${p()}/signing-keys`, { id: `bad-${name}`, publicKeyPem });
        expect(response.status, name).toBe(400);
        const body = (await response.json()) as { field: string; message: string };
        expect(body.field, name).toBe('publicKeyPem');
        // The answer never echoes the key material back.
        expect(JSON.stringify(body)).not.toContain(publicKeyPem.split('\n')[1]!.slice(0, 40));
      }
      expect(((await (await api('GET', `${p()}/signing-keys`)).json()) as { id: string }[]).map((k) => k.id)).toEqual(['dev']);
    });
  });

  describe('integrations', () => {
    const sdkTypes = async (path: '/integrations' | '/me') => {
      const body = (await (await server.sdk('integration-user', path)).json()) as { type: string }[] | { integrations: Record<string, unknown> };
      return Array.isArray(body) ? body.map((i) => i.type) : Object.keys(body.integrations);
    };

    it('activates and configures a catalog integration; the client secret never appears, only hasClientSecret', async () => {
      const response = await api('PUT', `${p()}/integrations/github`, {
        clientId: 'gh-client',
        clientSecret: CLIENT_SECRET,
        scopes: ['repo', 'read:user'],
        portal: { description: 'Code', accentColor: '#123456' },
      });
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).not.toContain(CLIENT_SECRET);
      const body = JSON.parse(text) as Record<string, unknown>;
      expect(body).toMatchObject({ type: 'github', isActive: true, clientId: 'gh-client', hasClientSecret: true, scopes: ['repo', 'read:user'] });
      expect(body).not.toHaveProperty('clientSecret');

      const listed = await (await api('GET', `${p()}/integrations`)).text();
      expect(listed).not.toContain(CLIENT_SECRET);
      expect(JSON.parse(listed)).toContainEqual(expect.objectContaining({ type: 'github', hasClientSecret: true }));
      for (const path of ['/integrations', '/me', '/metadata'] as const) {
        expect(await (await server.sdk('integration-user', path)).text()).not.toContain(CLIENT_SECRET);
      }
      expect(await sdkTypes('/integrations')).toContain('github');
      expect(await sdkTypes('/me')).toContain('github');
      const sdkIntegration = ((await (await server.sdk('integration-user', '/integrations')).json()) as Record<string, unknown>[]).find((i) => i.type === 'github');
      expect(sdkIntegration).toMatchObject({ brandColor: '#123456', hasCredential: true });
    });

    it('clears the client secret with null, once the integration is inactive', async () => {
      await api('PUT', `${p()}/integrations/slack`, { clientId: 'slack-client', clientSecret: CLIENT_SECRET });
      const cleared = await api('PUT', `${p()}/integrations/slack`, { isActive: false, clientSecret: null });
      expect(await cleared.json()).toMatchObject({ type: 'slack', isActive: false, clientId: 'slack-client', hasClientSecret: false });
    });

    describe('an OAuth integration without its OAuth client', () => {
      const managedTypes = async () => ((await (await api('GET', `${p()}/integrations`)).json()) as { type: string }[]).map((i) => i.type);

      it('cannot be activated: 400 OAUTH_CLIENT_REQUIRED naming clientId, then clientSecret; nothing stored', async () => {
        await expectError(await api('PUT', `${p()}/integrations/hubspot`, {}), 400, 'OAUTH_CLIENT_REQUIRED', 'clientId');
        await expectError(await api('PUT', `${p()}/integrations/hubspot`, { isActive: true, clientId: 'hs-client' }), 400, 'OAUTH_CLIENT_REQUIRED', 'clientSecret');
        await expectError(await api('PUT', `${p()}/integrations/hubspot`, { clientSecret: CLIENT_SECRET }), 400, 'OAUTH_CLIENT_REQUIRED', 'clientId');
        expect(await managedTypes()).not.toContain('hubspot');
        expect(await sdkTypes('/integrations')).not.toContain('hubspot');
      });

      it('may be configured inactive, and activated once its client is complete', async () => {
        expect(await (await api('PUT', `${p()}/integrations/zendesk`, { isActive: false, clientId: 'zd-client' })).json()).toMatchObject({ isActive: false });
        await expectError(await api('PUT', `${p()}/integrations/zendesk`, { isActive: true }), 400, 'OAUTH_CLIENT_REQUIRED', 'clientSecret');
        expect(await (await api('PUT', `${p()}/integrations/zendesk`, { isActive: true, clientSecret: CLIENT_SECRET })).json()).toMatchObject({
          isActive: true,
          hasClientSecret: true,
        });
      });

      it('cannot lose its client while active', async () => {
        await api('PUT', `${p()}/integrations/jira`, { clientId: 'jira-client', clientSecret: CLIENT_SECRET });
        await expectError(await api('PUT', `${p()}/integrations/jira`, { clientSecret: null }), 400, 'OAUTH_CLIENT_REQUIRED', 'clientSecret');
        await expectError(await api('PUT', `${p()}/integrations/jira`, { clientId: null }), 400, 'OAUTH_CLIENT_REQUIRED', 'clientId');
        expect((await (await api('GET', `${p()}/integrations`)).json()) as unknown[]).toContainEqual(
          expect.objectContaining({ type: 'jira', isActive: true, clientId: 'jira-client', hasClientSecret: true }),
        );
      });

      it('left active without one (stored before this rule) is kept out of GET /sdk/integrations and /sdk/metadata', async () => {
        await api('PUT', `${p()}/integrations/notion`, { clientId: 'notion-client', clientSecret: CLIENT_SECRET });
        expect(await sdkTypes('/integrations')).toContain('notion');
        await server.server.context.db
          .updateTable('integrations')
          .set({ client_secret_sealed: null })
          .where('project_id', '=', server.projectId)
          .where('type', '=', 'notion')
          .execute();
        await server.server.context.caches.clear();
        expect(await sdkTypes('/integrations')).not.toContain('notion');
        const metadata = (await (await server.sdk('integration-user', '/metadata')).json()) as { type: string }[];
        expect(metadata.map((m) => m.type)).not.toContain('notion');
      });

      it("does not touch the dev project's sandbox, whose client is the sandbox's documented one, nor typed-credential integrations", async () => {
        const types = await sdkTypes('/integrations');
        for (const type of ['sandbox', 'sandbox-apikey', 'sandbox-client-credentials']) expect(types).toContain(type);
      });
    });

    it('a deactivated integration disappears from GET /sdk/integrations, /sdk/me and /sdk/metadata, and comes back when reactivated', async () => {
      expect(await sdkTypes('/integrations')).toContain('sandbox-client-credentials');
      const off = await api('PUT', `${p()}/integrations/sandbox-client-credentials`, { isActive: false });
      expect(off.status).toBe(200);
      expect(await off.json()).toMatchObject({ isActive: false });
      expect(await sdkTypes('/integrations')).not.toContain('sandbox-client-credentials');
      expect(await sdkTypes('/me')).not.toContain('sandbox-client-credentials');
      const metadata = (await (await server.sdk('integration-user', '/metadata')).json()) as { type: string }[];
      expect(metadata.map((m) => m.type)).not.toContain('sandbox-client-credentials');
      // Still listed for the admin, as inactive.
      const managed = (await (await api('GET', `${p()}/integrations`)).json()) as { type: string; isActive: boolean }[];
      expect(managed.find((i) => i.type === 'sandbox-client-credentials')?.isActive).toBe(false);

      expect((await api('PUT', `${p()}/integrations/sandbox-client-credentials`, { isActive: true })).status).toBe(200);
      expect(await sdkTypes('/integrations')).toContain('sandbox-client-credentials');
    });

    it('answers 404 for a type outside the catalog and 400 for unknown settings', async () => {
      const unknown = await api('PUT', `${p()}/integrations/no-such-provider`, { isActive: true });
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ code: 'INTEGRATION_NOT_FOUND' });
      const unknownCustom = await api('PUT', `${p()}/integrations/custom.nothing`, { isActive: true });
      expect(unknownCustom.status).toBe(404);
      const extra = await api('PUT', `${p()}/integrations/github`, { isActive: true, clientSecretPlain: 'x' });
      expect(extra.status).toBe(400);
    });
  });

  describe('connected users and the credential audit log', () => {
    it('lists connected users with credential metadata and no secret; the audit log records install and uninstall', async () => {
      const apiKey = 'sbx_management_secret_key_123';
      const installed = await server.sdk('audited-user', '/credentials', { method: 'POST', json: { integrationId: 'sandbox-apikey', payload: { apiKey } } });
      expect(installed.status).toBe(201);
      const credential = (await installed.json()) as { id: string; integrationId: string; providerId: string };

      const usersText = await (await api('GET', `${p()}/connected-users`)).text();
      expect(usersText).not.toContain(apiKey);
      expect(usersText).not.toContain('secrets_sealed');
      expect(usersText).not.toMatch(/sb1\./);
      const user = (JSON.parse(usersText) as { data: { userId: string; credentials: Record<string, unknown>[] }[] }).data.find((u) => u.userId === 'audited-user');
      expect(user?.credentials).toHaveLength(1);
      expect(user!.credentials[0]).toMatchObject({
        id: credential.id,
        integrationType: 'sandbox-apikey',
        status: 'VALID',
        providerId: credential.providerId,
      });
      expect(credential.providerId).toMatch(/^key_[0-9a-f]{12}$/);

      const uninstalled = await server.sdk('audited-user', `/integrations/${credential.integrationId}`, { method: 'DELETE' });
      expect(uninstalled.status).toBe(200);

      const events = (await (await api('GET', `${p()}/credential-events?credentialId=${credential.id}`)).json()) as { event: string; credentialId: string }[];
      expect(events.map((e) => e.event)).toEqual(['installed', 'uninstalled']);
      expect(events.every((e) => e.credentialId === credential.id)).toBe(true);
      const all = await (await api('GET', `${p()}/credential-events`)).text();
      expect(all).not.toContain(apiKey);
      // Another project's log is its own.
      const foreign = (await (await management(server, other.secretKey, 'GET', `/projects/${other.projectId}/credential-events`)).json()) as unknown[];
      expect(foreign).toEqual([]);
    });
  });

  describe('connected users, a page at a time', () => {
    const USERS = 3000;
    let project: ManagedProject;
    const users = (query = '') => management(server, project.secretKey, 'GET', `/projects/${project.projectId}/connected-users${query}`);
    type Page = { data: { id: string; userId: string; dateCreated: string; credentials: { integrationType?: string }[] }[]; nextCursor: string | null };

    /** Counts the queries the server runs while `work` is in flight, on the real database. */
    async function countQueries(work: () => Promise<unknown>): Promise<number> {
      let queries = 0;
      await withDatabasePlugin(
        {
          transformQuery: (args) => {
            queries += 1;
            return args.node;
          },
          transformResult: async (args) => args.result,
        },
        work,
      );
      return queries;
    }

    beforeAll(async () => {
      project = await createManagedProject(server, 'Many users');
      expect((await management(server, project.secretKey, 'PUT', `/projects/${project.projectId}/integrations/sandbox-apikey`, { isActive: true })).status).toBe(200);
      const integrations = (await (await management(server, project.secretKey, 'GET', `/projects/${project.projectId}/integrations`)).json()) as { id: string; type: string }[];
      const integrationId = integrations.find((i) => i.type === 'sandbox-apikey')!.id;
      // Straight into the database in one transaction: 3,000 users, each with one credential.
      await server.server.context.db.transaction().execute(async (trx) => {
        const base = Date.parse('2026-01-01T00:00:00.000Z');
        for (let start = 0; start < USERS; start += 250) {
          const batch = Array.from({ length: 250 }, (_, k) => {
            const at = new Date(base + Math.floor((start + k) / 2) * 1000).toISOString(); // pairs share a timestamp
            return { id: randomUUID(), project_id: project.projectId, external_id: `bulk-${start + k}`, meta: '{}', created_at: at, updated_at: at };
          });
          await trx.insertInto('connected_users').values(batch).execute();
          await trx
            .insertInto('credentials')
            .values(
              batch.map((user) => ({
                id: randomUUID(),
                project_id: project.projectId,
                connected_user_id: user.id,
                integration_id: integrationId,
                status: 'VALID',
                provider_data: '{}',
                inputs: '{}',
                secrets_sealed: 'not-read-by-the-listing',
                config: '{}',
                created_at: user.created_at,
                updated_at: user.created_at,
              })),
            )
            .execute();
        }
      });
    });

    it('answers 100 users by default, then the rest through nextCursor, each once, oldest first, with their credentials', async () => {
      const first = (await (await users()).json()) as Page;
      expect(first.data).toHaveLength(100);
      expect(first.nextCursor).toEqual(expect.any(String));

      const seen: Page['data'] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const response = await users(`?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(response.status, await response.clone().text()).toBe(200);
        const page = (await response.json()) as Page;
        seen.push(...page.data);
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor);
      expect(pages).toBe(3);
      expect(new Set(seen.map((u) => u.userId)).size).toBe(USERS);
      expect(seen.map((u) => u.dateCreated)).toEqual([...seen.map((u) => u.dateCreated)].sort());
      expect(seen.every((u) => u.credentials.length === 1 && u.credentials[0]!.integrationType === 'sandbox-apikey')).toBe(true);
      expect(JSON.stringify(seen)).not.toContain('not-read-by-the-listing');
    });

    it('runs the same few queries for a page of 1,000 users as for a page of one, so GET /sdk/me is not held up', async () => {
      await server.sdk('waiting-user', '/me'); // its first call creates the connected user: count the steady state
      const one = await countQueries(() => users('?limit=1'));
      let me: Response | undefined;
      const thousand = await countQueries(async () => {
        const listing = users('?limit=1000');
        me = await server.sdk('waiting-user', '/me');
        expect((await listing).status).toBe(200);
      });
      expect(me?.status).toBe(200);
      const alone = await countQueries(() => server.sdk('waiting-user', '/me'));
      // Users, their credentials and the project's integrations (plus the secret key check), whatever the page size.
      expect(thousand - alone).toBe(one);
      expect(one).toBeLessThan(10);
    });

    it.each([
      ['limit=0', 'limit', 'VALIDATION_ERROR'],
      ['limit=1001', 'limit', 'VALIDATION_ERROR'],
      ['limit=many', 'limit', 'VALIDATION_ERROR'],
      ['cursor=not-a-cursor', 'cursor', 'INVALID_CURSOR'],
      [`cursor=${Buffer.from('[1,2]').toString('base64url')}`, 'cursor', 'INVALID_CURSOR'],
    ])('refuses %s with 400 naming the field', async (query, field, code) => {
      await expectError(await users(`?${query}`), 400, code, field);
    });
  });

  describe('signing keys added concurrently', () => {
    it('the same id twice, one after the other: 409 SIGNING_KEY_EXISTS', async () => {
      const project = await createManagedProject(server, 'Sequential keys');
      const path = `/projects/${project.projectId}/signing-keys`;
      expect((await management(server, project.secretKey, 'POST', path, { id: 'twice', publicKeyPem: rsaKeyPair().publicKeyPem })).status).toBe(201);
      await expectError(await management(server, project.secretKey, 'POST', path, { id: 'twice', publicKeyPem: rsaKeyPair().publicKeyPem }), 409, 'SIGNING_KEY_EXISTS');
    });

    it('the same id several times at once: one 201, the others 409 SIGNING_KEY_EXISTS, one key stored', async () => {
      const project = await createManagedProject(server, 'Racing keys');
      const path = `/projects/${project.projectId}/signing-keys`;
      const pems = Array.from({ length: 6 }, () => rsaKeyPair().publicKeyPem);
      // The worst interleaving, made certain on Postgres: a request that reads the project's signing keys waits
      // until all six have read them (or one has written), so a check-then-insert would see no key in every request.
      // (SQLite has one connection, held while a result is transformed: there the requests just run at once.)
      const holdReads = database === 'postgres';
      const reads = new Set<object>();
      let release: () => void = () => {};
      const allRead = new Promise<void>((resolve) => (release = resolve));
      let responses: Response[] = [];
      await withDatabasePlugin(
        {
          transformQuery: (args) => {
            const text = JSON.stringify(args.node);
            if (text.includes('"signing_keys"')) {
              if (args.node.kind === 'SelectQueryNode') reads.add(args.queryId);
              else release();
            }
            return args.node;
          },
          transformResult: async (args) => {
            if (holdReads && reads.has(args.queryId)) {
              if (reads.size >= pems.length) release();
              await allRead;
            }
            return args.result;
          },
        },
        async () => {
          responses = await Promise.all(pems.map((publicKeyPem) => management(server, project.secretKey, 'POST', path, { id: 'raced', publicKeyPem })));
        },
      );
      release();
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);
      for (const response of responses.filter((r) => r.status === 409)) await expectError(response, 409, 'SIGNING_KEY_EXISTS');
      const keys = (await (await management(server, project.secretKey, 'GET', path)).json()) as { id: string }[];
      expect(keys.filter((k) => k.id === 'raced')).toHaveLength(1);
    });
  });

  describe('OpenAPI', () => {
    it('serves a valid OpenAPI 3 document listing the SDK and management paths', async () => {
      const response = await fetch(`${server.url}/api/openapi.json`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const doc = (await response.json()) as {
        openapi: string;
        info: { title: string; version: string };
        paths: Record<string, Record<string, { responses?: unknown; parameters?: { in: string; name: string; required?: boolean }[] }>>;
      };
      expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
      expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(['/projects/{projectId}/sdk/me', '/projects/{projectId}/sdk/oauth/start', '/api/v1/projects']),
      );
      // Internal routes stay out of the document.
      expect(Object.keys(doc.paths).some((path) => path.startsWith('/sandbox') || path === '/health')).toBe(false);
      // Structurally valid: every operation has responses, and every {param} of its path is declared as a required path parameter.
      const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
      for (const [path, item] of Object.entries(doc.paths)) {
        const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        for (const [method, operation] of Object.entries(item).filter(([m]) => methods.includes(m))) {
          expect(operation.responses, `${method} ${path} responses`).toBeTypeOf('object');
          const declared = (operation.parameters ?? []).filter((param) => param.in === 'path' && param.required).map((param) => param.name);
          expect(declared.sort(), `${method} ${path} path parameters`).toEqual([...names].sort());
        }
      }
    });
  });
});
