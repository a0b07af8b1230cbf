import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
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

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

function requireBuild(): void {
  const missing = [join(DEMO_DIST, 'index.html'), SDK_SCRIPT].filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new Error(`The browser suites serve the built demo and SDK; missing ${missing.join(', ')}. Run \`npm run build\` first.`);
  }
}

/**
 * A customer's app on another origin: the demo's built files under /demo/, its index.html loading the SDK by script
 * tag from the Switchboard server first (so the demo finds `window.switchboard`), and /blank.html.
 */
function startCustomerSite(serverOrigin: string): Promise<{ server: Server; port: number }> {
  const index = readFileSync(join(DEMO_DIST, 'index.html'), 'utf8').replace(
    '<head>',
    `<head>\n    <script src="${serverOrigin}/switchboard.js"></script>`,
  );
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://site').pathname);
    const send = (status: number, type: string, body: string | Buffer) => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(body);
    };
    if (path === '/blank.html') return send(200, CONTENT_TYPES['.html']!, '<!doctype html><title>Elsewhere</title><p>Another origin');
    if (path === '/demo/' || path === '/demo/index.html') return send(200, CONTENT_TYPES['.html']!, index);
    if (!path.startsWith('/demo/')) return send(404, 'text/plain', 'not found');
    const file = normalize(join(DEMO_DIST, path.slice('/demo/'.length)));
    if (!file.startsWith(DEMO_DIST.endsWith(sep) ? DEMO_DIST : DEMO_DIST + sep) || !existsSync(file)) return send(404, 'text/plain', 'not found');
    send(200, CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', readFileSync(file));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

/**
 * A Switchboard server (SQLite, dev project with the sandbox integrations, demo at /demo) and a second site on
 * another port. Same origin: the page is the server's /demo/. Cross origin: the page is the second site, reached as
 * `localhost` while the server is `127.0.0.1`, so they are different origins (and both allowed by the dev project).
 */
export async function startDemoEnvironment(mode: DemoMode): Promise<DemoEnvironment> {
  requireBuild();
  const server = await startTestServer('sqlite', { SWITCHBOARD_DEMO: 'true' });
  const serverOrigin = server.url;
  let site: { server: Server; port: number };
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
      site.server.closeAllConnections();
      await new Promise<void>((resolve) => site.server.close(() => resolve()));
      await server.close();
    },
  };
}
