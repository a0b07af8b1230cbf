import type { FastifyInstance } from 'fastify';
import { sandboxApi } from './api.js';
import { interactionRoutes } from './interaction.js';
import { createSandboxProvider, SANDBOX_PREFIX } from './provider.js';
import { providerRoutes } from './provider-routes.js';
import { TokenStats } from './stats.js';

export { DEFAULT_SANDBOX_LOGIN, fingerprint } from './accounts.js';
export { credentialFingerprint } from './echo.js';
export { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_PREFIX, SANDBOX_SCOPES } from './provider.js';
export type { TokenStatsSnapshot } from './stats.js';

export interface SandboxOptions {
  /** Public base URL of the Switchboard server, e.g. http://localhost:4000 ; the issuer is `${serverUrl}/sandbox`. */
  serverUrl: string;
  /** Access-token lifetime in seconds (SWITCHBOARD_SANDBOX_TOKEN_TTL, default 3600). */
  accessTokenTtlSeconds: number;
  /** Redirect URIs the sandbox client may use, e.g. [`${serverUrl}/oauth/callback`]. */
  redirectUris: string[];
}

/** The issuer the sandbox announces for a given server URL. */
export function sandboxIssuer(serverUrl: string): string {
  return `${serverUrl.replace(/\/+$/, '')}${SANDBOX_PREFIX}`;
}

/**
 * Registers /sandbox/* on the app: an OAuth 2.0 / OpenID Connect server (oidc-provider) with one documented
 * client, its sign-in-and-consent page, token statistics for tests, and a small API under /sandbox/api.
 * Everything lives in encapsulated plugins with their own body handling, so routes outside /sandbox are
 * unaffected. State is in memory and lost on restart.
 */
export async function registerSandbox(app: FastifyInstance, options: SandboxOptions): Promise<void> {
  const issuer = sandboxIssuer(options.serverUrl);
  const issuerPath = new URL(issuer).pathname;
  const stats = new TokenStats();
  const provider = await createSandboxProvider({
    issuer,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds,
    redirectUris: options.redirectUris,
    stats,
  });
  provider.on('server_error', (_ctx: unknown, err: unknown) => app.log.error({ err }, 'sandbox OAuth server error'));

  await app.register(
    async (sandbox) => {
      // A test provider, not part of Switchboard's API: kept out of /api/openapi.json.
      sandbox.addHook('onRoute', (route) => {
        route.schema = { ...route.schema, hide: true };
      });
      await sandbox.register(providerRoutes, { provider, stats, issuerPath, routePrefix: SANDBOX_PREFIX });
      await sandbox.register(interactionRoutes, { provider, issuerPath });
      await sandbox.register(sandboxApi, { provider, serverUrl: options.serverUrl, prefix: '/api' });
    },
    { prefix: SANDBOX_PREFIX },
  );
}
