import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkPermissions,
  createUserClient,
  memberPermissions,
  PERMISSIONS_CLAIM,
  signUserToken,
  type Permissions,
  type SignUserTokenOptions,
} from '@switchboard/node';
import { startTestServer, type TestServer } from '../../server/test/support/test-server.js';
import { expectApiError, expectLocalError } from './support/helpers.js';

describe('JWT permissions in @switchboard/node', () => {
  let server: TestServer;
  let privateKeyPem: string;

  beforeAll(async () => {
    server = await startTestServer();
    privateKeyPem = server.server.devProject!.privateKeyPem;
  });
  afterAll(async () => server?.close());

  const clientFor = (userId: string, options: SignUserTokenOptions = {}) =>
    createUserClient({ host: server.url, projectId: server.projectId, userToken: () => signUserToken(privateKeyPem, userId, options) });

  it('types the claim: scope forms and permission keys are checked by the compiler', () => {
    const permissions: Permissions = {
      'integration:*': true,
      'integration:custom.crm': false,
      'credential:*': { visible: true, proxy: false },
      'credential:abc': { events: false, workflows: true },
      'configuration:*': {},
      'configuration:ext:team-1': false,
    };
    checkPermissions(permissions);
    // @ts-expect-error: no such scope (credentials, plural)
    const wrongScope: Permissions = { 'credentials:abc': true };
    // @ts-expect-error: configurations are named by external id only
    const wrongConfiguration: Permissions = { 'configuration:abc': true };
    // @ts-expect-error: no such permission key
    const wrongKey: Permissions = { 'credential:abc': { read: true } };
    // @ts-expect-error: a permission is a boolean or an object of booleans
    const wrongValue: Permissions = { 'credential:abc': 'yes' };
    expect([wrongScope, wrongConfiguration, wrongKey, wrongValue]).toHaveLength(4);
  });

  it('memberPermissions hides every credential but the ones named, optionally with restricted call kinds', () => {
    expect(memberPermissions(['c1', 'c2'])).toEqual({ 'credential:*': false, 'credential:c1': true, 'credential:c2': true });
    expect(memberPermissions([])).toEqual({ 'credential:*': false });
    expect(memberPermissions(['c1'], { proxy: false })).toEqual({ 'credential:*': false, 'credential:c1': { proxy: false, visible: true } });
  });

  it('memberPermissions refuses ids the server could not read, with INVALID_PERMISSIONS', async () => {
    await expectLocalError(() => memberPermissions(['']), 'INVALID_PERMISSIONS');
    await expectLocalError(() => memberPermissions(['a b']), 'INVALID_PERMISSIONS');
    await expectLocalError(() => memberPermissions(['*']), 'INVALID_PERMISSIONS');
    await expectLocalError(() => memberPermissions('c1' as unknown as string[]), 'INVALID_PERMISSIONS');
  });

  it.each([
    ['an unknown scope', { 'workflow:*': true }],
    ['a wildcard inside a name', { 'integration:sales*': true }],
    ['an unknown key', { 'credential:abc': { read: true } }],
    ['a non-boolean key', { 'credential:abc': { proxy: 'no' } }],
    ['a string permission', { 'integration:*': 'yes' }],
    ['a null permission', { 'integration:*': null }],
  ])('signUserToken refuses %s before signing, naming it (INVALID_PERMISSIONS)', async (_what, permissions) => {
    const error = await expectLocalError(() => signUserToken(privateKeyPem, 'u', { permissions: permissions as unknown as Permissions }), 'INVALID_PERMISSIONS');
    expect(error.message).toContain(JSON.stringify(Object.keys(permissions)[0]));
  });

  it('an org-level token and a member-level token from memberPermissions, on the same connected user', async () => {
    const orgId = `org-${randomUUID()}`;
    const org = clientFor(orgId);
    const first = await org.connectCredential('sandbox-apikey', { apiKey: `sbx_${randomUUID().slice(0, 8)}` });
    const second = await org.connectCredential('sandbox-apikey', { apiKey: `sbx_${randomUUID().slice(0, 8)}` }, { allowMultipleCredentials: true });

    const permissions = memberPermissions([second.id]);
    const memberToken = await signUserToken(privateKeyPem, orgId, { permissions });
    expect(decodeJwt(memberToken)[PERMISSIONS_CLAIM]).toEqual(permissions);
    const member = clientFor(orgId, { permissions });

    expect((await org.listCredentials('sandbox-apikey')).map((c) => c.id)).toEqual([first.id, second.id]);
    expect((await member.listCredentials('sandbox-apikey')).map((c) => c.id)).toEqual([second.id]);
    const state = await member.getUser();
    expect(state.integrations['sandbox-apikey']).toMatchObject({ enabled: true, credentialId: second.id });
    expect(state.integrations['sandbox-apikey']!.allCredentials.map((c) => c.id)).toEqual([second.id]);

    // The proxy uses the member's own account; the other one is not found for this token.
    expect(await member.request('sandbox-apikey', '/me')).toMatchObject({ id: second.providerId });
    await expectApiError(member.request('sandbox-apikey', '/me', { selectedCredentialId: first.id }), 404, 'CREDENTIAL_NOT_FOUND');
    // With proxy calls refused for the member's accounts.
    const readOnly = clientFor(orgId, { permissions: memberPermissions([second.id], { proxy: false }) });
    await expectApiError(readOnly.request('sandbox-apikey', '/me'), 403, 'PERMISSION_DENIED');
  });
});
