import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { userAccount } from './accounts.js';
import { renderErrorPage } from './consent-page.js';
import { SandboxStore } from './memory-adapter.js';
import type { TokenStats } from './stats.js';

/** The one documented sandbox client. Its secret is public on purpose: this is a practice provider. */
export const SANDBOX_CLIENT_ID = 'sandbox-client';
export const SANDBOX_CLIENT_SECRET = 'sandbox-secret';
export const SANDBOX_SCOPES = ['openid', 'offline_access', 'contacts'] as const;

/** Where the sandbox lives on the Switchboard server. */
export const SANDBOX_PREFIX = '/sandbox';

export interface SandboxProviderOptions {
  issuer: string;
  accessTokenTtlSeconds: number;
  redirectUris: string[];
  stats: TokenStats;
}

const DAY = 24 * 60 * 60;

/** A fresh RS256 signing key per process: nothing outlives a restart, so there is nothing to rotate. */
async function signingKey(): Promise<Record<string, unknown>> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const kid = randomBytes(8).toString('hex');
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
}

export async function createSandboxProvider(options: SandboxProviderOptions): Promise<Provider> {
  const issuerPath = new URL(options.issuer).pathname.replace(/\/$/, '');
  const ttl = options.accessTokenTtlSeconds;
  const store = new SandboxStore();

  const configuration: Configuration = {
    adapter: store.adapterFor,
    clients: [
      {
        client_id: SANDBOX_CLIENT_ID,
        client_secret: SANDBOX_CLIENT_SECRET,
        client_name: 'Sandbox client',
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
        response_types: ['code'],
        redirect_uris: options.redirectUris,
        // oidc-provider registers one method per client, but for client_secret_post/_basic it accepts
        // either on the wire (lib/shared/token_auth.js), so Basic works too.
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [await signingKey()] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: [...SANDBOX_SCOPES],
    // Claims ride on `openid` so that scopes_supported lists exactly the three sandbox scopes.
    claims: { openid: ['sub', 'name', 'email'] },
    responseTypes: ['code'],
    features: {
      // We serve our own interaction page; the dev one would also log a warning on every start.
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      clientCredentials: { enabled: true },
      // Without resource indicators every access token is an opaque token for this issuer, scoped by the
      // plain `scope` values (contacts included), which is how most third-party APIs behave.
      resourceIndicators: { enabled: false },
    },
    pkce: { methods: ['S256'], required: () => true },
    // Refresh tokens whenever the client may use them, not only when OIDC's offline_access+consent rules
    // allow: third-party APIs hand them out on every code exchange and Switchboard depends on it.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Always rotate: each refresh answers a new refresh token and consumes the old one; replaying a consumed
    // one fails with invalid_grant and revokes the whole grant (oidc-provider's `true` policy). Stricter than
    // the default, so Switchboard's single-flight refresh is exercised for real.
    rotateRefreshToken: true,
    // Tokens outlive the browser session, like a real provider's.
    expiresWithSession: async () => false,
    ttl: {
      AccessToken: ttl,
      ClientCredentials: ttl,
      AuthorizationCode: 60,
      IdToken: 60 * 60,
      RefreshToken: 30 * DAY,
      Grant: 30 * DAY,
      Interaction: 60 * 60,
      Session: DAY,
      DeviceCode: 10 * 60,
      BackchannelAuthenticationRequest: 10 * 60,
    },
    interactions: {
      url: (_ctx, interaction) => `${issuerPath}/interaction/${interaction.uid}`,
    },
    // Only the grant the consent page just created counts: an earlier approval is never reused, so the page
    // shows on every connect and a user can pick another login to connect a second account.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const grantId = ctx.oidc.result?.consent?.grantId;
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
    findAccount: async (_ctx, id) => ({
      accountId: id,
      claims: async () => {
        const account = userAccount(id);
        return { sub: id, name: account.name, email: account.email ?? undefined };
      },
    }),
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = renderErrorPage(out);
    },
    // The sandbox client is a confidential server-side client; browsers have no business at /token.
    clientBasedCORS: () => false,
  };

  const provider = new Provider(options.issuer, configuration);
  // Behind a TLS-terminating proxy the socket is plain HTTP; trust X-Forwarded-* only when the public URL
  // says HTTPS, so generated URLs keep the right scheme. Plain-HTTP setups (tests, local demos) trust nothing.
  provider.proxy = new URL(options.issuer).protocol === 'https:';
  provider.use(options.stats.middleware());
  return provider;
}
