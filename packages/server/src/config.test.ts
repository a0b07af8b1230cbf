import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, type ServerConfig } from './config.js';

/** Every whole-number setting: its variable, where it lands, its default and its accepted range. */
const INTEGER_SETTINGS: [string, (config: ServerConfig) => number, number, number, number][] = [
  ['PORT', (c) => c.port, 4000, 0, 65535],
  ['SWITCHBOARD_SANDBOX_TOKEN_TTL', (c) => c.sandboxTokenTtlSeconds, 3600, 1, 86_400 * 30],
  ['SWITCHBOARD_PROXY_CONNECT_TIMEOUT_MS', (c) => c.proxy.connectTimeoutMs, 10_000, 1, 600_000],
  ['SWITCHBOARD_PROXY_HEADERS_TIMEOUT_MS', (c) => c.proxy.headersTimeoutMs, 60_000, 1, 3_600_000],
  ['SWITCHBOARD_PROXY_BODY_TIMEOUT_MS', (c) => c.proxy.bodyTimeoutMs, 60_000, 1, 3_600_000],
  ['SWITCHBOARD_PROXY_CONNECTIONS_PER_ORIGIN', (c) => c.proxy.connectionsPerOrigin, 128, 1, 10_000],
  ['SWITCHBOARD_PROXY_REPLAYABLE_BODY_BYTES', (c) => c.proxy.replayableBodyBytes, 1024 * 1024, 0, 64 * 1024 * 1024],
  ['SWITCHBOARD_PROXY_RATE_LIMIT_PROJECT', (c) => c.proxy.rateLimitPerProject, 1000, 0, 1_000_000],
  ['SWITCHBOARD_PROXY_RATE_LIMIT_USER', (c) => c.proxy.rateLimitPerUser, 100, 0, 1_000_000],
  ['SWITCHBOARD_PROXY_RETRY_MAX_ATTEMPTS', (c) => c.proxy.retryMaxAttempts, 3, 0, 10],
  ['SWITCHBOARD_PROXY_RETRY_MAX_WAIT_MS', (c) => c.proxy.retryMaxWaitMs, 10_000, 0, 300_000],
  ['SWITCHBOARD_REFRESH_MARGIN_SECONDS', (c) => c.tokens.refreshMarginSeconds, 120, 0, 86_400],
  ['SWITCHBOARD_REFRESH_SWEEP_SECONDS', (c) => c.tokens.sweepIntervalSeconds, 60, 0, 86_400],
  ['SWITCHBOARD_REFRESH_LOOKAHEAD_SECONDS', (c) => c.tokens.sweepLookaheadSeconds, 600, 0, 86_400],
  ['SWITCHBOARD_REFRESH_IN_USE_DAYS', (c) => c.tokens.inUseDays, 7, 1, 365],
  ['SWITCHBOARD_ADMIN_KEY_FAILURES_PER_MINUTE', (c) => c.limits.adminKeyFailuresPerMinute, 10, 0, 10_000],
  ['SWITCHBOARD_OAUTH_STARTS_PER_MINUTE', (c) => c.limits.oauthStartsPerMinute, 10, 0, 10_000],
  ['SWITCHBOARD_PENDING_OAUTH_SESSIONS', (c) => c.limits.pendingOAuthSessions, 20, 0, 10_000],
  ['SWITCHBOARD_CREDENTIAL_INSTALLS_PER_MINUTE', (c) => c.limits.credentialInstallsPerMinute, 10, 0, 10_000],
  ['SWITCHBOARD_WEBHOOK_MAX_ATTEMPTS', (c) => c.webhooks.maxAttempts, 8, 1, 50],
  ['SWITCHBOARD_WEBHOOK_MAX_RETRY_AFTER_SECONDS', (c) => c.webhooks.maxRetryAfterSeconds, 3_600, 0, 86_400],
  ['SWITCHBOARD_WEBHOOK_TIMEOUT_MS', (c) => c.webhooks.timeoutMs, 15_000, 100, 120_000],
  ['SWITCHBOARD_WEBHOOK_RETENTION_DAYS', (c) => c.webhooks.retentionDays, 30, 1, 3_650],
  ['SWITCHBOARD_WORKFLOW_RUN_RETENTION_DAYS', (c) => c.workflows.runRetentionDays, 90, 0, 36_500],
  ['SWITCHBOARD_CREDENTIAL_EVENT_RETENTION_DAYS', (c) => c.credentialEventRetentionDays, 90, 0, 36_500],
  ['SWITCHBOARD_WORKFLOW_RETENTION_SWEEP_SECONDS', (c) => c.workflows.retentionSweepSeconds, 3600, 1, 86_400],
];

/** Every on/off setting and its default (with the dev project on). */
const SWITCHES: [string, (config: ServerConfig) => boolean, boolean][] = [
  ['SWITCHBOARD_SANDBOX', (c) => c.sandbox, true],
  ['SWITCHBOARD_DEV_PROJECT', (c) => c.devProject, true],
  ['SWITCHBOARD_JOBS', (c) => c.jobs, true],
  ['SWITCHBOARD_DEMO', (c) => c.demo, true],
];

describe('loadConfig', () => {
  it('has a default for every setting', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      port: 4000,
      host: 'localhost',
      publicUrl: 'http://localhost:4000',
      dataDir: resolve('.switchboard'),
      databaseUrl: undefined,
      masterKey: undefined,
      adminKey: undefined,
      sandbox: true,
      sandboxTokenTtlSeconds: 3600,
      sandboxRedirectUris: [],
      devProject: true,
      logLevel: 'info',
      trustProxy: 'loopback,linklocal,uniquelocal',
      proxy: {
        connectTimeoutMs: 10_000,
        headersTimeoutMs: 60_000,
        bodyTimeoutMs: 60_000,
        connectionsPerOrigin: 128,
        replayableBodyBytes: 1024 * 1024,
        rateLimitPerProject: 1000,
        rateLimitPerUser: 100,
        retryMaxAttempts: 3,
        retryMaxWaitMs: 10_000,
      },
      tokens: { refreshMarginSeconds: 120, sweepIntervalSeconds: 60, sweepLookaheadSeconds: 600, inUseDays: 7 },
      credentialEventRetentionDays: 90,
      limits: { adminKeyFailuresPerMinute: 10, oauthStartsPerMinute: 10, pendingOAuthSessions: 20, credentialInstallsPerMinute: 10 },
      jobs: true,
      workflows: { runLeaseSeconds: 120, recoveryIntervalSeconds: 60, projectConcurrency: 50, runRetentionDays: 90, retentionSweepSeconds: 3600 },
      webhooks: { maxAttempts: 8, backoffSeconds: [5, 60, 300, 1_800, 7_200, 18_000, 72_000], maxRetryAfterSeconds: 3_600, timeoutMs: 15_000, retentionDays: 30 },
      sdkFile: undefined,
      demo: true,
      demoDir: expect.stringMatching(/[/\\]examples[/\\]catalog[/\\]dist[/\\]?$/),
      portalDir: expect.stringMatching(/[/\\]packages[/\\]portal[/\\]dist[/\\]?$/),
    });
  });

  describe.each(INTEGER_SETTINGS)('%s', (name, read, fallback, min, max) => {
    it(`defaults to ${fallback}, also when empty`, () => {
      expect(read(loadConfig({}))).toBe(fallback);
      expect(read(loadConfig({ [name]: '' }))).toBe(fallback);
    });

    it(`accepts whole numbers from ${min} to ${max}`, () => {
      expect(read(loadConfig({ [name]: String(min) }))).toBe(min);
      expect(read(loadConfig({ [name]: String(max) }))).toBe(max);
    });

    it('refuses values out of range or not whole numbers, naming the variable and the range', () => {
      for (const value of [String(min - 1), String(max + 1), '1.5', 'ten', '12abc']) {
        expect(() => loadConfig({ [name]: value }), value).toThrow(`${name} must be a whole number from ${min} to ${max}`);
      }
    });
  });

  describe.each(SWITCHES)('%s', (name, read, fallback) => {
    const env = (value: string) => ({ [name]: value });

    it(`defaults to ${fallback}, also when empty`, () => {
      expect(read(loadConfig({}))).toBe(fallback);
      expect(read(loadConfig(env('')))).toBe(fallback);
    });

    it('is off for 0, false, no and off in any case; on for anything else', () => {
      for (const value of ['0', 'false', 'no', 'off', 'FALSE', 'Off']) {
        // The demo needs the dev project (see below): the dev project goes off with the demo.
        const config = loadConfig({ ...(name === 'SWITCHBOARD_DEV_PROJECT' && { SWITCHBOARD_DEMO: '0' }), ...env(value) });
        expect(read(config), value).toBe(false);
      }
      for (const value of ['1', 'true', 'yes', 'on', 'TRUE']) expect(read(loadConfig(env(value))), value).toBe(true);
    });
  });

  describe('SWITCHBOARD_WEBHOOK_BACKOFF_SECONDS', () => {
    it('is a comma-separated list of waits in seconds', () => {
      expect(loadConfig({ SWITCHBOARD_WEBHOOK_BACKOFF_SECONDS: '1, 2,30' }).webhooks.backoffSeconds).toEqual([1, 2, 30]);
    });

    it('refuses an entry that is not a whole number from 0 to 86400, naming the variable', () => {
      for (const value of ['1,,2', '-1', '1.5', 'soon', '86401']) {
        expect(() => loadConfig({ SWITCHBOARD_WEBHOOK_BACKOFF_SECONDS: value }), value).toThrow('SWITCHBOARD_WEBHOOK_BACKOFF_SECONDS must be a whole number from 0 to 86400');
      }
    });
  });

  describe('the public URL', () => {
    it('defaults to localhost on the port, and follows a port given as an override', () => {
      expect(loadConfig({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
      expect(loadConfig({}, { port: 5000 }).publicUrl).toBe('http://localhost:5000');
    });

    it('drops trailing slashes', () => {
      expect(loadConfig({ SWITCHBOARD_PUBLIC_URL: 'https://sb.example.com//' }).publicUrl).toBe('https://sb.example.com');
      expect(loadConfig({}, { publicUrl: 'https://sb.example.com/' }).publicUrl).toBe('https://sb.example.com');
    });

    it('refuses a URL that is not absolute', () => {
      expect(() => loadConfig({ SWITCHBOARD_PUBLIC_URL: 'sb.example.com' })).toThrow('SWITCHBOARD_PUBLIC_URL must be an absolute URL');
    });
  });

  describe('strings and paths', () => {
    it('reads HOST, DATABASE_URL, SWITCHBOARD_MASTER_KEY and LOG_LEVEL as given; empty is unset', () => {
      const config = loadConfig({ HOST: '0.0.0.0', DATABASE_URL: 'postgres://db/sb', SWITCHBOARD_MASTER_KEY: 'a,b', LOG_LEVEL: 'debug' });
      expect(config).toMatchObject({ host: '0.0.0.0', databaseUrl: 'postgres://db/sb', masterKey: 'a,b', logLevel: 'debug' });
      expect(loadConfig({ HOST: '', DATABASE_URL: '', SWITCHBOARD_MASTER_KEY: '', LOG_LEVEL: '' })).toMatchObject({
        host: 'localhost',
        databaseUrl: undefined,
        masterKey: undefined,
        logLevel: 'info',
      });
    });

    it('reads SWITCHBOARD_SANDBOX_REDIRECT_URIS as a comma-separated list, blanks dropped', () => {
      expect(loadConfig({ SWITCHBOARD_SANDBOX_REDIRECT_URIS: ' https://app.example.com/oauth/return , ,http://localhost:5173/cb' }).sandboxRedirectUris).toEqual([
        'https://app.example.com/oauth/return',
        'http://localhost:5173/cb',
      ]);
    });

    it('resolves SWITCHBOARD_DATA_DIR, SWITCHBOARD_SDK_FILE and SWITCHBOARD_DEMO_DIR against the working directory', () => {
      const config = loadConfig({ SWITCHBOARD_DATA_DIR: 'data', SWITCHBOARD_SDK_FILE: 'sdk/switchboard.js', SWITCHBOARD_DEMO_DIR: 'demo' });
      expect(config).toMatchObject({ dataDir: resolve('data'), sdkFile: resolve('sdk/switchboard.js'), demoDir: resolve('demo') });
      expect(loadConfig({ SWITCHBOARD_SDK_FILE: '' }).sdkFile).toBeUndefined();
    });
  });

  describe('SWITCHBOARD_TRUST_PROXY', () => {
    it.each([
      ['true', true],
      ['off', false],
      ['10.0.0.0/8, 192.0.2.1,loopback', '10.0.0.0/8,192.0.2.1,loopback'],
      ['fd00::/8', 'fd00::/8'],
    ])('reads %s', (value, expected) => {
      expect(loadConfig({ SWITCHBOARD_TRUST_PROXY: value }).trustProxy).toEqual(expected);
    });

    it.each(['10.0.0.0/33', 'proxy.internal', '2', '10.0.0.1/8/1', '10.0.0.1,'])('refuses %s, naming the setting and the entry', (value) => {
      expect(() => loadConfig({ SWITCHBOARD_TRUST_PROXY: value })).toThrow(/SWITCHBOARD_TRUST_PROXY: "[^"]*" is not an address/);
    });
  });

  describe('the admin key', () => {
    it('refuses an admin key shorter than 32 characters, saying how to make one', () => {
      expect(() => loadConfig({ SWITCHBOARD_ADMIN_KEY: 'a'.repeat(31) })).toThrow(/SWITCHBOARD_ADMIN_KEY must be at least 32 characters.*openssl rand/);
      expect(() => loadConfig({ SWITCHBOARD_ADMIN_KEY: 'admin' })).toThrow(/at least 32/);
      expect(() => loadConfig({}, { adminKey: 'short' })).toThrow(/at least 32/);
    });

    it('accepts an admin key of 32 characters, and none at all (one is generated)', () => {
      expect(loadConfig({ SWITCHBOARD_ADMIN_KEY: 'k'.repeat(32) }).adminKey).toBe('k'.repeat(32));
      expect(loadConfig({}).adminKey).toBeUndefined();
      expect(loadConfig({ SWITCHBOARD_ADMIN_KEY: '' }).adminKey).toBeUndefined();
    });
  });

  describe('the demo and the dev project', () => {
    it('turns the demo off with the dev project unless it is asked for', () => {
      expect(loadConfig({ SWITCHBOARD_DEV_PROJECT: '0' }).demo).toBe(false);
      expect(loadConfig({}, { devProject: false }).demo).toBe(false);
    });

    it('refuses the demo without the dev project, saying what to set', () => {
      expect(() => loadConfig({ SWITCHBOARD_DEV_PROJECT: '0', SWITCHBOARD_DEMO: '1' })).toThrow(
        'SWITCHBOARD_DEMO needs the dev project: set SWITCHBOARD_DEV_PROJECT=1, or SWITCHBOARD_DEMO=0',
      );
      expect(() => loadConfig({}, { devProject: false, demo: true })).toThrow(/SWITCHBOARD_DEMO needs the dev project/);
    });
  });

  it('lets overrides win over the environment', () => {
    const config = loadConfig({ PORT: '4100', SWITCHBOARD_SANDBOX: '1', LOG_LEVEL: 'debug' }, { port: 4200, sandbox: false, logLevel: 'warn' });
    expect(config).toMatchObject({ port: 4200, sandbox: false, logLevel: 'warn', publicUrl: 'http://localhost:4200' });
  });
});
