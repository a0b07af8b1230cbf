import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  approveSandboxConsent,
  CookieJar,
  pkcePair,
  sandboxAuthorizationUrl,
  startSandboxServer,
  type SandboxServer,
} from '../../test/support/sandbox-consent.js';
import { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET } from './index.js';

interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  token_type?: string;
  scope?: string;
  id_token?: string;
  error?: string;
  error_description?: string;
}

let server: SandboxServer;

beforeAll(async () => {
  server = await startSandboxServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  await fetch(`${server.issuer}/_stats/reset`, { method: 'POST' });
});

async function tokenRequest(params: Record<string, string>, init: { basic?: boolean } = {}) {
  const body = new URLSearchParams(params);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (init.basic) {
    headers.authorization = `Basic ${Buffer.from(`${SANDBOX_CLIENT_ID}:${SANDBOX_CLIENT_SECRET}`).toString('base64')}`;
  } else {
    body.set('client_id', SANDBOX_CLIENT_ID);
    if (!body.has('client_secret')) body.set('client_secret', SANDBOX_CLIENT_SECRET);
  }
  const response = await fetch(`${server.issuer}/token`, { method: 'POST', headers, body });
  return { status: response.status, body: (await response.json()) as TokenResponse };
}

/** Runs the whole code flow for `login` and answers the token response. */
async function connect(login?: string, init: { basic?: boolean; cookies?: CookieJar } = {}) {
  const { verifier, challenge } = pkcePair();
  const state = `state-${Math.random()}`;
  const location = new URL(
    await approveSandboxConsent(sandboxAuthorizationUrl(server, { codeChallenge: challenge, state }), {
      ...(login ? { login } : {}),
      ...(init.cookies ? { cookies: init.cookies } : {}),
    }),
  );
  expect(location.searchParams.get('state')).toBe(state);
  const code = location.searchParams.get('code');
  expect(code).toBeTruthy();
  return tokenRequest(
    { grant_type: 'authorization_code', code: code ?? '', redirect_uri: server.redirectUri, code_verifier: verifier },
    init,
  );
}

async function me(token: string) {
  const response = await fetch(`${server.issuer}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('sandbox OAuth server', () => {
  it('publishes a discovery document whose issuer and endpoints live under /sandbox', async () => {
    const response = await fetch(`${server.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const discovery = (await response.json()) as Record<string, unknown>;
    expect(discovery.issuer).toBe(server.issuer);
    expect(discovery.authorization_endpoint).toBe(`${server.issuer}/auth`);
    expect(discovery.token_endpoint).toBe(`${server.issuer}/token`);
    expect(discovery.revocation_endpoint).toBe(`${server.issuer}/token/revocation`);
    expect(discovery.jwks_uri).toBe(`${server.issuer}/jwks`);
    expect(discovery.code_challenge_methods_supported).toEqual(['S256']);
    expect(discovery.scopes_supported).toEqual(['openid', 'offline_access', 'contacts']);
    expect(discovery.response_types_supported).toEqual(['code']);
    expect(discovery.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_post', 'client_secret_basic']),
    );
    const jwks = (await (await fetch(`${server.issuer}/jwks`)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('runs the code flow with PKCE and issues opaque access and refresh tokens', async () => {
    const { status, body } = await connect();
    expect(status).toBe(200);
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBe(3600);
    expect(body.access_token).toBeTruthy();
    expect(body.access_token?.split('.')).toHaveLength(1); // opaque, not a JWT
    expect(body.refresh_token).toBeTruthy();
    // offline_access is dropped by OIDC's rule (it needs prompt=consent), yet a refresh token is still issued.
    expect(body.scope?.split(' ').sort()).toEqual(['contacts', 'openid']);
    expect((await me(body.access_token ?? '')).body).toMatchObject({ id: 'sandbox-user' });
  });

  it('accepts client_secret_basic as well as client_secret_post at the token endpoint', async () => {
    const { status, body } = await connect(undefined, { basic: true });
    expect(status).toBe(200);
    expect(body.access_token).toBeTruthy();
  });

  it('refuses a code exchange without the PKCE verifier', async () => {
    const { challenge } = pkcePair();
    const location = new URL(await approveSandboxConsent(sandboxAuthorizationUrl(server, { codeChallenge: challenge })));
    const { status, body } = await tokenRequest({
      grant_type: 'authorization_code',
      code: location.searchParams.get('code') ?? '',
      redirect_uri: server.redirectUri,
      code_verifier: pkcePair().verifier,
    });
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_grant');
  });

  it('redirects with access_denied when the user denies', async () => {
    const { challenge } = pkcePair();
    const location = new URL(
      await approveSandboxConsent(sandboxAuthorizationUrl(server, { codeChallenge: challenge, state: 'deny-state' }), {
        decision: 'deny',
      }),
    );
    expect(`${location.origin}${location.pathname}`).toBe(server.redirectUri);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('deny-state');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('treats two logins as two accounts', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob@example.org');
    expect((await me(alice.body.access_token ?? '')).body).toEqual({
      id: 'alice',
      name: 'alice',
      email: 'alice@sandbox.example.com',
    });
    expect((await me(bob.body.access_token ?? '')).body).toMatchObject({ id: 'bob@example.org', email: 'bob@example.org' });
  });

  it('shows the consent page again in the same browser and can switch to another account', async () => {
    const browser = new CookieJar();
    const first = await connect('carol', { cookies: browser });
    const second = await connect('dave', { cookies: browser });
    const again = await connect('carol', { cookies: browser });
    expect((await me(first.body.access_token ?? '')).body).toMatchObject({ id: 'carol' });
    expect((await me(second.body.access_token ?? '')).body).toMatchObject({ id: 'dave' });
    expect((await me(again.body.access_token ?? '')).body).toMatchObject({ id: 'carol' });
  });

  it('serves a self-contained consent page that escapes what it echoes', async () => {
    const { challenge } = pkcePair();
    const authorize = await fetch(sandboxAuthorizationUrl(server, { codeChallenge: challenge }), { redirect: 'manual' });
    expect(authorize.status).toBe(303);
    const interaction = new URL(authorize.headers.get('location') ?? '', server.issuer);
    expect(interaction.pathname).toMatch(/^\/sandbox\/interaction\/[\w-]+$/);
    const cookie = authorize.headers
      .getSetCookie()
      .map((line) => line.split(';')[0])
      .join('; ');
    const page = await fetch(interaction, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<form method="post"');
    expect(html).toContain('name="login" value="sandbox-user"');
    expect(html).toContain('name="decision" value="approve"');
    expect(html).toContain('name="decision" value="deny"');
    expect(html).toContain('contacts');
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\//i);

    // Without the interaction cookie the page refuses, and says so in plain HTML.
    const stale = await fetch(interaction);
    expect(stale.status).toBe(400);
    expect(await stale.text()).toContain('expired');
  });

  it('rotates refresh tokens: a refresh answers new tokens and the used refresh token then fails', async () => {
    const first = await connect();
    const refreshed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token ?? '' });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.access_token).toBeTruthy();
    expect(refreshed.body.access_token).not.toBe(first.body.access_token);
    expect(refreshed.body.refresh_token).toBeTruthy();
    expect(refreshed.body.refresh_token).not.toBe(first.body.refresh_token);
    expect((await me(refreshed.body.access_token ?? '')).status).toBe(200);

    const replay = await tokenRequest({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token ?? '' });
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
  });

  it('revoking an access token makes the API answer 401', async () => {
    const { body } = await connect();
    const token = body.access_token ?? '';
    expect((await me(token)).status).toBe(200);
    const revoke = await fetch(`${server.issuer}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_id: SANDBOX_CLIENT_ID, client_secret: SANDBOX_CLIENT_SECRET }),
    });
    expect(revoke.status).toBe(200);
    const after = await me(token);
    expect(after.status).toBe(401);
    expect(after.body.error).toBe('invalid_token');
  });

  it('revoking a refresh token revokes the grant: its access token stops working too', async () => {
    const { body } = await connect();
    const revoke = await fetch(`${server.issuer}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: body.refresh_token ?? '',
        token_type_hint: 'refresh_token',
        client_id: SANDBOX_CLIENT_ID,
        client_secret: SANDBOX_CLIENT_SECRET,
      }),
    });
    expect(revoke.status).toBe(200);
    expect((await me(body.access_token ?? '')).status).toBe(401);
  });

  it('issues client-credentials tokens to sandbox-client and refuses a bad secret', async () => {
    const good = await tokenRequest({ grant_type: 'client_credentials', scope: 'contacts' });
    expect(good.status).toBe(200);
    expect(good.body.expires_in).toBe(3600);
    expect(good.body.refresh_token).toBeUndefined();
    expect((await me(good.body.access_token ?? '')).body).toMatchObject({ id: 'client:sandbox-client' });

    const viaBasic = await tokenRequest({ grant_type: 'client_credentials' }, { basic: true });
    expect(viaBasic.status).toBe(200);

    const bad = await tokenRequest({ grant_type: 'client_credentials', client_secret: 'wrong' });
    expect(bad.status).toBe(401);
    expect(bad.body.error).toBe('invalid_client');
  });

  it('counts token-endpoint requests by grant type, errors included, and resets', async () => {
    const first = await connect();
    await tokenRequest({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token ?? '' });
    await tokenRequest({ grant_type: 'refresh_token', refresh_token: 'not-a-token' });
    await tokenRequest({ grant_type: 'client_credentials' });
    await tokenRequest({ grant_type: 'client_credentials', client_secret: 'wrong' });
    await tokenRequest({ grant_type: 'password' });

    const stats = await (await fetch(`${server.issuer}/_stats`)).json();
    expect(stats).toEqual({
      tokenRequests: { authorization_code: 1, refresh_token: 2, client_credentials: 2 },
      total: 6,
    });

    await fetch(`${server.issuer}/_stats/reset`, { method: 'POST' });
    expect(await (await fetch(`${server.issuer}/_stats`)).json()).toEqual({
      tokenRequests: { authorization_code: 0, refresh_token: 0, client_credentials: 0 },
      total: 0,
    });
  });
});

describe('sandbox access-token lifetime', () => {
  let shortLived: SandboxServer;
  beforeAll(async () => {
    shortLived = await startSandboxServer({ accessTokenTtlSeconds: 1 });
  });
  afterAll(async () => {
    await shortLived.close();
  });

  it('expires access tokens after accessTokenTtlSeconds', async () => {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: SANDBOX_CLIENT_ID,
      client_secret: SANDBOX_CLIENT_SECRET,
    });
    const token = (await (await fetch(`${shortLived.issuer}/token`, { method: 'POST', body })).json()) as TokenResponse;
    expect(token.expires_in).toBe(1);
    const call = () =>
      fetch(`${shortLived.issuer}/api/me`, { headers: { authorization: `Bearer ${token.access_token}` } });
    expect((await call()).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await call()).status).toBe(401);
  });
});
