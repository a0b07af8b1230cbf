import { createPrivateKey, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer, type SwitchboardServer } from '../../src/app.js';
import { loadConfig, type ServerConfig } from '../../src/config.js';
import { logCapture } from './log-capture.js';
import { signUserToken } from './management.js';
import { createScratchSchema } from '../../../../bench/src/lib/postgres-schema.js';

/** The databases the integration suites run on: SQLite always, Postgres when TEST_DATABASE_URL is set. */
export const testDatabases: ('sqlite' | 'postgres')[] = process.env.TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A fresh Postgres schema of TEST_DATABASE_URL, so suites never see each other's rows. */
export async function freshPostgresSchema(): Promise<{ url: string; drop: () => Promise<void> }> {
  return createScratchSchema(process.env.TEST_DATABASE_URL!, 'sb_test');
}

export interface TestServer {
  url: string;
  server: SwitchboardServer;
  config: ServerConfig;
  projectId: string;
  secretKey: string;
  adminKey: string;
  dataDir: string;
  /** Every log line the server wrote. */
  logs: string[];
  /** A user token for `sub`, signed with the dev project's key. */
  userToken(sub: string, claims?: Record<string, unknown>, options?: { expiresIn?: string | number; kid?: string | null }): Promise<string>;
  /** fetch against the server with a user token for `sub`, carrying `claims` (e.g. JWT permissions) when given. */
  sdk(sub: string, path: string, init?: RequestInit & { json?: unknown; claims?: Record<string, unknown> }): Promise<Response>;
  close(): Promise<void>;
}

export async function startTestServer(
  database: 'sqlite' | 'postgres' = 'sqlite',
  env: Record<string, string> = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-test-'));
  const port = await freePort();
  // A DATABASE_URL given in `env` (a Postgres of the test's own) is used as it is.
  const postgres = database === 'postgres' && !env.DATABASE_URL ? await freshPostgresSchema() : undefined;
  const adminKey = `ak_test_${randomBytes(16).toString('hex')}`;
  const config = loadConfig(
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      SWITCHBOARD_PUBLIC_URL: `http://127.0.0.1:${port}`,
      SWITCHBOARD_DATA_DIR: dataDir,
      SWITCHBOARD_ADMIN_KEY: adminKey,
      LOG_LEVEL: 'debug',
      ...(postgres && { DATABASE_URL: postgres.url }),
      ...env,
    },
  );
  const { lines: logs, stream: logStream } = logCapture();
  const server = await buildServer(config, { logStream });
  await server.app.listen({ port, host: '127.0.0.1' });
  const devProject = server.devProject!;
  const privateKey = createPrivateKey(devProject.privateKeyPem);
  const url = `http://127.0.0.1:${port}`;

  const userToken: TestServer['userToken'] = (sub, claims = {}, options = {}) =>
    signUserToken(privateKey, sub, { claims, kid: options.kid === null ? null : (options.kid ?? devProject.signingKeyId), ...(options.expiresIn !== undefined && { expiresIn: options.expiresIn }) });

  return {
    url,
    server,
    config,
    projectId: devProject.projectId,
    secretKey: devProject.secretKey,
    adminKey,
    dataDir,
    logs,
    userToken,
    async sdk(sub, path, init = {}) {
      const { json, claims, ...rest } = init;
      const headers = new Headers(rest.headers);
      headers.set('authorization', `Bearer ${await userToken(sub, claims)}`);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(`${url}/projects/${devProject.projectId}/sdk${path}`, {
        ...rest,
        headers,
        ...(json !== undefined && { body: JSON.stringify(json) }),
      });
    },
    async close() {
      await server.close();
      await postgres?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
