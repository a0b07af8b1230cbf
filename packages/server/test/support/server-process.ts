import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDevProject, type DevProjectFile } from '../../src/projects/dev-project.js';
import { signUserToken } from './management.js';
import { freePort, freshPostgresSchema } from './test-server.js';

/** The built CLI (`npm test` builds first): a second server instance as its own process, as in production. */
const BIN = fileURLToPath(new URL('../../../cli/bin/switchboard.js', import.meta.url));

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM, as a deployment stops an instance; SIGKILL if it has not exited within 5 s. */
  stop(): Promise<void>;
  /** SIGKILL: the process gets no chance to finish a step, release a lease or close the database. */
  kill(): Promise<void>;
}

export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1', SWITCHBOARD_PUBLIC_URL: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const signal = async (name: NodeJS.Signals, thenKillAfterMs?: number) => {
    // Exited already (killed earlier in the test): no exit event is coming.
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(name);
    const timer = thenKillAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), thenKillAfterMs);
    await exited;
    clearTimeout(timer);
  };
  const stop = () => signal('SIGTERM', 5000);
  const kill = () => signal('SIGKILL');
  // Up to a minute: a fresh data directory is migrated and given its dev project first, slow on a busy machine.
  for (let attempt = 0; attempt < 600; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`the server process exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return { url, child, output: () => output, stop, kill };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`the server process did not become healthy:\n${output}`);
}

/**
 * Server processes sharing one database and one data directory (so one master key and one dev project), as the
 * instances of a deployment do; processes may be killed and replaced. The project is the one the first process
 * creates in the data directory. `close` stops them all and removes the directory and the Postgres schema.
 */
export class Deployment {
  readonly processes: ServerProcess[] = [];
  #project: DevProjectFile | undefined;

  private constructor(
    readonly env: Record<string, string>,
    private readonly cleanup: () => Promise<void>,
  ) {}

  /** A new data directory, and on Postgres a fresh schema of TEST_DATABASE_URL; `env` goes to every process. */
  static async create(database: 'sqlite' | 'postgres', env: Record<string, string> = {}): Promise<Deployment> {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-deployment-'));
    const postgres = database === 'postgres' ? await freshPostgresSchema() : undefined;
    return new Deployment({ ...env, SWITCHBOARD_DATA_DIR: dataDir, ...(postgres && { DATABASE_URL: postgres.url }) }, async () => {
      await postgres?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });
  }

  get project(): DevProjectFile {
    if (!this.#project) throw new Error('No server process has started yet, so there is no dev project');
    return this.#project;
  }

  async start(extra: Record<string, string> = {}): Promise<ServerProcess> {
    const server = await startServerProcess({ ...this.env, ...extra });
    this.processes.push(server);
    this.#project ??= readDevProject(this.env.SWITCHBOARD_DATA_DIR!)!;
    return server;
  }

  /** The management API of `server`, with the project's secret key. */
  api(server: ServerProcess, method: string, path: string, body?: unknown): Promise<Response> {
    return this.#fetch(`${server.url}/api/v1/projects/${this.project.projectId}${path}`, this.project.secretKey, method, body);
  }

  /** The SDK REST API of `server`, with a user token for `sub` signed with the project's key. */
  async sdk(server: ServerProcess, sub: string, method: string, path: string, body?: unknown): Promise<Response> {
    const token = await signUserToken(createPrivateKey(this.project.privateKeyPem), sub, { kid: this.project.signingKeyId });
    return this.#fetch(`${server.url}/projects/${this.project.projectId}/sdk${path}`, token, method, body);
  }

  #fetch(url: string, bearer: string, method: string, body: unknown): Promise<Response> {
    return fetch(url, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  }

  async close(): Promise<void> {
    for (const server of this.processes) await server.stop();
    await this.cleanup();
  }
}
