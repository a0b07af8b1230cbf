/**
 * What the reference SDK (`@useparagon/connect`) expects of a server, call by call, as it sends them: the
 * feature list, icons where it builds their URLs, CORS on /v2, the SDK's words in install calls, and a clear
 * `{ message, code }` for the workflow calls Switchboard has no workflows for yet. The browser suite in
 * examples/reference-sdk runs the SDK itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ORIGIN, credentialRowsOf, expectError, integrationIdOf, json, newUser } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

/** The headers the reference SDK sends on every call. */
const SDK_HEADERS = { accept: 'application/json', 'content-type': 'application/json', 'x-paragon-sdk-version': '2.4.0', origin: APP_ORIGIN };

describe.each(testDatabases)('the reference SDK’s calls on %s', (database) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(database);
  });
  afterAll(async () => {
    await server?.close();
  });

  const call = async (sub: string, path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, { ...init, headers: { ...SDK_HEADERS, authorization: `Bearer ${await server.userToken(sub)}`, ...(init.headers as Record<string, string>) } });

  it('serves icons at /integrations/<type>.svg, where the SDK builds their URLs, readable from another origin', async () => {
    const response = await fetch(`${server.url}/integrations/sandbox.svg`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/svg+xml');
    expect(response.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(await response.text()).toBe(await (await fetch(`${server.url}/icons/sandbox.svg`)).text());
    await expectError(await fetch(`${server.url}/integrations/nosuch.svg`), 404, 'ICON_NOT_FOUND');
  });

  it('answers CORS preflights on /v2/projects/... with the SDK’s headers allowed', async () => {
    const response = await fetch(`${server.url}/v2/projects/${server.projectId}/sdk/events/trigger`, {
      method: 'OPTIONS',
      headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-paragon-sdk-version,x-paragon-credential' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-paragon-sdk-version');
    const foreign = await fetch(`${server.url}/v2/projects/${server.projectId}/sdk/events/trigger`, {
      method: 'OPTIONS',
      headers: { origin: 'https://attacker.example', 'access-control-request-method': 'POST' },
    });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers workflow calls and app events with 404 { message, code } and CORS headers, never a hang', async () => {
    const sub = newUser();
    for (const [method, path, code] of [
      ['POST', `/projects/${server.projectId}/sdk/workflows/wf-1`, 'WORKFLOW_NOT_FOUND'],
      ['DELETE', `/projects/${server.projectId}/sdk/workflows/wf-1`, 'WORKFLOW_NOT_FOUND'],
      ['POST', `/projects/${server.projectId}/sdk/triggers/wf-1`, 'WORKFLOW_NOT_FOUND'],
    ] as const) {
      const response = await call(sub, path, { method });
      expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
      await expectError(response, 404, code);
    }
    const event = await call(sub, `/v2/projects/${server.projectId}/sdk/events/trigger`, { method: 'POST', body: JSON.stringify({ name: 'Contact Created', payload: { id: 1 } }) });
    expect(event.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect((await expectError(event, 404, 'APP_EVENT_NOT_FOUND')).message).toContain('Contact Created');
    await expectError(await call(sub, `/v2/projects/${server.projectId}/sdk/events/trigger`, { method: 'POST', body: JSON.stringify({ payload: {} }) }), 400, 'VALIDATION_ERROR', 'name');
    // The same user token is required as everywhere else.
    await expectError(await fetch(`${server.url}/v2/projects/${server.projectId}/sdk/events/trigger`, { method: 'POST', headers: SDK_HEADERS, body: '{}' }), 401, 'USER_TOKEN_MISSING');
  });

  it('takes POST /sdk/credentials as the SDK sends it: config {} and payload.skipPostOAuthInputs', async () => {
    const sub = newUser();
    const integrationId = await integrationIdOf(server, 'sandbox-apikey');
    const created = await call(sub, `/projects/${server.projectId}/sdk/credentials`, {
      method: 'POST',
      body: JSON.stringify({ integrationId, config: {}, payload: { apiKey: 'sbx_reference', skipPostOAuthInputs: true }, installOptions: { isApiInstallation: true } }),
    });
    expect(created.status).toBe(201);
    const credential = await created.json();
    expect(credential).toMatchObject({ status: 'VALID', configurations: [{ isDefault: true }] });
    expect(await credentialRowsOf(server, sub)).toHaveLength(1);
    // Settings are not taken here: they are set on the account once it is connected.
    await expectError(
      await call(newUser(), `/projects/${server.projectId}/sdk/credentials`, {
        method: 'POST',
        body: JSON.stringify({ integrationId, config: { sharedSettings: { a: 1 } }, payload: { apiKey: 'sbx_reference' } }),
      }),
      400,
      'VALIDATION_ERROR',
      'config.sharedSettings',
    );
  });

  it('gives /sdk/me the project features and the credential fields the SDK reads', async () => {
    const sub = newUser();
    const integrationId = await integrationIdOf(server, 'sandbox-apikey');
    await json(await call(sub, `/projects/${server.projectId}/sdk/credentials`, { method: 'POST', body: JSON.stringify({ integrationId, payload: { apiKey: 'sbx_me' } }) }), 201);
    const me = await json(await call(sub, `/projects/${server.projectId}/sdk/me`));
    expect(me.project.accessibleFeatures[0]).toBe('headless-cp');
    const state = me.integrations['sandbox-apikey'];
    expect(state).toMatchObject({ enabled: true, credentialStatus: 'VALID', credentialConfigId: state.credentialId, workflowSettings: {}, configMeta: {} });
    expect(state.allCredentials[0]).toMatchObject({
      id: state.credentialId,
      integrationId,
      projectId: server.projectId,
      personaId: expect.any(String),
      isPreviewCredential: false,
      refreshFailureCount: 0,
      configurations: [{ id: state.credentialId, isDefault: true, connectCredentialId: state.credentialId, workflowSettings: {}, sharedSettings: {}, configMeta: {} }],
    });
  });
});
