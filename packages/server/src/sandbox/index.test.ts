import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxServer, type SandboxServer } from '../../test/support/sandbox-consent.js';

describe('registerSandbox', () => {
  let server: SandboxServer;
  beforeAll(async () => {
    server = await startSandboxServer({
      configure: (app) => {
        app.post('/sibling', async (request) => ({ received: request.body }));
      },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('leaves body parsing of routes outside /sandbox alone', async () => {
    const response = await fetch(`${server.serverUrl}/sibling`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ still: 'parsed' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: { still: 'parsed' } });
  });

  it('leaves the app 404 alone outside /sandbox', async () => {
    expect((await fetch(`${server.serverUrl}/elsewhere`)).status).toBe(404);
  });
});
