/**
 * A local stand-in for third-party providers: a real node:http server on 127.0.0.1 (random port) whose routes
 * speak each provider's documented wire format, recording every request so tests can assert on method,
 * headers and body. `installOAuthProvider` gives any provider a strict OAuth 2.0 authorization server (codes,
 * PKCE, client authentication, refresh with optional rotation); the profiles below add each provider's quirks.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IntegrationDefinition } from '@switchboard/catalog';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** The body parsed by its content type: form fields or JSON. */
  body: Record<string, unknown>;
}

export interface SimulatedAnswer {
  status?: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings as they are. */
  body?: unknown;
}

export type RouteHandler = (request: RecordedRequest) => SimulatedAnswer;

export interface ProviderSimulator {
  /** `http://127.0.0.1:<port>` */
  url: string;
  requests: RecordedRequest[];
  route(method: string, path: string, handler: RouteHandler): void;
  requestsTo(path: string): RecordedRequest[];
  close(): Promise<void>;
}

function parseBody(headers: IncomingHttpHeaders, raw: string): Record<string, unknown> {
  const type = headers['content-type'] ?? '';
  if (type.includes('application/json')) return JSON.parse(raw || '{}') as Record<string, unknown>;
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  return {};
}

export async function startProviderSimulator(): Promise<ProviderSimulator> {
  const routes = new Map<string, RouteHandler>();
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        rawBody,
        body: {},
      };
      let answer: SimulatedAnswer;
      try {
        recorded.body = parseBody(req.headers, rawBody);
        requests.push(recorded);
        const handler = routes.get(`${recorded.method} ${recorded.path}`);
        answer = handler ? handler(recorded) : { status: 404, body: { error: 'not_found' } };
      } catch (error) {
        answer = { status: 400, body: { error: 'invalid_request', error_description: String(error) } };
      }
      const isText = typeof answer.body === 'string';
      res.writeHead(answer.status ?? 200, {
        'content-type': isText ? 'text/plain' : 'application/json',
        ...answer.headers,
      });
      res.end(answer.body === undefined ? '' : isText ? (answer.body as string) : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    route: (method, path, handler) => void routes.set(`${method} ${path}`, handler),
    requestsTo: (path) => requests.filter((r) => r.path === path),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A copy of a definition with each listed origin (templated or not) replaced everywhere, e.g. in account types. */
export function pointDefinitionAt(definition: IntegrationDefinition, origins: Record<string, string>): IntegrationDefinition {
  const rewrite = (value: unknown): unknown => {
    if (typeof value === 'string') {
      return Object.entries(origins).reduce((text, [from, to]) => text.split(from).join(to), value);
    }
    if (Array.isArray(value)) return value.map(rewrite);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, rewrite(inner)]));
    }
    return value;
  };
  return rewrite(definition) as IntegrationDefinition;
}

// ---------------------------------------------------------------------------------------------------------
// A strict, generic OAuth 2.0 authorization server; each provider profile configures its wire format.

/** The OAuth app every simulated provider knows. A UUID with dashes, like Notion's, to catch encoding bugs. */
export const SIMULATED_APP = { clientId: '463558a3-725e-4f37-b6d3-0889894f68de', clientSecret: 'sim-secret_+/=' };

export interface OAuthProfile {
  authorizePath?: string;
  tokenPath: string;
  clientAuth: 'post' | 'basic';
  bodyFormat: 'form' | 'json';
  /** Extra body fields the token request must carry, e.g. Zendesk's scope. */
  requiredTokenFields?: Record<string, string>;
  /** Answer form-encoded unless the request's Accept asks for JSON (GitHub). */
  negotiatesAccept?: boolean;
  issuesRefreshTokens: boolean;
  rotatesRefreshTokens?: boolean;
  /** The provider's success body around freshly issued tokens. */
  tokenAnswer(tokens: { accessToken: string; refreshToken?: string }, grant: string): Record<string, unknown>;
  /** The provider's answer to a dead code or refresh token, and to bad client credentials. */
  errorAnswer(error: 'invalid_grant' | 'invalid_client'): SimulatedAnswer;
}

export interface OAuthProviderState {
  accessTokens: Set<string>;
  refreshTokens: Set<string>;
  /** Makes the next authorize call or token request fail as the provider would. */
  profile: OAuthProfile;
}

const token = (prefix: string) => `${prefix}${randomBytes(12).toString('hex')}`;

export function installOAuthProvider(sim: ProviderSimulator, profile: OAuthProfile, tokenPrefix = 'tok_'): OAuthProviderState {
  const codes = new Map<string, { redirectUri: string; challenge?: string; clientId: string }>();
  const state: OAuthProviderState = { accessTokens: new Set(), refreshTokens: new Set(), profile };

  if (profile.authorizePath) {
    // Code flows: remember the request and send the browser back with a code.
    sim.route('GET', profile.authorizePath, (req) => {
      const { client_id, redirect_uri, state: oauthState, code_challenge } = req.query;
      if (client_id !== SIMULATED_APP.clientId || !redirect_uri) return { status: 400, body: 'invalid client or redirect' };
      const code = token('code_');
      codes.set(code, { redirectUri: redirect_uri, clientId: client_id, ...(code_challenge ? { challenge: code_challenge } : {}) });
      const back = new URL(redirect_uri);
      back.searchParams.set('code', code);
      if (oauthState) back.searchParams.set('state', oauthState);
      return { status: 302, headers: { location: back.href } };
    });
  }

  const answer = (req: RecordedRequest, body: Record<string, unknown>): SimulatedAnswer => {
    if (profile.negotiatesAccept && !String(req.headers.accept ?? '').includes('application/json')) {
      const form = new URLSearchParams(Object.entries(body).map(([k, v]): [string, string] => [k, String(v)]));
      return { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() };
    }
    return { body };
  };

  sim.route('POST', profile.tokenPath, (req) => {
    const type = String(req.headers['content-type'] ?? '');
    const wanted = profile.bodyFormat === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
    if (!type.includes(wanted)) return { status: 400, body: { error: 'invalid_request', error_description: `expected ${wanted}` } };
    const body = req.body as Record<string, string | undefined>;
    let clientId: string | undefined;
    let clientSecret: string | undefined;
    if (profile.clientAuth === 'basic') {
      const header = String(req.headers.authorization ?? '');
      // Decoded as is: providers like Notion do not form-decode the pair.
      const pair = header.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString('utf8') : '';
      [clientId, clientSecret] = [pair.slice(0, pair.indexOf(':')), pair.slice(pair.indexOf(':') + 1)];
      if (body.client_secret) return { status: 400, body: { error: 'invalid_request', error_description: 'secret in body' } };
    } else {
      [clientId, clientSecret] = [body.client_id, body.client_secret];
    }
    if (clientId !== SIMULATED_APP.clientId || clientSecret !== SIMULATED_APP.clientSecret) return profile.errorAnswer('invalid_client');
    for (const [name, value] of Object.entries(profile.requiredTokenFields ?? {})) {
      if (body[name] !== value) return { status: 400, body: { error: 'invalid_request', error_description: `${name} missing` } };
    }
    const issue = (withRefresh: boolean) => {
      const tokens = { accessToken: token(tokenPrefix), ...(withRefresh ? { refreshToken: token('refresh_') } : {}) };
      state.accessTokens.add(tokens.accessToken);
      if (tokens.refreshToken) state.refreshTokens.add(tokens.refreshToken);
      return tokens;
    };
    if (body.grant_type === 'authorization_code') {
      const issued = codes.get(body.code ?? '');
      codes.delete(body.code ?? '');
      if (!issued || issued.redirectUri !== body.redirect_uri) return profile.errorAnswer('invalid_grant');
      if (issued.challenge) {
        const challenge = createHash('sha256').update(body.code_verifier ?? '').digest('base64url');
        if (challenge !== issued.challenge) return profile.errorAnswer('invalid_grant');
      }
      return answer(req, profile.tokenAnswer(issue(profile.issuesRefreshTokens), 'authorization_code'));
    }
    if (body.grant_type === 'refresh_token') {
      if (!state.refreshTokens.has(body.refresh_token ?? '')) return profile.errorAnswer('invalid_grant');
      if (profile.rotatesRefreshTokens) state.refreshTokens.delete(body.refresh_token ?? '');
      return answer(req, profile.tokenAnswer(issue(Boolean(profile.rotatesRefreshTokens)), 'refresh_token'));
    }
    if (body.grant_type === 'client_credentials') return answer(req, profile.tokenAnswer(issue(false), 'client_credentials'));
    return { status: 400, body: { error: 'unsupported_grant_type' } };
  });
  return state;
}

/** The bearer token of a request, if any. */
export const bearerOf = (req: RecordedRequest) => /^Bearer (.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];

/** Follows a code-flow authorize URL like a consenting user's browser and returns the redirect's parameters. */
export async function authorizeLikeABrowser(authorizationUrl: string): Promise<URLSearchParams> {
  const response = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (response.status !== 302 || !location) throw new Error(`authorize answered ${response.status}`);
  return new URL(location).searchParams;
}

// ---------------------------------------------------------------------------------------------------------
// Provider profiles: each provider's documented token answers, error bodies and identity endpoint.

export interface SimulatedProvider {
  /** Origins of the real definition mapped to this simulator, for pointDefinitionAt. */
  origins: Record<string, string>;
  oauth?: OAuthProviderState;
  /** API keys (or `user:password` pairs) the identity endpoint accepts. */
  validKeys: Set<string>;
}

const rfcError =
  (invalidGrantStatus = 400, description = 'The grant is invalid or expired.') =>
  (error: 'invalid_grant' | 'invalid_client'): SimulatedAnswer =>
    error === 'invalid_grant'
      ? { status: invalidGrantStatus, body: { error: 'invalid_grant', error_description: description } }
      : { status: 401, body: { error: 'invalid_client', error_description: 'Client authentication failed.' } };

/** Identity route that checks the bearer token against the provider's issued tokens. */
function bearerIdentity(
  sim: ProviderSimulator,
  method: string,
  path: string,
  valid: () => Set<string>,
  ok: (req: RecordedRequest) => unknown,
  refused: SimulatedAnswer,
): void {
  sim.route(method, path, (req) => (valid().has(bearerOf(req) ?? '') ? { body: ok(req) } : refused));
}

export function installSimulatedProvider(sim: ProviderSimulator, type: string): SimulatedProvider {
  const u = sim.url;
  const validKeys = new Set<string>();
  switch (type) {
    case 'sandbox':
    case 'sandbox-apikey':
    case 'sandbox-client-credentials': {
      const oauth = installOAuthProvider(sim, {
        authorizePath: '/sandbox/auth',
        tokenPath: '/sandbox/token',
        clientAuth: 'post',
        bodyFormat: 'form',
        issuesRefreshTokens: true,
        rotatesRefreshTokens: true,
        tokenAnswer: (t) => ({ access_token: t.accessToken, refresh_token: t.refreshToken, expires_in: 3600, token_type: 'Bearer', scope: 'openid offline_access contacts' }),
        errorAnswer: rfcError(),
      });
      sim.route('GET', '/sandbox/api/me', (req) => {
        const key = String(req.headers['x-api-key'] ?? '');
        return oauth.accessTokens.has(bearerOf(req) ?? '') || key.startsWith('sbx_')
          ? { body: { id: 'user-1', name: 'Sandy Box', email: 'sandy@example.com' } }
          : { status: 401, body: { error: 'invalid_token', error_description: 'Unknown credential.' } };
      });
      return { origins: {}, oauth, validKeys };
    }
    case 'salesforce': {
      const instance = `${u}/salesforce-instance`;
      const oauth = installOAuthProvider(sim, {
        authorizePath: '/salesforce-test/services/oauth2/authorize',
        tokenPath: '/salesforce-test/services/oauth2/token',
        clientAuth: 'post',
        bodyFormat: 'form',
        issuesRefreshTokens: true,
        // Documented answer: no expires_in; instance_url and the identity URL `id`. Refresh answers omit refresh_token.
        tokenAnswer: (t) => ({
          access_token: t.accessToken,
          ...(t.refreshToken ? { refresh_token: t.refreshToken } : {}),
          signature: 'c2lnbmF0dXJl',
          scope: 'api refresh_token id',
          instance_url: instance,
          id: `${u}/salesforce-test/id/00Dxx0000001gPL/005xx000001Sv6A`,
          token_type: 'Bearer',
          issued_at: String(Date.now()),
        }),
        errorAnswer: rfcError(400, 'expired access/refresh token'),
      }, '00Dxx0000001gPL!');
      bearerIdentity(sim, 'GET', '/salesforce-instance/services/oauth2/userinfo', () => oauth.accessTokens,
        () => ({ sub: `${u}/id/00Dxx0000001gPL/005xx000001Sv6A`, user_id: '005xx000001Sv6A', organization_id: '00Dxx0000001gPL', name: 'Ada Admin', email: 'ada@example.com', preferred_username: 'ada@acme.test' }),
        { status: 403, body: 'Bad_OAuth_Token' });
      return { origins: { 'https://login.salesforce.com': `${u}/salesforce-login`, 'https://test.salesforce.com': `${u}/salesforce-test` }, oauth, validKeys };
    }
    case 'hubspot': {
      const oauth = installOAuthProvider(sim, {
        authorizePath: '/hubspot-app/oauth/authorize',
        tokenPath: '/hubapi/oauth/v1/token',
        clientAuth: 'post',
        bodyFormat: 'form',
        issuesRefreshTokens: true,
        tokenAnswer: (t) => ({ token_type: 'bearer', access_token: t.accessToken, ...(t.refreshToken ? { refresh_token: t.refreshToken } : {}), expires_in: 1800 }),
        errorAnswer: (e) =>
          e === 'invalid_grant'
            ? { status: 400, body: { status: 'BAD_REFRESH_TOKEN', message: 'missing or invalid refresh token', correlationId: 'c0ffee' } }
            : { status: 400, body: { status: 'BAD_CLIENT_ID', message: 'missing or unknown client id', correlationId: 'c0ffee' } },
      }, 'CJT');
      bearerIdentity(sim, 'GET', '/hubapi/account-info/v3/details', () => oauth.accessTokens,
        () => ({ portalId: 62515, accountType: 'STANDARD', timeZone: 'US/Eastern', companyCurrency: 'USD', uiDomain: 'app.hubspot.com', dataHostingLocation: 'na1' }),
        { status: 401, body: { status: 'error', message: 'Authentication credentials not found.', category: 'INVALID_AUTHENTICATION' } });
      // The refresh token stays the same on refresh: keep honouring it.
      return { origins: { 'https://app.hubspot.com': `${u}/hubspot-app`, 'https://api.hubapi.com': `${u}/hubapi` }, oauth, validKeys };
    }
    case 'slack': {
      const oauth = installOAuthProvider(sim, {
        authorizePath: '/slack/oauth/v2/authorize',
        tokenPath: '/slack/api/oauth.v2.access',
        clientAuth: 'post',
        bodyFormat: 'form',
        issuesRefreshTokens: false,
        tokenAnswer: (t) => ({
          ok: true,
          access_token: t.accessToken,
          token_type: 'bot',
          scope: 'channels:read,chat:write,users:read',
          bot_user_id: 'U0KRQLJ9H',
          app_id: 'A0KRD7HC3',
          team: { name: 'Slack Softball Team', id: 'T9TK3CUKW' },
          enterprise: null,
          is_enterprise_install: false,
          authed_user: { id: 'U1234', scope: 'chat:write', access_token: 'xoxp-1234-user', token_type: 'user' },
        }),
        // Slack answers 200 with ok:false.
        errorAnswer: (e) => ({ status: 200, body: { ok: false, error: e === 'invalid_grant' ? 'invalid_code' : 'invalid_client_id' } }),
      }, 'xoxb-');
      sim.route('POST', '/slack/api/auth.test', (req) =>
        oauth.accessTokens.has(bearerOf(req) ?? '')
          ? { body: { ok: true, url: 'https://softball.slack.com/', team: 'Slack Softball Team', user: 'bot', team_id: 'T9TK3CUKW', user_id: 'U0KRQLJ9H', bot_id: 'B0KRQLJ9H' } }
          : { status: 200, body: { ok: false, error: 'invalid_auth' } },
      );
      return { origins: { 'https://slack.com': `${u}/slack` }, oauth, validKeys };
    }
    case 'shopify': {
      const oauth = installOAuthProvider(sim, {
        authorizePath: '/shopify/my-store/admin/oauth/authorize',
        tokenPath: '/shopify/my-store/admin/oauth/access_token',
        clientAuth: 'post',
        bodyFormat: 'form',
        issuesRefreshTokens: false,
        tokenAnswer: (t) => ({ access_token: t.accessToken, scope: 'read_products,read_orders,read_customers' }),
        errorAnswer: (e) => ({ status: 400, body: { error: e === 'invalid_grant' ? 'invalid_request' : 'invalid_client', error_description: 'The authorization code was not found or was already used' } }),
      }, 'shpat_');
      sim.route('GET', '/shopify/my-store/admin/api/2025-07/shop.json', (req) =>
        oauth.accessTokens.has(String(req.headers['x-shopify-access-token'] ?? ''))
          ? { body: { shop: { id: 690933842, name: 'My Store', email: 'owner@my-store.test', myshopify_domain: 'my-store.myshopify.com' } } }
          : { status: 401, body: { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' } },
      );
      return { origins: { 'https://{{shop}}.myshopify.com': `${u}/shopify/{{shop}}` }, oauth, validKeys };
    }
    case 'googledrive':
    case 'gmail':
    case 'googleCalendar': {
      const oauth = installOAuthProvider(sim, {
        authorizePath: '/google-accounts/o/oauth2/v2/auth',
        tokenPath: '/google-oauth2/token',
        clientAuth: 'post',
        bodyFormat: 'form',
        issuesRefreshTokens: true,
        tokenAnswer: (t) => ({
          access_token: t.accessToken,
          expires_in: 3599,
          ...(t.refreshToken ? { refresh_token: t.refreshToken } : {}),
          scope: 'openid https://www.googleapis.com/auth/userinfo.email',
          token_type: 'Bearer',
          id_token: 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln',
        }),
        errorAnswer: rfcError(400, 'Token has been expired or revoked.'),
      }, 'ya29.');
      bearerIdentity(sim, 'GET', '/google-oidc/v1/userinfo', () => oauth.accessTokens,
        () => ({ sub: '110248495921238986420', name: 'Grace Hopper', email: 'grace@example.com', email_verified: true, picture: 'https://lh3.googleusercontent.com/a/x' }),
        { status: 401, body: { error: 'invalid_request', error_description: 'Invalid Credentials' } });
      return {
        origins: {
          'https://accounts.google.com': `${u}/google-accounts`,
          'https://oauth2.googleapis.com': `${u}/google-oauth2`,
          'https://openidconnect.googleapis.com': `${u}/google-oidc`,
        },
        oauth,
        validKeys,
      };
    }
    case 'github': {
      const oauth = installOAuthProvider(sim, {
        authorizePath: '/github/login/oauth/authorize',
        tokenPath: '/github/login/oauth/access_token',
        clientAuth: 'post',
        bodyFormat: 'form',
        negotiatesAccept: true,
        // GitHub-app user tokens: they expire, and refresh tokens rotate. (OAuth-app tokens: see the test.)
        issuesRefreshTokens: true,
        rotatesRefreshTokens: true,
        tokenAnswer: (t) => ({
          access_token: t.accessToken,
          ...(t.refreshToken ? { expires_in: 28800, refresh_token: t.refreshToken, refresh_token_expires_in: 15897600 } : {}),
          scope: '',
          token_type: 'bearer',
        }),
        // GitHub answers 200 with an error body.
        errorAnswer: (e) => ({
          status: 200,
          body:
            e === 'invalid_grant'
              ? { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.', error_uri: 'https://docs.github.com/apps' }
              : { error: 'incorrect_client_credentials', error_description: 'The client_id and/or client_secret passed are incorrect.' },
        }),
      }, 'ghu_');
      sim.route('GET', '/github-api/user', (req) => {
        if (!req.headers['user-agent']) return { status: 403, body: { message: 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header' } };
        return oauth.accessTokens.has(bearerOf(req) ?? '')
          ? { body: { id: 583231, login: 'octocat', name: 'The Octocat', email: 'octocat@github.com' } }
          : { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } };
      });
      return { origins: { 'https://github.com': `${u}/github`, 'https://api.github.com': `${u}/github-api` }, oauth, validKeys };
    }
    case 'notion': {
      const oauth = installOAuthProvider(sim, {
        authorizePath: '/notion/v1/oauth/authorize',
        tokenPath: '/notion/v1/oauth/token',
        clientAuth: 'basic',
        bodyFormat: 'json',
        issuesRefreshTokens: false,
        tokenAnswer: (t) => ({
          access_token: t.accessToken,
          token_type: 'bearer',
          bot_id: 'b3414d65-9d1b-4a1c-9c9b-4b2a6a1b8f39',
          workspace_name: 'Acme HQ',
          workspace_icon: 'https://www.notion.so/image/x.png',
          workspace_id: 'e1d9a4c1-6f2a-4b1e-8c5c-2b1f0c0b7a11',
          owner: { type: 'user', user: { object: 'user', id: '7f0c3e7b-5b21-4a1e-9d43-6e1f00a7c6b1' } },
          duplicated_template_id: null,
          request_id: 'req-1',
        }),
        errorAnswer: (e) => ({ status: 400, body: { error: e, error_description: e === 'invalid_grant' ? 'Invalid code.' : 'Invalid client.' } }),
      }, 'ntn_');
      sim.route('GET', '/notion/v1/users/me', (req) => {
        if (!req.headers['notion-version']) return { status: 400, body: { object: 'error', status: 400, code: 'missing_version', message: 'Notion-Version header failed validation.' } };
        return oauth.accessTokens.has(bearerOf(req) ?? '')
          ? { body: { object: 'user', id: 'b3414d65-9d1b-4a1c-9c9b-4b2a6a1b8f39', name: 'Switchboard', type: 'bot', bot: { owner: { type: 'workspace', workspace: true }, workspace_name: 'Acme HQ' } } }
          : { status: 401, body: { object: 'error', status: 401, code: 'unauthorized', message: 'API token is invalid.' } };
      });
      return { origins: { 'https://api.notion.com': `${u}/notion` }, oauth, validKeys };
    }
    case 'zendesk': {
      const oauth = installOAuthProvider(sim, {
        authorizePath: '/zendesk/acme/oauth/authorizations/new',
        tokenPath: '/zendesk/acme/oauth/tokens',
        clientAuth: 'post',
        bodyFormat: 'json',
        requiredTokenFields: { scope: 'read write' },
        issuesRefreshTokens: false,
        tokenAnswer: (t) => ({ access_token: t.accessToken, token_type: 'bearer', scope: 'read write' }),
        errorAnswer: rfcError(400, 'The provided authorization grant is invalid, expired, or revoked.'),
      }, 'zd_');
      bearerIdentity(sim, 'GET', '/zendesk/acme/api/v2/users/me.json', () => oauth.accessTokens,
        () => ({ user: { id: 35436, name: 'Johnny Agent', email: 'johnny@acme.test', role: 'admin' } }),
        { status: 401, body: { error: 'invalid_token', error_description: 'The access token provided is expired, revoked, malformed or invalid for other reasons.' } });
      return { origins: { 'https://{{subdomain}}.zendesk.com': `${u}/zendesk/{{subdomain}}` }, oauth, validKeys };
    }
    case 'jira': {
      const oauth = installOAuthProvider(sim, {
        authorizePath: '/atlassian-auth/authorize',
        tokenPath: '/atlassian-auth/oauth/token',
        clientAuth: 'post',
        bodyFormat: 'json',
        issuesRefreshTokens: true,
        rotatesRefreshTokens: true,
        tokenAnswer: (t) => ({ access_token: t.accessToken, expires_in: 3600, scope: 'read:jira-work offline_access', refresh_token: t.refreshToken, token_type: 'Bearer' }),
        // Atlassian answers a dead refresh token with 403.
        errorAnswer: rfcError(403, 'Unknown or invalid refresh token.'),
      }, 'eyJatl');
      bearerIdentity(sim, 'GET', '/atlassian-api/oauth/token/accessible-resources', () => oauth.accessTokens,
        () => [{ id: '1324a887-45db-1bf4-1e99-ef0ff456d421', url: 'https://acme.atlassian.net', name: 'acme', scopes: ['read:jira-work'], avatarUrl: 'https://x/a.png' }],
        { status: 401, body: { code: 401, message: 'Unauthorized' } });
      return { origins: { 'https://auth.atlassian.com': `${u}/atlassian-auth`, 'https://api.atlassian.com': `${u}/atlassian-api` }, oauth, validKeys };
    }
    case 'stripe': {
      sim.route('GET', '/stripe/v1/account', (req) => {
        const key = bearerOf(req) ?? '';
        return validKeys.has(key)
          ? { body: { id: 'acct_1Nv0FGQ9RKHgCVdK', object: 'account', email: 'jenny@example.com', business_profile: { name: 'Jenny Rosen Co' }, settings: { dashboard: { display_name: 'Jenny' } } } }
          : { status: 401, body: { error: { message: `Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}`, type: 'invalid_request_error' } } };
      });
      return { origins: { 'https://api.stripe.com': `${u}/stripe` }, validKeys };
    }
    case 'freshdesk': {
      sim.route('GET', '/freshdesk/acme/api/v2/agents/me', (req) => {
        const header = String(req.headers.authorization ?? '');
        const pair = header.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString('utf8') : '';
        return validKeys.has(pair)
          ? { body: { id: 19000, available: true, contact: { name: 'Fiona Desk', email: 'fiona@acme.test' } } }
          : { status: 401, body: { code: 'invalid_credentials', message: 'You have to be logged in to perform this action.' } };
      });
      return { origins: { 'https://{{domain}}.freshdesk.com': `${u}/freshdesk/{{domain}}` }, validKeys };
    }
    default:
      throw new Error(`no simulated provider for ${type}`);
  }
}
