import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../server/test/support/test-server.js';

// These tests run the built CLI (`npm test` builds first), as a user's shell would.
const BIN = fileURLToPath(new URL('../bin/switchboard.js', import.meta.url));
const run = promisify(execFile);

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('server did not become healthy');
}

describe('switchboard CLI', () => {
  let dataDir: string;
  let url: string;
  let child: ChildProcess;
  let output = '';
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'switchboard-cli-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', SWITCHBOARD_PUBLIC_URL: url, SWITCHBOARD_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL;
    delete env.SWITCHBOARD_MASTER_KEY;
    child = spawn(process.execPath, [BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    await waitForHealth(url, child);
  });

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serve prints the dev project id and the URLs on first start', async () => {
    const info = JSON.parse((await run(process.execPath, [BIN, 'info', '--json', '--data-dir', dataDir], { env })).stdout);
    expect(output).toContain(`Switchboard is running at ${url}`);
    expect(output).toContain(info.projectId);
    expect(output).toContain(`${url}/api/openapi.json`);
    // The demo is on with the dev project by default.
    expect(output).toContain(`demo:      ${url}/demo/`);
  });

  it('info --json prints projectId, url and secretKey, and the local key files are private', async () => {
    const info = JSON.parse((await run(process.execPath, [BIN, 'info', '--json', '--data-dir', dataDir], { env })).stdout);
    expect(Object.keys(info).sort()).toEqual(['projectId', 'secretKey', 'url']);
    expect(info.url).toBe(url);
    expect(info.secretKey).toMatch(/^sk_/);
    const project = await fetch(`${url}/api/v1/projects/${info.projectId}`, { headers: { authorization: `Bearer ${info.secretKey}` } });
    expect(project.status).toBe(200);
    for (const file of ['master.key', 'dev-project.json', 'admin.key']) {
      expect(statSync(join(dataDir, file)).mode & 0o777).toBe(0o600);
    }
  });

  it('token prints a user token the server accepts for that user', async () => {
    const info = JSON.parse((await run(process.execPath, [BIN, 'info', '--json', '--data-dir', dataDir], { env })).stdout);
    const token = (await run(process.execPath, [BIN, 'token', 'cli-user', '--data-dir', dataDir], { env })).stdout.trim();
    const me = await fetch(`${url}/projects/${info.projectId}/sdk/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { userId: string }).userId).toBe('cli-user');
  });

  it('token without a data dir that holds a dev project fails with a clear message', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'switchboard-empty-'));
    const failure = await run(process.execPath, [BIN, 'token', 'x', '--data-dir', empty], { env }).catch((error) => error);
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain('no dev project');
    rmSync(empty, { recursive: true, force: true });
  });

  it('keys generate prints a matching RS256 key pair', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'keys', 'generate'], { env });
    const publicPem = stdout.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/)![0];
    const privatePem = stdout.match(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/)![0];
    const derived = createPublicKey(createPrivateKey(privatePem)).export({ type: 'spki', format: 'pem' }).toString().trim();
    expect(derived).toBe(publicPem);
    expect(createPublicKey(publicPem).asymmetricKeyDetails?.modulusLength).toBeGreaterThanOrEqual(2048);
  });

  it('an unknown command exits 2 with the usage', async () => {
    const failure = await run(process.execPath, [BIN, 'frobnicate'], { env }).catch((error) => error);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toContain('Usage: switchboard');
  });

  it('keys rotate-master re-wraps stored secrets under a new key that the restarted server uses', async () => {
    const info = JSON.parse((await run(process.execPath, [BIN, 'info', '--json', '--data-dir', dataDir], { env })).stdout);
    const token = (await run(process.execPath, [BIN, 'token', 'rotating-user', '--data-dir', dataDir], { env })).stdout.trim();
    const sdk = (path: string, init: RequestInit = {}) =>
      fetch(`${url}/projects/${info.projectId}/sdk${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    const integrations = (await (await sdk('/integrations')).json()) as { id: string; type: string }[];
    const apiKey = integrations.find((i) => i.type === 'sandbox-apikey')!;
    const installed = await sdk('/credentials', { method: 'POST', body: JSON.stringify({ integrationId: apiKey.id, payload: { apiKey: 'sbx_rotation' } }) });
    expect(installed.status).toBe(201);

    const before = readFileSync(join(dataDir, 'master.key'), 'utf8');
    const { stdout } = await run(process.execPath, [BIN, 'keys', 'rotate-master', '--data-dir', dataDir], { env });
    expect(stdout).toMatch(/Re-wrapped [1-9]\d* of \d+ stored secrets/);
    const after = readFileSync(join(dataDir, 'master.key'), 'utf8');
    expect(after).not.toBe(before);
    expect(after.trim().split('\n')).toHaveLength(1);

    // Restart on the new key only: sealed values still open. Starting OAuth decrypts the sandbox's client secret.
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    child = spawn(process.execPath, [BIN, 'serve'], { env, stdio: 'ignore' });
    await waitForHealth(url, child);
    const again = await sdk('/credentials', { method: 'POST', body: JSON.stringify({ integrationId: apiKey.id, payload: { apiKey: 'sbx_rotation' } }) });
    expect(again.status).toBe(409);
    const start = await sdk('/oauth/start', { method: 'POST', body: JSON.stringify({ integration: 'sandbox', origin: 'http://localhost:3000' }) });
    expect(start.status).toBe(200);
    expect(((await start.json()) as { authorizationUrl: string }).authorizationUrl).toContain('client_id=sandbox-client');
  });

  it('SIGTERM shuts the server down cleanly with exit code 0', async () => {
    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});
