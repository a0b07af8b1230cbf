/**
 * The published packages as a customer gets them: `npm pack` the four, install the tarballs into a fresh app outside
 * the workspace (its own package.json, React and Vite from the registry), type-check it against the packed
 * declarations, run a Node backend script on @switchboard/node, and build a Vite + React page on @switchboard/react
 * and @switchboard/sdk that a real Chromium loads against a real Switchboard server. Everything is written under
 * os.tmpdir(); the repository is only read.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchChromium } from '../support/chromium.js';
import { startTestServer, type TestServer } from '../../packages/server/test/support/test-server.js';
import { npm, REPO_ROOT, run } from './support/run.js';
import { startStaticSite } from '../support/static-site.js';

const PACKAGES = [
  { name: '@switchboard/wire', dir: 'packages/wire', entry: 'dist/index.js' },
  { name: '@switchboard/sdk', dir: 'packages/sdk', entry: 'dist/switchboard.js' },
  { name: '@switchboard/react', dir: 'packages/react', entry: 'dist/index.js' },
  { name: '@switchboard/node', dir: 'packages/node', entry: 'dist/index.js' },
];
/** What a customer's app installs beside them, at the versions this repository pins (so they are in the npm cache). */
const APP_DEPENDENCIES = ['react', 'react-dom'];
const APP_DEV_DEPENDENCIES = ['vite', '@types/react', '@types/react-dom', '@types/node'];
const FIXTURE_APP = join(REPO_ROOT, 'test/packaging/fixture-app');

interface PackResult {
  name: string;
  version: string;
  filename: string;
  files: { path: string }[];
}

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  description?: string;
  keywords?: string[];
  repository?: { type: string; url: string; directory: string };
  exports?: Record<string, string | Record<string, string>>;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const installedVersion = (name: string) => (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as Manifest).version;

function requireBuild(): void {
  const missing = PACKAGES.map((pkg) => join(REPO_ROOT, pkg.dir, pkg.entry)).filter((file) => !existsSync(file));
  if (missing.length > 0) throw new Error(`The packaging suite packs the built packages; missing ${missing.join(', ')}. Run \`npm run build\` first.`);
}

/** Every file an `exports` map points at, without the leading `./`. */
function exportTargets(exports: Manifest['exports']): string[] {
  return Object.values(exports ?? {}).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target))).map((target) => target.replace(/^\.\//, ''));
}

describe('the published packages, installed from their tarballs into a fresh app', () => {
  let workDir: string;
  let appDir: string;
  let packed: PackResult[];
  let server: TestServer;
  let browser: Browser | undefined;
  const installedManifest = (name: string) => JSON.parse(readFileSync(join(appDir, 'node_modules', name, 'package.json'), 'utf8')) as Manifest;

  beforeAll(async () => {
    requireBuild();
    workDir = mkdtempSync(join(tmpdir(), 'switchboard-packaging-'));
    const tarballs = join(workDir, 'tarballs');
    mkdirSync(tarballs);
    const packing = npm(['pack', ...PACKAGES.flatMap((pkg) => ['-w', pkg.dir]), '--pack-destination', tarballs, '--json'], REPO_ROOT);
    [server, browser] = await Promise.all([startTestServer('sqlite'), chromiumPath ? launchChromium() : undefined]);
    packed = JSON.parse((await packing).stdout) as PackResult[];

    appDir = join(workDir, 'app');
    cpSync(FIXTURE_APP, appDir, { recursive: true });
    const pin = (names: string[]) => Object.fromEntries(names.map((name) => [name, installedVersion(name)]));
    const manifest = {
      name: 'customer-app',
      private: true,
      type: 'module',
      dependencies: {
        ...Object.fromEntries(packed.map((pkg) => [pkg.name, `file:${join(tarballs, pkg.filename)}`])),
        ...pin(APP_DEPENDENCIES),
      },
      devDependencies: pin(APP_DEV_DEPENDENCIES),
    };
    writeFileSync(join(appDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await npm(['install', '--prefer-offline'], appDir);
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('packs each package with its built JS, source maps, type declarations, README and LICENSE, and nothing else', () => {
    expect(packed.map((pkg) => pkg.name).sort()).toEqual(PACKAGES.map((pkg) => pkg.name).sort());
    for (const pkg of packed) {
      const files = pkg.files.map((file) => file.path);
      const unexpected = files.filter((path) => !/^(package\.json|README\.md|LICENSE|dist\/[\w/.-]+\.(js|js\.map|d\.ts))$/.test(path));
      expect(unexpected, pkg.name).toEqual([]);
      expect(files.filter((path) => /(^|\/)(src|test)\/|\.test\./.test(path)), pkg.name).toEqual([]);
      expect(files, pkg.name).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE']));
      // Every file the exports map names is in the tarball, and every built module has its declarations.
      const manifest = installedManifest(pkg.name);
      expect(files, pkg.name).toEqual(expect.arrayContaining(exportTargets(manifest.exports)));
      expect(exportTargets(manifest.exports).some((target) => target.endsWith('.d.ts')), pkg.name).toBe(true);
    }
  });

  it('publishes them public and MIT, in step at one version, with React and the SDK as peers of the hooks', () => {
    const [wire, sdk, react, node] = PACKAGES.map((pkg) => installedManifest(pkg.name));
    for (const manifest of [wire!, sdk!, react!, node!]) {
      expect(manifest.private, manifest.name).toBeUndefined();
      expect(manifest).toMatchObject({ version: sdk!.version, license: 'MIT' });
      // No repository is named until the project has a public address (docs/releasing.md): none is made up.
      expect(manifest.repository, manifest.name).toBeUndefined();
      expect(manifest.description, manifest.name).toMatch(/\S/);
      expect(manifest.keywords, manifest.name).toContain('switchboard');
      expect(readFileSync(join(appDir, 'node_modules', manifest.name, 'LICENSE'), 'utf8')).toContain('MIT License');
    }
    expect(react!.peerDependencies).toEqual({ '@switchboard/sdk': `^${sdk!.version}`, react: '^19.0.0' });
    expect(node!.engines).toEqual({ node: '>=20' });
    // The wire shapes are a dependency of both clients for their declarations; neither bundles them.
    expect(Object.keys(node!.dependencies ?? {})).toEqual(['@switchboard/wire', 'jose']);
    expect(sdk!.dependencies).toEqual({ '@switchboard/wire': wire!.version });
    expect(Object.keys(wire!.dependencies ?? {})).toEqual(['@sinclair/typebox']);
    // Only the tarballs were installed: npm took none of the four from a registry.
    for (const pkg of PACKAGES) expect(JSON.parse(readFileSync(join(appDir, 'package-lock.json'), 'utf8')).packages[`node_modules/${pkg.name}`].resolved).toMatch(/^file:/);
  });

  it('keeps every workspace, the lockfile and the version strings the code sends at that version', async () => {
    const { stdout } = await run(process.execPath, ['scripts/set-version.js', '--check'], { cwd: REPO_ROOT });
    expect(stdout).toContain('in step');
  });

  it("type-checks the customer's page and backend script against the packed declarations, every export's type resolved", async () => {
    const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
    await expect(run(process.execPath, [tsc, '-p', join(appDir, 'tsconfig.json')], { cwd: appDir })).resolves.toMatchObject({ stdout: '' });
  });

  /** The backend script's output, run once and shared by the tests that need it. */
  let backend: Promise<{ userToken: string; credentialId: string; userId: string; connected: string[]; sandboxMe: unknown; connectedUser: string[]; wrongKeyError: string }> | undefined;
  const appUserId = `packaged-${randomBytes(4).toString('hex')}`;
  const runBackend = () =>
    (backend ??= run(process.execPath, ['backend.js'], {
      cwd: appDir,
      env: {
        PATH: process.env.PATH,
        SWITCHBOARD_URL: server.url,
        SWITCHBOARD_PROJECT_ID: server.projectId,
        SWITCHBOARD_PRIVATE_KEY: server.server.devProject!.privateKeyPem,
        SWITCHBOARD_KEY_ID: server.server.devProject!.signingKeyId,
        SWITCHBOARD_SECRET_KEY: server.secretKey,
        APP_USER_ID: appUserId,
        SANDBOX_API_KEY: 'sbx_packaged_app',
      },
    }).then(({ stdout }) => JSON.parse(stdout)));

  it('runs a Node script on @switchboard/node: signs a user token, connects an account, reads the user, calls the management API', async () => {
    const output = await runBackend();
    expect(output.userId).toBe(appUserId);
    expect(output.connected).toEqual(['sandbox-apikey']);
    expect(output.sandboxMe).toMatchObject({ id: expect.any(String) });
    expect(output.connectedUser).toEqual([output.credentialId]);
    expect(output.wrongKeyError).toBe('401 SECRET_KEY_INVALID');
    // The token the script signed is one the server accepts for that user.
    const me = await fetch(`${server.url}/projects/${server.projectId}/sdk/me`, { headers: { authorization: `Bearer ${output.userToken}` } });
    expect(await me.json()).toMatchObject({ authenticated: true, userId: appUserId });
  });

  /** The page built with Vite from the installed packages, once. */
  let pageBuild: Promise<string> | undefined;
  const buildPage = () =>
    (pageBuild ??= run(process.execPath, [join(appDir, 'node_modules/vite/bin/vite.js'), 'build'], { cwd: appDir }).then(() => join(appDir, 'dist')));

  it('builds a Vite + React page on @switchboard/react and @switchboard/sdk from the installed packages', async () => {
    const dist = await buildPage();
    expect(readFileSync(join(dist, 'index.html'), 'utf8')).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js">/);
  });

  it.skipIf(!chromiumPath)('serves that page, which signs in with the backend\'s user token and shows the connected user\'s integrations', async () => {
    const [dist, { userToken }] = await Promise.all([buildPage(), runBackend()]);
    const site = await startStaticSite({ root: dist, mount: '/' });
    const context = await browser!.newContext();
    try {
      context.setDefaultTimeout(10_000);
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      const fragment = new URLSearchParams({ host: server.url, projectId: server.projectId, token: userToken });
      await page.goto(`http://localhost:${site.port}/#${fragment}`);
      await page.getByTestId('user-id').filter({ hasText: appUserId }).waitFor();

      const items = page.getByTestId('integration');
      const shown = await items.evaluateAll((elements) => elements.map((element) => [element.getAttribute('data-type'), element.getAttribute('data-connected'), element.textContent]));
      expect(shown).toEqual(
        expect.arrayContaining([
          ['sandbox-apikey', 'true', expect.stringMatching(/: Connected$/)],
          ['sandbox', 'false', 'Sandbox: Not connected'],
        ]),
      );
      expect(shown.filter(([, connected]) => connected === 'true')).toHaveLength(1);
      expect(await page.evaluate(() => document.body.dataset.error)).toBeUndefined();
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
      await site.close();
    }
  });
});
