import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { management } from '../../server/test/support/management.js';
import { startTestServer, type TestServer } from '../../server/test/support/test-server.js';

const BIN = fileURLToPath(new URL('../bin/switchboard.js', import.meta.url));
const exec = promisify(execFile);

describe('switchboard workflows pull and push', () => {
  let server: TestServer;
  let dir: string;
  const cli = (...args: string[]) =>
    exec(process.execPath, [BIN, 'workflows', ...args], {
      env: { PATH: process.env.PATH, SWITCHBOARD_URL: server.url, SWITCHBOARD_PROJECT_ID: server.projectId, SWITCHBOARD_SECRET_KEY: server.secretKey },
    });
  const definition = (name: string) => ({
    name,
    integration: 'sandbox-apikey',
    trigger: { type: 'request' },
    steps: [{ id: 'me', type: 'request', method: 'GET', path: '/me' }],
  });

  beforeAll(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'switchboard-workflows-'));
    const created = await management(server, server.secretKey, 'POST', `/projects/${server.projectId}/workflows`, definition('Sync Contacts'));
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pulls every workflow into a file, and pushing the same files twice changes nothing', async () => {
    expect((await cli('pull', dir)).stdout).toMatch(/^pulled sync-contacts-[0-9a-f]{8}\.workflow\.json \(version 1\)\n$/);
    const [file] = readdirSync(dir);
    const pulled = JSON.parse(readFileSync(join(dir, file!), 'utf8')) as { id: string; name: string };
    expect(pulled).toMatchObject({ id: expect.any(String), name: 'Sync Contacts' });
    expect((await cli('push', dir)).stdout).toBe(`unchanged ${file}\n`);
    expect((await cli('push', dir)).stdout).toBe(`unchanged ${file}\n`);

    writeFileSync(join(dir, file!), JSON.stringify({ ...pulled, name: 'Sync Contacts v2' }));
    expect((await cli('push', dir, '--publish')).stdout).toBe(`updated ${file} to version 2\npublished ${file} version 2\n`);
    const workflow = await (await management(server, server.secretKey, 'GET', `/projects/${server.projectId}/workflows/${pulled.id}`)).json();
    expect(workflow).toMatchObject({ latestVersion: 2, publishedVersion: 2, definition: { name: 'Sync Contacts v2' } });
  });

  it('creates a workflow from a file without an id and writes the id into the file; a refused file names the field', async () => {
    writeFileSync(join(dir, 'new.workflow.json'), JSON.stringify(definition('Brand new')));
    const { stdout } = await cli('push', dir);
    expect(stdout).toMatch(/created new\.workflow\.json \(id [0-9a-f-]{36}\)/);
    const written = JSON.parse(readFileSync(join(dir, 'new.workflow.json'), 'utf8')) as { id: string; name: string };
    expect(written).toMatchObject({ id: expect.any(String), name: 'Brand new' });
    expect((await cli('push', dir)).stdout).toContain('unchanged new.workflow.json');

    writeFileSync(join(dir, 'bad.workflow.json'), JSON.stringify({ ...definition('Bad'), steps: [{ id: 'x', type: 'delay' }] }));
    const failed = await cli('push', dir).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining('INVALID_WORKFLOW: steps[0].seconds') });
    rmSync(join(dir, 'bad.workflow.json'));
  });
});
