import { resolve } from 'node:path';

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
  /** Create a dev project with sandbox integrations on first start (SWITCHBOARD_DEV_PROJECT, default on). */
  devProject: boolean;
  /** pino level (LOG_LEVEL). */
  logLevel: string;
}

const truthy = (value: string | undefined, fallback: boolean) =>
  value === undefined || value === '' ? fallback : !['0', 'false', 'no', 'off'].includes(value.toLowerCase());

function integer(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  }
  return parsed;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<ServerConfig> = {}): ServerConfig {
  const port = overrides.port ?? integer('PORT', env.PORT, 4000, 0, 65535);
  const publicUrl = (overrides.publicUrl ?? env.SWITCHBOARD_PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');
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
    devProject: truthy(env.SWITCHBOARD_DEV_PROJECT, true),
    logLevel: env.LOG_LEVEL || 'info',
    ...overrides,
  };
  config.publicUrl = publicUrl;
  try {
    new URL(config.publicUrl);
  } catch {
    throw new Error('SWITCHBOARD_PUBLIC_URL must be an absolute URL');
  }
  return config;
}
