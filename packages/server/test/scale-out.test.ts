import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineCustomIntegration, sandboxOAuthCustomIntegration } from './support/management.js';
import { credentialRow, sandboxTokenRequests, setTokenExpiry } from './support/proxy.js';
import { approveSandboxConsent } from './support/sandbox-consent.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';
import { loadCallbackPage, newUser, postedResult, startOAuth } from './support/sdk-flows.js';
import { startTestServer, type TestServer } from './support/test-server.js';

/**
 * Two Switchboard instances on one Postgres database, the second in its own process: what a deployment behind a
 * load balancer looks like. The provider is instance A's sandbox, reached by both through a custom integration.
 */
describe.skipIf(!process.env.TEST_DATABASE_URL)('two server processes on one Postgres database', () => {
  let a: TestServer;
  let b: ServerProcess;
  let sub: string;
  let credentialId: string;

  beforeAll(async () => {
    a = await startTestServer('postgres', { SWITCHBOARD_PROXY_RATE_LIMIT_USER: '0' });
    b = await startServerProcess({
      DATABASE_URL: a.config.databaseUrl!,
      // Same data dir: the same master key and dev project, as instances sharing SWITCHBOARD_MASTER_KEY would.
      SWITCHBOARD_DATA_DIR: a.dataDir,
      SWITCHBOARD_ADMIN_KEY: a.adminKey,
      SWITCHBOARD_PROXY_RATE_LIMIT_USER: '0',
    });
    await defineCustomIntegration(a, sandboxOAuthCustomIntegration(a, 'shared'));
    sub = newUser('fleet');
  }, 60_000);
  afterAll(async () => {
    await b?.stop();
    await a?.close();
  });

  const proxyVia = async (baseUrl: string, token: string) => {
    const response = await fetch(`${baseUrl}/projects/${a.projectId}/sdk/proxy/custom.shared/me`, { headers: { authorization: `Bearer ${token}` } });
    const body = await response.text();
    return { status: response.status, body };
  };

  it('completes on instance B an OAuth flow started on instance A', async () => {
    const started = await startOAuth(a, sub, { integration: 'custom.shared' });
    const callbackOnA = new URL(await approveSandboxConsent(started.authorizationUrl, { login: 'fleet@example.com', cookies: started.browser }));
    const callbackOnB = `${b.url}${callbackOnA.pathname}${callbackOnA.search}`;
    const result = postedResult(await loadCallbackPage(callbackOnB, started.browser));
    expect(result).toMatchObject({ status: 'success', integration: 'custom.shared', credentialId: expect.any(String) });
    credentialId = result.credentialId as string;

    // Either instance sees the result and proxies with the credential.
    expect(await (await a.sdk(sub, `/oauth/${started.state}`)).json()).toMatchObject({ status: 'success', credentialId });
    const token = await a.userToken(sub);
    for (const url of [a.url, b.url]) {
      const answer = await proxyVia(url, token);
      expect(answer.status, answer.body).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ id: 'fleet@example.com' });
    }
  });

  it('makes exactly one refresh when 200 requests spread over both instances find the token expired', async () => {
    expect(credentialId).toBeDefined();
    await setTokenExpiry(a, credentialId, -60);
    const before = await sandboxTokenRequests(a.url);
    const token = await a.userToken(sub);
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => proxyVia(i % 2 === 0 ? a.url : b.url, token)));
    const failures = answers.filter((answer) => answer.status !== 200);
    expect(failures, JSON.stringify(failures.slice(0, 3))).toEqual([]);
    const after = await sandboxTokenRequests(a.url);
    expect(after.refresh_token - before.refresh_token).toBe(1);
    expect((await credentialRow(a, credentialId)).status).toBe('VALID');
    expect(b.output()).not.toMatch(/"level":(50|60)/);
  });
});
