import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app-context.js';
import { apiError } from '../errors.js';

const requireHere = createRequire(import.meta.url);

/** Short enough that a new SDK release reaches customers' pages within minutes; revalidation is a 304. */
const CACHE_CONTROL = 'public, max-age=300';

/**
 * The SDK's script-tag build: SWITCHBOARD_SDK_FILE, else the installed `@switchboard/sdk` package's file. Looked up
 * on each request, so an SDK built after the server started is served without a restart.
 */
export function sdkScriptFile(configured: string | undefined): string | undefined {
  if (configured) return configured;
  try {
    return requireHere.resolve('@switchboard/sdk/switchboard.global.js');
  } catch {
    // Not built yet (or the package is missing): the route says so.
    return undefined;
  }
}

interface CachedFile {
  mtimeMs: number;
  size: number;
  body: Buffer;
  etag: string;
}

/** Files read once per version on disk (mtime and size), with a strong ETag of their content. */
class FileCache {
  private readonly files = new Map<string, CachedFile>();

  async read(path: string): Promise<CachedFile | undefined> {
    let info;
    try {
      info = await stat(path);
    } catch {
      return undefined;
    }
    if (!info.isFile()) return undefined;
    const known = this.files.get(path);
    if (known && known.mtimeMs === info.mtimeMs && known.size === info.size) return known;
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch {
      return undefined;
    }
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const file = { mtimeMs: info.mtimeMs, size: info.size, body, etag };
    this.files.set(path, file);
    return file;
  }
}

/** If-None-Match names this ETag (weak comparison, as RFC 9110 asks for GET), or is `*`. */
function notModified(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  if (!header) return false;
  return header.split(',').some((tag) => {
    const value = tag.trim();
    return value === '*' || value === etag || value === `W/${etag}`;
  });
}

const sdkNotBuilt = () => apiError('SDK_NOT_BUILT', 'The browser SDK is not built: run npm run build');

/**
 * GET /switchboard.js: the browser SDK for a `<script>` tag (it defines `window.switchboard`), and its source map at
 * /switchboard.js.map. Customers' pages on any origin load it, with or without `crossorigin`, hence
 * `Access-Control-Allow-Origin: *` and `Cross-Origin-Resource-Policy: cross-origin`; it is public code, no
 * credentials ride on it.
 */
export function sdkScriptRoutes(context: AppContext) {
  const cache = new FileCache();

  const serve = async (request: FastifyRequest, reply: FastifyReply, kind: 'script' | 'map') => {
    reply.header('access-control-allow-origin', '*').header('cross-origin-resource-policy', 'cross-origin').header('x-content-type-options', 'nosniff');
    const script = sdkScriptFile(context.config.sdkFile);
    const file = script ? await cache.read(kind === 'script' ? script : `${script}.map`) : undefined;
    if (!file) {
      reply.header('cache-control', 'no-store');
      if (kind === 'map' && script && (await cache.read(script))) {
        throw apiError('SOURCE_MAP_NOT_FOUND', 'The browser SDK was built without a source map');
      }
      throw sdkNotBuilt();
    }
    reply.header('cache-control', CACHE_CONTROL).header('etag', file.etag);
    if (kind === 'script' && (await cache.read(`${script}.map`))) reply.header('sourcemap', '/switchboard.js.map');
    if (notModified(request, file.etag)) return reply.code(304).send();
    return reply.type(kind === 'script' ? 'application/javascript; charset=utf-8' : 'application/json; charset=utf-8').send(file.body);
  };

  return async (app: FastifyInstance) => {
    app.get('/switchboard.js', { schema: { hide: true } }, (request, reply) => serve(request, reply, 'script'));
    app.get('/switchboard.js.map', { schema: { hide: true } }, (request, reply) => serve(request, reply, 'map'));
  };
}
