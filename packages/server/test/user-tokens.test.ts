import { createHmac, createPrivateKey, randomBytes, sign as rsaSign, constants, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManagedProject, management, meWith, rsaKeyPair, signUserToken } from './support/management.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** A JWT built by hand: jose refuses to produce most of these attacks. */
function craft(header: Record<string, unknown>, payload: Record<string, unknown>, signer: (input: string) => Buffer | string): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const signature = signer(input);
  return `${input}.${typeof signature === 'string' ? signature : signature.toString('base64url')}`;
}

const claims = (overrides: Record<string, unknown> = {}) => ({ sub: 'attacker-target', iat: now(), exp: now() + 3600, ...overrides });

async function expect401(response: Response, code?: string): Promise<void> {
  const body = (await response.json()) as { message?: unknown; code?: unknown };
  expect(response.status).toBe(401);
  expect(typeof body.message).toBe('string');
  expect(typeof body.code).toBe('string');
  if (code) expect(body.code).toBe(code);
  // The unauthenticated answer never looks like a user state.
  expect(body).not.toHaveProperty('authenticated');
}

describe.each(testDatabases)('user tokens on %s', (database) => {
  let server: TestServer;
  let devKey: KeyObject;
  let devPublicPem: string;
  const bearer = (token: string) => `Bearer ${token}`;

  beforeAll(async () => {
    server = await startTestServer(database);
    devKey = createPrivateKey(server.server.devProject!.privateKeyPem);
    const keys = await management(server, server.secretKey, 'GET', `/projects/${server.projectId}/signing-keys`);
    devPublicPem = ((await keys.json()) as { id: string; publicKeyPem: string }[]).find((k) => k.id === 'dev')!.publicKeyPem;
  });
  afterAll(async () => server?.close());

  it('accepts a well-formed RS256 token and answers the user state', async () => {
    const response = await meWith(server, bearer(await server.userToken('valid-user')));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ authenticated: true, userId: 'valid-user' });
  });

  it('creates the connected user on its first valid call, and not on a refused one', async () => {
    const listUsers = async () =>
      ((await (await management(server, server.secretKey, 'GET', `/projects/${server.projectId}/connected-users?limit=1000`)).json()) as { data: { userId: string }[] }).data.map(
        (u) => u.userId,
      );
    expect(await listUsers()).not.toContain('first-call-user');
    await expect401(await meWith(server, bearer(craft({ alg: 'none' }, claims({ sub: 'first-call-user' }), () => ''))));
    expect(await listUsers()).not.toContain('first-call-user');
    expect((await meWith(server, bearer(await server.userToken('first-call-user')))).status).toBe(200);
    expect((await meWith(server, bearer(await server.userToken('first-call-user')))).status).toBe(200);
    expect((await listUsers()).filter((id) => id === 'first-call-user')).toHaveLength(1);
  });

  describe('refuses forged and mis-signed tokens with 401', () => {
    it('refuses alg none (an unsigned token), with and without a kid', async () => {
      await expect401(await meWith(server, bearer(craft({ alg: 'none', typ: 'JWT' }, claims(), () => ''))));
      await expect401(await meWith(server, bearer(craft({ alg: 'none', kid: 'dev' }, claims(), () => ''))));
    });

    it('refuses HS256 signed with a random secret', async () => {
      const secret = randomBytes(32);
      const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'dev' }).sign(secret);
      await expect401(await meWith(server, bearer(token)));
    });

    it("refuses HS256 signed with the project's public key PEM as the HMAC secret (key confusion)", async () => {
      for (const header of [{ alg: 'HS256', kid: 'dev' }, { alg: 'HS256' }, { alg: 'HS256', typ: 'JWT' }]) {
        const token = craft(header, claims(), (input) => createHmac('sha256', devPublicPem).update(input).digest());
        await expect401(await meWith(server, bearer(token)), 'USER_TOKEN_INVALID');
      }
    });

    it('refuses RS512 and PS256 even when signed with the right key (RS256 is pinned)', async () => {
      for (const alg of ['RS512', 'PS256']) {
        const token = await new SignJWT(claims()).setProtectedHeader({ alg, kid: 'dev' }).sign(devKey);
        await expect401(await meWith(server, bearer(token)), 'USER_TOKEN_INVALID');
      }
      // Hand-made PS256 too, so the refusal does not depend on jose's producer.
      const token = craft({ alg: 'PS256', kid: 'dev' }, claims(), (input) =>
        rsaSign('sha256', Buffer.from(input), { key: devKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
      );
      await expect401(await meWith(server, bearer(token)));
    });

    it('refuses a token signed by a key no project knows', async () => {
      const stranger = rsaKeyPair();
      await expect401(await meWith(server, bearer(await signUserToken(stranger.privateKey, 'u1', { kid: null }))), 'USER_TOKEN_UNKNOWN_KEY');
      await expect401(await meWith(server, bearer(await signUserToken(stranger.privateKey, 'u1', { kid: 'dev' }))), 'USER_TOKEN_UNKNOWN_KEY');
    });

    it("refuses a token signed with another project's registered key", async () => {
      const other = await createManagedProject(server, 'Other project', 'dev');
      const token = await signUserToken(other.keys.privateKey, 'cross-project-user', { kid: other.keyId });
      // The token is good for its own project...
      expect((await meWith(server, bearer(token), other.projectId)).status).toBe(200);
      // ...and worthless against ours, with the same kid or none.
      await expect401(await meWith(server, bearer(token)), 'USER_TOKEN_UNKNOWN_KEY');
      await expect401(await meWith(server, bearer(await signUserToken(other.keys.privateKey, 'cross-project-user', { kid: null }))));
    });

    it('does not take a token verified for one project from memory for another project that holds the same key', async () => {
      const first = await createManagedProject(server, 'First holder of a shared key', 'shared');
      const second = await createManagedProject(server, 'Second holder of a shared key', 'other');
      const added = await management(server, second.secretKey, 'POST', `/projects/${second.projectId}/signing-keys`, { id: 'shared', publicKeyPem: first.keys.publicKeyPem });
      expect(added.status).toBe(201);
      // Meant for the first project only: verified (and remembered) there, refused by the second on its aud claim.
      const token = await signUserToken(first.keys.privateKey, 'shared-key-user', { kid: 'shared', claims: { aud: first.projectId } });
      expect((await meWith(server, bearer(token), first.projectId)).status).toBe(200);
      await expect401(await meWith(server, bearer(token), second.projectId), 'USER_TOKEN_WRONG_AUDIENCE');
      expect((await meWith(server, bearer(token), first.projectId)).status).toBe(200);
    });

    it('refuses a kid that names no key of the project, even when the signature is by a real key', async () => {
      await expect401(await meWith(server, bearer(await server.userToken('u1', {}, { kid: 'no-such-key' }))), 'USER_TOKEN_UNKNOWN_KEY');
    });

    it('refuses a tampered payload', async () => {
      const [header, , signature] = (await server.userToken('honest-user')).split('.');
      const forged = `${header}.${b64(claims({ sub: 'someone-else' }))}.${signature}`;
      await expect401(await meWith(server, bearer(forged)));
    });

    it('refuses a tampered payload with the signature of a token verified a moment ago, and still takes that token', async () => {
      const honest = await server.userToken('verified-first');
      expect((await meWith(server, bearer(honest))).status).toBe(200);
      const [header, , signature] = honest.split('.');
      // Same signature, so the same ending as the token that is now in memory.
      const forged = `${header}.${b64(claims({ sub: 'someone-else' }))}.${signature}`;
      await expect401(await meWith(server, bearer(forged)));
      expect((await meWith(server, bearer(honest))).status).toBe(200);
    });
  });

  describe('checks claims', () => {
    const signed = (payload: Record<string, unknown>) =>
      new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'dev' }).sign(devKey);

    it('refuses an expired exp (beyond the 60 s skew)', async () => {
      await expect401(await meWith(server, bearer(await signed(claims({ iat: now() - 7200, exp: now() - 120 })))), 'USER_TOKEN_EXPIRED');
    });

    it('refuses an iat more than 60 s in the future', async () => {
      await expect401(await meWith(server, bearer(await signed(claims({ iat: now() + 600 })))));
      await expect401(await meWith(server, bearer(await signed(claims({ iat: now() + 90 })))));
    });

    it('accepts an iat in the future within the 60 s skew', async () => {
      const response = await meWith(server, bearer(await signed(claims({ sub: 'skewed-clock', iat: now() + 30 }))));
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ userId: 'skewed-clock' });
    });

    it.each(['sub', 'iat', 'exp'])('refuses a token without %s', async (claim) => {
      const payload: Record<string, unknown> = claims();
      delete payload[claim];
      await expect401(await meWith(server, bearer(await signed(payload))), 'USER_TOKEN_INVALID');
    });

    it('refuses a non-string or empty sub', async () => {
      await expect401(await meWith(server, bearer(await signed(claims({ sub: '' })))));
      await expect401(await meWith(server, bearer(await signed(claims({ sub: 42 })))));
      await expect401(await meWith(server, bearer(await signed(claims({ sub: 'a\0b' })))), 'USER_TOKEN_INVALID');
    });

    it('refuses an aud naming another project', async () => {
      const otherProject = '00000000-0000-4000-8000-000000000000';
      for (const aud of [otherProject, `${server.url}/${otherProject}`, [`${server.url}/${otherProject}`]]) {
        await expect401(await meWith(server, bearer(await signed(claims({ aud })))), 'USER_TOKEN_WRONG_AUDIENCE');
      }
    });

    it('accepts aud = <host>/<projectId>, and a token without aud', async () => {
      for (const aud of [`${server.url}/${server.projectId}`, `${server.url}/${server.projectId}/`, [`${server.url}/${server.projectId}`]]) {
        expect((await meWith(server, bearer(await signed(claims({ sub: 'aud-user', aud }))))).status).toBe(200);
      }
      expect((await meWith(server, bearer(await signed(claims({ sub: 'aud-user' })))))).toHaveProperty('status', 200);
    });
  });

  describe('refuses malformed Authorization', () => {
    it.each([
      ['abc', 'Bearer abc'],
      ['a.b.c', 'Bearer a.b.c'],
      ['an empty bearer', 'Bearer '],
      ['a bare "Bearer"', 'Bearer'],
      ['a Basic header', `Basic ${Buffer.from('user:pass').toString('base64')}`],
      ['no Authorization header', undefined],
    ])('%s', async (_name, authorization) => {
      await expect401(await meWith(server, authorization));
    });

    it('takes a lowercase scheme and more than one space, the first time and from memory', async () => {
      const token = await server.userToken('spelled-differently');
      for (const authorization of [`bearer ${token}`, `Bearer   ${token}`, `BEARER ${token}`, `Bearer ${token}`, `bearer ${token}`]) {
        expect((await meWith(server, authorization)).status).toBe(200);
      }
    });

    it('refuses a token followed by more text, also once the token itself was verified', async () => {
      const token = await server.userToken('with-a-tail');
      expect((await meWith(server, bearer(token))).status).toBe(200);
      await expect401(await meWith(server, `Bearer ${token} extra`), 'USER_TOKEN_MISSING');
      await expect401(await meWith(server, `Bearer extra ${token}`), 'USER_TOKEN_MISSING');
    });

    it('refuses a bad token before validating the body of an SDK call', async () => {
      const response = await fetch(`${server.url}/projects/${server.projectId}/sdk/credentials`, {
        method: 'POST',
        headers: { authorization: 'Bearer a.b.c', 'content-type': 'application/json' },
        body: '{}',
      });
      await expect401(response);
    });
  });

  describe('key rotation', () => {
    it('verifies tokens of either key while both are registered, and refuses the first once it is removed', async () => {
      const project = await createManagedProject(server, 'Rotating project', 'key-1');
      const second = rsaKeyPair();
      const path = `/projects/${project.projectId}/signing-keys`;
      expect((await management(server, project.secretKey, 'POST', path, { id: 'key-2', publicKeyPem: second.publicKeyPem })).status).toBe(201);

      const me = async (key: KeyObject, kid: string | null) =>
        meWith(server, bearer(await signUserToken(key, 'rotating-user', { kid })), project.projectId);
      for (const [key, kid] of [
        [project.keys.privateKey, 'key-1'],
        [project.keys.privateKey, null],
        [second.privateKey, 'key-2'],
        [second.privateKey, null],
      ] as const) {
        expect((await me(key, kid)).status, `kid ${kid}`).toBe(200);
      }
      // A kid naming the other key of the project does not verify.
      await expect401(await me(second.privateKey, 'key-1'));

      expect((await management(server, project.secretKey, 'DELETE', `${path}/key-1`)).status).toBe(204);
      await expect401(await me(project.keys.privateKey, 'key-1'), 'USER_TOKEN_UNKNOWN_KEY');
      await expect401(await me(project.keys.privateKey, null), 'USER_TOKEN_UNKNOWN_KEY');
      expect((await me(second.privateKey, 'key-2')).status).toBe(200);
      expect((await me(second.privateKey, null)).status).toBe(200);
    });
  });
});
