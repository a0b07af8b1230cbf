import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

/** A GET on a fresh TCP connection (no keep-alive pool), so "refused" means the listener is gone. */
function freshGet(url: string): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
  });
}

describe.each(testDatabases)('operations on %s', (database) => {
  describe('health and errors', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(database);
    });
    afterAll(async () => server?.close());

    it('GET /health answers 200 {status: "ok"} without credentials', async () => {
      const response = await fetch(`${server.url}/health`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
    });

    it('an unknown route answers 404 {message, code}, without echoing the query string', async () => {
      for (const [method, path] of [
        ['GET', '/nowhere?token=secret-in-query'],
        ['POST', '/api/v1/nowhere'],
        ['DELETE', `/projects/${server.projectId}/nowhere`],
      ] as const) {
        const response = await fetch(`${server.url}${path}`, { method });
        expect(response.status).toBe(404);
        const body = (await response.json()) as Record<string, unknown>;
        expect(body).toEqual({ message: expect.any(String), code: 'ROUTE_NOT_FOUND' });
        expect(JSON.stringify(body)).not.toContain('secret-in-query');
      }
    });

    it('an unknown project under /projects/:id/sdk answers 404 {message, code}', async () => {
      const response = await fetch(`${server.url}/projects/00000000-0000-4000-8000-000000000000/sdk/me`, {
        headers: { authorization: `Bearer ${await server.userToken('u1')}` },
      });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ code: 'PROJECT_NOT_FOUND', message: expect.any(String) });
    });

    it('malformed JSON answers 400 {message, code}', async () => {
      const response = await fetch(`${server.url}/api/v1/projects`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
        body: '{"name": ',
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ message: expect.any(String), code: expect.any(String) });
    });
  });

  describe('graceful shutdown', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(database);
    });
    afterAll(async () => {
      // The test closed the server already; closing again must not hang or throw, and cleans up the data dir.
      await server?.close();
    });

    it('lets an in-flight request finish with 200, refuses new connections, then closes the database', async () => {
      const startedAt = Date.now();
      const inFlight = fetch(`${server.url}/sandbox/api/slow?ms=500`, { headers: { 'x-api-key': 'sbx_shutdown' } });
      // Let the request reach its handler before shutting down.
      await new Promise((resolve) => setTimeout(resolve, 100));

      let closedAt = 0;
      const closing = server.server.close().then(() => {
        closedAt = Date.now();
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      // While draining, the listener is gone: a new connection is refused.
      expect(await freshGet(`${server.url}/health`)).toEqual({ error: 'ECONNREFUSED' });

      const response = await inFlight;
      const answeredAt = Date.now();
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ waitedMs: 500 });
      // It really waited: it was not cut short by the shutdown.
      expect(answeredAt - startedAt).toBeGreaterThanOrEqual(480);

      await closing;
      // close() waited for the in-flight request instead of resolving at once...
      expect(closedAt - startedAt).toBeGreaterThanOrEqual(480);
      // ...and did not hang on the keep-alive connection that request used (the default keep-alive timeout is 72 s).
      expect(closedAt - answeredAt).toBeLessThan(2000);
      expect(await freshGet(`${server.url}/health`)).toEqual({ error: 'ECONNREFUSED' });
      await expect(fetch(`${server.url}/health`)).rejects.toThrow();
      await expect(server.server.context.db.selectFrom('projects').select('id').execute()).rejects.toThrow();
    });
  });
});
