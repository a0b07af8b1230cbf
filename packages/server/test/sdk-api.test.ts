import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ORIGIN, expectError, json, newUser } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

const SANDBOX_TYPES = ['sandbox', 'sandbox-apikey', 'sandbox-client-credentials'];

describe.each(testDatabases)('SDK REST API on %s', (database) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(database);
  });
  afterAll(async () => server?.close());

  const sdkUrl = (path: string, projectId = server.projectId) => `${server.url}/projects/${projectId}/sdk${path}`;

  describe('user state', () => {
    it('GET /me answers the user state of a fresh user', async () => {
      const sub = newUser();
      const me = await json(await server.sdk(sub, '/me'));
      expect(me).toEqual({
        authenticated: true,
        userId: sub,
        integrations: Object.fromEntries(SANDBOX_TYPES.map((type) => [type, { enabled: false, configuredWorkflows: {}, workflowSettings: {}, allCredentials: [] }])),
        meta: {},
        // `headless-cp` first: without it the reference SDK refuses installIntegration and uninstallIntegration.
        project: { id: server.projectId, name: 'Development', accessibleFeatures: ['headless-cp', 'user-metadata'] },
        resources: [],
      });
    });

    it('PATCH /me merges meta shallowly and answers the new state', async () => {
      const sub = newUser();
      const first = await json(await server.sdk(sub, '/me', { method: 'PATCH', json: { meta: { Name: 'Sean', plan: { tier: 'pro' } } } }));
      expect(first.meta).toEqual({ Name: 'Sean', plan: { tier: 'pro' } });
      const second = await json(await server.sdk(sub, '/me', { method: 'PATCH', json: { meta: { Email: 'sean@example.com', plan: { seats: 3 } } } }));
      expect(second.meta).toEqual({ Name: 'Sean', Email: 'sean@example.com', plan: { seats: 3 } });
      expect((await json(await server.sdk(sub, '/me'))).meta).toEqual(second.meta);
      expect((await json(await server.sdk(newUser(), '/me'))).meta).toEqual({});
    });

    it('PATCH /me answers 400 naming the field for a bad body', async () => {
      const sub = newUser();
      await expectError(await server.sdk(sub, '/me', { method: 'PATCH', json: {} }), 400, 'VALIDATION_ERROR', 'meta');
      await expectError(await server.sdk(sub, '/me', { method: 'PATCH', json: { meta: 'x' } }), 400, 'VALIDATION_ERROR', 'meta');
      await expectError(await server.sdk(sub, '/me', { method: 'PATCH', json: { meta: [1, 2] } }), 400, 'VALIDATION_ERROR', 'meta');
      await expectError(await server.sdk(sub, '/me', { method: 'PATCH', json: { meta: { big: 'x'.repeat(70_000) } } }), 400, 'META_TOO_LARGE', 'meta');
      expect((await json(await server.sdk(sub, '/me'))).meta).toEqual({});
    });
  });

  describe('integrations', () => {
    it("GET /integrations lists the project's active integrations with configs, workflows and install fields", async () => {
      const integrations = await json<Record<string, any>[]>(await server.sdk(newUser(), '/integrations'));
      expect(integrations.map((i) => i.type).sort()).toEqual(SANDBOX_TYPES);
      for (const integration of integrations) {
        expect(integration).toMatchObject({
          id: expect.any(String),
          projectId: server.projectId,
          isActive: true,
          customIntegration: null,
          brandColor: expect.stringMatching(/^#[0-9A-Fa-f]{6}$/),
          icon: `${server.url}/icons/${integration.type}.svg`,
          workflows: [],
          providerType: integration.type,
        });
        expect(integration.configs).toHaveLength(1);
        expect(integration.configs[0].values).toEqual({
          overview: expect.any(String),
          sharedMeta: {},
          accentColor: integration.brandColor,
          description: expect.any(String),
          workflowMeta: {},
        });
      }
      const byType = Object.fromEntries(integrations.map((i) => [i.type, i]));
      expect(byType.sandbox).toMatchObject({ name: 'Sandbox', authenticationType: 'oauth', credentialFields: [], needPreOauthInputs: false, hasCredential: true });
      // The post-install stage of a headless install: asked once the account is connected, same field view as preOAuthInputs.
      expect(byType.sandbox.postInstallInputs).toEqual([
        {
          id: 'contactList',
          label: 'Contacts to sync',
          type: 'select',
          required: false,
          help: expect.any(String),
          options: [
            { value: 'all', label: 'All contacts' },
            { value: 'starred', label: 'Starred contacts' },
          ],
        },
      ]);
      expect(byType['sandbox-apikey'].postInstallInputs).toEqual([]);
      expect(byType['sandbox-apikey']).toMatchObject({
        name: 'Sandbox (API key)',
        // The reference SDK's word for every typed credential, and Switchboard's finer one beside it.
        authenticationType: 'basic',
        authenticationMethod: 'apiKey',
        needPreOauthInputs: true,
        sdkIntegrationConfig: {
          accountTypes: [],
          authConfigInputs: [{ id: 'apiKey', title: 'API key', type: 'PASSWORD', required: true, placeholder: 'sbx_...', tooltip: expect.any(String) }],
          postOauthInputs: [],
        },
        credentialFields: [{ id: 'apiKey', label: 'API key', type: 'password', required: true, placeholder: 'sbx_...', help: expect.any(String) }],
      });
      expect(byType.sandbox).toMatchObject({
        authenticationType: 'oauth',
        authenticationMethod: 'oauth',
        needPreOauthInputs: false,
        sdkIntegrationConfig: {
          accountTypes: [],
          authConfigInputs: [],
          postOauthInputs: [{ id: 'contactList', title: expect.any(String), type: 'ENUM', required: false, values: expect.any(Array) }],
        },
      });
      expect(byType['sandbox-client-credentials']).toMatchObject({
        authenticationType: 'oauth_client_credential',
        authenticationMethod: 'oauthClientCredential',
        credentialFields: [
          { id: 'clientId', type: 'text', required: true },
          { id: 'clientSecret', type: 'password', required: true },
        ],
      });
      // The project's OAuth app (client id and sealed secret) never reaches the browser.
      for (const integration of integrations) {
        expect(Object.keys(integration)).not.toEqual(expect.arrayContaining(['clientId']));
        expect(Object.keys(integration)).not.toEqual(expect.arrayContaining(['clientSecret']));
        expect(Object.keys(integration)).not.toEqual(expect.arrayContaining(['row']));
        expect(JSON.stringify(integration)).not.toContain('sb1.');
      }
    });

    it('serves each icon from our own server as image/svg+xml', async () => {
      const integrations = await json<{ icon: string }[]>(await server.sdk(newUser(), '/integrations'));
      for (const { icon } of integrations) {
        expect(new URL(icon).origin).toBe(server.url);
        const response = await fetch(icon);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('image/svg+xml');
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(await response.text()).toMatch(/^<svg[\s>]/);
      }
      await expectError(await fetch(`${server.url}/icons/nosuch.svg`), 404, 'ICON_NOT_FOUND');
    });

    it('GET /metadata answers [{type, name, brandColor, icon, authenticationType, description}] for active integrations', async () => {
      const metadata = await json<Record<string, unknown>[]>(await server.sdk(newUser(), '/metadata'));
      expect(metadata).toHaveLength(3);
      for (const item of metadata) expect(Object.keys(item).sort()).toEqual(['authenticationType', 'brandColor', 'description', 'icon', 'name', 'type']);
      expect(metadata.find((m) => m.type === 'sandbox')).toEqual({
        type: 'sandbox',
        name: 'Sandbox',
        brandColor: '#7C3AED',
        icon: `${server.url}/icons/sandbox.svg`,
        authenticationType: 'oauth',
        description: expect.stringMatching(/OAuth 2\.0 provider/),
      });
      // The same authenticationType and description as GET /integrations reports.
      const integrations = await json<Record<string, any>[]>(await server.sdk(newUser(), '/integrations'));
      for (const item of metadata) {
        const listed = integrations.find((i) => i.type === item.type)!;
        expect(item.authenticationType).toBe(listed.authenticationMethod);
        expect(item.description).toBe(listed.configs[0].values.description);
      }
      expect(metadata.map((m) => m.authenticationType).sort()).toEqual(['apiKey', 'oauth', 'oauthClientCredential']);
    });
  });

  describe('CORS', () => {
    const preflight = (origin: string, path = '/me', projectId?: string) =>
      fetch(sdkUrl(path, projectId), {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'PATCH',
          'access-control-request-headers': 'authorization,content-type,x-paragon-credential,x-paragon-sdk-version',
        },
      });

    it('answers a preflight from an allowed origin with that origin and the SDK headers', async () => {
      for (const origin of [APP_ORIGIN, 'http://127.0.0.1:3000']) {
        const response = await preflight(origin);
        expect(response.status).toBeLessThan(300);
        expect(response.headers.get('access-control-allow-origin')).toBe(origin);
        expect(response.headers.get('vary')).toMatch(/origin/i);
        const allowed = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/);
        for (const header of ['authorization', 'content-type', 'x-paragon-credential', 'x-paragon-sdk-version']) expect(allowed).toContain(header);
        expect(response.headers.get('access-control-allow-methods')).toMatch(/PATCH/);
        expect(response.headers.get('access-control-allow-methods')).toMatch(/DELETE/);
      }
    });

    it('carries the CORS origin on actual responses, including errors', async () => {
      const ok = await server.sdk(newUser(), '/me', { headers: { origin: APP_ORIGIN } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
      const unauthenticated = await fetch(sdkUrl('/me'), { headers: { origin: APP_ORIGIN } });
      expect(unauthenticated.status).toBe(401);
      expect(unauthenticated.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    });

    it('gives a disallowed origin no CORS headers', async () => {
      const response = await preflight('https://evil.example');
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-headers')).toBeNull();
      const actual = await server.sdk(newUser(), '/me', { headers: { origin: 'https://evil.example' } });
      expect(actual.headers.get('access-control-allow-origin')).toBeNull();
      // Outside /projects/:id there is no CORS at all, even for a dev origin.
      const health = await fetch(`${server.url}/health`, { headers: { origin: APP_ORIGIN } });
      expect(health.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('gives an unknown project no CORS headers and answers its routes 404 PROJECT_NOT_FOUND', async () => {
      const unknown = '00000000-0000-4000-8000-000000000000';
      const response = await preflight(APP_ORIGIN, '/me', unknown);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      const me = await fetch(sdkUrl('/me', unknown), { headers: { authorization: `Bearer ${await server.userToken(newUser())}` } });
      await expectError(me, 404, 'PROJECT_NOT_FOUND');
    });
  });

  describe('errors', () => {
    it('answers a malformed JSON body with 400 {message, code} and no stack trace', async () => {
      const response = await fetch(sdkUrl('/me'), {
        method: 'PATCH',
        headers: { authorization: `Bearer ${await server.userToken(newUser())}`, 'content-type': 'application/json' },
        body: '{"meta": {',
      });
      const body = await expectError(response, 400, 'INVALID_JSON');
      expect(Object.keys(body).sort()).toEqual(['code', 'message']);
    });

    it('answers a NUL character in a path parameter or body with 400 or 404, never 500 (Postgres text cannot hold one)', async () => {
      const user = newUser();
      const refused = async (response: Response) => {
        expect([400, 404]).toContain(response.status);
        expect(await response.json()).toMatchObject({ message: expect.any(String), code: expect.any(String) });
      };
      await refused(await server.sdk(user, '/oauth/%00abc'));
      await refused(await server.sdk(user, '/credentials/%00', { method: 'PATCH', json: { config: {} } }));
      await refused(await server.sdk(user, '/integrations/%00', { method: 'DELETE' }));
      await refused(await fetch(`${server.url}/projects/%00/sdk/me`, { headers: { authorization: `Bearer ${await server.userToken(user)}` } }));
      const renamed = await fetch(`${server.url}/api/v1/projects/${server.projectId}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'a\0b' }),
      });
      expect(renamed.status).not.toBe(500);
    });

    it('answers an unknown route 404 ROUTE_NOT_FOUND and a wrong content type 415 without internals', async () => {
      await expectError(await server.sdk(newUser(), '/nosuch'), 404, 'ROUTE_NOT_FOUND');
      const xml = await server.sdk(newUser(), '/me', { method: 'PATCH', body: '<meta/>', headers: { 'content-type': 'application/xml' } });
      await expectError(xml, 415, 'UNSUPPORTED_MEDIA_TYPE');
      const text = await server.sdk(newUser(), '/me', { method: 'PATCH', body: 'meta=1', headers: { 'content-type': 'text/plain' } });
      await expectError(text, 400, 'VALIDATION_ERROR', 'body');
    });
  });
});
