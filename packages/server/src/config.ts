import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Every setting Switchboard reads, with its default, in one place (documented in docs/configuration.md).
 * Only this module reads process.env.
 */
export interface ServerConfig {
  /** TCP port (PORT). */
  port: number;
  /** Interface to bind (HOST); `localhost` binds both loopback families. */
  host: string;
  /** The URL browsers and providers reach this server at (SWITCHBOARD_PUBLIC_URL). */
  publicUrl: string;
  /** Where the SQLite file, the master key and the dev project's local keys live (SWITCHBOARD_DATA_DIR). */
  dataDir: string;
  /** Postgres connection string (DATABASE_URL); SQLite in the data dir when absent. */
  databaseUrl: string | undefined;
  /** Base64 of 32 bytes (SWITCHBOARD_MASTER_KEY); generated into the data dir when absent. Comma-separated: first is active, the rest are older keys still accepted for reading. */
  masterKey: string | undefined;
  /** Key for creating projects through the management API (SWITCHBOARD_ADMIN_KEY); generated into the data dir when absent. */
  adminKey: string | undefined;
  /** Mount the sandbox provider at /sandbox (SWITCHBOARD_SANDBOX, default on). */
  sandbox: boolean;
  /** Sandbox access-token lifetime in seconds (SWITCHBOARD_SANDBOX_TOKEN_TTL). */
  sandboxTokenTtlSeconds: number;
  /** More redirect URIs the sandbox's client accepts besides `<public URL>/oauth/callback`: pages that forward to it (SWITCHBOARD_SANDBOX_REDIRECT_URIS). */
  sandboxRedirectUris: string[];
  /** Create a dev project with sandbox integrations on first start (SWITCHBOARD_DEV_PROJECT, default on). */
  devProject: boolean;
  /** pino level (LOG_LEVEL). */
  logLevel: string;
  /**
   * Which peers may name the client address and scheme in X-Forwarded-* (SWITCHBOARD_TRUST_PROXY): addresses, CIDR
   * ranges or the names loopback / linklocal / uniquelocal; or true / false. Default: private and
   * loopback peers, so a client on the internet cannot pick its own address for the per-address limits.
   */
  trustProxy: string | boolean;
  /** Proxy: upstream settings (SWITCHBOARD_PROXY_*); see docs/configuration.md. */
  proxy: ProxyConfig;
  /** OAuth token lifecycle (SWITCHBOARD_REFRESH_*). */
  tokens: TokenConfig;
  /**
   * The credential audit log's entries older than this many days are removed (SWITCHBOARD_CREDENTIAL_EVENT_RETENTION_DAYS,
   * 0 keeps them forever), by the sweep that removes old workflow runs.
   */
  credentialEventRetentionDays: number;
  /** Limits on calls that cost more than a database read, or guess at keys; see docs/configuration.md. */
  limits: LimitsConfig;
  /** Background jobs (SWITCHBOARD_JOBS): the embedded queue on SQLite, pg-boss on Postgres. */
  jobs: boolean;
  /** Workflow runs (SWITCHBOARD_WORKFLOW_*); see docs/workflows.md. */
  workflows: WorkflowsConfig;
  /** Webhook deliveries to the customer's backend (SWITCHBOARD_WEBHOOK_*); see docs/webhooks.md. */
  webhooks: WebhooksConfig;
  /**
   * The browser SDK's script-tag build served at /switchboard.js (SWITCHBOARD_SDK_FILE). Undefined: the
   * `@switchboard/sdk/switchboard.global.js` file of the installed SDK package, looked up when requested.
   */
  sdkFile: string | undefined;
  /** Serve the demo app at /demo and demo user tokens at /demo/session (SWITCHBOARD_DEMO; default: on with the dev project). */
  demo: boolean;
  /** The built demo app (SWITCHBOARD_DEMO_DIR; default examples/catalog/dist of this repository). */
  demoDir: string;
  /** The built Connect Portal app (SWITCHBOARD_PORTAL_DIR; default packages/portal/dist of this repository). */
  portalDir: string;
}

export interface WorkflowsConfig {
  /**
   * How long a worker holds a run between steps: a run whose worker died is taken over once this lapses. Every step
   * renews it, so it only needs to outlast the longest step.
   */
  runLeaseSeconds: number;
  /** How often each instance looks for runs whose worker died. */
  recoveryIntervalSeconds: number;
  /** Runs of one project executing at once, across all instances; more stay QUEUED until one ends or waits. */
  projectConcurrency: number;
  /** Finished runs older than this many days are removed with their step journal (0 keeps them forever). */
  runRetentionDays: number;
  /** How often the retention sweep runs, once across all instances. */
  retentionSweepSeconds: number;
}

export interface WebhooksConfig {
  /** Tries of one delivery in all, the first included; after the last failed one it is DEAD. */
  maxAttempts: number;
  /** Waits before the second, third... try, seconds; the last one repeats for further tries. */
  backoffSeconds: number[];
  /** A receiver's `Retry-After` is honoured up to this many seconds. */
  maxRetryAfterSeconds: number;
  /** How long one try waits for the receiver's answer, ms. */
  timeoutMs: number;
  /** Finished deliveries and their tries are removed this many days after their last try. */
  retentionDays: number;
}

export interface ProxyConfig {
  /** TCP (and TLS) connect timeout to a provider, ms. */
  connectTimeoutMs: number;
  /** Time to the provider's response headers, ms. */
  headersTimeoutMs: number;
  /** Longest silence while a response body streams, ms. */
  bodyTimeoutMs: number;
  /** Keep-alive connections per upstream origin. */
  connectionsPerOrigin: number;
  /** Request bodies up to this size are buffered, so the request can be replayed after a token refresh. */
  replayableBodyBytes: number;
  /** Proxied requests per second per project, bursts up to the same count; 0 turns the limit off. */
  rateLimitPerProject: number;
  /** Proxied requests per second per connected user; 0 turns the limit off. */
  rateLimitPerUser: number;
  /** Opt-in retries (X-Switchboard-Retry) on 429 and 503: at most this many. */
  retryMaxAttempts: number;
  /** ...and at most this long waiting in all, ms. */
  retryMaxWaitMs: number;
}

export interface TokenConfig {
  /** Refresh an access token this many seconds before it expires. */
  refreshMarginSeconds: number;
  /** How often the background job looks for tokens nearing expiry, seconds; 0: never on a schedule. */
  sweepIntervalSeconds: number;
  /** The background job refreshes tokens expiring within this many seconds... */
  sweepLookaheadSeconds: number;
  /** ...of credentials used through the proxy within this many days. */
  inUseDays: number;
}

export interface LimitsConfig {
  /** Wrong admin keys per client address per minute (SWITCHBOARD_ADMIN_KEY_FAILURES_PER_MINUTE); then 429. 0: no limit. */
  adminKeyFailuresPerMinute: number;
  /** OAuth flows a connected user may start per minute (SWITCHBOARD_OAUTH_STARTS_PER_MINUTE); 0: no limit. */
  oauthStartsPerMinute: number;
  /** Unconsumed, unexpired OAuth sessions a connected user may hold (SWITCHBOARD_PENDING_OAUTH_SESSIONS); 0: no cap. */
  pendingOAuthSessions: number;
  /** Typed-credential installs a connected user may make per minute (SWITCHBOARD_CREDENTIAL_INSTALLS_PER_MINUTE); 0: no limit. */
  credentialInstallsPerMinute: number;
}

/**
 * examples/catalog/dist, from this module's own location: packages/server/src/config.ts under vitest and
 * packages/server/dist/config.js at run time sit at the same depth below the repository root.
 */
const DEFAULT_DEMO_DIR = fileURLToPath(new URL('../../../examples/catalog/dist/', import.meta.url));
const DEFAULT_PORTAL_DIR = fileURLToPath(new URL('../../portal/dist/', import.meta.url));

/** The shortest SWITCHBOARD_ADMIN_KEY accepted. */
export const MIN_ADMIN_KEY_LENGTH = 32;

const truthy = (value: string | undefined, fallback: boolean) =>
  value === undefined || value === '' ? fallback : !['0', 'false', 'no', 'off'].includes(value.toLowerCase());

/** A comma-separated list of whole numbers, each from min to max. */
function integers(name: string, value: string | undefined, fallback: number[], min: number, max: number): number[] {
  if (value === undefined || value === '') return fallback;
  return value.split(',').map((part) => integer(name, part.trim() || 'x', 0, min, max));
}

function integer(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  }
  return parsed;
}

/** Private networks and this host: where a load balancer or a reverse proxy in front of Switchboard connects from. */
export const DEFAULT_TRUSTED_PROXIES = 'loopback,linklocal,uniquelocal';
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function trustProxy(value: string | undefined): string | boolean {
  if (value === undefined || value.trim() === '') return DEFAULT_TRUSTED_PROXIES;
  const text = value.trim().toLowerCase();
  if (['true', 'yes', 'on'].includes(text)) return true;
  if (['false', 'no', 'off', 'none'].includes(text)) return false;
  const entries = text.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const version = isIP(address ?? '');
    const bitsValid = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (version === 6 ? 128 : 32));
    if (!PROXY_RANGE_NAMES.has(entry) && (version === 0 || !bitsValid || extra !== undefined)) {
      throw new Error(`SWITCHBOARD_TRUST_PROXY: "${entry}" is not an address, a CIDR range or one of loopback, linklocal, uniquelocal (or set true or false)`);
    }
  }
  return entries.join(',');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<ServerConfig> = {}): ServerConfig {
  const port = overrides.port ?? integer('PORT', env.PORT, 4000, 0, 65535);
  const publicUrl = (overrides.publicUrl ?? env.SWITCHBOARD_PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');
  const devProject = overrides.devProject ?? truthy(env.SWITCHBOARD_DEV_PROJECT, true);
  const config: ServerConfig = {
    port,
    host: env.HOST || 'localhost',
    publicUrl,
    dataDir: resolve(env.SWITCHBOARD_DATA_DIR || '.switchboard'),
    databaseUrl: env.DATABASE_URL || undefined,
    masterKey: env.SWITCHBOARD_MASTER_KEY || undefined,
    adminKey: env.SWITCHBOARD_ADMIN_KEY || undefined,
    sandbox: truthy(env.SWITCHBOARD_SANDBOX, true),
    sandboxTokenTtlSeconds: integer('SWITCHBOARD_SANDBOX_TOKEN_TTL', env.SWITCHBOARD_SANDBOX_TOKEN_TTL, 3600, 1, 86_400 * 30),
    sandboxRedirectUris: (env.SWITCHBOARD_SANDBOX_REDIRECT_URIS ?? '').split(',').map((uri) => uri.trim()).filter(Boolean),
    devProject,
    logLevel: env.LOG_LEVEL || 'info',
    trustProxy: trustProxy(env.SWITCHBOARD_TRUST_PROXY),
    proxy: {
      connectTimeoutMs: integer('SWITCHBOARD_PROXY_CONNECT_TIMEOUT_MS', env.SWITCHBOARD_PROXY_CONNECT_TIMEOUT_MS, 10_000, 1, 600_000),
      headersTimeoutMs: integer('SWITCHBOARD_PROXY_HEADERS_TIMEOUT_MS', env.SWITCHBOARD_PROXY_HEADERS_TIMEOUT_MS, 60_000, 1, 3_600_000),
      bodyTimeoutMs: integer('SWITCHBOARD_PROXY_BODY_TIMEOUT_MS', env.SWITCHBOARD_PROXY_BODY_TIMEOUT_MS, 60_000, 1, 3_600_000),
      connectionsPerOrigin: integer('SWITCHBOARD_PROXY_CONNECTIONS_PER_ORIGIN', env.SWITCHBOARD_PROXY_CONNECTIONS_PER_ORIGIN, 128, 1, 10_000),
      replayableBodyBytes: integer('SWITCHBOARD_PROXY_REPLAYABLE_BODY_BYTES', env.SWITCHBOARD_PROXY_REPLAYABLE_BODY_BYTES, 1024 * 1024, 0, 64 * 1024 * 1024),
      rateLimitPerProject: integer('SWITCHBOARD_PROXY_RATE_LIMIT_PROJECT', env.SWITCHBOARD_PROXY_RATE_LIMIT_PROJECT, 1000, 0, 1_000_000),
      rateLimitPerUser: integer('SWITCHBOARD_PROXY_RATE_LIMIT_USER', env.SWITCHBOARD_PROXY_RATE_LIMIT_USER, 100, 0, 1_000_000),
      retryMaxAttempts: integer('SWITCHBOARD_PROXY_RETRY_MAX_ATTEMPTS', env.SWITCHBOARD_PROXY_RETRY_MAX_ATTEMPTS, 3, 0, 10),
      retryMaxWaitMs: integer('SWITCHBOARD_PROXY_RETRY_MAX_WAIT_MS', env.SWITCHBOARD_PROXY_RETRY_MAX_WAIT_MS, 10_000, 0, 300_000),
    },
    tokens: {
      refreshMarginSeconds: integer('SWITCHBOARD_REFRESH_MARGIN_SECONDS', env.SWITCHBOARD_REFRESH_MARGIN_SECONDS, 120, 0, 86_400),
      sweepIntervalSeconds: integer('SWITCHBOARD_REFRESH_SWEEP_SECONDS', env.SWITCHBOARD_REFRESH_SWEEP_SECONDS, 60, 0, 86_400),
      sweepLookaheadSeconds: integer('SWITCHBOARD_REFRESH_LOOKAHEAD_SECONDS', env.SWITCHBOARD_REFRESH_LOOKAHEAD_SECONDS, 600, 0, 86_400),
      inUseDays: integer('SWITCHBOARD_REFRESH_IN_USE_DAYS', env.SWITCHBOARD_REFRESH_IN_USE_DAYS, 7, 1, 365),
    },
    credentialEventRetentionDays: integer('SWITCHBOARD_CREDENTIAL_EVENT_RETENTION_DAYS', env.SWITCHBOARD_CREDENTIAL_EVENT_RETENTION_DAYS, 90, 0, 36_500),
    limits: {
      adminKeyFailuresPerMinute: integer('SWITCHBOARD_ADMIN_KEY_FAILURES_PER_MINUTE', env.SWITCHBOARD_ADMIN_KEY_FAILURES_PER_MINUTE, 10, 0, 10_000),
      oauthStartsPerMinute: integer('SWITCHBOARD_OAUTH_STARTS_PER_MINUTE', env.SWITCHBOARD_OAUTH_STARTS_PER_MINUTE, 10, 0, 10_000),
      pendingOAuthSessions: integer('SWITCHBOARD_PENDING_OAUTH_SESSIONS', env.SWITCHBOARD_PENDING_OAUTH_SESSIONS, 20, 0, 10_000),
      credentialInstallsPerMinute: integer('SWITCHBOARD_CREDENTIAL_INSTALLS_PER_MINUTE', env.SWITCHBOARD_CREDENTIAL_INSTALLS_PER_MINUTE, 10, 0, 10_000),
    },
    jobs: truthy(env.SWITCHBOARD_JOBS, true),
    workflows: {
      runLeaseSeconds: integer('SWITCHBOARD_WORKFLOW_RUN_LEASE_SECONDS', env.SWITCHBOARD_WORKFLOW_RUN_LEASE_SECONDS, 120, 2, 86_400),
      recoveryIntervalSeconds: integer('SWITCHBOARD_WORKFLOW_RECOVERY_SECONDS', env.SWITCHBOARD_WORKFLOW_RECOVERY_SECONDS, 60, 1, 86_400),
      runRetentionDays: integer('SWITCHBOARD_WORKFLOW_RUN_RETENTION_DAYS', env.SWITCHBOARD_WORKFLOW_RUN_RETENTION_DAYS, 90, 0, 36_500),
      retentionSweepSeconds: integer('SWITCHBOARD_WORKFLOW_RETENTION_SWEEP_SECONDS', env.SWITCHBOARD_WORKFLOW_RETENTION_SWEEP_SECONDS, 3600, 1, 86_400),
      projectConcurrency: integer('SWITCHBOARD_WORKFLOW_PROJECT_CONCURRENCY', env.SWITCHBOARD_WORKFLOW_PROJECT_CONCURRENCY, 50, 1, 10_000),
    },
    webhooks: {
      maxAttempts: integer('SWITCHBOARD_WEBHOOK_MAX_ATTEMPTS', env.SWITCHBOARD_WEBHOOK_MAX_ATTEMPTS, 8, 1, 50),
      // About 27 hours from the first try to the eighth.
      backoffSeconds: integers('SWITCHBOARD_WEBHOOK_BACKOFF_SECONDS', env.SWITCHBOARD_WEBHOOK_BACKOFF_SECONDS, [5, 60, 300, 1_800, 7_200, 18_000, 72_000], 0, 86_400),
      maxRetryAfterSeconds: integer('SWITCHBOARD_WEBHOOK_MAX_RETRY_AFTER_SECONDS', env.SWITCHBOARD_WEBHOOK_MAX_RETRY_AFTER_SECONDS, 3_600, 0, 86_400),
      timeoutMs: integer('SWITCHBOARD_WEBHOOK_TIMEOUT_MS', env.SWITCHBOARD_WEBHOOK_TIMEOUT_MS, 15_000, 100, 120_000),
      retentionDays: integer('SWITCHBOARD_WEBHOOK_RETENTION_DAYS', env.SWITCHBOARD_WEBHOOK_RETENTION_DAYS, 30, 1, 3_650),
    },
    sdkFile: env.SWITCHBOARD_SDK_FILE ? resolve(env.SWITCHBOARD_SDK_FILE) : undefined,
    // The demo signs tokens with the dev project's key: it exists only beside the dev project.
    demo: truthy(env.SWITCHBOARD_DEMO, devProject),
    demoDir: resolve(env.SWITCHBOARD_DEMO_DIR || DEFAULT_DEMO_DIR),
    portalDir: resolve(env.SWITCHBOARD_PORTAL_DIR || DEFAULT_PORTAL_DIR),
    ...overrides,
  };
  if (config.demo && !config.devProject) {
    throw new Error('SWITCHBOARD_DEMO needs the dev project: set SWITCHBOARD_DEV_PROJECT=1, or SWITCHBOARD_DEMO=0');
  }
  if (config.adminKey !== undefined && config.adminKey.length < MIN_ADMIN_KEY_LENGTH) {
    // The admin key creates projects and lets them reach private networks: it must not be guessable.
    throw new Error(`SWITCHBOARD_ADMIN_KEY must be at least ${MIN_ADMIN_KEY_LENGTH} characters (try: openssl rand -base64 32), or unset to generate one`);
  }
  config.publicUrl = publicUrl;
  try {
    new URL(config.publicUrl);
  } catch {
    throw new Error('SWITCHBOARD_PUBLIC_URL must be an absolute URL');
  }
  return config;
}
