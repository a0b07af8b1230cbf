import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireBuilt, startStaticSite, type StaticSite } from '../../../../test/support/static-site.js';
import { startTestServer, type TestServer } from '../../../../packages/server/test/support/test-server.js';

/** Where the demo page comes from: the Switchboard server itself, or another origin loading /switchboard.js. */
export type DemoMode = 'same-origin' | 'cross-origin';

export interface DemoEnvironment {
  mode: DemoMode;
  server: TestServer;
  /** The Switchboard server's origin (http://127.0.0.1:<port>). */
  serverOrigin: string;
  /** The origin the demo page is loaded from. */
  pageOrigin: string;
  /** An origin that is neither the page's nor the server's, serving a blank page at /blank.html. */
  foreignOrigin: string;
  /** The demo page's URL with these query parameters. */
  demoUrl(params: Record<string, string>): string;
  close(): Promise<void>;
}

const DEMO_DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const SDK_SCRIPT = fileURLToPath(new URL('../../../../packages/sdk/dist/switchboard.global.js', import.meta.url));

/**
 * A customer's app on another origin: the demo's built files under /demo/, its index.html loading the SDK by script
 * tag from the Switchboard server first (so the demo finds `window.switchboard`), and /blank.html.
 */
function startCustomerSite(serverOrigin: string): Promise<StaticSite> {
  return startStaticSite({
    root: DEMO_DIST,
    mount: '/demo/',
    index: (html) => html.replace('<head>', `<head>\n    <script src="${serverOrigin}/switchboard.js"></script>`),
    pages: { '/blank.html': '<!doctype html><title>Elsewhere</title><p>Another origin' },
  });
}

/**
 * A Switchboard server (SQLite, dev project with the sandbox integrations, demo at /demo) and a second site on
 * another port. Same origin: the page is the server's /demo/. Cross origin: the page is the second site, reached as
 * `localhost` while the server is `127.0.0.1`, so they are different origins (and both allowed by the dev project).
 */
export async function startDemoEnvironment(mode: DemoMode): Promise<DemoEnvironment> {
  requireBuilt([join(DEMO_DIST, 'index.html'), SDK_SCRIPT]);
  const server = await startTestServer('sqlite', { SWITCHBOARD_DEMO: 'true' });
  const serverOrigin = server.url;
  let site: StaticSite;
  try {
    site = await startCustomerSite(serverOrigin);
  } catch (error) {
    await server.close();
    throw error;
  }
  const pageOrigin = mode === 'same-origin' ? serverOrigin : `http://localhost:${site.port}`;
  const foreignOrigin = mode === 'same-origin' ? `http://localhost:${site.port}` : `http://127.0.0.1:${site.port}`;
  return {
    mode,
    server,
    serverOrigin,
    pageOrigin,
    foreignOrigin,
    demoUrl(params) {
      const url = new URL('/demo/', pageOrigin);
      for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
      return url.href;
    },
    async close() {
      await site.close();
      await server.close();
    },
  };
}
