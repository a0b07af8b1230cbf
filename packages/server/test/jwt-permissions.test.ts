import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS_CLAIM } from '../src/users/permissions.js';
import { proxy, storedSecrets } from './support/proxy.js';
import { connectSandbox, credentialRowsOf, expectError, integrationIdOf, json, newUser, postedResult, startOAuth } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

type Json = Record<string, any>;

/** The claims of a user token carrying JWT permissions. */
const withPermissions = (permissions: Record<string, unknown>) => ({ [PERMISSIONS_CLAIM]: permissions });
/** A member of the organisation: sees only the accounts named (the ones that member connected). */
const member = (...credentialIds: string[]) =>
  withPermissions({ 'credential:*': false, ...Object.fromEntries(credentialIds.map((id) => [`credential:${id}`, true])) });

/**
 * Multiple Account Authorizations with JWT permissions: several people of one organisation share one connected user
 * (`sub` = the organisation); the org-level token (no claim) sees every account, each member's token only their own.
 */
describe.each(testDatabases)('JWT permissions on %s', (database) => {
  let server: TestServer;
  let org: string;
  let sandboxId: string;
  let apiKeyIntegrationId: string;
  /** Alice's and Bob's sandbox accounts, connected with their member-level tokens. */
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    server = await startTestServer(database);
    sandboxId = await integrationIdOf(server, 'sandbox');
    apiKeyIntegrationId = await integrationIdOf(server, 'sandbox-apikey');
    org = newUser('org');
  });
  afterAll(async () => server?.close());

  const call = (claims: Record<string, unknown> | undefined, path: string, init: RequestInit & { json?: unknown } = {}) =>
    server.sdk(org, path, { ...init, ...(claims && { claims }) });
  const me = async (claims?: Record<string, unknown>) => json<Json>(await call(claims, '/me'));
  const credentialIds = async (claims?: Record<string, unknown>, query = '') =>
    (await json<Json[]>(await call(claims, `/credentials${query}`))).map((credential) => credential.id);
  const proxiedAccount = async (claims: Record<string, unknown> | undefined, headers: Record<string, string> = {}) =>
    (await json<Json>(await proxy(server, org, 'sandbox/me', { headers, ...(claims && { claims }) }))).id as string;

  describe('installing with a member-level token', () => {
    it('connects a new OAuth account; the answer names it, but the token does not see it until re-signed with its id', async () => {
      const flow = await connectSandbox(server, org, { login: 'alice@example.com', claims: member() });
      const result = postedResult(flow.page);
      expect(result).toMatchObject({ status: 'success', integration: 'sandbox', credentialId: expect.any(String) });
      alice = result.credentialId as string;
      // The caller that started the flow reads its result with the same token.
      expect(await json(await call(member(), `/oauth/${flow.state}`))).toMatchObject({ status: 'success', credentialId: alice });

      expect((await me(member())).integrations.sandbox).toEqual({ enabled: false, configuredWorkflows: {}, workflowSettings: {}, allCredentials: [] });
      expect(await credentialIds(member())).toEqual([]);
      expect((await me(member(alice))).integrations.sandbox).toMatchObject({ enabled: true, credentialId: alice });
    });

    it("adds a second member's account without allowMultipleCredentials: accounts the token does not see do not count", async () => {
      const flow = await connectSandbox(server, org, { login: 'bob@example.com', claims: member() });
      bob = postedResult(flow.page).credentialId as string;
      expect(bob).not.toBe(alice);
      expect((await credentialRowsOf(server, org)).map((row) => row.id).sort()).toEqual([alice, bob].sort());
      // The org-level token still sees both, and still gets 409 for an install that does not allow several accounts.
      const started = await call(undefined, '/oauth/start', { method: 'POST', json: { integration: 'sandbox', origin: 'http://localhost:5173' } });
      await expectError(started, 409, 'INTEGRATION_ALREADY_INSTALLED');
    });

    it("connecting a provider account another member already connected adds the member's own credential, leaving the other untouched", async () => {
      const aliceTokenBefore = (await storedSecrets(server, alice)).accessToken;
      const flow = await connectSandbox(server, org, { login: 'alice@example.com', claims: member(bob), installOptions: { allowMultipleCredentials: true } });
      const own = postedResult(flow.page).credentialId as string;
      expect([alice, bob]).not.toContain(own);
      expect((await storedSecrets(server, alice)).accessToken).toBe(aliceTokenBefore);
      expect(await credentialIds(member(bob, own))).toEqual([bob, own]);
      // Tidy up with that token: the account is Bob's to disconnect.
      await json(await call(member(bob, own), `/integrations/${sandboxId}`, { method: 'DELETE', headers: { 'x-paragon-credential': own } }));
      expect((await credentialRowsOf(server, org)).map((row) => row.id).sort()).toEqual([alice, bob].sort());
    });

    it('cannot re-authorize (selectedCredentialId) an account it does not see: 404 as for an unknown id, no flow started', async () => {
      const sessionsBefore = await server.server.context.db.selectFrom('oauth_sessions').select('state').execute();
      for (const selectedCredentialId of [alice, 'no-such-credential']) {
        const response = await call(member(bob), '/oauth/start', {
          method: 'POST',
          json: { integration: 'sandbox', origin: 'http://localhost:5173', installOptions: { selectedCredentialId } },
        });
        await expectError(response, 404, 'CREDENTIAL_NOT_FOUND');
      }
      expect(await server.server.context.db.selectFrom('oauth_sessions').select('state').execute()).toHaveLength(sessionsBefore.length);
      // Its own account it may.
      await startOAuth(server, org, { installOptions: { selectedCredentialId: bob } }, member(bob));
    });

    it('connects an API-key account: 201 with the new credential to its creator, which the token then does not list', async () => {
      const apiKey = `sbx_${randomBytes(8).toString('hex')}`;
      const created = await json<Json>(await call(member(), '/credentials', { method: 'POST', json: { integrationId: apiKeyIntegrationId, payload: { apiKey } } }), 201);
      expect(created).toMatchObject({ integrationType: 'sandbox-apikey', status: 'VALID' });
      expect(await credentialIds(member(), '?integration=sandbox-apikey')).toEqual([]);
      expect(await credentialIds(member(created.id), '?integration=sandbox-apikey')).toEqual([created.id]);
      await json(await call(undefined, `/integrations/${apiKeyIntegrationId}`, { method: 'DELETE' }));
    });

    it('cannot install an integration its permissions hide: 404 INTEGRATION_NOT_FOUND, as for an unknown one, nothing stored', async () => {
      const hidden = withPermissions({ 'integration:sandbox': false, 'integration:sandbox-apikey': false });
      const before = await credentialRowsOf(server, org);
      const oauth = await call(hidden, '/oauth/start', { method: 'POST', json: { integration: 'sandbox', origin: 'http://localhost:5173' } });
      const unknown = await call(hidden, '/oauth/start', { method: 'POST', json: { integration: 'no-such-integration', origin: 'http://localhost:5173' } });
      expect((await expectError(oauth, 404, 'INTEGRATION_NOT_FOUND')).message).toBe('Integration sandbox is not active in this project');
      expect((await expectError(unknown, 404, 'INTEGRATION_NOT_FOUND')).message).toBe('Integration no-such-integration is not active in this project');
      const typed = await call(hidden, '/credentials', { method: 'POST', json: { integrationId: apiKeyIntegrationId, payload: { apiKey: 'sbx_hidden_install' } } });
      await expectError(typed, 404, 'INTEGRATION_NOT_FOUND');
      expect(await credentialRowsOf(server, org)).toHaveLength(before.length);
    });
  });

  describe('an org-level token and member-level tokens side by side', () => {
    it('GET /sdk/me: each token sees its own accounts; credentialId, credentialStatus and enabled come from those only', async () => {
      const all = (await me()).integrations.sandbox;
      expect(all.allCredentials.map((c: Json) => c.id)).toEqual([alice, bob]);
      expect(all).toMatchObject({ enabled: true, credentialId: alice, credentialStatus: 'VALID' });
      // The org-level token may also say so explicitly.
      expect((await me(withPermissions({ 'integration:*': true }))).integrations.sandbox.allCredentials).toHaveLength(2);

      const aliceView = (await me(member(alice))).integrations.sandbox;
      expect(aliceView.allCredentials.map((c: Json) => c.id)).toEqual([alice]);
      expect(aliceView).toMatchObject({ enabled: true, credentialId: alice });
      const bobView = (await me(member(bob))).integrations.sandbox;
      expect(bobView.allCredentials.map((c: Json) => c.id)).toEqual([bob]);
      expect(bobView).toMatchObject({ enabled: true, credentialId: bob, credentialStatus: 'VALID', providerId: expect.any(String) });
      expect(bobView.providerId).not.toBe(aliceView.providerId);
    });

    it('GET /sdk/credentials lists only the accounts the token sees, with and without ?integration', async () => {
      expect(await credentialIds()).toEqual([alice, bob]);
      expect(await credentialIds(member(alice))).toEqual([alice]);
      expect(await credentialIds(member(bob), '?integration=sandbox')).toEqual([bob]);
      expect(await credentialIds(withPermissions({ 'integration:sandbox': false }))).toEqual([]);
    });

    it('an integration hidden by integration:<type> is absent from /sdk/integrations, /sdk/metadata and /sdk/me', async () => {
      const hidden = withPermissions({ 'integration:sandbox-apikey': false });
      const types = async (path: string, claims?: Record<string, unknown>) => (await json<Json[]>(await call(claims, path))).map((i) => i.type);
      expect(await types('/integrations')).toContain('sandbox-apikey');
      expect(await types('/integrations', hidden)).not.toContain('sandbox-apikey');
      expect(await types('/integrations', hidden)).toContain('sandbox');
      expect(await types('/metadata')).toContain('sandbox-apikey');
      expect(await types('/metadata', hidden)).not.toContain('sandbox-apikey');
      expect(Object.keys((await me()).integrations)).toContain('sandbox-apikey');
      const state = await me(hidden);
      expect(Object.keys(state.integrations)).not.toContain('sandbox-apikey');
      expect(state.integrations.sandbox.allCredentials).toHaveLength(2);
      // Only integrations offered: integration:* false with one type back.
      expect(await types('/integrations', withPermissions({ 'integration:*': false, 'integration:sandbox': true }))).toEqual(['sandbox']);
    });

    it('PATCH /sdk/credentials/:id of an account the token does not see is 404 as for an unknown id, and changes nothing', async () => {
      const config = { sharedSettings: { note: 'from alice' } };
      await expectError(await call(member(alice), `/credentials/${bob}`, { method: 'PATCH', json: { config } }), 404, 'CREDENTIAL_NOT_FOUND');
      await expectError(await call(member(alice), '/credentials/no-such-credential', { method: 'PATCH', json: { config } }), 404, 'CREDENTIAL_NOT_FOUND');
      // A setting that would be refused answers 404 first: the token learns nothing about the hidden account.
      const invalid = { sharedSettings: { contactList: 'not-an-option' } };
      await expectError(await call(member(bob), `/credentials/${bob}`, { method: 'PATCH', json: { config: invalid } }), 400, 'INVALID_FIELD', 'config.sharedSettings.contactList');
      await expectError(await call(member(alice), `/credentials/${bob}`, { method: 'PATCH', json: { config: invalid } }), 404, 'CREDENTIAL_NOT_FOUND');
      const row = (await credentialRowsOf(server, org)).find((r) => r.id === bob)!;
      expect(JSON.parse(row.config)).toEqual({});

      const own = await json<Json>(await call(member(bob), `/credentials/${bob}`, { method: 'PATCH', json: { config } }));
      expect(own).toMatchObject({ id: bob, config });
    });

    it('the proxy uses the first valid account the token sees when no X-Paragon-Credential is given', async () => {
      expect(await proxiedAccount(undefined)).toBe('alice@example.com');
      expect(await proxiedAccount(member(alice))).toBe('alice@example.com');
      expect(await proxiedAccount(member(bob))).toBe('bob@example.com');
      // Alice's account is valid and first, but Bob's token does not see it: with his own account invalid, he has none valid.
      await server.server.context.db.updateTable('credentials').set({ status: 'INVALID' }).where('id', '=', bob).execute();
      await server.server.context.caches.clear();
      try {
        await expectError(await proxy(server, org, 'sandbox/me', { claims: member(bob) }), 401, 'CREDENTIAL_INVALID');
        expect(await proxiedAccount(undefined)).toBe('alice@example.com');
      } finally {
        await server.server.context.db.updateTable('credentials').set({ status: 'VALID' }).where('id', '=', bob).execute();
        await server.server.context.caches.clear();
      }
      await expectError(await proxy(server, org, 'sandbox/me', { claims: member() }), 404, 'INTEGRATION_NOT_INSTALLED');
    });

    it('X-Paragon-Credential of an account the token does not see is the same 404 as an unknown id', async () => {
      expect(await proxiedAccount(undefined, { 'x-paragon-credential': bob })).toBe('bob@example.com');
      expect(await proxiedAccount(member(bob), { 'x-paragon-credential': bob })).toBe('bob@example.com');
      const hidden = await expectError(await proxy(server, org, 'sandbox/me', { claims: member(alice), headers: { 'x-paragon-credential': bob } }), 404, 'CREDENTIAL_NOT_FOUND');
      const unknown = await expectError(
        await proxy(server, org, 'sandbox/me', { claims: member(alice), headers: { 'x-paragon-credential': 'no-such-credential' } }),
        404,
        'CREDENTIAL_NOT_FOUND',
      );
      expect(hidden).toEqual(unknown);
    });

    it('a proxy call through a visible account whose permission says proxy: false is 403 PERMISSION_DENIED', async () => {
      const noProxy = withPermissions({ 'credential:*': false, [`credential:${alice}`]: { visible: true, proxy: false } });
      expect((await me(noProxy)).integrations.sandbox).toMatchObject({ enabled: true, credentialId: alice });
      const denied = await proxy(server, org, 'sandbox/me', { claims: noProxy });
      expect(denied.headers.get('x-switchboard-error')).toBe('PERMISSION_DENIED');
      expect((await expectError(denied, 403, 'PERMISSION_DENIED')).message).toMatch(/Proxy API/);
      await expectError(await proxy(server, org, 'sandbox/me', { claims: noProxy, headers: { 'x-paragon-credential': alice } }), 403, 'PERMISSION_DENIED');
      // Refused before the provider is called: the contact a refused POST carried was never created.
      const contact = { name: 'Refused', email: 'refused@example.com' };
      await expectError(await proxy(server, org, 'sandbox/contacts', { method: 'POST', json: contact, claims: noProxy }), 403, 'PERMISSION_DENIED');
      const contacts = await json<{ data: Json[] }>(await proxy(server, org, 'sandbox/contacts', { headers: { 'x-paragon-credential': alice } }));
      expect(contacts.data.map((c) => c.email)).not.toContain(contact.email);
      // Refused at every scope: the whole token may not proxy, while a more specific true gives one account back.
      const orgNoProxy = withPermissions({ 'integration:*': { proxy: false }, [`credential:${bob}`]: true });
      await expectError(await proxy(server, org, 'sandbox/me', { claims: orgNoProxy }), 403, 'PERMISSION_DENIED');
      expect(await proxiedAccount(orgNoProxy, { 'x-paragon-credential': bob })).toBe('bob@example.com');
    });

    it('DELETE /sdk/integrations/:id disconnects only accounts the token sees; a hidden X-Paragon-Credential is 404', async () => {
      const uninstall = (claims: Record<string, unknown> | undefined, headers: Record<string, string> = {}) =>
        call(claims, `/integrations/${sandboxId}`, { method: 'DELETE', headers });
      await expectError(await uninstall(member(alice), { 'x-paragon-credential': bob }), 404, 'CREDENTIAL_NOT_FOUND');
      await expectError(await uninstall(member(), {}), 404, 'INTEGRATION_NOT_INSTALLED');
      expect((await credentialRowsOf(server, org)).map((row) => row.id).sort()).toEqual([alice, bob].sort());

      // Without the header: every account of this integration that Alice sees, which is hers alone.
      expect(await json(await uninstall(member(alice)))).toEqual({ success: true, removedCredentialIds: [alice] });
      expect((await credentialRowsOf(server, org)).map((row) => row.id)).toEqual([bob]);
      expect((await me()).integrations.sandbox).toMatchObject({ enabled: true, credentialId: bob });
    });
  });

  describe('a claim Switchboard cannot read', () => {
    it.each([
      ['an unknown permission key', { 'integration:*': { read: true } }],
      ['an unknown scope', { 'workflow:*': true }],
      ['a permission that is not a boolean or an object', { 'credential:*': 'hidden' }],
    ])('refuses the token with 401 USER_TOKEN_INVALID_PERMISSIONS for %s, creating no connected user', async (_what, permissions) => {
      const sub = newUser('bad-claim');
      const response = await server.sdk(sub, '/me', { claims: withPermissions(permissions) });
      const body = await expectError(response, 401, 'USER_TOKEN_INVALID_PERMISSIONS', PERMISSIONS_CLAIM);
      expect(body.message).toContain(PERMISSIONS_CLAIM);
      const users = await server.server.context.db.selectFrom('connected_users').select('id').where('external_id', '=', sub).execute();
      expect(users).toEqual([]);
    });

    it('refuses a claim that is not an object', async () => {
      const response = await server.sdk(org, '/credentials', { claims: { [PERMISSIONS_CLAIM]: ['credential:*'] } });
      await expectError(response, 401, 'USER_TOKEN_INVALID_PERMISSIONS', PERMISSIONS_CLAIM);
    });
  });
});
