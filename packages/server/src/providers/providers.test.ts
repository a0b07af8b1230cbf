import { findBuiltInIntegration, type IntegrationDefinition } from '@switchboard/catalog';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizeLikeABrowser,
  installSimulatedProvider,
  pointDefinitionAt,
  SIMULATED_APP,
  startProviderSimulator,
  type ProviderSimulator,
  type SimulatedProvider,
} from '../../test/support/provider-simulator.js';
import {
  buildAuthorizationUrl,
  exchangeAuthorizationCode,
  fetchClientCredentialsToken,
  fetchIdentity,
  generateCodeVerifier,
  ProviderError,
  refreshAccessToken,
  resolveApiRequest,
  type TemplateContext,
  type TokenSet,
} from './index.js';

const app = { ...SIMULATED_APP };
const redirectUri = 'https://switchboard.example.com/oauth/callback';
let sim: ProviderSimulator;

beforeAll(async () => {
  sim = await startProviderSimulator();
});
afterAll(() => sim.close());

interface Connected {
  def: IntegrationDefinition;
  provider: SimulatedProvider;
  authorize: URLSearchParams;
  verifier: string;
  tokens: TokenSet;
  context: TemplateContext;
  tokenRequest: () => Record<string, unknown> & { headers: Record<string, unknown> };
}

/** Runs a code flow against the simulated provider: authorize URL, the browser's redirect, the code exchange. */
async function connect(type: string, inputs: Record<string, string> = {}): Promise<Connected> {
  const provider = installSimulatedProvider(sim, type);
  const def = pointDefinitionAt(findBuiltInIntegration(type)!, provider.origins);
  const context: TemplateContext = { serverUrl: sim.url, inputs, providerData: {} };
  const verifier = generateCodeVerifier();
  const url = buildAuthorizationUrl(def, { app, redirectUri, state: 'state-123', codeVerifier: verifier, context });
  const callback = await authorizeLikeABrowser(url);
  expect(callback.get('state')).toBe('state-123');
  const before = sim.requests.length;
  const tokens = await exchangeAuthorizationCode(def, { app, redirectUri, code: callback.get('code')!, codeVerifier: verifier, context });
  const request = sim.requests[before]!;
  return {
    def,
    provider,
    authorize: new URL(url).searchParams,
    verifier,
    tokens,
    context,
    tokenRequest: () => ({ ...request.body, headers: request.headers as Record<string, unknown> }),
  };
}

function expectAuthorizeBasics(params: URLSearchParams, scope: string | null, pkce: boolean) {
  expect(params.get('response_type')).toBe('code');
  expect(params.get('client_id')).toBe(app.clientId);
  expect(params.get('redirect_uri')).toBe(redirectUri);
  expect(params.get('state')).toBe('state-123');
  expect(params.get('scope')).toBe(scope);
  expect(params.get('code_challenge_method')).toBe(pkce ? 'S256' : null);
  expect(params.has('code_challenge')).toBe(pkce);
}

/** A ProviderError of the given kind whose message leaks none of the listed secrets. */
async function expectProviderError(promise: Promise<unknown>, kind: ProviderError['kind'], secrets: (string | undefined)[], text?: RegExp) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  const providerError = error as ProviderError;
  expect(providerError.kind).toBe(kind);
  if (text) expect(providerError.message).toMatch(text);
  for (const secret of [app.clientSecret, ...secrets]) if (secret) expect(providerError.message).not.toContain(secret);
  return providerError;
}

const inOneHour = (expiresAt: string | null, seconds: number) =>
  expect(Math.abs(new Date(expiresAt!).getTime() - (Date.now() + seconds * 1000))).toBeLessThan(5000);

describe('salesforce', () => {
  it('connects a sandbox org: account-type login host, PKCE, instance_url, userinfo, refresh, invalid_grant', async () => {
    const vars = findBuiltInIntegration('salesforce')!;
    const sandboxVars = vars.auth.kind === 'oauth2' ? vars.auth.accountTypes![1]!.vars : {};
    const provider = installSimulatedProvider(sim, 'salesforce');
    const loginUrl = pointDefinitionAt({ vars: sandboxVars } as never, provider.origins) as unknown as { vars: { loginUrl: string } };
    const c = await connect('salesforce', { loginUrl: loginUrl.vars.loginUrl });
    expectAuthorizeBasics(c.authorize, 'api refresh_token id', true);
    expect(c.tokenRequest()).toMatchObject({ grant_type: 'authorization_code', client_id: app.clientId, client_secret: app.clientSecret, code_verifier: c.verifier });
    expect(c.tokens.providerData.instanceURL).toBe(`${sim.url}/salesforce-instance`);
    // No expires_in: the session timeout default is assumed.
    inOneHour(c.tokens.expiresAt, 7200);
    const context = { ...c.context, providerData: c.tokens.providerData };
    const identity = await fetchIdentity(c.def, { secrets: { accessToken: c.tokens.accessToken }, context });
    expect(identity).toEqual({ providerId: '005xx000001Sv6A', providerData: { organizationId: '00Dxx0000001gPL', name: 'Ada Admin', email: 'ada@example.com', username: 'ada@acme.test' } });
    expect(resolveApiRequest(c.def, { secrets: { accessToken: c.tokens.accessToken }, context }).baseUrl).toBe(`${sim.url}/salesforce-instance/services/data/v60.0`);

    const refreshed = await refreshAccessToken(c.def, { app, refreshToken: c.tokens.refreshToken!, context });
    expect(refreshed.accessToken).not.toBe(c.tokens.accessToken);
    expect(refreshed.refreshToken).toBe(c.tokens.refreshToken); // not rotated: the old one is kept
    await expectProviderError(refreshAccessToken(c.def, { app, refreshToken: 'dead-refresh-token', context }), 'invalid_grant', ['dead-refresh-token'], /expired access\/refresh token/);
  });

  it('refuses a login host that is not one of the account types', () => {
    const def = findBuiltInIntegration('salesforce')!;
    const context = { serverUrl: sim.url, inputs: { loginUrl: 'https://evil.example' }, providerData: {} };
    expect(() => buildAuthorizationUrl(def, { app, redirectUri, state: 's', codeVerifier: 'v'.repeat(43), context })).toThrow(/account types/);
  });
});

describe('hubspot', () => {
  it('connects: form post with client secret, account-info identity, non-rotating refresh, BAD_REFRESH_TOKEN', async () => {
    const c = await connect('hubspot');
    expectAuthorizeBasics(c.authorize, 'oauth crm.objects.contacts.read crm.objects.contacts.write', false);
    expect(c.tokenRequest()).toMatchObject({ grant_type: 'authorization_code', client_id: app.clientId, client_secret: app.clientSecret, redirect_uri: redirectUri });
    inOneHour(c.tokens.expiresAt, 1800);
    expect(await fetchIdentity(c.def, { secrets: { accessToken: c.tokens.accessToken }, context: c.context })).toEqual({
      providerId: '62515',
      providerData: { uiDomain: 'app.hubspot.com', accountType: 'STANDARD', timeZone: 'US/Eastern' },
    });
    const refreshed = await refreshAccessToken(c.def, { app, refreshToken: c.tokens.refreshToken!, context: c.context });
    expect(refreshed.refreshToken).toBe(c.tokens.refreshToken);
    const error = await expectProviderError(refreshAccessToken(c.def, { app, refreshToken: 'nope-nope', context: c.context }), 'invalid_grant', ['nope-nope']);
    expect(error.providerMessage).toBe('BAD_REFRESH_TOKEN: missing or invalid refresh token');
  });
});

describe('slack', () => {
  it('connects: comma scopes, bot token at the top, user token nested, team id, ok:false errors', async () => {
    const c = await connect('slack');
    expectAuthorizeBasics(c.authorize, 'channels:read,chat:write,users:read', false);
    expect(c.tokenRequest()).toMatchObject({ client_id: app.clientId, client_secret: app.clientSecret });
    expect(c.tokens.accessToken).toMatch(/^xoxb-/);
    expect(c.tokens.extraSecrets).toEqual({ userAccessToken: 'xoxp-1234-user' });
    expect(c.tokens.expiresAt).toBeNull();
    expect(c.tokens.refreshToken).toBeUndefined();
    expect(c.tokens.providerId).toBe('T9TK3CUKW');
    expect(c.tokens.providerData).toEqual({ teamName: 'Slack Softball Team', botUserId: 'U0KRQLJ9H', appId: 'A0KRD7HC3', authedUserId: 'U1234' });
    const identity = await fetchIdentity(c.def, { secrets: { accessToken: c.tokens.accessToken }, context: c.context });
    expect(identity.providerId).toBe('T9TK3CUKW');
    expect(sim.requestsTo('/slack/api/auth.test').at(-1)?.method).toBe('POST');

    const reused = exchangeAuthorizationCode(c.def, { app, redirectUri, code: 'code_used', context: c.context });
    const error = await expectProviderError(reused, 'invalid_grant', ['code_used'], /invalid_code/);
    expect(error.status).toBe(200);
    await expectProviderError(fetchIdentity(c.def, { secrets: { accessToken: 'xoxb-revoked' }, context: c.context }), 'rejected', ['xoxb-revoked'], /invalid_auth/);
  });
});

describe('shopify', () => {
  it('connects a shop: templated host, comma scopes, never-expiring token, X-Shopify-Access-Token identity', async () => {
    const c = await connect('shopify', { shop: 'my-store' });
    expect(new URL(buildAuthorizationUrl(c.def, { app, redirectUri, state: 's', context: c.context })).pathname).toBe('/shopify/my-store/admin/oauth/authorize');
    expectAuthorizeBasics(c.authorize, 'read_products,read_orders,read_customers', false);
    expect(c.tokenRequest()).toMatchObject({ client_id: app.clientId, client_secret: app.clientSecret, code: expect.any(String) });
    expect(c.tokens).toMatchObject({ expiresAt: null, scope: 'read_products,read_orders,read_customers' });
    expect(c.tokens.refreshToken).toBeUndefined();
    const identity = await fetchIdentity(c.def, { secrets: { accessToken: c.tokens.accessToken }, context: c.context });
    expect(identity).toEqual({ providerId: '690933842', providerData: { shopName: 'My Store', domain: 'my-store.myshopify.com', email: 'owner@my-store.test' } });
    await expectProviderError(fetchIdentity(c.def, { secrets: { accessToken: 'shpat_revoked' }, context: c.context }), 'rejected', ['shpat_revoked'], /Invalid API key or access token/);
    await expect(refreshAccessToken(c.def, { app, refreshToken: 'x', context: c.context })).rejects.toThrow(/no refresh grant/);
  });
});

describe.each(['googledrive', 'gmail', 'googleCalendar'])('%s', (type) => {
  it('connects: offline access, consent, PKCE, userinfo, refresh, invalid_grant', async () => {
    const c = await connect(type);
    const scopes = (findBuiltInIntegration(type)!.auth as { scopes: string[] }).scopes;
    expect(scopes.slice(0, 3)).toEqual(['openid', 'email', 'profile']);
    expectAuthorizeBasics(c.authorize, scopes.join(' '), true);
    expect(c.authorize.get('access_type')).toBe('offline');
    expect(c.authorize.get('prompt')).toBe('consent');
    expect(c.tokenRequest()).toMatchObject({ client_secret: app.clientSecret, code_verifier: c.verifier });
    inOneHour(c.tokens.expiresAt, 3599);
    expect(await fetchIdentity(c.def, { secrets: { accessToken: c.tokens.accessToken }, context: c.context })).toEqual({
      providerId: '110248495921238986420',
      providerData: { email: 'grace@example.com', name: 'Grace Hopper', picture: 'https://lh3.googleusercontent.com/a/x' },
    });
    const refreshed = await refreshAccessToken(c.def, { app, refreshToken: c.tokens.refreshToken!, context: c.context });
    expect(refreshed.refreshToken).toBe(c.tokens.refreshToken);
    await expectProviderError(refreshAccessToken(c.def, { app, refreshToken: '1//revoked', context: c.context }), 'invalid_grant', ['1//revoked'], /expired or revoked/);
  });
});

describe('github', () => {
  it('connects: asks for JSON, PKCE, rotating refresh, User-Agent identity, 200 error bodies', async () => {
    const c = await connect('github');
    expectAuthorizeBasics(c.authorize, 'read:user user:email repo', true);
    expect(c.tokenRequest().headers.accept).toBe('application/json');
    inOneHour(c.tokens.expiresAt, 28800);
    const identity = await fetchIdentity(c.def, { secrets: { accessToken: c.tokens.accessToken }, context: c.context });
    expect(identity).toEqual({ providerId: '583231', providerData: { login: 'octocat', name: 'The Octocat', email: 'octocat@github.com' } });
    const identityHeaders = sim.requestsTo('/github-api/user').at(-1)!.headers;
    expect(identityHeaders).toMatchObject({ accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' });

    const refreshed = await refreshAccessToken(c.def, { app, refreshToken: c.tokens.refreshToken!, context: c.context });
    expect(refreshed.refreshToken).not.toBe(c.tokens.refreshToken);
    await expectProviderError(refreshAccessToken(c.def, { app, refreshToken: c.tokens.refreshToken!, context: c.context }), 'invalid_grant', [c.tokens.refreshToken]);
    const badCode = await expectProviderError(
      exchangeAuthorizationCode(c.def, { app, redirectUri, code: 'gh-bad-code', codeVerifier: c.verifier, context: c.context }),
      'invalid_grant',
      ['gh-bad-code'],
      /The code passed is incorrect or expired/,
    );
    expect(badCode.status).toBe(200);
    await expectProviderError(fetchIdentity(c.def, { secrets: { accessToken: 'gho_revoked' }, context: c.context }), 'rejected', ['gho_revoked'], /Bad credentials/);
  });

  it('keeps an OAuth-app token that never expires', async () => {
    const provider = installSimulatedProvider(sim, 'github');
    provider.oauth!.profile.issuesRefreshTokens = false;
    const def = pointDefinitionAt(findBuiltInIntegration('github')!, provider.origins);
    const context = { serverUrl: sim.url, inputs: {}, providerData: {} };
    const verifier = generateCodeVerifier();
    const callback = await authorizeLikeABrowser(buildAuthorizationUrl(def, { app, redirectUri, state: 's', codeVerifier: verifier, context }));
    const tokens = await exchangeAuthorizationCode(def, { app, redirectUri, code: callback.get('code')!, codeVerifier: verifier, context });
    expect(tokens.expiresAt).toBeNull();
    expect(tokens.refreshToken).toBeUndefined();
  });
});

describe('notion', () => {
  it('connects: Basic client auth with the id as is, JSON body, Notion-Version, workspace id, never expires', async () => {
    const c = await connect('notion');
    expectAuthorizeBasics(c.authorize, null, false);
    expect(c.authorize.get('owner')).toBe('user');
    const request = c.tokenRequest();
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`);
    expect(request).toMatchObject({ grant_type: 'authorization_code', redirect_uri: redirectUri });
    expect(request.client_secret).toBeUndefined();
    expect(c.tokens).toMatchObject({ expiresAt: null, providerId: 'e1d9a4c1-6f2a-4b1e-8c5c-2b1f0c0b7a11' });
    expect(c.tokens.providerData).toMatchObject({ workspaceName: 'Acme HQ', botId: 'b3414d65-9d1b-4a1c-9c9b-4b2a6a1b8f39' });
    expect(await fetchIdentity(c.def, { secrets: { accessToken: c.tokens.accessToken }, context: c.context })).toEqual({ providerData: { botName: 'Switchboard' } });
    const wrongApp = { ...app, clientSecret: 'wrong-secret' };
    await expectProviderError(exchangeAuthorizationCode(c.def, { app: wrongApp, redirectUri, code: 'c-1', context: c.context }), 'rejected', ['wrong-secret'], /invalid_client/);
    await expectProviderError(fetchIdentity(c.def, { secrets: { accessToken: 'ntn_revoked' }, context: c.context }), 'rejected', ['ntn_revoked'], /API token is invalid/);
  });
});

describe('zendesk', () => {
  it('connects a subdomain: JSON body repeating the scope, users/me identity, rejected token', async () => {
    const c = await connect('zendesk', { subdomain: 'acme' });
    expectAuthorizeBasics(c.authorize, 'read write', false);
    expect(c.tokenRequest().headers['content-type']).toBe('application/json');
    expect(c.tokenRequest()).toMatchObject({ grant_type: 'authorization_code', client_id: app.clientId, client_secret: app.clientSecret, scope: 'read write' });
    expect(c.tokens.expiresAt).toBeNull();
    expect(await fetchIdentity(c.def, { secrets: { accessToken: c.tokens.accessToken }, context: c.context })).toEqual({
      providerId: '35436',
      providerData: { name: 'Johnny Agent', email: 'johnny@acme.test' },
    });
    await expectProviderError(fetchIdentity(c.def, { secrets: { accessToken: 'zd_revoked' }, context: c.context }), 'rejected', ['zd_revoked'], /invalid_token/);
  });
});

describe('jira', () => {
  it('connects: audience, JSON token body, accessible-resources cloud id, rotating refresh, 403 invalid_grant', async () => {
    const c = await connect('jira');
    expectAuthorizeBasics(c.authorize, 'read:jira-work write:jira-work read:jira-user offline_access', false);
    expect(c.authorize.get('audience')).toBe('api.atlassian.com');
    expect(c.tokenRequest().headers['content-type']).toBe('application/json');
    expect(c.tokenRequest()).toMatchObject({ client_id: app.clientId, client_secret: app.clientSecret, code: expect.any(String) });
    const identity = await fetchIdentity(c.def, { secrets: { accessToken: c.tokens.accessToken }, context: c.context });
    expect(identity).toEqual({
      providerId: '1324a887-45db-1bf4-1e99-ef0ff456d421',
      providerData: { cloudId: '1324a887-45db-1bf4-1e99-ef0ff456d421', siteUrl: 'https://acme.atlassian.net', siteName: 'acme' },
    });
    const api = resolveApiRequest(c.def, { secrets: { accessToken: c.tokens.accessToken }, context: { ...c.context, providerData: identity.providerData } });
    expect(api.baseUrl).toBe(`${sim.url}/atlassian-api/ex/jira/1324a887-45db-1bf4-1e99-ef0ff456d421/rest/api/3`);

    const refreshed = await refreshAccessToken(c.def, { app, refreshToken: c.tokens.refreshToken!, context: c.context });
    expect(refreshed.refreshToken).toBeDefined();
    expect(refreshed.refreshToken).not.toBe(c.tokens.refreshToken);
    const error = await expectProviderError(refreshAccessToken(c.def, { app, refreshToken: c.tokens.refreshToken!, context: c.context }), 'invalid_grant', [c.tokens.refreshToken]);
    expect(error.status).toBe(403);
  });
});

describe('stripe', () => {
  it('tests a secret key on /v1/account and refuses a bad one without echoing it', async () => {
    const provider = installSimulatedProvider(sim, 'stripe');
    const def = pointDefinitionAt(findBuiltInIntegration('stripe')!, provider.origins);
    provider.validKeys.add('sk_test_51Good');
    const context = { serverUrl: sim.url, inputs: {}, providerData: {} };
    const identity = await fetchIdentity(def, { secrets: { fields: { apiKey: 'sk_test_51Good' } }, context });
    expect(identity).toEqual({ providerId: 'acct_1Nv0FGQ9RKHgCVdK', providerData: { businessName: 'Jenny Rosen Co', email: 'jenny@example.com', displayName: 'Jenny' } });
    expect(sim.requestsTo('/stripe/v1/account').at(-1)!.headers.authorization).toBe('Bearer sk_test_51Good');
    const error = await expectProviderError(fetchIdentity(def, { secrets: { fields: { apiKey: 'sk_test_51BadKey99' } }, context }), 'rejected', ['sk_test_51BadKey99'], /Invalid API Key provided/);
    expect(error.status).toBe(401);
  });
});

describe('freshdesk', () => {
  it('tests basic auth (API key as username) on the typed domain', async () => {
    const provider = installSimulatedProvider(sim, 'freshdesk');
    const def = pointDefinitionAt(findBuiltInIntegration('freshdesk')!, provider.origins);
    provider.validKeys.add('fd-key-123:X');
    const context = { serverUrl: sim.url, inputs: { domain: 'acme' }, providerData: {} };
    expect(await fetchIdentity(def, { secrets: { fields: { apiKey: 'fd-key-123' } }, context })).toEqual({
      providerId: '19000',
      providerData: { name: 'Fiona Desk', email: 'fiona@acme.test' },
    });
    await expectProviderError(fetchIdentity(def, { secrets: { fields: { apiKey: 'fd-wrong' } }, context }), 'rejected', ['fd-wrong'], /You have to be logged in/);
    expect(() => resolveApiRequest(def, { secrets: { fields: { apiKey: 'k' } }, context: { ...context, inputs: { domain: 'evil.com/' } } })).toThrow(/not valid/);
  });
});

describe('sandbox integrations', () => {
  it('sandbox: code + PKCE + rotating refresh against {{serverUrl}}', async () => {
    const c = await connect('sandbox');
    expectAuthorizeBasics(c.authorize, 'openid offline_access contacts', true);
    expect(c.tokenRequest()).toMatchObject({ client_id: app.clientId, client_secret: app.clientSecret, code_verifier: c.verifier });
    expect(await fetchIdentity(c.def, { secrets: { accessToken: c.tokens.accessToken }, context: c.context })).toEqual({
      providerId: 'user-1',
      providerData: { name: 'Sandy Box', email: 'sandy@example.com' },
    });
    const refreshed = await refreshAccessToken(c.def, { app, refreshToken: c.tokens.refreshToken!, context: c.context });
    expect(refreshed.refreshToken).not.toBe(c.tokens.refreshToken);
  });

  it('sandbox-apikey: X-Api-Key header; a wrong key is rejected', async () => {
    installSimulatedProvider(sim, 'sandbox-apikey');
    const def = findBuiltInIntegration('sandbox-apikey')!;
    const context = { serverUrl: sim.url, inputs: {}, providerData: {} };
    expect((await fetchIdentity(def, { secrets: { fields: { apiKey: 'sbx_demo' } }, context })).providerId).toBe('user-1');
    expect(sim.requestsTo('/sandbox/api/me').at(-1)!.headers['x-api-key']).toBe('sbx_demo');
    await expectProviderError(fetchIdentity(def, { secrets: { fields: { apiKey: 'nope_key' } }, context }), 'rejected', ['nope_key'], /Unknown credential/);
  });

  it('sandbox-client-credentials: client id and secret from the typed fields', async () => {
    const provider = installSimulatedProvider(sim, 'sandbox-client-credentials');
    const def = findBuiltInIntegration('sandbox-client-credentials')!;
    const context = { serverUrl: sim.url, inputs: { clientId: app.clientId, clientSecret: app.clientSecret }, providerData: {} };
    const tokens = await fetchClientCredentialsToken(def, { context });
    expect(provider.oauth!.accessTokens.has(tokens.accessToken)).toBe(true);
    expect(sim.requestsTo('/sandbox/token').at(-1)!.body).toMatchObject({ grant_type: 'client_credentials', scope: 'contacts', client_id: app.clientId });
    inOneHour(tokens.expiresAt, 3600);
    const bad = { ...context, inputs: { clientId: app.clientId, clientSecret: 'bad-secret' } };
    await expectProviderError(fetchClientCredentialsToken(def, { context: bad }), 'rejected', ['bad-secret'], /invalid_client/);
  });
});

describe('unavailable providers', () => {
  it('maps 5xx and connection failures to unavailable', async () => {
    sim.route('POST', '/down/token', () => ({ status: 503, body: 'Service Unavailable' }));
    const def = pointDefinitionAt(findBuiltInIntegration('hubspot')!, { 'https://api.hubapi.com/oauth/v1/token': `${sim.url}/down/token` });
    const context = { serverUrl: sim.url, inputs: {}, providerData: {} };
    await expectProviderError(refreshAccessToken(def, { app, refreshToken: 'r-123', context }), 'unavailable', ['r-123']);
    const closed = pointDefinitionAt(findBuiltInIntegration('hubspot')!, { 'https://api.hubapi.com': 'http://127.0.0.1:9' });
    await expectProviderError(refreshAccessToken(closed, { app, refreshToken: 'r-123', context }), 'unavailable', ['r-123'], /could not be reached/);
    await expectProviderError(fetchIdentity(closed, { secrets: { accessToken: 't-123' }, context }), 'unavailable', ['t-123']);
  });

  it('refuses plain http token URLs that are not on this machine', async () => {
    const def = pointDefinitionAt(findBuiltInIntegration('hubspot')!, { 'https://api.hubapi.com': 'http://hubapi.example' });
    await expect(refreshAccessToken(def, { app, refreshToken: 'r', context: { serverUrl: '', inputs: {}, providerData: {} } })).rejects.toThrow(/https/);
  });
});

it('computes the same PKCE challenge as oauth4webapi', async () => {
  const verifier = generateCodeVerifier();
  const def = findBuiltInIntegration('sandbox')!;
  const url = new URL(buildAuthorizationUrl(def, { app, redirectUri, state: 's', codeVerifier: verifier, context: { serverUrl: 'http://localhost:4000', inputs: {}, providerData: {} } }));
  expect(url.searchParams.get('code_challenge')).toBe(await oauth.calculatePKCECodeChallenge(verifier));
  expect(url.origin + url.pathname).toBe('http://localhost:4000/sandbox/auth');
});
