import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchChromium, screenshot } from '../../../test/support/chromium.js';
import { DOCS } from '../src/home/home-page.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const DOCS_DIR = fileURLToPath(new URL('../../../docs/', import.meta.url));

/** Every href and src of the page. */
const references = (html: string) => [...html.matchAll(/\s(?:href|src)="([^"]*)"/g)].map((match) => match[1]!);

describe('the home page and favicon', () => {
  let server: TestServer;
  let withoutDemo: TestServer;
  beforeAll(async () => {
    [server, withoutDemo] = await Promise.all([startTestServer('sqlite', { SWITCHBOARD_DEMO: 'true' }), startTestServer('sqlite', { SWITCHBOARD_DEMO: 'false' })]);
  });
  afterAll(async () => {
    await Promise.all([server?.close(), withoutDemo?.close()]);
  });

  it('GET / answers an HTML page under a strict CSP that allows its own inline style by hash and nothing from elsewhere', async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await response.text();
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    const hash = createHash('sha256').update(style).digest('base64');
    expect(response.headers.get('content-security-policy')).toBe(
      `default-src 'none'; style-src 'sha256-${hash}'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    expect(html).not.toMatch(/<script|\sstyle="|\son\w+=/i);
    // Every reference is a path on this server: no other origin, no protocol-relative URL.
    expect(references(html).filter((reference) => !/^\/(?!\/)/.test(reference))).toEqual([]);
  });

  it('links the demo, the API description, the SDK script and the health check, each of which answers', async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    expect(references(html)).toEqual(['/favicon.svg', '/demo/', '/api/openapi.json', '/switchboard.js', '/health']);
    expect(html).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml">');
    const openapi = await fetch(`${server.url}/api/openapi.json`);
    expect(openapi.status).toBe(200);
    expect(((await openapi.json()) as { openapi: string }).openapi).toMatch(/^3\./);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('leaves the demo out when the demo is off', async () => {
    const html = await (await fetch(`${withoutDemo.url}/`)).text();
    expect(references(html)).toEqual(['/favicon.svg', '/api/openapi.json', '/switchboard.js', '/health']);
    expect(html).not.toContain('Demo');
    expect((await fetch(`${withoutDemo.url}/demo/`)).status).toBe(404);
  });

  it('names the docs by file name: each one a file of docs/, and every file of docs/', async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    expect(html).toContain('<code>docs/</code>');
    for (const { file } of DOCS) {
      expect(html).toContain(`<dt><code>${file}</code></dt>`);
      expect(existsSync(`${DOCS_DIR}${file}`), file).toBe(true);
    }
    expect(DOCS.map(({ file }) => file).sort()).toEqual(readdirSync(DOCS_DIR).filter((file) => file.endsWith('.md')).sort());
  });

  it('serves /favicon.svg as image/svg+xml that can run and load nothing, and redirects /favicon.ico to it', async () => {
    const response = await fetch(`${server.url}/favicon.svg`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/svg+xml');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const svg = await response.text();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).not.toMatch(/<script|\son\w+=|href=/i);

    const ico = await fetch(`${server.url}/favicon.ico`, { redirect: 'manual' });
    expect(ico.status).toBe(301);
    expect(ico.headers.get('location')).toBe('/favicon.svg');
  });

  describe.skipIf(!chromiumPath)('in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });

    for (const colorScheme of ['light', 'dark'] as const) {
      it(`renders styled in the ${colorScheme} scheme with no CSP violation`, async () => {
        const context = await browser.newContext({ colorScheme, viewport: { width: 1024, height: 760 } });
        try {
          const page = await context.newPage();
          const problems: string[] = [];
          page.on('console', (message) => {
            if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
          });
          page.on('pageerror', (error) => problems.push(error.message));
          await page.goto(`${server.url}/`);
          expect(await page.title()).toBe('Switchboard');
          // The inline style applied (a blocked style leaves the browser's default white or black body).
          const background = await page.evaluate('getComputedStyle(document.body).backgroundColor');
          expect(background).toBe(colorScheme === 'light' ? 'rgb(245, 246, 250)' : 'rgb(14, 16, 22)');
          expect(await page.getByRole('link', { name: /API description/ }).getAttribute('href')).toBe('/api/openapi.json');
          expect(problems).toEqual([]);
          await screenshot(page, `home-${colorScheme}`);
        } finally {
          await context.close();
        }
      });
    }
  });
});
