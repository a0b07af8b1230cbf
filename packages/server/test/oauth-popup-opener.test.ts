/**
 * The SDK opens a popup from the customer's page, sends it to the authorization URL (for the sandbox: /sandbox/auth,
 * the consent interaction, /oauth/callback) and watches `popup.closed` and the callback page's
 * `window.opener.postMessage`. A Cross-Origin-Opener-Policy header on any page of that path would sever the opener
 * link (and make `popup.closed` read true at once), so none may carry one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveSandboxConsent } from './support/sandbox-consent.js';
import { loadCallbackPage, newUser, postedResult, startOAuth } from './support/sdk-flows.js';
import { startTestServer, type TestServer } from './support/test-server.js';

interface Seen {
  url: string;
  status: number;
  coop: string | null;
}

describe('the OAuth popup path', () => {
  let server: TestServer;
  let dir: string;

  beforeAll(async () => {
    // Stand-ins for the built demo app and SDK script, the pages a popup is opened from.
    dir = mkdtempSync(join(tmpdir(), 'switchboard-popup-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>demo</title>');
    writeFileSync(join(dir, 'switchboard.global.js'), 'window.switchboard = {};');
    server = await startTestServer('sqlite', { SWITCHBOARD_DEMO_DIR: dir, SWITCHBOARD_SDK_FILE: join(dir, 'switchboard.global.js') });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Walks the sandbox flow like the popup would, recording each response's status and COOP header. */
  async function walk(decision: 'approve' | 'deny'): Promise<{ seen: Seen[]; posted: Record<string, unknown> }> {
    const seen: Seen[] = [];
    const started = await startOAuth(server, newUser('popup'), { integration: 'sandbox' });
    const callbackUrl = await approveSandboxConsent(started.authorizationUrl, {
      cookies: started.browser,
      decision,
      login: 'popup@example.com',
      onResponse: (url, response) => seen.push({ url: url.pathname, status: response.status, coop: response.headers.get('cross-origin-opener-policy') }),
    });
    const page = await loadCallbackPage(callbackUrl, started.browser);
    seen.push({ url: new URL(callbackUrl).pathname, status: page.status, coop: page.headers.get('cross-origin-opener-policy') });
    return { seen, posted: postedResult(page) };
  }

  it('sends no Cross-Origin-Opener-Policy on any page from /sandbox/auth to /oauth/callback, approved', async () => {
    const { seen, posted } = await walk('approve');
    expect(posted).toMatchObject({ type: 'switchboard:oauth', status: 'success' });
    // The whole path was walked: authorize, consent page, consent post, resume, callback.
    expect(seen.map((step) => step.url)).toEqual(
      expect.arrayContaining(['/sandbox/auth', expect.stringMatching(/^\/sandbox\/interaction\//), '/oauth/callback']),
    );
    expect(seen.length).toBeGreaterThanOrEqual(5);
    expect(seen.filter((step) => step.coop !== null)).toEqual([]);
  });

  it('sends none on the denied path either, down to the error callback page', async () => {
    const { seen, posted } = await walk('deny');
    expect(posted).toMatchObject({ status: 'error', error: { code: 'OAUTH_ACCESS_DENIED' } });
    expect(seen.at(-1)).toMatchObject({ url: '/oauth/callback', status: 400 });
    expect(seen.filter((step) => step.coop !== null)).toEqual([]);
  });

  it('sends none on the pages the popup is opened from: the demo app and the SDK script', async () => {
    for (const path of ['/demo/', '/switchboard.js', '/oauth/callback?state=unknown']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status, path).toBe(path.startsWith('/oauth') ? 400 : 200);
      expect(response.headers.get('cross-origin-opener-policy'), path).toBeNull();
    }
  });
});
