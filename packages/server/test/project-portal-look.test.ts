import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { management } from './support/management.js';
import { expectError, json, newUser } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

interface PortalValues {
  accentColor: string;
  theme?: string;
  fontFamily?: string;
}

/** Font lists that could leave their CSS value or fetch a font: refused on the project and on each integration alike. */
const REFUSED_FONTS = [
  ['a font with a semicolon', 'Inter; color: red'],
  ['a font with braces', 'Inter} body {display:none'],
  ['a font with angle brackets', 'Inter</style><script>'],
  ['a font in quotes', '"Segoe UI", sans-serif'],
  ['a font in single quotes', "'Segoe UI'"],
  ['a font that fetches', 'url(https://fonts.example.com/x.woff2)'],
] as const;

describe.each(testDatabases)("the project's Connect Portal look on %s", (database) => {
  let server: TestServer;
  const project = () => `/projects/${server.projectId}`;
  const api = (method: string, path: string, body?: unknown) => management(server, server.secretKey, method, path, body);
  const setLook = async (portal: Record<string, unknown>) => {
    const response = await api('PATCH', project(), { portal });
    expect(response.status).toBe(200);
    return json<{ portal: Record<string, unknown> }>(response);
  };
  /** The portal's look of each integration, as GET /sdk/integrations (and so the SDK's UI_UPDATE) carries it. */
  const portalValues = async (): Promise<Record<string, PortalValues>> => {
    const items = await json<{ type: string; configs: { values: PortalValues }[] }[]>(await server.sdk(newUser(), '/integrations'));
    return Object.fromEntries(items.map((item) => [item.type, item.configs[0]!.values]));
  };

  beforeAll(async () => {
    server = await startTestServer(database);
  });
  afterAll(async () => server?.close());

  it('is set with PATCH, returned by GET and PATCH, and cleared by an empty look', async () => {
    const look = { accentColor: '#0a7', theme: 'dark', fontFamily: 'Inter, system-ui, sans-serif' };
    expect((await setLook(look)).portal).toEqual(look);
    expect((await json<{ portal: unknown }>(await api('GET', project()))).portal).toEqual(look);
    // Another change leaves the look as it is.
    expect((await json<{ portal: unknown }>(await api('PATCH', project(), { name: 'Renamed' }))).portal).toEqual(look);
    expect((await setLook({ theme: 'light' })).portal).toEqual({ theme: 'light' });
    expect((await setLook({})).portal).toEqual({});
  });

  it("reaches GET /sdk/integrations at once: the project cache drops the project on the write", async () => {
    await setLook({});
    const before = await portalValues();
    const caches = server.server.context.caches;
    // Warm: the SDK call above cached the project (on Postgres once the cache listener is up).
    if (caches.serving) expect(caches.peek('project', server.projectId)).toBeDefined();
    await setLook({ accentColor: '#123456', theme: 'dark', fontFamily: 'Georgia, serif' });
    expect(caches.peek('project', server.projectId)).toBeUndefined();

    const after = await portalValues();
    expect(before.sandbox!.theme).toBeUndefined();
    expect(after.sandbox).toMatchObject({ accentColor: '#123456', theme: 'dark', fontFamily: 'Georgia, serif' });
    expect(after['sandbox-apikey']).toMatchObject({ accentColor: '#123456', theme: 'dark', fontFamily: 'Georgia, serif' });
    // Cleared: back to the built-in look, the integration's brand colour.
    await setLook({});
    expect((await portalValues()).sandbox).toEqual(before.sandbox);
  });

  it("gives way to an integration's own portal settings, field by field", async () => {
    await setLook({ accentColor: '#123456', theme: 'dark', fontFamily: 'Georgia, serif' });
    const configured = await api('PUT', `${project()}/integrations/sandbox-apikey`, { portal: { accentColor: '#AA0000', theme: 'light' } });
    expect(configured.status).toBe(200);
    try {
      const values = await portalValues();
      expect(values['sandbox-apikey']).toMatchObject({ accentColor: '#AA0000', theme: 'light', fontFamily: 'Georgia, serif' });
      expect(values.sandbox).toMatchObject({ accentColor: '#123456', theme: 'dark', fontFamily: 'Georgia, serif' });
    } finally {
      await api('PUT', `${project()}/integrations/sandbox-apikey`, { portal: {} });
      await setLook({});
    }
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a colour that is not #rgb or #rrggbb', { accentColor: 'red' }, 'portal.accentColor'],
    ['a four-digit colour', { accentColor: '#abcd' }, 'portal.accentColor'],
    ['a colour with CSS after it', { accentColor: '#fff;background:url(x)' }, 'portal.accentColor'],
    ['a theme outside light, dark and system', { theme: 'sepia' }, 'portal.theme'],
    ...REFUSED_FONTS.map(([name, fontFamily]): [string, Record<string, unknown>, string] => [name, { fontFamily }, 'portal.fontFamily']),
    ['an unknown field', { background: '#fff' }, 'portal.background'],
  ])('refuses %s: 400 naming the field, nothing saved', async (_name, portal, field) => {
    await setLook({ accentColor: '#abc' });
    const body = await expectError(await api('PATCH', project(), { name: 'Not saved', portal }), 400, 'VALIDATION_ERROR', field);
    expect(body.message).toContain(field);
    const stored = await json<{ name: string; portal: unknown }>(await api('GET', project()));
    expect(stored.portal).toEqual({ accentColor: '#abc' });
    expect(stored.name).not.toBe('Not saved');
    await setLook({});
  });

  it.each(REFUSED_FONTS)("refuses %s in an integration's portal settings too: 400 naming portal.fontFamily, nothing saved", async (_name, fontFamily) => {
    const path = `${project()}/integrations/sandbox-apikey`;
    expect((await api('PUT', path, { isActive: true, portal: { description: 'Before', fontFamily: 'Georgia, serif' } })).status).toBe(200);
    try {
      const body = await expectError(await api('PUT', path, { isActive: false, portal: { description: 'Not saved', fontFamily } }), 400, 'VALIDATION_ERROR', 'portal.fontFamily');
      expect(body.message).toContain('portal.fontFamily');
      const listed = await json<{ type: string; isActive: boolean; portal: unknown }[]>(await api('GET', `${project()}/integrations`));
      const stored = listed.find((integration) => integration.type === 'sandbox-apikey')!;
      expect(stored.portal).toEqual({ description: 'Before', fontFamily: 'Georgia, serif' });
      expect(stored.isActive).toBe(true);
      expect((await portalValues())['sandbox-apikey']!.fontFamily).toBe('Georgia, serif');
    } finally {
      await api('PUT', path, { portal: {} });
    }
  });
});
