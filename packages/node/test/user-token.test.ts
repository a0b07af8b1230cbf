import { generateKeyPairSync, createPrivateKey } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createManagementClient,
  createUserClient,
  generateSigningKeyPair,
  PERMISSIONS_CLAIM,
  signUserToken,
  type Permissions,
  type SignUserTokenOptions,
} from '@switchboard/node';
import { startTestServer, type TestServer } from '../../server/test/support/test-server.js';
import { expectApiError, expectLocalError, expectNotLeaked } from './support/helpers.js';

const now = () => Math.floor(Date.now() / 1000);

describe('signUserToken', () => {
  let server: TestServer;
  let privateKeyPem: string;
  let keyId: string;

  beforeAll(async () => {
    server = await startTestServer();
    privateKeyPem = server.server.devProject!.privateKeyPem;
    keyId = server.server.devProject!.signingKeyId;
  });
  afterAll(async () => server?.close());

  /** GET /sdk/me with `token`, through the user client. */
  const me = (token: string) => createUserClient({ host: server.url, projectId: server.projectId, userToken: token }).getUser();

  it('signs a token the server accepts: GET /sdk/me answers its userId', async () => {
    const state = await me(await signUserToken(privateKeyPem, 'customer-user-1'));
    expect(state).toMatchObject({ authenticated: true, userId: 'customer-user-1' });
  });

  it('puts sub, iat and an exp one hour later by default in an RS256 token without kid', async () => {
    const before = now();
    const token = await signUserToken(privateKeyPem, 'claims-user');
    const header = decodeProtectedHeader(token);
    const claims = decodeJwt(token);
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(claims.sub).toBe('claims-user');
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.iat).toBeLessThanOrEqual(now());
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(claims).not.toHaveProperty(PERMISSIONS_CLAIM);
    expect(claims).not.toHaveProperty('aud');
  });

  it('honours expiresIn given as seconds or as a duration string', async () => {
    const seconds = decodeJwt(await signUserToken(privateKeyPem, 'u', { expiresIn: 120 }));
    expect(seconds.exp! - seconds.iat!).toBe(120);
    const duration = decodeJwt(await signUserToken(privateKeyPem, 'u', { expiresIn: '15m' }));
    expect(duration.exp! - duration.iat!).toBeGreaterThanOrEqual(900);
    expect(duration.exp! - duration.iat!).toBeLessThanOrEqual(901);
    expect(await me(await signUserToken(privateKeyPem, 'short-lived', { expiresIn: 30 }))).toMatchObject({ userId: 'short-lived' });
  });

  it('makes an already expired token (negative expiresIn) that the server refuses with 401 USER_TOKEN_EXPIRED', async () => {
    // Beyond the server's 60 s clock tolerance.
    const token = await signUserToken(privateKeyPem, 'expired-user', { expiresIn: -120 });
    expect(decodeJwt(token).exp).toBeLessThan(now() - 100);
    const error = await expectApiError(me(token), 401, 'USER_TOKEN_EXPIRED');
    expect(error.body).toMatchObject({ code: 'USER_TOKEN_EXPIRED' });
    expect(error.message).toMatch(/expired/);
    expectNotLeaked(error, token);

    const ago = await signUserToken(privateKeyPem, 'expired-user', { expiresIn: '5m ago' });
    await expectApiError(me(ago), 401, 'USER_TOKEN_EXPIRED');
  });

  it('puts permissions in the urn:useparagon:connect:permissions claim, and the server still accepts the token', async () => {
    const permissions = { 'integration:*': { proxy: true }, 'credential:abc': false };
    const token = await signUserToken(privateKeyPem, 'permitted-user', { permissions });
    expect(decodeJwt(token)[PERMISSIONS_CLAIM]).toEqual(permissions);
    expect(PERMISSIONS_CLAIM).toBe('urn:useparagon:connect:permissions');
    expect(await me(token)).toMatchObject({ userId: 'permitted-user' });
  });

  it('sets the kid header from keyId; the server verifies with that key and refuses an unknown kid', async () => {
    const token = await signUserToken(privateKeyPem, 'kid-user', { keyId });
    expect(decodeProtectedHeader(token).kid).toBe(keyId);
    expect(await me(token)).toMatchObject({ userId: 'kid-user' });
    await expectApiError(me(await signUserToken(privateKeyPem, 'kid-user', { keyId: 'no-such-key' })), 401, 'USER_TOKEN_UNKNOWN_KEY');
  });

  it('rotates keys: a token signed with a newly registered key and its kid works until that key is removed', async () => {
    const management = createManagementClient({ host: server.url, projectId: server.projectId, secretKey: server.secretKey });
    const next = generateSigningKeyPair();
    await management.addSigningKey({ id: 'rotation-2', publicKeyPem: next.publicKeyPem });
    const token = await signUserToken(next.privateKeyPem, 'rotated-user', { keyId: 'rotation-2' });
    expect(await me(token)).toMatchObject({ userId: 'rotated-user' });
    // Signed with the new key but naming the old kid: the server tries only the named key.
    await expectApiError(me(await signUserToken(next.privateKeyPem, 'rotated-user', { keyId })), 401, 'USER_TOKEN_UNKNOWN_KEY');
    await management.removeSigningKey('rotation-2');
    await expectApiError(me(token), 401, 'USER_TOKEN_UNKNOWN_KEY');
  });

  it('sets aud from audience; the server accepts <host>/<projectId> and refuses another project', async () => {
    const audience = `${server.url}/${server.projectId}`;
    const token = await signUserToken(privateKeyPem, 'aud-user', { audience });
    expect(decodeJwt(token).aud).toBe(audience);
    expect(await me(token)).toMatchObject({ userId: 'aud-user' });
    await expectApiError(me(await signUserToken(privateKeyPem, 'aud-user', { audience: `${server.url}/another-project` })), 401, 'USER_TOKEN_WRONG_AUDIENCE');
  });

  it('accepts a PKCS#1 PEM (BEGIN RSA PRIVATE KEY) and a parsed KeyObject as well as PKCS#8', async () => {
    const pkcs1 = createPrivateKey(privateKeyPem).export({ type: 'pkcs1', format: 'pem' }).toString();
    expect(pkcs1).toContain('BEGIN RSA PRIVATE KEY');
    expect(await me(await signUserToken(pkcs1, 'pkcs1-user'))).toMatchObject({ userId: 'pkcs1-user' });
    expect(await me(await signUserToken(createPrivateKey(privateKeyPem), 'keyobject-user'))).toMatchObject({ userId: 'keyobject-user' });
  });

  it('accepts a userId of exactly 255 characters, as the server does', async () => {
    const userId = 'u'.repeat(255);
    expect(await me(await signUserToken(privateKeyPem, userId))).toMatchObject({ userId });
  });

  describe('refuses bad input with a SwitchboardError and a code', () => {
    const sign = (key: string, userId: unknown, options?: SignUserTokenOptions) => () => signUserToken(key, userId as string, options);

    it('INVALID_USER_ID for an empty, too long (256), NUL-containing or non-string userId', async () => {
      await expectLocalError(sign(privateKeyPem, ''), 'INVALID_USER_ID');
      const tooLong = await expectLocalError(sign(privateKeyPem, 'u'.repeat(256)), 'INVALID_USER_ID');
      expect(tooLong.message).toMatch(/255/);
      await expectLocalError(sign(privateKeyPem, 'a\0b'), 'INVALID_USER_ID');
      await expectLocalError(sign(privateKeyPem, 42), 'INVALID_USER_ID');
      await expectLocalError(sign(privateKeyPem, undefined), 'INVALID_USER_ID');
    });

    it('INVALID_PRIVATE_KEY for text that is no PEM, a public key, an EC key or a 1024-bit RSA key, never quoting the key', async () => {
      const garbage = '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbCBzZWNyZXQ=\n-----END PRIVATE KEY-----';
      expectNotLeaked(await expectLocalError(sign(garbage, 'u'), 'INVALID_PRIVATE_KEY'), 'bm90IGEga2V5IGF0IGFsbCBzZWNyZXQ');
      await expectLocalError(sign('', 'u'), 'INVALID_PRIVATE_KEY');

      const keys = await createManagementClient({ host: server.url, projectId: server.projectId, secretKey: server.secretKey }).listSigningKeys();
      const publicKeyPem = keys.find((k) => k.id === keyId)!.publicKeyPem;
      await expectLocalError(sign(publicKeyPem, 'u'), 'INVALID_PRIVATE_KEY');

      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const ecError = await expectLocalError(sign(ec, 'u'), 'INVALID_PRIVATE_KEY');
      expect(ecError.message).toMatch(/RSA/);
      expectNotLeaked(ecError, ec.split('\n')[1]!);

      const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const weakError = await expectLocalError(sign(weak, 'u'), 'INVALID_PRIVATE_KEY');
      expect(weakError.message).toMatch(/2048/);
      expectNotLeaked(weakError, weak.split('\n')[1]!);
    });

    it('INVALID_EXPIRES_IN, INVALID_PERMISSIONS, INVALID_AUDIENCE and INVALID_KEY_ID for malformed options', async () => {
      await expectLocalError(sign(privateKeyPem, 'u', { expiresIn: 'soon' }), 'INVALID_EXPIRES_IN');
      await expectLocalError(sign(privateKeyPem, 'u', { expiresIn: Number.NaN }), 'INVALID_EXPIRES_IN');
      await expectLocalError(sign(privateKeyPem, 'u', { permissions: [] as unknown as Permissions }), 'INVALID_PERMISSIONS');
      await expectLocalError(sign(privateKeyPem, 'u', { audience: '' }), 'INVALID_AUDIENCE');
      await expectLocalError(sign(privateKeyPem, 'u', { keyId: '' }), 'INVALID_KEY_ID');
    });
  });

  it('generates a 2048-bit key pair whose public half the server accepts as a signing key', async () => {
    const pair = generateSigningKeyPair();
    expect(pair.privateKeyPem).toContain('BEGIN PRIVATE KEY');
    expect(pair.publicKeyPem).toContain('BEGIN PUBLIC KEY');
    const management = createManagementClient({ host: server.url, projectId: server.projectId, secretKey: server.secretKey });
    const added = await management.addSigningKey({ publicKeyPem: pair.publicKeyPem });
    // No kid: the server tries each of the project's keys.
    expect(await me(await signUserToken(pair.privateKeyPem, 'generated-key-user'))).toMatchObject({ userId: 'generated-key-user' });
    await management.removeSigningKey(added.id);
    await expectApiError(me(await signUserToken(pair.privateKeyPem, 'generated-key-user-2')), 401, 'USER_TOKEN_UNKNOWN_KEY');
  });
});

