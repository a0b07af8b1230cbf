/**
 * The sandbox's OAuth server (oidc-provider and what it brings) is loaded only when the sandbox is mounted: a
 * production server, which runs without it, does not keep it in its heap.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { refusingImports } from '../../../test/support/refused-imports.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';

describe('the sandbox, loaded only when mounted', () => {
  const dirs: string[] = [];
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const env = (sandbox: '0' | '1') => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-sandbox-loading-'));
    dirs.push(dataDir);
    return { SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_SANDBOX: sandbox, DATABASE_URL: '', NODE_OPTIONS: refusingImports(['oidc-provider']) };
  };

  it('serves without ever importing oidc-provider when SWITCHBOARD_SANDBOX=0', async () => {
    server = await startServerProcess(env('0'));
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/sandbox/.well-known/openid-configuration`)).status).toBe(404);
  }, 60_000);

  it('imports it when the sandbox is mounted (so the check above could fail)', async () => {
    await expect(startServerProcess(env('1'))).rejects.toThrow(/refused to load oidc-provider/);
  }, 60_000);
});
