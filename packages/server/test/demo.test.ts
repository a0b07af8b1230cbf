import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { rawRequest } from './support/proxy.js';
import { APP_ORIGIN, expectError, json } from './support/sdk-flows.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const DEMO_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";
const INDEX_HTML = '<!doctype html><html><head><script type="module" src="/demo/assets/index-abc123.js"></script></head><body>demo</body></html>';
const SECRET = 'NOT-FOR-THE-DEMO';

/** A stand-in for examples/catalog/dist (Vite's layout: index.html and hashed files under assets/), beside a file it must not serve. */
function demoFixture(): { root: string; dist: string } {
  const root = mkdtempSync(join(tmpdir(), 'switchboard-demo-'));
  const dist = join(root, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), INDEX_HTML);
  writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log("demo");');
  writeFileSync(join(dist, 'assets', 'index-def456.css'), 'body{color:red}');
  writeFileSync(join(dist, 'assets', 'logo-0a1b2c.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dist, '.env'), SECRET);
  writeFileSync(join(root, 'secret.txt'), SECRET);
  return { root, dist };
}

describe('the demo at /demo', () => {
  let fixture: { root: string; dist: string };
  let server: TestServer;

  beforeAll(async () => {
    fixture = demoFixture();
    server = await startTestServer('sqlite', { SWITCHBOARD_DEMO_DIR: fixture.dist });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(fixture.root, { recursive: true, force: true });
  });

  it('is on by default beside the dev project', () => {
    expect(server.config.demo).toBe(true);
  });

  it('redirects /demo to /demo/, keeping the query string', async () => {
    for (const [path, location] of [
      ['/demo', '/demo/'],
      ['/demo?user=ada', '/demo/?user=ada'],
    ]) {
      const response = await fetch(`${server.url}${path}`, { redirect: 'manual' });
      expect(response.status, path).toBe(302);
      expect(response.headers.get('location')).toBe(location);
    }
  });

  it('serves index.html at /demo/ as HTML, revalidated on every load, under the demo CSP', async () => {
    for (const path of ['/demo/', '/demo/index.html']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(await response.text()).toBe(INDEX_HTML);
      expect(response.headers.get('content-type')).toMatch(/^text\/html; charset=utf-8$/i);
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(response.headers.get('content-security-policy')).toBe(DEMO_CSP);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('cross-origin-opener-policy')).toBeNull();
    }
  });

  it('answers 304 to a revalidation of index.html', async () => {
    const etag = (await fetch(`${server.url}/demo/`)).headers.get('etag');
    expect(etag).toBeTruthy();
    // As a browser revalidates its cached copy (fetch() would add Cache-Control: no-cache, which asks for a 200).
    const again = await rawRequest(server, '/demo/', { 'if-none-match': etag! });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
  });

  it('serves the hashed assets with their content types and long, immutable caching', async () => {
    for (const [file, type] of [
      ['index-abc123.js', /^(application|text)\/javascript; charset=utf-8$/i],
      ['index-def456.css', /^text\/css; charset=utf-8$/i],
      ['logo-0a1b2c.svg', /^image\/svg\+xml/],
    ] as const) {
      const response = await fetch(`${server.url}/demo/assets/${file}`);
      expect(response.status, file).toBe(200);
      expect(response.headers.get('content-type'), file).toMatch(type);
      expect(response.headers.get('cache-control'), file).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('content-security-policy')).toBe(DEMO_CSP);
    }
    // Outside assets/ a file is not content-hashed: revalidated like index.html.
    expect((await fetch(`${server.url}/demo/favicon.svg`)).headers.get('cache-control')).toBe('no-cache');
  });

  it('answers 404 ROUTE_NOT_FOUND in the error shape for unknown files, directories and dotfiles', async () => {
    for (const path of ['/demo/nope.html', '/demo/assets/nope.js', '/demo/assets', '/demo/assets/', '/demo/.env']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.headers.get('x-switchboard-error'), path).toBe('ROUTE_NOT_FOUND');
      await expectError(response, 404, 'ROUTE_NOT_FOUND');
    }
  });

  it('never serves a file outside the demo directory, however the path is spelled', async () => {
    const escapes = [
      '/demo/../secret.txt',
      '/demo/%2e%2e/secret.txt',
      '/demo/%2E%2E/secret.txt',
      '/demo/assets/../../secret.txt',
      '/demo/assets/%2e%2e/%2e%2e/secret.txt',
      '/demo/..%2fsecret.txt',
      '/demo/%2e%2e%2fsecret.txt',
      '/demo/assets/..%2f..%2fsecret.txt',
      '/demo/..%5csecret.txt',
      '/demo/..\\secret.txt',
      '/demo/%252e%252e/secret.txt',
      '/demo/./../secret.txt',
      '/demo//../secret.txt',
      '/demo/%00../secret.txt',
    ];
    for (const path of escapes) {
      const answer = await rawRequest(server, path, {});
      expect(answer.body, path).not.toContain(SECRET);
      expect([400, 404], path).toContain(answer.status);
      const body = JSON.parse(answer.body) as { code: string; message: string };
      expect(body.code, path).toMatch(/^(ROUTE_NOT_FOUND|INVALID_URL)$/);
      expect(answer.headers['x-switchboard-error'], path).toBe(body.code);
    }
  });

  it('sends no CORS headers for its pages, even to an allowed origin', async () => {
    const response = await fetch(`${server.url}/demo/`, { headers: { origin: APP_ORIGIN } });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  describe('GET /demo/session', () => {
    it("answers { projectId, userId, userToken, host } for demo-user, signed RS256 for an hour with the dev project's key", async () => {
      const response = await fetch(`${server.url}/demo/session`);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const session = await json<Record<string, string>>(response);
      expect(Object.keys(session).sort()).toEqual(['host', 'projectId', 'userId', 'userToken']);
      expect(session).toMatchObject({ projectId: server.projectId, userId: 'demo-user', host: server.url });
      expect(decodeProtectedHeader(session.userToken!)).toEqual({ alg: 'RS256', kid: server.server.devProject!.signingKeyId });
      const claims = decodeJwt(session.userToken!);
      expect(claims).toMatchObject({ sub: 'demo-user', aud: server.projectId });
      expect(claims.exp! - claims.iat!).toBe(3600);
    });

    it('mints a token the SDK API accepts for that user', async () => {
      const session = await json<{ projectId: string; userToken: string }>(await fetch(`${server.url}/demo/session`));
      const me = await fetch(`${server.url}/projects/${session.projectId}/sdk/me`, { headers: { authorization: `Bearer ${session.userToken}` } });
      expect(await json(me)).toMatchObject({ authenticated: true, userId: 'demo-user' });
    });

    it('names the user demo-<user> for ?user=, so it can never sign for a user outside the demo- prefix', async () => {
      for (const user of ['ada', 'real-user', 'A_b-9', 'x'.repeat(64)]) {
        const session = await json<{ userId: string; userToken: string }>(await fetch(`${server.url}/demo/session?user=${user}`));
        expect(session.userId).toBe(`demo-${user}`);
        expect(decodeJwt(session.userToken).sub).toBe(`demo-${user}`);
      }
    });

    it('refuses a user name outside [A-Za-z0-9_-]{1,64} with 400 VALIDATION_ERROR on field user', async () => {
      for (const query of ['user=', 'user=a%20b', 'user=..%2Fx', 'user=%C3%A9', `user=${'x'.repeat(65)}`, 'user=a&user=b', 'user=a%0A']) {
        const response = await fetch(`${server.url}/demo/session?${query}`);
        expect(response.headers.get('x-switchboard-error'), query).toBe('VALIDATION_ERROR');
        await expectError(response, 400, 'VALIDATION_ERROR', 'user');
      }
    });

    it('refuses an unknown query parameter, naming it', async () => {
      await expectError(await fetch(`${server.url}/demo/session?usr=ada`), 400, 'VALIDATION_ERROR', 'querystring.usr');
    });

    it('answers at the loopback names, whatever the port', async () => {
      const { port } = new URL(server.url);
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'localhost', 'LOCALHOST:1234']) {
        const answer = await rawRequest(server, '/demo/session', { host });
        expect({ host, status: answer.status }).toEqual({ host, status: 200 });
        expect(JSON.parse(answer.body)).toMatchObject({ userId: 'demo-user', userToken: expect.any(String) });
      }
    });

    it('refuses any other Host with 403 HOST_NOT_ALLOWED and no token (DNS rebinding), before reading the query', async () => {
      for (const host of ['evil.example', 'evil.example:4000', '127.0.0.1.evil.example', 'localhost.evil.example', '[::2]', '10.0.0.1']) {
        const answer = await rawRequest(server, '/demo/session?user=a%20b', { host });
        expect({ host, status: answer.status }).toEqual({ host, status: 403 });
        expect(answer.headers['x-switchboard-error']).toBe('HOST_NOT_ALLOWED');
        expect(JSON.parse(answer.body)).toEqual({ code: 'HOST_NOT_ALLOWED', message: expect.any(String) });
        expect(answer.body).not.toMatch(/eyJ/);
      }
    });

    it('trusts the Host header only, not an X-Forwarded-Host a rebinding page could set', async () => {
      const answer = await rawRequest(server, '/demo/session', { host: 'evil.example', 'x-forwarded-host': 'localhost' });
      expect(answer.status).toBe(403);
    });

    it("answers the dev project's allowed origins cross-origin, exposing X-Switchboard-Error, and no other origin", async () => {
      for (const origin of [APP_ORIGIN, 'http://127.0.0.1:8080', 'http://[::1]:3000']) {
        const response = await fetch(`${server.url}/demo/session`, { headers: { origin } });
        expect(response.status).toBe(200);
        expect(response.headers.get('access-control-allow-origin')).toBe(origin);
        expect(response.headers.get('access-control-expose-headers')).toContain('X-Switchboard-Error');
      }
      const refused = await fetch(`${server.url}/demo/session?user=a%20b`, { headers: { origin: APP_ORIGIN } });
      expect(refused.status).toBe(400);
      expect(refused.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
      expect(refused.headers.get('x-switchboard-error')).toBe('VALIDATION_ERROR');
      for (const origin of ['https://evil.example', 'http://localhost.evil.example:5173']) {
        const response = await fetch(`${server.url}/demo/session`, { headers: { origin } });
        expect(response.headers.get('access-control-allow-origin'), origin).toBeNull();
      }
    });
  });
});

describe('the demo behind a public URL', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('sqlite', { SWITCHBOARD_PUBLIC_URL: 'https://demo.switchboard.example' });
  });
  afterAll(async () => server?.close());

  it("hands out sessions at the public URL's host, and at loopback names", async () => {
    for (const host of ['demo.switchboard.example', 'demo.switchboard.example:443', 'localhost:4000']) {
      expect((await rawRequest(server, '/demo/session', { host })).status).toBe(200);
    }
  });

  it('refuses other hosts, the public host as a suffix included', async () => {
    for (const host of ['switchboard.example', 'demo.switchboard.example.evil.example', 'evil.example']) {
      const answer = await rawRequest(server, '/demo/session', { host });
      expect({ host, status: answer.status }).toEqual({ host, status: 403 });
    }
  });
});

describe('the demo when it is not built', () => {
  let root: string;
  let server: TestServer;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'switchboard-demo-missing-'));
    server = await startTestServer('sqlite', { SWITCHBOARD_DEMO_DIR: join(root, 'dist') });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers 404 DEMO_NOT_BUILT with how to build it, on every page path', async () => {
    for (const path of ['/demo', '/demo/', '/demo/index.html', '/demo/assets/index-abc123.js']) {
      const response = await fetch(`${server.url}${path}`, { redirect: 'manual' });
      expect(response.headers.get('x-switchboard-error'), path).toBe('DEMO_NOT_BUILT');
      const body = await expectError(response, 404, 'DEMO_NOT_BUILT');
      expect(body.message).toBe('The demo app is not built: run npm run build');
    }
  });

  it('still mints demo sessions, for a demo app served from another origin', async () => {
    expect(await json(await fetch(`${server.url}/demo/session`))).toMatchObject({ userId: 'demo-user', projectId: server.projectId });
  });

  it('serves the demo once it is built, without a restart', async () => {
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'dist', 'index.html'), INDEX_HTML);
    const response = await fetch(`${server.url}/demo/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(INDEX_HTML);
  });
});

describe('the demo turned off', () => {
  let fixture: { root: string; dist: string };
  let server: TestServer;

  beforeAll(async () => {
    fixture = demoFixture();
    server = await startTestServer('sqlite', { SWITCHBOARD_DEMO: 'false', SWITCHBOARD_DEMO_DIR: fixture.dist });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(fixture.root, { recursive: true, force: true });
  });

  it('serves neither the pages nor sessions: 404 ROUTE_NOT_FOUND', async () => {
    for (const path of ['/demo', '/demo/', '/demo/session', '/demo/session?user=ada']) {
      await expectError(await fetch(`${server.url}${path}`, { headers: { origin: APP_ORIGIN } }), 404, 'ROUTE_NOT_FOUND');
    }
    const response = await fetch(`${server.url}/demo/session`, { headers: { origin: APP_ORIGIN } });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('demo configuration', () => {
  const base = { SWITCHBOARD_DATA_DIR: tmpdir() };

  it('SWITCHBOARD_DEMO defaults to on with the dev project and off without it', () => {
    expect(loadConfig({ ...base }).demo).toBe(true);
    expect(loadConfig({ ...base, SWITCHBOARD_DEV_PROJECT: '0' }).demo).toBe(false);
    expect(loadConfig({ ...base, SWITCHBOARD_DEMO: 'false' }).demo).toBe(false);
    expect(loadConfig({ ...base, SWITCHBOARD_DEMO: '0', SWITCHBOARD_DEV_PROJECT: '0' }).demo).toBe(false);
  });

  it('refuses SWITCHBOARD_DEMO=1 without the dev project, whose key it signs with', () => {
    expect(() => loadConfig({ ...base, SWITCHBOARD_DEMO: '1', SWITCHBOARD_DEV_PROJECT: '0' })).toThrow(/SWITCHBOARD_DEMO needs the dev project/);
  });

  it("SWITCHBOARD_DEMO_DIR defaults to this repository's examples/catalog/dist", () => {
    const expected = fileURLToPath(new URL('../../../examples/catalog/dist', import.meta.url));
    expect(loadConfig({ ...base }).demoDir).toBe(expected);
    expect(loadConfig({ ...base, SWITCHBOARD_DEMO_DIR: '/srv/demo/' }).demoDir).toBe('/srv/demo');
  });
});
