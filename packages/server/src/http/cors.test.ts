import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject } from '../projects/project-store.js';
import { openStorage, type Storage } from '../storage/database.js';
import { LookupCaches } from '../storage/lookup-caches.js';
import { registerCors } from './cors.js';
import { installErrorHandler } from './error-handler.js';

const APP = 'https://app.example.com';
const OTHER = 'https://evil.example.net';
const LOCAL = 'http://localhost:5173';

interface CorsApp {
  app: FastifyInstance;
  url: string;
}

/** A small app with routes on the paths CORS tells apart; each answers who handled it. */
async function corsApp(storage: Storage, options: { demoProjectId?: string }): Promise<CorsApp> {
  const app = Fastify();
  installErrorHandler(app);
  // CORS reads projects only (their allowed origins), through the lookup caches.
  await registerCors(app, { db: storage.db, caches: await LookupCaches.open(storage, {}) }, options);
  app.get('/projects/:projectId/sdk/me', async () => ({ route: 'me' }));
  app.get('/v2/projects/:projectId/sdk/actions', async () => ({ route: 'actions' }));
  app.all('/projects/:projectId/sdk/proxy/*', async (request) => ({ route: 'proxy', method: request.method }));
  app.get('/api/v1/projects/:projectId', async () => ({ route: 'management' }));
  app.get('/demo/session', async () => ({ route: 'demo' }));
  app.get('/demo/sessions', async () => ({ route: 'not-demo' }));
  app.get('/health', async () => ({ route: 'health' }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url };
}

describe('registerCors', () => {
  let dataDir: string;
  let storage: Storage;
  let projectId: string;
  let devProjectId: string;
  let server: CorsApp;
  let withoutDemo: CorsApp;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'switchboard-cors-'));
    storage = await openStorage({ dataDir });
    projectId = (await createProject(storage.db, { name: 'App', allowedOrigins: [APP] })).project.id;
    devProjectId = (await createProject(storage.db, { name: 'Dev', allowedOrigins: ['http://localhost:*'], isDev: true })).project.id;
    server = await corsApp(storage, { demoProjectId: devProjectId });
    withoutDemo = await corsApp(storage, {});
  });
  afterAll(async () => {
    await server?.app.close();
    await withoutDemo?.app.close();
    await storage?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const get = (path: string, origin?: string, target = server) => fetch(`${target.url}${path}`, { headers: { ...(origin && { origin }) } });
  const preflight = (path: string, origin: string, requestHeaders?: string) =>
    fetch(`${server.url}${path}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', ...(requestHeaders && { 'access-control-request-headers': requestHeaders }) },
    });
  const allowOrigin = (response: Response) => response.headers.get('access-control-allow-origin');
  /** A comma-separated header as a list (null when absent). */
  const list = (response: Response, name: string) => response.headers.get(name)?.split(/\s*,\s*/) ?? null;

  describe('on project paths', () => {
    it("answers an allowed origin with that origin (never *), and lets it read X-Switchboard-Error", async () => {
      const response = await get(`/projects/${projectId}/sdk/me`, APP);
      expect(response.status).toBe(200);
      expect(allowOrigin(response)).toBe(APP);
      expect(list(response, 'access-control-expose-headers')).toEqual(['X-Switchboard-Error']);
      expect(response.headers.get('vary')).toMatch(/Origin/);
    });

    it('treats /v2/projects/:id/ (the reference SDK) like /projects/:id/', async () => {
      expect(allowOrigin(await get(`/v2/projects/${projectId}/sdk/actions`, APP))).toBe(APP);
      expect(allowOrigin(await get(`/v2/projects/${projectId}/sdk/actions`, OTHER))).toBeNull();
    });

    it("gives no CORS headers to another origin, to another project's origin, or to a request without Origin", async () => {
      for (const response of [await get(`/projects/${projectId}/sdk/me`, OTHER), await get(`/projects/${projectId}/sdk/me`, LOCAL), await get(`/projects/${projectId}/sdk/me`)]) {
        expect(response.status).toBe(200);
        expect(allowOrigin(response)).toBeNull();
        expect(response.headers.get('access-control-expose-headers')).toBeNull();
      }
    });

    it('gives no CORS headers for a project that does not exist or an id that is no project id', async () => {
      expect(allowOrigin(await get(`/projects/${randomUUID()}/sdk/me`, APP))).toBeNull();
      const odd = await get(`/projects/${encodeURIComponent("x' OR '1'='1")}/sdk/me`, APP);
      expect(odd.status).toBe(200);
      expect(allowOrigin(odd)).toBeNull();
    });

    it("answers a preflight with the SDK's methods and headers, cached for 10 minutes", async () => {
      const response = await preflight(`/projects/${projectId}/sdk/me`, APP, 'authorization, x-paragon-sdk-version');
      expect(response.status).toBe(204);
      expect(allowOrigin(response)).toBe(APP);
      expect(list(response, 'access-control-allow-methods')).toEqual(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
      expect(list(response, 'access-control-allow-headers')).toEqual([
        'Authorization',
        'Content-Type',
        'Accept',
        'X-Paragon-SDK-Version',
        'X-Paragon-Credential',
        'X-Paragon-Configuration-Id',
        'X-Switchboard-SDK-Version',
        'X-Switchboard-Retry',
      ]);
      expect(response.headers.get('access-control-max-age')).toBe('600');
    });

    it('answers an OPTIONS that is no preflight (no Access-Control-Request-Method) in the one error shape', async () => {
      const response = await fetch(`${server.url}/projects/${projectId}/sdk/me`, { method: 'OPTIONS', headers: { origin: APP } });
      expect(response.status).toBe(404);
      expect(response.headers.get('x-switchboard-error')).toBe('ROUTE_NOT_FOUND');
      expect(await response.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
      expect(allowOrigin(response)).toBe(APP);
    });

    it('answers a preflight from another origin without allowing it', async () => {
      const response = await preflight(`/projects/${projectId}/sdk/me`, OTHER, 'authorization');
      expect(allowOrigin(response)).toBeNull();
      expect(response.headers.get('access-control-allow-headers')).toBeNull();
    });
  });

  describe('on the proxy', () => {
    const proxyPath = () => `/projects/${projectId}/sdk/proxy/notion/v1/pages`;

    it("allows the provider's own request headers the preflight asks for", async () => {
      const response = await preflight(proxyPath(), APP, 'authorization, notion-version, if-none-match');
      expect(response.status).toBe(204);
      expect(allowOrigin(response)).toBe(APP);
      expect(list(response, 'access-control-allow-headers')).toEqual(['authorization', 'notion-version', 'if-none-match']);
    });

    it("exposes every answer header (the provider's rate-limit counters, ETag) and names X-Switchboard-Error", async () => {
      const response = await get(proxyPath(), APP);
      expect(await response.json()).toEqual({ route: 'proxy', method: 'GET' });
      expect(allowOrigin(response)).toBe(APP);
      expect(list(response, 'access-control-expose-headers')).toEqual(['*', 'X-Switchboard-Error']);
    });

    it('passes an OPTIONS without Access-Control-Request-Method to the proxy route: it is a call for the provider', async () => {
      const response = await fetch(`${server.url}${proxyPath()}`, { method: 'OPTIONS', headers: { origin: APP } });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ route: 'proxy', method: 'OPTIONS' });
      expect(allowOrigin(response)).toBe(APP);
    });

    it('gives no CORS headers to another origin', async () => {
      expect(allowOrigin(await get(proxyPath(), OTHER))).toBeNull();
      expect(allowOrigin(await preflight(proxyPath(), OTHER, 'notion-version'))).toBeNull();
    });
  });

  describe('outside project paths', () => {
    it("gives no CORS headers, even to a project's allowed origin", async () => {
      for (const path of [`/api/v1/projects/${projectId}`, '/health']) {
        const response = await get(path, APP);
        expect(response.status).toBe(200);
        expect(allowOrigin(response)).toBeNull();
      }
      const management = await fetch(`${server.url}/api/v1/projects/${projectId}`, {
        method: 'OPTIONS',
        headers: { origin: APP, 'access-control-request-method': 'GET' },
      });
      expect(allowOrigin(management)).toBeNull();
    });
  });

  describe('the demo session path', () => {
    it("answers the dev project's origins on /demo/session, with or without a query", async () => {
      expect(allowOrigin(await get('/demo/session', LOCAL))).toBe(LOCAL);
      expect(allowOrigin(await get('/demo/session?user=demo-ada', LOCAL))).toBe(LOCAL);
      expect(allowOrigin(await get('/demo/session', APP))).toBeNull();
    });

    it('covers that one path only', async () => {
      expect(allowOrigin(await get('/demo/sessions', LOCAL))).toBeNull();
    });

    it('gives no CORS headers there when the demo is off', async () => {
      expect(allowOrigin(await get('/demo/session', LOCAL, withoutDemo))).toBeNull();
      expect(allowOrigin(await get(`/projects/${projectId}/sdk/me`, APP, withoutDemo))).toBe(APP);
    });
  });
});
