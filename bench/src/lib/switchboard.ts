/**
 * Switchboard as the benches use it: the built CLI (`switchboard serve`) in a process of its own, the dev
 * project it writes into its data dir, user tokens signed with that project's key, and the HTTP calls that set up
 * an integration and a connected account, each failing with the request, status and body it got.
 */
import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { repoRoot, type BenchRun, type Child } from './processes.js';

export interface DevProject {
  projectId: string;
  secretKey: string;
  signingKeyId: string;
  privateKeyPem: string;
}

export interface SwitchboardProcess {
  name: string;
  child: Child;
  url: string;
  dataDir: string;
}

export interface StartOptions {
  dataDir: string;
  /** Extra env, over the bench defaults (LOG_LEVEL=warn, rate limits off, SQLite unless DATABASE_URL is given). */
  env?: Record<string, string>;
  /** Node flags before the CLI, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  /** Another built checkout of Switchboard to run instead of this one (bench:proxy --compare). */
  checkout?: string;
  /** A command to run Node under (valgrind and its flags: bench:instructions). */
  wrapper?: string[];
  /**
   * Mount the sandbox provider (default true: the OAuth benches connect through it). The proxy's benches run
   * without it, as docs/deployment.md deploys Switchboard: a server without it does not load its OAuth server.
   */
  sandbox?: boolean;
}

/** The env every bench server gets: the proxy rate limits are off (0), so they never answer 429 under load. */
export const BENCH_SERVER_ENV = {
  LOG_LEVEL: 'warn',
  SWITCHBOARD_PROXY_RATE_LIMIT_USER: '0',
  SWITCHBOARD_PROXY_RATE_LIMIT_PROJECT: '0',
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/** Starts `node packages/cli/bin/switchboard.js serve` on a free loopback port and waits for GET /health. */
export async function startSwitchboard(run: BenchRun, name: string, options: StartOptions): Promise<SwitchboardProcess> {
  const root = options.checkout ?? repoRoot;
  if (!existsSync(join(root, 'packages/cli/dist/bin.js'))) throw new Error(`The CLI in ${root} is not built: run \`npm run build\` there first`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = run.spawnNode(name, [...(options.nodeArgs ?? []), join(root, 'packages/cli/bin/switchboard.js'), 'serve'], {
    PORT: String(port),
    HOST: '127.0.0.1',
    SWITCHBOARD_PUBLIC_URL: url,
    SWITCHBOARD_DATA_DIR: options.dataDir,
    SWITCHBOARD_SANDBOX: options.sandbox === false ? '0' : '1',
    SWITCHBOARD_DEV_PROJECT: '1',
    // SQLite (the default deployment) unless the caller passes a DATABASE_URL: never the one of the shell.
    DATABASE_URL: '',
    ...BENCH_SERVER_ENV,
    ...options.env,
  }, options.wrapper);
  // Under valgrind, start-up takes tens of times as long.
  await waitForHealth(name, url, child, options.wrapper ? 600_000 : 60_000);
  return { name, child, url, dataDir: options.dataDir };
}

async function waitForHealth(name: string, url: string, child: Child, timeoutMs = 60_000): Promise<void> {
  let exited: string | undefined;
  void child.exited.then((how) => (exited = how));
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (exited !== undefined) throw new Error(`${name} exited (${exited}) before GET ${url}/health answered 200`);
    const status = await fetch(`${url}/health`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name}: GET ${url}/health did not answer 200 within ${timeoutMs / 1000} s`);
}

export function readDevProject(dataDir: string): DevProject {
  const file = join(dataDir, 'dev-project.json');
  if (!existsSync(file)) throw new Error(`${file} is missing: the server did not create its dev project`);
  return JSON.parse(readFileSync(file, 'utf8')) as DevProject;
}

/** An RS256 user token for `sub`, signed with the dev project's key (kid = its signing key id). */
export async function userToken(project: DevProject, sub: string, expiresIn = '4h'): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: project.signingKeyId })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(createPrivateKey(project.privateKeyPem));
}

export interface Answer {
  status: number;
  text: string;
  json: <T>() => T;
}

/** One HTTP call; throws with the request, status and body when the status is not `expected`. */
export async function call(
  method: string,
  url: string,
  options: { bearer?: string; json?: unknown; expected?: number | number[] } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, { method, headers, ...(options.json !== undefined && { body: JSON.stringify(options.json) }) });
  const text = await response.text();
  const expected = [options.expected ?? [200, 201]].flat();
  if (!expected.includes(response.status)) {
    const sent = options.json === undefined ? '' : ` with ${JSON.stringify(options.json).slice(0, 500)}`;
    throw new Error(`${method} ${url}${sent} answered ${response.status} (expected ${expected.join(' or ')}): ${text.slice(0, 2000)}`);
  }
  return { status: response.status, text, json: <T>() => JSON.parse(text) as T };
}

export const BENCH_ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="10"/></svg>';

/** POST /api/v1/projects/:id/custom-integrations with the project's secret key. */
export async function createCustomIntegration(server: SwitchboardProcess, project: DevProject, body: Record<string, unknown>): Promise<void> {
  await call('POST', `${server.url}/api/v1/projects/${project.projectId}/custom-integrations`, { bearer: project.secretKey, json: body });
}

/** The SDK base URL of the dev project on a server. */
export const sdkUrl = (server: SwitchboardProcess, project: DevProject) => `${server.url}/projects/${project.projectId}/sdk`;
