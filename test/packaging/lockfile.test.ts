import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npm, REPO_ROOT } from './support/run.js';

/**
 * A copy of the manifests (root package.json, package-lock.json, each workspace's package.json) in a temp dir:
 * `npm ci --dry-run` there reads exactly what a fresh checkout would, without touching the repository's node_modules.
 */
function copyManifests(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-lockfile-'));
  const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  for (const file of ['package.json', 'package-lock.json', ...root.workspaces.map((workspace) => `${workspace}/package.json`)]) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(dir, file));
  }
  return dir;
}

describe('package-lock.json', () => {
  let dir: string;
  beforeAll(() => {
    dir = copyManifests();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('installs with npm ci offline, in step with package.json, with no engine warning on this Node', async () => {
    // npm ci refuses a lockfile out of step with package.json; --offline proves the lockfile alone is enough.
    const { stdout, stderr } = await npm(['ci', '--dry-run', '--offline'], dir);
    expect(stdout).toMatch(/added \d+ packages/);
    // cookie@2 (through fastify's light-my-request) asked for Node 22; the root package.json pins cookie 1.1.1 for it.
    expect(stderr).not.toContain('EBADENGINE');
    expect(stdout).toContain('add cookie 1.1.1');
  });

  it("keeps fastify's inject working: light-my-request encodes request cookies with the pinned cookie package", async () => {
    const app = Fastify();
    app.get('/', async (request) => ({ cookie: request.headers.cookie }));
    try {
      const response = await app.inject({ method: 'GET', url: '/', cookies: { session: 'a b', theme: 'dark' } });
      expect(response.json()).toEqual({ cookie: 'session=a%20b; theme=dark' });
    } finally {
      await app.close();
    }
  });
});
