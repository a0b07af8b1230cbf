import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { management } from './support/management.js';
import { json, newUser } from './support/sdk-flows.js';
import { startTestServer, type TestServer } from './support/test-server.js';

type Json = Record<string, any>;

const frameAncestors = (csp: string | null) => csp?.split('; ').find((directive) => directive.startsWith('frame-ancestors '))?.slice('frame-ancestors '.length).split(' ');
const metaOrigins = (html: string) => /<meta name="switchboard-frame-origins" content="([^"]*)">/.exec(html)?.[1]?.split(' ').filter(Boolean);

/** The Connect Portal's page, assets, overview and portal settings (the browser suite is examples/reference-sdk/test/connect-portal.test.ts). */
describe('the Connect Portal as the server serves it', () => {
  let server: TestServer;
  const api = (method: string, path: string, body?: unknown) => management(server, server.secretKey, method, `/projects/${server.projectId}${path}`, body);

  beforeAll(async () => {
    server = await startTestServer('sqlite');
  });
  afterAll(async () => server?.close());

  it('serves /ui and /portal with a strict CSP: own scripts only, framed only by allowed origins (IPv6 literals left out)', async () => {
    for (const path of ['/ui', '/portal']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      const csp = response.headers.get('content-security-policy')!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
      // The dev project's origins, as every project's when the page does not name its project.
      expect(frameAncestors(csp)).toEqual(['http://localhost:*', 'http://127.0.0.1:*']);
      const html = await response.text();
      expect(metaOrigins(html)).toEqual(frameAncestors(csp));
    }
  });

  it("frames /ui?projectId= by that project's allowed origins only", async () => {
    const created = await management(server, server.adminKey, 'POST', '/projects', { name: 'Framed', allowedOrigins: ['https://app.example.com'] });
    expect(created.status).toBe(201);
    const { project } = (await created.json()) as { project: { id: string } };
    const response = await fetch(`${server.url}/ui?projectId=${project.id}`);
    expect(frameAncestors(response.headers.get('content-security-policy'))).toEqual(['https://app.example.com']);
    expect(metaOrigins(await response.text())).toEqual(['https://app.example.com']);
  });

  it('serves its content-hashed scripts and styles cached for a year', async () => {
    const html = await (await fetch(`${server.url}/ui`)).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/portal\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets.some((asset) => asset.endsWith('.js'))).toBe(true);
    for (const asset of assets) {
      const response = await fetch(`${server.url}${asset}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
    expect((await fetch(`${server.url}/portal/assets/..%2Findex.html`)).status).toBe(404);
  });

  it('renders the overview markdown with its HTML escaped and unsafe links dropped', async () => {
    const overview = '# Alerts\n\n<script>alert(1)</script>\n\n[docs](https://example.com) [bad](javascript:alert(1))';
    expect((await api('PUT', '/integrations/sandbox', { portal: { overview } })).status).toBe(200);
    const [integration] = (await json<Json[]>(await server.sdk(newUser('overview'), '/integrations'))).filter((item) => item.type === 'sandbox');
    const response = await fetch(`${server.url}/portal/overview?projectId=${server.projectId}&integrationId=${integration!.id}`);
    expect(response.status).toBe(200);
    const { html } = (await response.json()) as { html: string };
    expect(html).toContain('<h1>Alerts</h1>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('href="https://example.com"');
    expect(html).not.toContain('javascript:');
    const unknown = await fetch(`${server.url}/portal/overview?projectId=${server.projectId}&integrationId=nope`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'INTEGRATION_NOT_FOUND' });
  });

  it('takes user settings, theme and font through the management API and shows them in /sdk/integrations', async () => {
    const portal = {
      description: 'Alerts in your sandbox.',
      theme: 'dark',
      fontFamily: 'Inter, system-ui, sans-serif',
      userSettings: [
        { id: 'channel', label: 'Channel', type: 'text', required: true, help: 'Where alerts go.' },
        { id: 'team', label: 'Team', type: 'customDropdown' },
        { id: 'contact', label: 'Contact', type: 'dynamicEnum', source: { path: '/contacts', itemsPath: 'data', valueField: 'id', labelField: 'name' } },
      ],
    };
    const saved = await api('PUT', '/integrations/sandbox', { portal });
    expect(saved.status, await saved.clone().text()).toBe(200);
    expect(((await saved.json()) as Json).portal).toEqual(portal);
    const [integration] = (await json<Json[]>(await server.sdk(newUser('settings'), '/integrations'))).filter((item) => item.type === 'sandbox');
    const values = integration!.configs[0].values;
    expect(values).toMatchObject({ description: 'Alerts in your sandbox.', theme: 'dark', fontFamily: 'Inter, system-ui, sans-serif' });
    expect(values.sharedMeta.inputs).toEqual([
      { id: 'channel', key: 'channel', title: 'Channel', type: 'TEXT_NO_VARS', required: true, tooltip: 'Where alerts go.' },
      { id: 'team', key: 'team', title: 'Team', type: 'CUSTOM_DROPDOWN', required: false, customDropdownOptions: [] },
      { id: 'contact', key: 'contact', title: 'Contact', type: 'DYNAMIC_ENUM', required: false, source: portal.userSettings[2]!.source },
    ]);
  });

  it('refuses a bad portal setting with 400 naming the field, and keeps what was stored', async () => {
    // The management API lists integrations; it has no GET of one.
    const stored = async () => (await json<Json[]>(await api('GET', '/integrations'))).find((integration) => integration.type === 'sandbox')!.portal;
    const before = await stored();
    expect(before).toBeDefined();
    for (const [portal, field] of [
      [{ theme: 'neon' }, 'portal.theme'],
      [{ fontFamily: 'x; background: url(https://evil.example)' }, 'portal.fontFamily'],
      [{ userSettings: [{ id: 'a', label: 'A', type: 'script' }] }, 'portal.userSettings'],
    ] as const) {
      const response = await api('PUT', '/integrations/sandbox', { portal });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { code: string; field?: string; message: string };
      expect(body.code).toBe('VALIDATION_ERROR');
      expect(body.field ?? body.message).toContain(field);
    }
    expect(await stored()).toEqual(before);
  });

  it('answers 404 PORTAL_NOT_BUILT when the portal app is not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'portal-'));
    const bare = await startTestServer('sqlite', { SWITCHBOARD_PORTAL_DIR: empty });
    try {
      const response = await fetch(`${bare.url}/ui`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ code: 'PORTAL_NOT_BUILT', message: expect.stringContaining('npm run build') });
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
