import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from './support/sdk-flows.js';
import { startTestServer, type TestServer } from './support/test-server.js';

/** A stand-in for the SDK's script-tag build, so these tests do not depend on `npm run build`. */
const SCRIPT = '(function(){window.switchboard={placeholder:true};})();\n//# sourceMappingURL=switchboard.global.js.map\n';
const MAP = JSON.stringify({ version: 3, sources: ['src/index.ts'], names: [], mappings: 'AAAA' });
const CUSTOMER_ORIGIN = 'https://app.customer.example';

describe('GET /switchboard.js', () => {
  let dir: string;
  let scriptFile: string;
  let server: TestServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-sdk-'));
    scriptFile = join(dir, 'switchboard.global.js');
    writeFileSync(scriptFile, SCRIPT);
    writeFileSync(`${scriptFile}.map`, MAP);
    server = await startTestServer('sqlite', { SWITCHBOARD_SDK_FILE: scriptFile });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the script-tag build as JavaScript that any origin may load, with a short cache and an ETag', async () => {
    const response = await fetch(`${server.url}/switchboard.js`, { headers: { origin: CUSTOMER_ORIGIN } });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(SCRIPT);
    expect(response.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    expect(response.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    // The build's own sourceMappingURL comment names its file name, not this route: the header wins over it.
    expect(response.headers.get('sourcemap')).toBe('/switchboard.js.map');
  });

  it('answers 304 without a body to a matching If-None-Match (strong or weak), and 200 to another', async () => {
    const etag = (await fetch(`${server.url}/switchboard.js`)).headers.get('etag')!;
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`]) {
      const response = await fetch(`${server.url}/switchboard.js`, { headers: { 'if-none-match': ifNoneMatch } });
      expect(response.status, ifNoneMatch).toBe(304);
      expect(await response.text()).toBe('');
      expect(response.headers.get('etag')).toBe(etag);
    }
    const changed = await fetch(`${server.url}/switchboard.js`, { headers: { 'if-none-match': '"stale"' } });
    expect(changed.status).toBe(200);
    expect(await changed.text()).toBe(SCRIPT);
  });

  it('answers HEAD with the same headers and no body', async () => {
    const response = await fetch(`${server.url}/switchboard.js`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    expect(await response.text()).toBe('');
  });

  it('serves the source map at /switchboard.js.map', async () => {
    const response = await fetch(`${server.url}/switchboard.js.map`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(await response.json()).toEqual(JSON.parse(MAP));
  });

  it('serves a rebuilt SDK at once, under a new ETag', async () => {
    const before = (await fetch(`${server.url}/switchboard.js`)).headers.get('etag');
    const rebuilt = `${SCRIPT}// rebuilt\n`;
    writeFileSync(scriptFile, rebuilt);
    try {
      const response = await fetch(`${server.url}/switchboard.js`, { headers: { 'if-none-match': before! } });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(rebuilt);
      expect(response.headers.get('etag')).not.toBe(before);
    } finally {
      writeFileSync(scriptFile, SCRIPT);
    }
  });

  it('answers 404 SOURCE_MAP_NOT_FOUND when the build has no source map, and then sends no SourceMap header', async () => {
    rmSync(`${scriptFile}.map`);
    try {
      const map = await fetch(`${server.url}/switchboard.js.map`);
      expect(map.headers.get('x-switchboard-error')).toBe('SOURCE_MAP_NOT_FOUND');
      await expectError(map, 404, 'SOURCE_MAP_NOT_FOUND');
      const script = await fetch(`${server.url}/switchboard.js`);
      expect(script.status).toBe(200);
      expect(script.headers.get('sourcemap')).toBeNull();
    } finally {
      writeFileSync(`${scriptFile}.map`, MAP);
    }
  });
});

describe('GET /switchboard.js when the SDK is not built', () => {
  let server: TestServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-sdk-missing-'));
    // The server starts without the file: a missing build is a 404, not a startup failure.
    server = await startTestServer('sqlite', { SWITCHBOARD_SDK_FILE: join(dir, 'switchboard.global.js') });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 404 SDK_NOT_BUILT with how to build it, for the script and its map', async () => {
    for (const path of ['/switchboard.js', '/switchboard.js.map']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.headers.get('x-switchboard-error')).toBe('SDK_NOT_BUILT');
      expect(response.headers.get('cache-control')).toBe('no-store');
      const body = await expectError(response, 404, 'SDK_NOT_BUILT');
      expect(body.message).toBe('The browser SDK is not built: run npm run build');
    }
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('serves the file as soon as it is built, without a restart', async () => {
    writeFileSync(join(dir, 'switchboard.global.js'), SCRIPT);
    const response = await fetch(`${server.url}/switchboard.js`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(SCRIPT);
  });
});

describe('GET /switchboard.js by default (SWITCHBOARD_SDK_FILE unset)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('sqlite');
  });
  afterAll(async () => server?.close());

  it("serves the installed @switchboard/sdk package's switchboard.global.js, or SDK_NOT_BUILT before it is built", async () => {
    expect(server.config.sdkFile).toBeUndefined();
    // Where the server looks: the package's export, resolved from the server package.
    const packageJson = createRequire(new URL('../package.json', import.meta.url)).resolve('@switchboard/sdk/package.json');
    const built = join(packageJson, '..', 'dist', 'switchboard.global.js');
    const response = await fetch(`${server.url}/switchboard.js`);
    if (existsSync(built)) {
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(readFileSync(built, 'utf8'));
    } else {
      await expectError(response, 404, 'SDK_NOT_BUILT');
    }
  });
});
