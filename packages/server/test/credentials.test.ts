import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCredentialSecrets } from '../src/credentials/credential-store.js';
import { connectSandbox, credentialRowsOf, expectError, integrationIdOf, json, newUser, postedResult } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

const CREDENTIAL_VIEW_KEYS = [
  'accountType',
  'config',
  'configurations',
  'dateCreated',
  'dateDeleted',
  'dateRefreshed',
  'dateUpdated',
  'dateValidUntil',
  'id',
  'integrationId',
  'integrationType',
  'isPreviewCredential',
  'personaId',
  'projectId',
  'providerData',
  'providerId',
  'refreshFailureCount',
  'status',
];

describe.each(testDatabases)('SDK credentials on %s', (database) => {
  let server: TestServer;
  let apiKeyIntegrationId: string;
  let clientCredentialsIntegrationId: string;
  let sandboxIntegrationId: string;

  beforeAll(async () => {
    server = await startTestServer(database);
    apiKeyIntegrationId = await integrationIdOf(server, 'sandbox-apikey');
    clientCredentialsIntegrationId = await integrationIdOf(server, 'sandbox-client-credentials');
    sandboxIntegrationId = await integrationIdOf(server, 'sandbox');
  });
  afterAll(async () => server?.close());

  const install = (sub: string, body: Record<string, unknown>) => server.sdk(sub, '/credentials', { method: 'POST', json: body });
  const installApiKey = async (sub: string, apiKey = `sbx_${randomBytes(8).toString('hex')}`, installOptions?: Record<string, unknown>) =>
    json(await install(sub, { integrationId: apiKeyIntegrationId, payload: { apiKey }, ...(installOptions && { installOptions }) }), 201);

  describe('API key install', () => {
    it('lets exactly one of several concurrent first installs through; the others get 409', async () => {
      const sub = newUser();
      await json(await server.sdk(sub, '/me'));
      const keys = Array.from({ length: 5 }, () => `sbx_${randomBytes(8).toString('hex')}`);
      const responses = await Promise.all(keys.map((apiKey) => install(sub, { integrationId: apiKeyIntegrationId, payload: { apiKey } })));
      expect(responses.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
      expect(await credentialRowsOf(server, sub)).toHaveLength(1);
    });

    it('validates a good key against the provider and answers 201 with the credential, without secrets', async () => {
      const sub = newUser();
      const apiKey = `sbx_${randomBytes(12).toString('hex')}`;
      const response = await install(sub, { integrationId: apiKeyIntegrationId, payload: { apiKey } });
      const text = await response.text();
      expect(response.status).toBe(201);
      expect(text).not.toContain(apiKey);
      const credential = JSON.parse(text);
      expect(Object.keys(credential).sort()).toEqual(CREDENTIAL_VIEW_KEYS);
      expect(credential).toMatchObject({
        integrationId: apiKeyIntegrationId,
        integrationType: 'sandbox-apikey',
        projectId: server.projectId,
        status: 'VALID',
        providerId: expect.stringMatching(/^key_[0-9a-f]{12}$/),
        config: {},
        dateDeleted: null,
      });

      const rows = await credentialRowsOf(server, sub);
      expect(rows.map((row) => row.id)).toEqual([credential.id]);
      expect(openCredentialSecrets(server.server.context.secrets, rows[0]!).fields).toEqual({ apiKey });
      const me = await json(await server.sdk(sub, '/me'));
      expect(me.integrations['sandbox-apikey']).toMatchObject({ enabled: true, credentialId: credential.id, credentialStatus: 'VALID' });
    });

    it('also accepts the integration type as integrationId', async () => {
      const sub = newUser();
      const credential = await json(await install(sub, { integrationId: 'sandbox-apikey', payload: { apiKey: 'sbx_by_type' } }), 201);
      expect(credential.integrationId).toBe(apiKeyIntegrationId);
    });

    it("rejects a bad key with 400 CREDENTIAL_REJECTED carrying the provider's reason, storing nothing", async () => {
      const sub = newUser();
      const body = await expectError(await install(sub, { integrationId: apiKeyIntegrationId, payload: { apiKey: 'nope' } }), 400, 'CREDENTIAL_REJECTED');
      expect(body.message).toContain('API keys start with sbx_');
      expect(body.providerMessage).toBe('invalid_api_key: API keys start with sbx_');
      expect(JSON.stringify(body)).not.toContain('nope');
      expect(await credentialRowsOf(server, sub)).toEqual([]);
      const events = await server.server.context.db
        .selectFrom('credential_events')
        .innerJoin('connected_users', 'connected_users.id', 'credential_events.connected_user_id')
        .select('credential_events.id')
        .where('connected_users.external_id', '=', sub)
        .execute();
      expect(events).toEqual([]);
    });

    it('answers 400 naming the field for a missing key, an unknown field, a wrong type and a missing payload', async () => {
      const sub = newUser();
      await expectError(await install(sub, { integrationId: apiKeyIntegrationId, payload: {} }), 400, 'MISSING_FIELD', 'payload.apiKey');
      await expectError(
        await install(sub, { integrationId: apiKeyIntegrationId, payload: { apiKey: 'sbx_ok', region: 'eu' } }),
        400,
        'UNKNOWN_FIELD',
        'payload.region',
      );
      await expectError(await install(sub, { integrationId: apiKeyIntegrationId, payload: { apiKey: 42 } }), 400, 'INVALID_FIELD', 'payload.apiKey');
      await expectError(await install(sub, { integrationId: apiKeyIntegrationId }), 400, 'VALIDATION_ERROR', 'payload');
      await expectError(await install(sub, { payload: { apiKey: 'sbx_ok' } }), 400, 'VALIDATION_ERROR', 'integrationId');
      await expectError(await install(sub, { integrationId: 'nosuch', payload: { apiKey: 'sbx_ok' } }), 404, 'INTEGRATION_NOT_FOUND');
      await expectError(await install(sub, { integrationId: sandboxIntegrationId, payload: {} }), 400, 'OAUTH_INTEGRATION', 'integrationId');
      expect(await credentialRowsOf(server, sub)).toEqual([]);
    });

    it('refuses a second key with 409 unless allowMultipleCredentials', async () => {
      const sub = newUser();
      await installApiKey(sub);
      await expectError(await install(sub, { integrationId: apiKeyIntegrationId, payload: { apiKey: 'sbx_second' } }), 409, 'INTEGRATION_ALREADY_INSTALLED');
      await installApiKey(sub, 'sbx_second', { allowMultipleCredentials: true });
      expect(await credentialRowsOf(server, sub)).toHaveLength(2);
    });
  });

  describe('client credentials install', () => {
    it('connects with sandbox-client / sandbox-secret', async () => {
      const sub = newUser();
      const response = await install(sub, {
        integrationId: clientCredentialsIntegrationId,
        payload: { clientId: 'sandbox-client', clientSecret: 'sandbox-secret' },
      });
      const text = await response.text();
      expect(response.status).toBe(201);
      expect(text).not.toContain('sandbox-secret');
      expect(JSON.parse(text)).toMatchObject({ integrationType: 'sandbox-client-credentials', status: 'VALID', providerId: 'client:sandbox-client' });
      const [row] = await credentialRowsOf(server, sub);
      const secrets = openCredentialSecrets(server.server.context.secrets, row!);
      expect(secrets.accessToken).toEqual(expect.any(String));
      expect(secrets.fields?.clientSecret).toBe('sandbox-secret');
    });

    it('rejects a wrong secret with 400 and stores nothing', async () => {
      const sub = newUser();
      const body = await expectError(
        await install(sub, { integrationId: clientCredentialsIntegrationId, payload: { clientId: 'sandbox-client', clientSecret: 'wrong-secret' } }),
        400,
        'CREDENTIAL_REJECTED',
      );
      expect(JSON.stringify(body)).not.toContain('wrong-secret');
      expect(await credentialRowsOf(server, sub)).toEqual([]);
      await expectError(
        await install(sub, { integrationId: clientCredentialsIntegrationId, payload: { clientId: 'sandbox-client' } }),
        400,
        'MISSING_FIELD',
        'payload.clientSecret',
      );
    });
  });

  describe('listing and updating', () => {
    it('lists the user\'s credentials, filtered by ?integration=, and only theirs', async () => {
      const sub = newUser();
      const apiKeyCredential = await installApiKey(sub);
      const oauthCredentialId = postedResult((await connectSandbox(server, sub)).page).credentialId;
      await installApiKey(newUser('other'));

      const all = await json<{ id: string }[]>(await server.sdk(sub, '/credentials'));
      expect(all.map((c) => c.id).sort()).toEqual([apiKeyCredential.id, oauthCredentialId].sort());
      for (const credential of all) expect(Object.keys(credential).sort()).toEqual(CREDENTIAL_VIEW_KEYS);

      const filtered = await json(await server.sdk(sub, '/credentials?integration=sandbox-apikey'));
      expect(filtered.map((c: { id: string }) => c.id)).toEqual([apiKeyCredential.id]);
      expect(await json(await server.sdk(newUser(), '/credentials'))).toEqual([]);
      await expectError(await server.sdk(sub, '/credentials?integration=nosuch'), 404, 'INTEGRATION_NOT_FOUND');
    });

    it('PATCH replaces config whole: a key left out is removed', async () => {
      const sub = newUser();
      const { id } = await installApiKey(sub);
      const first = { sharedSettings: { a: 1, b: 2 }, configuredWorkflows: { wf1: { enabled: true, settings: { x: 'y' } } } };
      const updated = await json(await server.sdk(sub, `/credentials/${id}`, { method: 'PATCH', json: { config: first } }));
      expect(updated).toMatchObject({ id, config: first });

      const second = { sharedSettings: { a: 3 } };
      expect((await json(await server.sdk(sub, `/credentials/${id}`, { method: 'PATCH', json: { config: second } }))).config).toEqual(second);
      const [listed] = await json(await server.sdk(sub, '/credentials'));
      expect(listed.config).toEqual(second);
      const me = await json(await server.sdk(sub, '/me'));
      expect(me.integrations['sandbox-apikey']).toMatchObject({ sharedSettings: { a: 3 }, configuredWorkflows: {} });
    });

    it("answers 404 for another user's credential and 400 for a bad body", async () => {
      const owner = newUser('owner');
      const { id } = await installApiKey(owner);
      await expectError(await server.sdk(newUser('intruder'), `/credentials/${id}`, { method: 'PATCH', json: { config: { sharedSettings: { hacked: true } } } }), 404, 'CREDENTIAL_NOT_FOUND');
      expect((await json(await server.sdk(owner, '/credentials')))[0].config).toEqual({});

      await expectError(await server.sdk(owner, `/credentials/${id}`, { method: 'PATCH', json: {} }), 400, 'VALIDATION_ERROR', 'config');
      await expectError(await server.sdk(owner, `/credentials/${id}`, { method: 'PATCH', json: { config: 'x' } }), 400, 'VALIDATION_ERROR', 'config');
      await expectError(
        await server.sdk(owner, `/credentials/${id}`, { method: 'PATCH', json: { config: { sharedSettings: [1] } } }),
        400,
        'VALIDATION_ERROR',
        'config.sharedSettings',
      );
      await expectError(
        await server.sdk(owner, `/credentials/${id}`, { method: 'PATCH', json: { config: { configuredWorkflows: { wf: { enabled: 'nah' } } } } }),
        400,
        'VALIDATION_ERROR',
        'config.configuredWorkflows.wf.enabled',
      );
    });
  });

  describe("PATCH /credentials/:id and the integration's post-install inputs", () => {
    // The sandbox declares one: contactList, a select of all | starred, not required.
    let sub: string;
    let credentialId: string;

    beforeAll(async () => {
      sub = newUser('post-install');
      credentialId = postedResult((await connectSandbox(server, sub, { login: 'post-install@example.com' })).page).credentialId as string;
    });

    const patch = (config: Record<string, unknown>) => server.sdk(sub, `/credentials/${credentialId}`, { method: 'PATCH', json: { config } });
    const storedConfig = async () => (await json<{ id: string; config: unknown }[]>(await server.sdk(sub, '/credentials')))[0]!.config;

    it('saves a declared option given one of its values, next to settings of the app that it leaves alone', async () => {
      const config = { sharedSettings: { contactList: 'starred', theme: { dark: true }, count: 3 } };
      expect((await json(await patch(config))).config).toEqual(config);
      expect(await storedConfig()).toEqual(config);
      expect((await json(await server.sdk(sub, '/me'))).integrations.sandbox.sharedSettings).toEqual(config.sharedSettings);
    });

    it('does not insist on an option: a config may be saved without it, or with it empty', async () => {
      for (const config of [{}, { sharedSettings: {} }, { sharedSettings: { theme: 'light' } }, { sharedSettings: { contactList: '' } }]) {
        expect((await json(await patch(config))).config).toEqual(config);
      }
    });

    it.each([
      ['a value that is not one of its options', 'some', 'must be one of all, starred'],
      ['a number', 1, 'must be a string'],
      ['null', null, 'must be a string'],
      ['a list', ['all'], 'must be a string'],
      ['two lines', 'all\nstarred', 'must be a single line'],
      ['a value over 4096 characters', 'a'.repeat(4097), 'too long'],
    ])('refuses %s with 400 INVALID_FIELD naming config.sharedSettings.contactList, storing nothing', async (_what, value, message) => {
      const before = { sharedSettings: { contactList: 'all', theme: 'kept' } };
      await json(await patch(before));
      const refused = await expectError(await patch({ sharedSettings: { contactList: value, theme: 'changed' } }), 400, 'INVALID_FIELD', 'config.sharedSettings.contactList');
      expect(refused.message).toContain(message);
      expect(await storedConfig()).toEqual(before);
    });

    it('checks nothing for an integration that declares no post-install inputs', async () => {
      const other = newUser();
      const { id } = await installApiKey(other);
      const config = { sharedSettings: { contactList: 'anything at all', nested: { x: 1 } } };
      expect((await json(await server.sdk(other, `/credentials/${id}`, { method: 'PATCH', json: { config } }))).config).toEqual(config);
    });
  });

  describe('uninstall', () => {
    const uninstall = (sub: string, integrationId: string, credentialId?: string) =>
      server.sdk(sub, `/integrations/${integrationId}`, { method: 'DELETE', ...(credentialId && { headers: { 'x-paragon-credential': credentialId } }) });

    it('X-Paragon-Credential removes one account of several; the other stays and /me reflects it', async () => {
      const sub = newUser();
      const alice = postedResult((await connectSandbox(server, sub, { login: 'alice' })).page).credentialId as string;
      const bob = postedResult((await connectSandbox(server, sub, { login: 'bob', installOptions: { allowMultipleCredentials: true } })).page).credentialId as string;

      expect(await json(await uninstall(sub, sandboxIntegrationId, alice))).toEqual({ success: true, removedCredentialIds: [alice] });
      const me = await json(await server.sdk(sub, '/me'));
      expect(me.integrations.sandbox).toMatchObject({ enabled: true, credentialId: bob, providerId: 'bob' });
      expect(me.integrations.sandbox.allCredentials.map((c: { id: string }) => c.id)).toEqual([bob]);
      expect((await credentialRowsOf(server, sub)).map((row) => row.id)).toEqual([bob]);
    });

    it('without the header removes every account', async () => {
      const sub = newUser();
      await installApiKey(sub, 'sbx_one');
      await installApiKey(sub, 'sbx_two', { allowMultipleCredentials: true });
      const removed = await json(await uninstall(sub, apiKeyIntegrationId));
      expect(removed.success).toBe(true);
      expect(removed.removedCredentialIds).toHaveLength(2);
      expect(await credentialRowsOf(server, sub)).toEqual([]);
      expect((await json(await server.sdk(sub, '/me'))).integrations['sandbox-apikey']).toEqual({ enabled: false, configuredWorkflows: {}, workflowSettings: {}, allCredentials: [] });
    });

    it("answers 404 for another user's credential id, an integration not installed, and an unknown integration", async () => {
      const owner = newUser('owner');
      const { id } = await installApiKey(owner);
      const intruder = newUser('intruder');
      await installApiKey(intruder);
      await expectError(await uninstall(intruder, apiKeyIntegrationId, id), 404, 'CREDENTIAL_NOT_FOUND');
      expect((await credentialRowsOf(server, owner)).map((row) => row.id)).toEqual([id]);
      expect(await credentialRowsOf(server, intruder)).toHaveLength(1);

      await expectError(await uninstall(owner, sandboxIntegrationId), 404, 'INTEGRATION_NOT_INSTALLED');
      await expectError(await uninstall(owner, '00000000-0000-4000-8000-000000000000'), 404, 'INTEGRATION_NOT_FOUND');
      // The integration id, not its type.
      await expectError(await uninstall(owner, 'sandbox-apikey'), 404, 'INTEGRATION_NOT_FOUND');
    });

    it("clears that account's settings: a reinstall starts from an empty config", async () => {
      const sub = newUser();
      const { id } = await installApiKey(sub, 'sbx_settings');
      await json(await server.sdk(sub, `/credentials/${id}`, { method: 'PATCH', json: { config: { sharedSettings: { keep: 'me' } } } }));
      await json(await uninstall(sub, apiKeyIntegrationId, id));
      const again = await installApiKey(sub, 'sbx_settings');
      expect(again.config).toEqual({});
      const me = await json(await server.sdk(sub, '/me'));
      expect(me.integrations['sandbox-apikey']).toMatchObject({ enabled: true, sharedSettings: {}, configuredWorkflows: {} });
    });
  });
});
