import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoIn } from '../src/clock.js';
import { approveSandboxConsent } from './support/sandbox-consent.js';
import { APP_ORIGIN, credentialRowsOf, expectError, json, loadCallbackPage, newUser, startOAuth } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

/** Several accounts per user, so a finished flow does not make the next start a 409. */
const installOptions = { allowMultipleCredentials: true };
const start = (server: TestServer, sub: string) =>
  server.sdk(sub, '/oauth/start', { method: 'POST', json: { integration: 'sandbox', origin: APP_ORIGIN, installOptions } });

describe.each(testDatabases)('per-user install limits on %s', (database) => {
  describe('rates', () => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startTestServer(database, {
        SWITCHBOARD_OAUTH_STARTS_PER_MINUTE: '3',
        SWITCHBOARD_PENDING_OAUTH_SESSIONS: '0',
        SWITCHBOARD_CREDENTIAL_INSTALLS_PER_MINUTE: '2',
      });
    });
    afterAll(async () => server?.close());

    it('POST /sdk/oauth/start: past the rate, 429 RATE_LIMITED with Retry-After and no session; other users go on', async () => {
      const sub = newUser('starts');
      for (let i = 0; i < 3; i++) await startOAuth(server, sub);
      const sessions = async () => (await server.server.context.db.selectFrom('oauth_sessions').select('state').execute()).length;
      const before = await sessions();
      const refused = await start(server, sub);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      await expectError(refused, 429, 'RATE_LIMITED');
      expect(await sessions()).toBe(before);
      await startOAuth(server, newUser('another'));
    });

    it('POST /sdk/credentials: past the rate, 429 RATE_LIMITED before the provider is asked; nothing stored', async () => {
      const sub = newUser('installs');
      const install = (apiKey: string, payload: Record<string, unknown> = { apiKey }) =>
        server.sdk(sub, '/credentials', { method: 'POST', json: { integrationId: 'sandbox-apikey', payload, installOptions: { allowMultipleCredentials: true } } });
      // Refused input calls no provider, so it spends nothing.
      await expectError(await install('', {}), 400, 'MISSING_FIELD', 'payload.apiKey');
      await json(await install('sbx_first'), 201);
      await json(await install('sbx_second'), 201);
      const refused = await install('sbx_third');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      await expectError(refused, 429, 'RATE_LIMITED');
      expect(await credentialRowsOf(server, sub)).toHaveLength(2);
      await json(await server.sdk(newUser('installs-too'), '/credentials', { method: 'POST', json: { integrationId: 'sandbox-apikey', payload: { apiKey: 'sbx_other' } } }), 201);
    });
  });

  describe('pending OAuth sessions', () => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startTestServer(database, { SWITCHBOARD_OAUTH_STARTS_PER_MINUTE: '0', SWITCHBOARD_PENDING_OAUTH_SESSIONS: '2' });
    });
    afterAll(async () => server?.close());

    it('past the cap, 429 TOO_MANY_PENDING_OAUTH with Retry-After; a finished or expired flow frees a place', async () => {
      const sub = newUser('pending');
      const first = await startOAuth(server, sub, { installOptions });
      const second = await startOAuth(server, sub, { installOptions });
      const refused = await start(server, sub);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      await expectError(refused, 429, 'TOO_MANY_PENDING_OAUTH');
      await startOAuth(server, newUser('pending-other'));

      // Finishing a flow consumes its session.
      await loadCallbackPage(await approveSandboxConsent(first.authorizationUrl, { cookies: first.browser }), first.browser);
      const third = await startOAuth(server, sub, { installOptions });
      await expectError(await start(server, sub), 429, 'TOO_MANY_PENDING_OAUTH');

      // An expired session does not count.
      await server.server.context.db.updateTable('oauth_sessions').set({ expires_at: isoIn(-1) }).where('state', 'in', [second.state, third.state]).execute();
      await startOAuth(server, sub, { installOptions });
      await startOAuth(server, sub, { installOptions });
    });
  });
});
