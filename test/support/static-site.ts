import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

export interface StaticSiteOptions {
  /** A built app's folder (Vite's dist/), served below `mount`. */
  root: string;
  /** The path the app is served at, with both slashes: `/demo/`, or `/`. */
  mount: string;
  /** Rewrites the app's index.html as served, e.g. to add a script tag. */
  index?: (html: string) => string;
  /** More HTML pages, by exact path. */
  pages?: Record<string, string>;
}

export interface StaticSite {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Fails early, and says what to run, when a suite is about to serve files that `npm run build` makes. */
export function requireBuilt(files: string[]): void {
  const missing = files.filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new Error(`The browser suites serve built files; missing ${missing.join(', ')}. Run \`npm run build\` first.`);
  }
}

/**
 * A customer's web site on its own loopback port: a built app and a few pages, nothing else. Reached as `localhost`
 * while Switchboard is `127.0.0.1`, it is another origin than the server's.
 */
export function startStaticSite(options: StaticSiteOptions): Promise<StaticSite> {
  const root = options.root.endsWith(sep) ? options.root : options.root + sep;
  const index = (options.index ?? ((html: string) => html))(readFileSync(join(root, 'index.html'), 'utf8'));
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://site').pathname);
    const send = (status: number, type: string, body: string | Buffer) => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(body);
    };
    const page = options.pages?.[path];
    if (page !== undefined) return send(200, CONTENT_TYPES['.html']!, page);
    if (path === options.mount || path === `${options.mount}index.html`) return send(200, CONTENT_TYPES['.html']!, index);
    if (!path.startsWith(options.mount)) return send(404, 'text/plain', 'not found');
    const file = normalize(join(root, path.slice(options.mount.length)));
    if (!file.startsWith(root) || !statSync(file, { throwIfNoEntry: false })?.isFile()) return send(404, 'text/plain', 'not found');
    send(200, CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', readFileSync(file));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({
        server,
        port: typeof address === 'object' && address ? address.port : 0,
        close: async () => {
          server.closeAllConnections();
          await new Promise<void>((done) => server.close(() => done()));
        },
      });
    });
  });
}
