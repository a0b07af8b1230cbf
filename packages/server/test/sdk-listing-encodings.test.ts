import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchChromium } from '../../../test/support/chromium.js';
import { PERMISSIONS_CLAIM } from '../src/users/permissions.js';
import { management } from './support/management.js';
import { APP_ORIGIN, configureIntegration, newUser } from './support/sdk-flows.js';
import { startTestServer, type TestServer } from './support/test-server.js';

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The bytes as they came over the wire, still compressed when Content-Encoding says so. */
  body: Buffer;
}

/** GET with exactly these headers, nothing decoded: what a client that sends them receives. */
function rawGet(url: string, headers: Record<string, string>): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { headers }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode!, headers: incoming.headers, body: Buffer.concat(chunks) }));
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

const decode = (answer: RawAnswer) =>
  answer.headers['content-encoding'] === 'br' ? brotliDecompressSync(answer.body) : answer.headers['content-encoding'] === 'gzip' ? gunzipSync(answer.body) : answer.body;

/**
 * GET /sdk/integrations and /sdk/metadata keep their answer compressed beside the plain bytes: each client gets the
 * coding its Accept-Encoding asks for, the same JSON once decoded, and a 304 when it already has these bytes.
 */
describe('the SDK listings, compressed', () => {
  let server: TestServer;
  let token: string;
  const sub = newUser('encodings');
  const url = (route: string) => `${server.url}/projects/${server.projectId}/sdk${route}`;
  const get = (route: string, headers: Record<string, string> = {}) => rawGet(url(route), { authorization: `Bearer ${token}`, ...headers });

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    token = await server.userToken(sub);
    // A listing worth compressing: 30 custom integrations, each with its icon.
    for (let i = 0; i < 30; i += 1) {
      const created = await management(server, server.secretKey, 'POST', `/projects/${server.projectId}/custom-integrations`, {
        slug: `listed-${i}`,
        name: `Listed API ${i}`,
        iconSvg: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="${Array.from({ length: 40 }, (_, j) => `M${(i + j) % 24} ${j % 24}h1`).join('')}"/></svg>`,
        accentColor: '#334155',
        auth: { type: 'api-key', fields: [{ id: 'apiKey', label: 'API key', type: 'password', required: true, secret: true }] },
        apiBaseUrl: `${server.url}/sandbox/api`,
        apiAuthorization: 'X-Api-Key: {{apiKey}}',
        testEndpointUrl: '/me',
      });
      expect({ status: created.status, body: await created.text() }).toMatchObject({ status: 201 });
    }
  });
  afterAll(async () => server?.close());

  describe.each(['/integrations', '/metadata'])('GET /sdk%s', (route) => {
    it('answers plain bytes without Accept-Encoding, with an ETag and Vary: Accept-Encoding', async () => {
      const plain = await get(route);
      expect(plain.status).toBe(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(Number(plain.headers['content-length'])).toBe(plain.body.length);
      expect(plain.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(String(plain.headers.vary).split(/,\s*/)).toContain('Accept-Encoding');
      expect(plain.headers.etag).toMatch(/^W\/"[\w-]+"$/);
      expect(plain.headers['cache-control']).toBe('private, no-cache');
      expect(JSON.parse(plain.body.toString('utf8'))).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'sandbox' })]));
    });

    it("keeps CORS's Vary: Origin beside Accept-Encoding on a cross-origin call", async () => {
      const answer = await get(route, { origin: APP_ORIGIN, 'accept-encoding': 'br' });
      expect(answer.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
      expect(String(answer.headers.vary).split(/,\s*/)).toEqual(expect.arrayContaining(['Origin', 'Accept-Encoding']));
    });

    it.each([
      ['gzip, deflate, br, zstd', 'br'],
      ['gzip, deflate', 'gzip'],
      ['gzip;q=1, br;q=0.5', 'gzip'],
      ['br;q=0, *', 'gzip'],
      ['identity', undefined],
      ['*;q=0', undefined],
      ['deflate', undefined],
    ])('Accept-Encoding: %s → %s, decoding to the plain bytes, with the Content-Length of what was sent', async (acceptEncoding, coding) => {
      const plain = await get(route);
      const answer = await get(route, { 'accept-encoding': acceptEncoding });
      expect(answer.status).toBe(200);
      expect(answer.headers['content-encoding']).toBe(coding);
      expect(Number(answer.headers['content-length'])).toBe(answer.body.length);
      if (coding) expect(answer.body.length).toBeLessThan(plain.body.length / 3);
      expect(decode(answer).equals(plain.body)).toBe(true);
      expect(answer.headers.etag).toBe(plain.headers.etag);
    });

    it('answers 304 with no body to If-None-Match naming its ETag, and 200 to another one', async () => {
      const { headers } = await get(route, { 'accept-encoding': 'br' });
      const etag = String(headers.etag);
      for (const ifNoneMatch of [etag, `"other", ${etag}`, etag.replace(/^W\//, ''), '*']) {
        const unchanged = await get(route, { 'accept-encoding': 'br', 'if-none-match': ifNoneMatch });
        expect(unchanged.status).toBe(304);
        expect(unchanged.body.length).toBe(0);
        expect(unchanged.headers.etag).toBe(etag);
        expect(String(unchanged.headers.vary).split(/,\s*/)).toContain('Accept-Encoding');
      }
      expect((await get(route, { 'accept-encoding': 'br', 'if-none-match': 'W/"stale"' })).status).toBe(200);
    });

    it('sends new bytes and a new ETag once the catalog changes, compressed ones included', async () => {
      const before = await get(route, { 'accept-encoding': 'br' });
      const description = `Changed at ${Date.now()}.`;
      await configureIntegration(server, 'sandbox', { portal: { description } });
      const after = await get(route, { 'accept-encoding': 'br', 'if-none-match': String(before.headers.etag) });
      expect(after.status).toBe(200);
      expect(after.headers.etag).not.toBe(before.headers.etag);
      expect(after.body.equals(before.body)).toBe(false);
      expect(decode(after).toString('utf8')).toContain(description);
      expect(decode(after).equals((await get(route)).body)).toBe(true);
      expect(gunzipSync((await get(route, { 'accept-encoding': 'gzip' })).body).toString('utf8')).toContain(description);
    });

    it('answers each token its own bytes and ETag: a token that hides an integration does not get a 304 for the full list', async () => {
      const full = await get(route, { 'accept-encoding': 'br' });
      const hidden = await server.userToken(sub, { [PERMISSIONS_CLAIM]: { 'integration:sandbox': { visible: false } } });
      const narrower = await rawGet(url(route), { authorization: `Bearer ${hidden}`, 'accept-encoding': 'br', 'if-none-match': String(full.headers.etag) });
      expect(narrower.status).toBe(200);
      expect(narrower.headers.etag).not.toBe(full.headers.etag);
      const types = (JSON.parse(decode(narrower).toString('utf8')) as { type: string }[]).map((integration) => integration.type);
      expect(types).not.toContain('sandbox');
      expect(types.length).toBeGreaterThan(0);
    });
  });

  describe.skipIf(!chromiumPath)('in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => browser?.close());

    it('asks for br, gets br, and reads the same JSON; asking again revalidates with the ETag', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${server.url}/health`);
      const seen: { accept?: string; encoding?: string; status: number; ifNoneMatch?: string }[] = [];
      page.on('requestfinished', async (finished) => {
        if (!finished.url().endsWith('/sdk/integrations')) return;
        const response = (await finished.response())!;
        const sent = await finished.allHeaders();
        seen.push({ accept: sent['accept-encoding'], encoding: (await response.allHeaders())['content-encoding'], status: response.status(), ifNoneMatch: sent['if-none-match'] });
      });
      const notModified = () => server.logs.filter((line) => line.includes('/sdk/integrations') && line.includes('"msg":"request"') && JSON.parse(line).status === 304).length;
      const notModifiedBefore = notModified();
      const listed = await page.evaluate(
        async ({ target, bearer }) => {
          const first = await (await fetch(target, { headers: { authorization: `Bearer ${bearer}` } })).json();
          const again = await fetch(target, { headers: { authorization: `Bearer ${bearer}` } });
          return { first, again: { status: again.status, body: await again.json() } };
        },
        { target: url('/integrations'), bearer: token },
      );
      const plain = JSON.parse((await get('/integrations')).body.toString('utf8'));
      expect(listed.first).toEqual(plain);
      expect(listed.again).toEqual({ status: 200, body: plain });
      await expect.poll(() => seen.length).toBe(2);
      expect(seen[0]).toMatchObject({ encoding: 'br', status: 200 });
      expect(seen[0]!.accept).toMatch(/\bbr\b/);
      // The second fetch: Chromium revalidated with the ETag, the server answered 304, the page still read the JSON.
      expect(seen[1]!.ifNoneMatch).toBe((await get('/integrations')).headers.etag);
      expect(notModified()).toBe(notModifiedBefore + 1);
      await context.close();
    });
  });
});
