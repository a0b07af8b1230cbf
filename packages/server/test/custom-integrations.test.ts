import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManagedProject, management, sandboxOAuthCustomIntegration } from './support/management.js';
import { approveSandboxConsent, CookieJar } from './support/sandbox-consent.js';
import { expectError, loadCallbackPage, openPopup } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

const ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="10" fill="#0EA5E9"/></svg>';
const OAUTH_CLIENT_SECRET = 'sandbox-secret';

type Json = Record<string, any>;

describe.each(testDatabases)('custom integrations on %s', (database) => {
  let server: TestServer;
  const base = () => `/projects/${server.projectId}/custom-integrations`;
  const api = (method: string, path: string, json?: unknown) => management(server, server.secretKey, method, path, json);

  const apiKeyIntegration = (slug: string, overrides: Json = {}): Json => ({
    slug,
    name: 'Sandbox via API key',
    description: 'The sandbox, described at run time',
    iconSvg: ICON,
    accentColor: '#0EA5E9',
    auth: { type: 'api-key', fields: [{ id: 'apiKey', label: 'API key', type: 'password', required: true, secret: true }] },
    apiBaseUrl: `${server.url}/sandbox/api`,
    apiAuthorization: 'X-Api-Key: {{apiKey}}',
    testEndpointUrl: '/me',
    providerIdPath: 'id',
    ...overrides,
  });

  const oauthIntegration = (slug: string, overrides: Json = {}): Json =>
    sandboxOAuthCustomIntegration(server, slug, { overrides: { iconSvg: ICON, ...overrides } });

  async function create(body: Json): Promise<{ id: string; integrationId: string; type: string }> {
    const response = await api('POST', base(), body);
    expect(response.status, await response.clone().text()).toBe(201);
    return (await response.json()) as { id: string; integrationId: string; type: string };
  }

  async function expect400(body: Json, field: string) {
    const response = await api('POST', base(), body);
    const answer = (await response.json()) as Json;
    expect({ status: response.status, field: answer.field }).toEqual({ status: 400, field });
    expect(answer).toMatchObject({ message: expect.any(String), code: expect.any(String) });
  }

  const listSlugs = async () => ((await (await api('GET', base())).json()) as { slug: string }[]).map((c) => c.slug);

  beforeAll(async () => {
    server = await startTestServer(database);
  });
  afterAll(async () => server?.close());

  describe('an API-key custom integration pointing at the sandbox API', () => {
    let created: { id: string; integrationId: string; type: string };

    beforeAll(async () => {
      created = await create(apiKeyIntegration('sandbox-keys'));
    });

    it('is created as custom.<slug> and listed by the management API', async () => {
      expect(created.type).toBe('custom.sandbox-keys');
      const listed = (await (await api('GET', base())).json()) as Json[];
      expect(listed).toContainEqual(expect.objectContaining({ id: created.id, slug: 'sandbox-keys', integrationId: created.integrationId }));
    });

    it('is listed in GET /sdk/integrations as custom.<slug> with customIntegration set and our own icon URL', async () => {
      const items = (await (await server.sdk('custom-user', '/integrations')).json()) as Json[];
      const item = items.find((i) => i.type === 'custom.sandbox-keys');
      expect(item).toMatchObject({
        id: created.integrationId,
        type: 'custom.sandbox-keys',
        name: 'Sandbox via API key',
        brandColor: '#0EA5E9',
        isActive: true,
        customIntegrationId: created.id,
        // The reference SDK names a custom integration by `customIntegration.slug` and asks for its inputFields.
        customIntegration: {
          id: created.id,
          name: 'Sandbox via API key',
          icon: expect.any(String),
          slug: 'custom.sandbox-keys',
          inputFields: [expect.objectContaining({ id: 'apiKey', type: 'PASSWORD', required: true })],
        },
        authenticationType: 'basic',
        authenticationMethod: 'apiKey',
        credentialFields: [expect.objectContaining({ id: 'apiKey', type: 'password', required: true })],
      });
      expect(item!.icon).toBe(item!.customIntegration.icon);
      expect(item!.icon.startsWith(`${server.url}/`)).toBe(true);
      const me = (await (await server.sdk('custom-user', '/me')).json()) as Json;
      expect(me.integrations['custom.sandbox-keys']).toMatchObject({ enabled: false });
    });

    it('serves its icon as image/svg+xml with a CSP that forbids script', async () => {
      const items = (await (await server.sdk('custom-user', '/integrations')).json()) as Json[];
      const icon = await fetch(items.find((i) => i.type === 'custom.sandbox-keys')!.icon);
      expect(icon.status).toBe(200);
      expect(icon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
      const csp = icon.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/default-src 'none'/);
      expect(csp).not.toMatch(/script-src/);
      expect(csp).toMatch(/\bsandbox\b/);
      expect(icon.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await icon.text()).toBe(ICON);
      expect((await fetch(`${server.url}/icons/custom/00000000-0000-4000-8000-000000000000.svg`)).status).toBe(404);
    });

    it('refuses a key the sandbox rejects, storing nothing', async () => {
      const response = await server.sdk('custom-bad-key', '/credentials', {
        method: 'POST',
        json: { integrationId: 'custom.sandbox-keys', payload: { apiKey: 'not-a-sandbox-key' } },
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'CREDENTIAL_REJECTED', message: expect.any(String) });
      expect(await (await server.sdk('custom-bad-key', '/credentials')).json()).toEqual([]);
      const events = (await (await api('GET', `/projects/${server.projectId}/credential-events`)).json()) as Json[];
      expect(events.filter((e) => e.integrationId === created.integrationId)).toEqual([]);
    });

    it('installs with an sbx_ key, addressed by type custom.<slug> or by the integration id', async () => {
      const byType = await server.sdk('custom-by-type', '/credentials', {
        method: 'POST',
        json: { integrationId: 'custom.sandbox-keys', payload: { apiKey: 'sbx_custom_type' } },
      });
      expect(byType.status).toBe(201);
      const credential = (await byType.json()) as Json;
      expect(credential).toMatchObject({ integrationId: created.integrationId, integrationType: 'custom.sandbox-keys', status: 'VALID' });
      // providerIdPath `id` read from the sandbox's GET /me.
      expect(credential.providerId).toMatch(/^key_[0-9a-f]{12}$/);
      expect(JSON.stringify(credential)).not.toContain('sbx_custom_type');

      const byId = await server.sdk('custom-by-id', '/credentials', {
        method: 'POST',
        json: { integrationId: created.integrationId, payload: { apiKey: 'sbx_custom_id' } },
      });
      expect(byId.status).toBe(201);
      const other = (await byId.json()) as Json;
      expect(other.providerId).not.toBe(credential.providerId);

      const me = (await (await server.sdk('custom-by-id', '/me')).json()) as Json;
      expect(me.integrations['custom.sandbox-keys']).toMatchObject({ enabled: true, credentialId: other.id, credentialStatus: 'VALID' });
    });
  });

  describe('an OAuth custom integration pointing at the sandbox', () => {
    let created: { id: string; integrationId: string; type: string };

    beforeAll(async () => {
      created = await create(oauthIntegration('sandbox-oauth'));
    });

    it('never shows its client secret', async () => {
      for (const path of [base(), `/projects/${server.projectId}/integrations`]) {
        expect(await (await api('GET', path)).text()).not.toContain(OAUTH_CLIENT_SECRET);
      }
      const managed = ((await (await api('GET', `/projects/${server.projectId}/integrations`)).json()) as Json[]).find((i) => i.type === 'custom.sandbox-oauth');
      expect(managed).toMatchObject({ hasClientSecret: true, clientId: 'sandbox-client' });
      // (The built-in sandbox's help text documents this public test secret, so only the custom item is checked.)
      const items = (await (await server.sdk('oauth-user', '/integrations')).json()) as Json[];
      const item = items.find((i) => i.type === 'custom.sandbox-oauth');
      expect(item).toMatchObject({ hasCredential: true, authenticationType: 'oauth' });
      expect(JSON.stringify(item)).not.toContain(OAUTH_CLIENT_SECRET);
    });

    it('starts OAuth with an authorizationUrl at the sandbox, and the flow connects an account', async () => {
      const start = await server.sdk('oauth-user', '/oauth/start', {
        method: 'POST',
        json: { integration: 'custom.sandbox-oauth', origin: 'http://localhost:3000' },
      });
      expect(start.status).toBe(200);
      const { authorizationUrl, state, popupUrl } = (await start.json()) as { authorizationUrl: string; state: string; popupUrl: string };
      const url = new URL(authorizationUrl);
      expect(`${url.origin}${url.pathname}`).toBe(`${server.url}/sandbox/auth`);
      expect(Object.fromEntries(url.searchParams)).toMatchObject({
        response_type: 'code',
        client_id: 'sandbox-client',
        redirect_uri: `${server.url}/oauth/callback`,
        state,
        scope: 'openid contacts',
        code_challenge_method: 'S256',
      });
      expect(authorizationUrl).not.toContain(OAUTH_CLIENT_SECRET);

      const browser = new CookieJar();
      expect((await openPopup(popupUrl, state, 'http://localhost:3000', browser)).status).toBe(303);
      const callback = await approveSandboxConsent(authorizationUrl, { login: 'custom-oauth-login', cookies: browser });
      expect((await loadCallbackPage(callback, browser)).status).toBe(200);
      const result = (await (await server.sdk('oauth-user', `/oauth/${state}`)).json()) as Json;
      expect(result).toMatchObject({ status: 'success', integration: 'custom.sandbox-oauth', credentialId: expect.any(String) });
      const me = (await (await server.sdk('oauth-user', '/me')).json()) as Json;
      expect(me.integrations['custom.sandbox-oauth']).toMatchObject({ enabled: true, providerId: 'custom-oauth-login', credentialStatus: 'VALID' });
    });

    it('refuses POST /sdk/credentials for it (OAuth connects through /sdk/oauth/start)', async () => {
      const response = await server.sdk('oauth-user-2', '/credentials', {
        method: 'POST',
        json: { integrationId: created.integrationId, payload: {} },
      });
      expect(response.status).toBe(400);
    });
  });

  it('accepts an icon that paints with its own gradient (url(#id)) and escapes text with XML entities', async () => {
    const iconSvg =
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><title>A &amp; B</title><defs><linearGradient id="g"><stop offset="0"/></linearGradient></defs><rect fill="url(#g)" style="fill: url( \'#g\' )" width="24" height="24"/></svg>';
    await create(apiKeyIntegration('gradient-icon', { iconSvg }));
  });

  describe('input patterns, compiled the same way at creation and at install', () => {
    // Both inputs reach the test endpoint's URL, so install-time checking is what keeps them from breaking it.
    const patterned = (slug: string) =>
      apiKeyIntegration(slug, {
        auth: {
          type: 'api-key',
          fields: [
            { id: 'apiKey', label: 'API key', type: 'password', required: true, secret: true },
            { id: 'owner', label: 'Owner', type: 'text', required: true, pattern: '\\p{Lu}+' },
            { id: 'tag', label: 'Tag', type: 'text', required: true, pattern: '[^x]{2}' },
          ],
        },
        testEndpointUrl: `${server.url}/sandbox/api/me?owner={{owner}}&tag={{tag}}`,
      });

    beforeAll(async () => {
      await create(patterned('patterned'));
    });

    it('a Unicode property pattern accepted at creation also accepts a matching value at install', async () => {
      const response = await server.sdk('pattern-ok', '/credentials', {
        method: 'POST',
        json: { integrationId: 'custom.patterned', payload: { apiKey: 'sbx_patterned', owner: 'ÀBC', tag: 'ab' } },
      });
      expect(response.status, await response.clone().text()).toBe(201);
      expect(await response.json()).toMatchObject({ status: 'VALID', integrationType: 'custom.patterned' });
    });

    it('an emoji (one character, two UTF-16 units) against [^x]{2}: 400 naming the field at install, nothing stored', async () => {
      const response = await server.sdk('pattern-emoji', '/credentials', {
        method: 'POST',
        json: { integrationId: 'custom.patterned', payload: { apiKey: 'sbx_emoji', owner: 'ABC', tag: '\u{1F600}' } },
      });
      await expectError(response, 400, 'INVALID_FIELD', 'payload.tag');
      expect(await server.sdk('pattern-emoji', '/credentials').then((r) => r.json())).toEqual([]);
    });
  });

  describe('after an admin changes what the API authorization needs', () => {
    it('a proxied call with a credential lacking the new input: 409 INTEGRATION_MISCONFIGURED naming the placeholder', async () => {
      const created = await create(apiKeyIntegration('reauthorized'));
      const install = await server.sdk('reauth-user', '/credentials', {
        method: 'POST',
        json: { integrationId: 'custom.reauthorized', payload: { apiKey: 'sbx_reauthorized' } },
      });
      expect(install.status).toBe(201);
      expect((await server.sdk('reauth-user', '/proxy/custom.reauthorized/me')).status).toBe(200);

      const changed = await api('PUT', `${base()}/${created.id}`, apiKeyIntegration('reauthorized', {
        auth: {
          type: 'api-key',
          fields: [
            { id: 'apiKey', label: 'API key', type: 'password', required: true, secret: true },
            { id: 'tenantKey', label: 'Tenant key', type: 'password', required: true, secret: true },
          ],
        },
        apiAuthorization: 'X-Api-Key: {{tenantKey}}',
      }));
      expect(changed.status).toBe(200);

      const body = await expectError(await server.sdk('reauth-user', '/proxy/custom.reauthorized/me'), 409, 'INTEGRATION_MISCONFIGURED', 'tenantKey');
      expect(body.message).toContain('{{tenantKey}}');
      expect(JSON.stringify(body)).not.toContain('sbx_reauthorized');
    });

    it('an OAuth callback after the test endpoint starts needing an input the flow lacks: 409 INTEGRATION_MISCONFIGURED, nothing stored', async () => {
      const created = await create(oauthIntegration('reshaped'));
      const start = await server.sdk('reshape-user', '/oauth/start', {
        method: 'POST',
        json: { integration: 'custom.reshaped', origin: 'http://localhost:3000' },
      });
      expect(start.status).toBe(200);
      const { authorizationUrl, state, popupUrl } = (await start.json()) as { authorizationUrl: string; state: string; popupUrl: string };

      const changed = await api('PUT', `${base()}/${created.id}`, oauthIntegration('reshaped', {
        auth: { ...(oauthIntegration('reshaped').auth as Json), inputFields: [{ id: 'tenant', label: 'Tenant', type: 'text', required: true, pattern: '[a-z]+' }] },
        testEndpointUrl: '/me?tenant={{tenant}}',
      }));
      expect(changed.status, await changed.clone().text()).toBe(200);

      const browser = new CookieJar();
      expect((await openPopup(popupUrl, state, 'http://localhost:3000', browser)).status).toBe(303);
      const callback = await approveSandboxConsent(authorizationUrl, { login: 'reshaped-login', cookies: browser });
      expect((await loadCallbackPage(callback, browser)).status).toBe(409);
      const result = (await (await server.sdk('reshape-user', `/oauth/${state}`)).json()) as Json;
      expect(result).toMatchObject({ status: 'error', error: { code: 'INTEGRATION_MISCONFIGURED', message: expect.stringContaining('{{tenant}}') } });
      expect(await (await server.sdk('reshape-user', '/credentials')).json()).toEqual([]);
    });
  });

  describe('refuses bad input', () => {
    it.each([
      ['a <script> element', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
      ['an onload= handler', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'],
      ['an ONLOAD = handler with odd spacing', '<svg xmlns="http://www.w3.org/2000/svg"\nONLOAD = "alert(1)"><rect/></svg>'],
      ['a javascript: link', '<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><rect/></a></svg>'],
      ['foreignObject HTML', '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><iframe src="x"/></foreignObject></svg>'],
      ['an external image', '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://tracker.example.com/p.png"/></svg>'],
      ['something that is not SVG', '<html><body>hi</body></html>'],
      ['a handler after a slash', '<svg xmlns="http://www.w3.org/2000/svg"><rect/onclick="alert(1)"/></svg>'],
      ['an encoded javascript: URL animated into a link', '<svg xmlns="http://www.w3.org/2000/svg"><a><animate attributeName="href" values="javas&#99;ript:alert(1)"/><text y="20">x</text></a></svg>'],
      ['a CSS @import', '<svg xmlns="http://www.w3.org/2000/svg"><style>@import "https://tracker.example.com/x.css";</style><rect/></svg>'],
      ['an external CSS url()', '<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(https://tracker.example.com/p.png)"/></svg>'],
    ])('an icon with %s: 400 on iconSvg', async (_name, iconSvg) => {
      await expect400(apiKeyIntegration('bad-icon', { iconSvg }), 'iconSvg');
    });

    it.each(['red', '#12345', '#1234567', '#GGGGGG', '0EA5E9'])('accent colour %s: 400 on accentColor', async (accentColor) => {
      await expect400(apiKeyIntegration('bad-colour', { accentColor }), 'accentColor');
    });

    it.each(['Upper', '-leading', 'has space', 'dots.in.slug', 'under_score', 'x'.repeat(41), ''])('slug %j: 400 on slug', async (slug) => {
      await expect400(apiKeyIntegration(slug), 'slug');
    });

    it.each(['no colon here', ': {{apiKey}}', 'X Api Key: {{apiKey}}', 'X-Api-Key:'])('apiAuthorization %j: 400', async (apiAuthorization) => {
      await expect400(apiKeyIntegration('bad-auth-header', { apiAuthorization }), 'apiAuthorization');
    });

    it.each([
      ['apiAuthorization', { apiAuthorization: 'X-Api-Key: {{password}}' }],
      ['apiAuthorization', { apiAuthorization: 'Authorization: Bearer {{accessToken}}' }],
      ['apiBaseUrl', { apiBaseUrl: 'https://{{tenant}}.example.com/api' }],
      ['testEndpointUrl', { testEndpointUrl: '/users/{{userId}}' }],
    ])('a placeholder no install could fill in %s: 400 (it would fail every install)', async (field, overrides) => {
      await expect400(apiKeyIntegration('bad-placeholder', overrides), field);
    });

    it('accepts placeholders it can fill: its own fields, providerData and the access token of OAuth', async () => {
      const withFields = apiKeyIntegration('templated', {
        auth: { type: 'api-key', fields: [{ id: 'apiKey', label: 'Key', type: 'password', required: true }, { id: 'region', label: 'Region', type: 'text', pattern: '[a-z]{2}' }] },
        apiBaseUrl: 'https://{{region}}.api.example.com',
        testEndpointUrl: '/accounts/{{providerData.accountId}}',
      });
      await create(withFields);
      await create(oauthIntegration('templated-oauth', { apiAuthorization: 'X-Token: {{ accessToken }}' }));
    });

    it.each([
      ['apiBaseUrl', { apiBaseUrl: 'ftp://files.example.com/api' }],
      ['apiBaseUrl', { apiBaseUrl: 'javascript:alert(1)' }],
      ['apiBaseUrl', { apiBaseUrl: 'not a url' }],
      ['testEndpointUrl', { testEndpointUrl: 'file:///etc/passwd' }],
    ])('a non-http %s: 400', async (field, overrides) => {
      await expect400(apiKeyIntegration('bad-url', overrides), field);
    });

    it.each([
      ['auth.authorizeUrl', 'authorizeUrl', 'ftp://auth.example.com/authorize'],
      ['auth.tokenUrl', 'tokenUrl', 'data:text/plain,token'],
    ])('a non-http OAuth %s: 400', async (field, key, value) => {
      const body = oauthIntegration('bad-oauth-url');
      await expect400({ ...body, auth: { ...body.auth, [key]: value } }, field);
    });

    it.each([
      ['an unbalanced group', '(a'],
      ['an escape only non-unicode regular expressions allow', '[a-z\\_]+'],
    ])('an input pattern with %s: 400 on that pattern (it would fail every install)', async (_name, pattern) => {
      const auth = { type: 'api-key', fields: [{ id: 'apiKey', label: 'Key', type: 'password', required: true, pattern }] };
      await expect400(apiKeyIntegration('bad-pattern', { auth }), 'auth.fields.0.pattern');
    });

    it('a plain-http token URL off this machine: 400 (token requests carry the client secret; the engine refuses them)', async () => {
      const body = oauthIntegration('http-token-url');
      await expect400({ ...body, auth: { ...body.auth, tokenUrl: 'http://auth.example.com/oauth/token' } }, 'auth.tokenUrl');
      const clientCredentials = { type: 'oauth2-client-credentials', tokenUrl: 'http://auth.example.com/oauth/token' };
      await expect400(apiKeyIntegration('http-token-url', { auth: clientCredentials, apiAuthorization: 'Authorization: Bearer {{accessToken}}' }), 'auth.tokenUrl');
    });

    it.each([
      ['apiBaseUrl', { apiBaseUrl: 'http://api.example.com/v1' }],
      ['apiBaseUrl', { apiBaseUrl: 'http://10.0.0.5/v1' }],
      ['testEndpointUrl', { testEndpointUrl: 'http://api.example.com/me' }],
    ])('a plain-http %s off this machine: 400 INVALID_URL (every API call carries the credential)', async (field, overrides) => {
      const response = await api('POST', base(), apiKeyIntegration('plain-http', overrides));
      const body = await expectError(response, 400, 'INVALID_URL', field);
      expect(body.message).toMatch(/https/);
    });

    it.each([
      ['apiBaseUrl', (url: string) => ({ apiBaseUrl: `${url}/sandbox/api` })],
      ['testEndpointUrl', (url: string) => ({ apiBaseUrl: 'https://api.example.com', testEndpointUrl: `${url}/sandbox/api/me` })],
    ])('a plain-http %s on this machine in a project that does not allow private upstreams: 400 INVALID_URL', async (field, overrides) => {
      const managed = await createManagedProject(server, `Plain http ${field}`);
      const response = await management(server, managed.secretKey, 'POST', `/projects/${managed.projectId}/custom-integrations`, apiKeyIntegration('loopback', overrides(server.url)));
      const body = await expectError(response, 400, 'INVALID_URL', field);
      expect(body.message).toMatch(/allows private upstreams/);
      const listed = await management(server, managed.secretKey, 'GET', `/projects/${managed.projectId}/custom-integrations`);
      expect(await listed.json()).toEqual([]);
    });

    it('a plain-http API on this machine in a project that allows private upstreams (the dev project): created', async () => {
      for (const host of ['127.0.0.1', 'localhost', '[::1]']) {
        const { port } = new URL(server.url);
        await create(apiKeyIntegration(`loopback-${host.replace(/\W/g, '')}`, { apiBaseUrl: `http://${host}:${port}/sandbox/api` }));
      }
    });

    it('a duplicate slug: 409', async () => {
      await create(apiKeyIntegration('taken'));
      const response = await api('POST', base(), apiKeyIntegration('taken', { name: 'Second' }));
      expect(response.status).toBe(409);
      expect(await response.json()).toMatchObject({ code: 'CUSTOM_INTEGRATION_EXISTS' });
      expect((await listSlugs()).filter((s) => s === 'taken')).toHaveLength(1);
    });

    it('stores nothing for refused input', async () => {
      const slugs = await listSlugs();
      for (const slug of ['bad-icon', 'bad-colour', 'bad-auth-header', 'bad-placeholder', 'bad-url', 'bad-oauth-url', 'bad-pattern', 'plain-http']) expect(slugs).not.toContain(slug);
    });
  });

  describe('post-install inputs', () => {
    const CONTACT_LIST = {
      id: 'contactList',
      label: 'Contacts to sync',
      type: 'select',
      options: [
        { value: 'all', label: 'All contacts' },
        { value: 'starred', label: 'Starred contacts' },
      ],
    };

    it('are declared with the definition, listed by GET /sdk/integrations and checked by PATCH /sdk/credentials/:id', async () => {
      await create(apiKeyIntegration('with-options', { postInstallInputs: [CONTACT_LIST, { id: 'folder', label: 'Folder', type: 'text', pattern: '[a-z]+' }] }));
      const sub = 'options-user';
      const items = (await (await server.sdk(sub, '/integrations')).json()) as Json[];
      expect(items.find((i) => i.type === 'custom.with-options')!.postInstallInputs).toEqual([
        { ...CONTACT_LIST, required: false },
        { id: 'folder', label: 'Folder', type: 'text', required: false, pattern: '[a-z]+' },
      ]);

      const installed = await server.sdk(sub, '/credentials', { method: 'POST', json: { integrationId: 'custom.with-options', payload: { apiKey: 'sbx_options' } } });
      expect(installed.status).toBe(201);
      const { id } = (await installed.json()) as { id: string };
      const patch = (sharedSettings: Json) => server.sdk(sub, `/credentials/${id}`, { method: 'PATCH', json: { config: { sharedSettings } } });
      expect((await patch({ contactList: 'all', folder: 'inbox', mine: 1 })).status).toBe(200);
      await expectError(await patch({ folder: 'In Box' }), 400, 'INVALID_FIELD', 'config.sharedSettings.folder');
      await expectError(await patch({ contactList: 'none' }), 400, 'INVALID_FIELD', 'config.sharedSettings.contactList');
    });

    it.each([
      ['a secret field', { id: 'token', label: 'Token', type: 'text', secret: true }, 'postInstallInputs.0'],
      ['a password field', { id: 'password', label: 'Password', type: 'password' }, 'postInstallInputs.0'],
      ['a select without options', { id: 'list', label: 'List', type: 'select' }, 'postInstallInputs.0'],
      ['a pattern that is no regular expression', { id: 'folder', label: 'Folder', type: 'text', pattern: '[a-' }, 'postInstallInputs.0.pattern'],
    ])('refuses %s, naming it, and creates nothing', async (_what, field, path) => {
      const response = await api('POST', base(), apiKeyIntegration('bad-options', { postInstallInputs: [field] }));
      await expectError(response, 400, path.endsWith('pattern') ? 'INVALID_PATTERN' : 'INVALID_POST_INSTALL_INPUT', path);
      expect(await listSlugs()).not.toContain('bad-options');
    });

    it('refuses a repeated id, and a field the schema does not know', async () => {
      await expectError(
        await api('POST', base(), apiKeyIntegration('bad-options', { postInstallInputs: [CONTACT_LIST, CONTACT_LIST] })),
        400,
        'INVALID_POST_INSTALL_INPUT',
        'postInstallInputs.1.id',
      );
      await expectError(
        await api('POST', base(), apiKeyIntegration('bad-options', { postInstallInputs: [{ ...CONTACT_LIST, secretish: true }] })),
        400,
        'VALIDATION_ERROR',
        'postInstallInputs.0.secretish',
      );
    });
  });

  describe('update and delete', () => {
    it('is deactivated and reactivated with PUT /integrations/custom.<slug>, which refuses an OAuth client', async () => {
      const created = await create(apiKeyIntegration('switchable'));
      const integrationsPath = `/projects/${server.projectId}/integrations/${created.type}`;
      const types = async () => ((await (await server.sdk('switch-user', '/integrations')).json()) as Json[]).map((i) => i.type);

      expect((await api('PUT', integrationsPath, { isActive: false })).status).toBe(200);
      expect(await types()).not.toContain('custom.switchable');
      const portalOnly = await api('PUT', integrationsPath, { portal: { description: 'Still off' } });
      expect(await portalOnly.json()).toMatchObject({ isActive: false, portal: { description: 'Still off' } });

      const withClient = await api('PUT', integrationsPath, { clientId: 'x' });
      expect(withClient.status).toBe(400);
      expect(await withClient.json()).toMatchObject({ code: 'CLIENT_IN_DEFINITION', field: 'clientId' });

      expect((await api('PUT', integrationsPath, { isActive: true })).status).toBe(200);
      expect(await types()).toContain('custom.switchable');
      expect((await api('PUT', `/projects/${server.projectId}/integrations/custom.nope`, { isActive: true })).status).toBe(404);
    });

    it('PUT replaces the definition; the slug cannot change; unknown id 404', async () => {
      const created = await create(apiKeyIntegration('editable'));
      const updated = await api('PUT', `${base()}/${created.id}`, apiKeyIntegration('editable', { name: 'Edited', accentColor: '#111111' }));
      expect(updated.status).toBe(200);
      expect(await updated.json()).toMatchObject({ id: created.id, slug: 'editable', definition: expect.objectContaining({ name: 'Edited' }) });
      const item = ((await (await server.sdk('edit-user', '/integrations')).json()) as Json[]).find((i) => i.type === 'custom.editable');
      expect(item).toMatchObject({ name: 'Edited', brandColor: '#111111' });

      const renamed = await api('PUT', `${base()}/${created.id}`, apiKeyIntegration('renamed'));
      expect(renamed.status).toBe(400);
      expect(await renamed.json()).toMatchObject({ field: 'slug' });
      const bad = await api('PUT', `${base()}/${created.id}`, apiKeyIntegration('editable', { iconSvg: '<svg onload="x()"></svg>' }));
      expect(bad.status).toBe(400);
      expect((await api('PUT', `${base()}/00000000-0000-4000-8000-000000000000`, apiKeyIntegration('editable'))).status).toBe(404);
    });

    it('DELETE answers 204, then 404; the integration, its icon and its credentials are gone', async () => {
      const created = await create(apiKeyIntegration('doomed'));
      const installed = await server.sdk('doomed-user', '/credentials', {
        method: 'POST',
        json: { integrationId: 'custom.doomed', payload: { apiKey: 'sbx_doomed' } },
      });
      expect(installed.status).toBe(201);
      const items = (await (await server.sdk('doomed-user', '/integrations')).json()) as Json[];
      const iconUrl = items.find((i) => i.type === 'custom.doomed')!.icon as string;

      expect((await api('DELETE', `${base()}/${created.id}`)).status).toBe(204);
      const again = await api('DELETE', `${base()}/${created.id}`);
      expect(again.status).toBe(404);
      expect(await again.json()).toMatchObject({ code: 'CUSTOM_INTEGRATION_NOT_FOUND' });

      expect(await listSlugs()).not.toContain('doomed');
      expect(((await (await server.sdk('doomed-user', '/integrations')).json()) as Json[]).map((i) => i.type)).not.toContain('custom.doomed');
      expect(await (await server.sdk('doomed-user', '/credentials')).json()).toEqual([]);
      expect(Object.keys(((await (await server.sdk('doomed-user', '/me')).json()) as Json).integrations)).not.toContain('custom.doomed');
      const rows = await server.server.context.db.selectFrom('credentials').select('id').where('integration_id', '=', created.integrationId).execute();
      expect(rows).toEqual([]);
      expect((await fetch(iconUrl)).status).toBe(404);
    });

    it("another project's secret key can neither change nor delete it (403)", async () => {
      const created = await create(apiKeyIntegration('guarded'));
      const project = await management(server, server.adminKey, 'POST', '/projects', { name: 'Intruder' });
      const { secretKey } = (await project.json()) as { secretKey: string };
      expect((await management(server, secretKey, 'DELETE', `${base()}/${created.id}`)).status).toBe(403);
      expect(await listSlugs()).toContain('guarded');
    });
  });
});
