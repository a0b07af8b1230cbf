import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, screenshot } from '../../../test/support/chromium.js';
import { approveInPopup } from '../../../test/support/sandbox-popup.js';
import { startTestServer, type TestServer } from '../../server/test/support/test-server.js';

const DIST = '/tmp/portalsdk-portal-dist';
describe('scratch: real portal build', () => {
  let server: TestServer; let browser: Browser; let port = 0; let site: ReturnType<typeof createServer>;
  beforeAll(async () => {
    [server, browser] = await Promise.all([startTestServer('sqlite', { SWITCHBOARD_DEMO: 'true' }), launchChromium()]);
    site = createServer((req, res) => {
      const path = new URL(req.url!, 'http://x').pathname;
      if (path === '/ui') {
        const html = readFileSync(join(DIST, 'index.html'), 'utf8').replace('content=""', `content="http://localhost:${port}"`);
        res.writeHead(200, { 'content-type': 'text/html' }).end(html); return;
      }
      if (path.startsWith('/portal/assets/')) {
        const file = join(DIST, path.slice('/portal/'.length));
        res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'text/css' }).end(readFileSync(file)); return;
      }
      if (path === '/host.html') {
        res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><html><head><script src="${server.url}/switchboard.js"></script></head><body style="background:#fafafa"><h1>Customer app</h1><p>Some page text behind the portal.</p><button id="open">Open</button></body></html>`); return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    port = (site.address() as { port: number }).port;
  }, 60000);
  afterAll(async () => { await browser?.close(); site?.close(); await server?.close(); });

  it('works', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 720 } });
    context.setDefaultTimeout(10000);
    const page = await context.newPage();
    page.on('console', (m) => console.log('page:', m.type(), m.text()));
    const session = (await (await fetch(`${server.url}/demo/session?user=scratch-${randomBytes(3).toString('hex')}`)).json()) as { projectId: string; userToken: string };
    await page.goto(`http://localhost:${port}/host.html`);
    await page.evaluate(async ({ host, portalUrl, projectId, userToken }) => {
      const sdk = (window as any).switchboard; sdk.configureGlobal({ host, portalUrl }); await sdk.authenticate(projectId, userToken);
      (window as any).log = [];
      document.getElementById('open')!.onclick = () => { (window as any).outcome = sdk.connect('sandbox', { onOpen: () => (window as any).log.push('open'), onClose: () => (window as any).log.push('close'), onInstall: () => (window as any).log.push('install') }); };
    }, { host: server.url, portalUrl: `http://127.0.0.1:${port}/ui`, ...session });
    await page.locator('#open').click();
    await page.waitForFunction(() => document.querySelector('dialog')?.open === true);
    await page.waitForTimeout(500);
    await screenshot(page, 'scratch-real-portal-open');
    const frame = page.frameLocator('iframe[title="Connect Portal"]');
    console.log('active in portal:', await page.frames()[1]!.evaluate(() => document.activeElement?.outerHTML.slice(0, 120)));
    await page.keyboard.press('Escape');
    await page.waitForTimeout(300);
    console.log('after esc', await page.evaluate(() => (window as any).log), await page.evaluate(() => document.querySelector('dialog')?.open), await page.evaluate(() => document.activeElement?.id));
    await page.locator('#open').click();
    await page.waitForFunction(() => document.querySelector('dialog')?.open === true);
    await page.waitForTimeout(300);
    console.log(await frame.locator('body').innerText());
    const popupOpened = page.waitForEvent('popup');
    await frame.getByRole('button', { name: /connect/i }).first().click();
    const popup = await popupOpened;
    await popup.getByLabel('Sandbox login').waitFor();
    await approveInPopup(popup, 'scratch');
    await page.waitForFunction(() => (window as any).log.includes('install'));
    await page.waitForTimeout(500);
    await screenshot(page, 'scratch-real-portal-connected');
    console.log(await frame.locator('body').innerText());
    await page.keyboard.press('Escape');
    await page.waitForTimeout(500);
    console.log('log', await page.evaluate(() => (window as any).log), await page.evaluate(() => document.querySelector('dialog')?.open));
    expect(true).toBe(true);
  }, 60000);
});
