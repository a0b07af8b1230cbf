/**
 * Compatibility suite, one-line form: `paragon.configureGlobal({ host: 'https://sb.test' })` with no overrides, as a
 * customer writes it for a Switchboard deployed at https://sb.test. The reference SDK (`@useparagon/connect` 2.4.0)
 * then derives https://zeus.sb.test (REST API, OAuth set-up), https://worker-proxy.sb.test (Proxy API),
 * https://hermes.sb.test (events), https://connect.sb.test (portal) and https://dashboard.sb.test (icons). Made real
 * on loopback: a self-signed certificate for sb.test and *.sb.test, a TLS-terminating front on port 443 forwarding
 * to Switchboard (SWITCHBOARD_PUBLIC_URL=https://sb.test), Chromium mapping the names to the front and trusting that
 * one certificate by its public key. The harness page stays on http://localhost:<port>. Covered, all through the
 * derived host names: authenticate and getUser, getIntegrationMetadata with icons that load, installIntegration
 * through the SDK's popup and the sandbox consent page, and request GET (to the sandbox API on https://sb.test, which
 * the server reaches through the front as well).
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, freshContextEachTest, launchChromium, screenshot } from '../../../test/support/chromium.js';
import { connectSandbox } from '../../../packages/server/test/support/sdk-flows.js';
import { startPublicHostEnvironment, type ReferenceEnvironment } from './support/reference-environment.js';
import { freshLogin, freshUser, ReferencePage } from './support/reference-page.js';
import { httpsPortUsable } from './support/tls-front.js';

const DOMAIN = 'sb.test';
const canListen = chromiumPath ? await httpsPortUsable() : false;
if (chromiumPath && !canListen) {
  const why = 'the public-host suite listens on port 443 of a loopback address: run as root (as CI does) or lower net.ipv4.ip_unprivileged_port_start';
  if (process.env.SWITCHBOARD_REQUIRE_BROWSER === '1') throw new Error(`Cannot run with SWITCHBOARD_REQUIRE_BROWSER=1: ${why}`);
  console.warn(`\n${'!'.repeat(78)}\n!! SKIPPED: ${why}\n${'!'.repeat(78)}\n`);
}

describe.skipIf(!chromiumPath || !canListen)(`reference SDK against Switchboard at https://${DOMAIN}, configureGlobal({ host }) alone`, () => {
  let env: ReferenceEnvironment;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    env = await startPublicHostEnvironment(DOMAIN);
    browser = await launchChromium({ args: env.chromiumArgs });
  });
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });
  freshContextEachTest(() => browser, (fresh) => (context = fresh));

  const projectPath = () => `/projects/${env.server.projectId}`;
  const calls = (reference: ReferencePage, origin: string) => reference.requests.filter((url) => url.origin === origin).map((url) => url.pathname);

  it('authenticate and getUser go to https://zeus.sb.test', async () => {
    const reference = await ReferencePage.open(context, env);
    expect(env.configureGlobal).toEqual([{ host: `https://${DOMAIN}` }]);
    const sub = freshUser('public-host');

    await reference.signIn(sub);
    const user = await reference.user();
    expect(user).toMatchObject({ authenticated: true, userId: sub });
    expect(user.integrations?.sandbox).toMatchObject({ enabled: false, allCredentials: [] });
    expect(calls(reference, `https://zeus.${DOMAIN}`)).toEqual(expect.arrayContaining([`${projectPath()}/sdk/me`, `${projectPath()}/sdk/integrations`]));
    expect(reference.corsErrors()).toEqual([]);
    expect(reference.foreignRequests()).toEqual(['https://connect.useparagon.com/ui']);
  });

  it('getIntegrationMetadata icons are https://dashboard.sb.test/integrations/<type>.svg and load as images', async () => {
    const reference = await ReferencePage.open(context, env);
    await reference.signIn(freshUser('public-host-icons'));

    const metadata = await reference.page.evaluate(() => window.paragon.getIntegrationMetadata() as { type: string; icon: string }[]);
    const sandbox = metadata.find((item) => item.type === 'sandbox');
    expect(sandbox?.icon).toBe(`https://dashboard.${DOMAIN}/integrations/sandbox.svg`);
    const iconWidth = await reference.page.evaluate(
      (src) =>
        new Promise<number>((resolve) => {
          const image = new Image();
          image.onload = () => resolve(image.naturalWidth);
          image.onerror = () => resolve(0);
          image.src = src;
        }),
      sandbox!.icon,
    );
    expect(iconWidth).toBeGreaterThan(0);
  });

  it('installIntegration runs the popup on https://zeus.sb.test, the sandbox and /oauth/callback on https://sb.test', async () => {
    const reference = await ReferencePage.open(context, env);
    await reference.signIn(freshUser('public-host-install'));

    const outcome = await reference.installThroughPopup(freshLogin('tls'), { shot: 'reference-sdk-public-host-consent' });
    expect(outcome).toMatchObject({ state: 'resolved' });
    expect((await reference.events()).filter((event) => event.name === 'onIntegrationInstall')).toHaveLength(1);
    expect((await reference.user()).integrations?.sandbox?.allCredentials).toHaveLength(1);
    expect(calls(reference, `https://zeus.${DOMAIN}`)).toContain(`${projectPath()}/sdk/actions/oauth-nonce`);
    expect(calls(reference, `https://${DOMAIN}`)).toContain('/oauth/callback');
    expect(reference.corsErrors()).toEqual([]);
    await screenshot(reference.page, 'reference-sdk-public-host-installed');
  });

  it('request GET goes through https://worker-proxy.sb.test to the sandbox API at https://sb.test/sandbox', async () => {
    const reference = await ReferencePage.open(context, env);
    const sub = freshUser('public-host-request');
    const login = freshLogin('tls');
    // Connected through Switchboard's own OAuth flow by HTTP (on https://sb.test too): this test is about request.
    await connectSandbox(env.server, sub, { login });
    await reference.signIn(sub);

    const me = await reference.page.evaluate(() => window.paragon.request('sandbox', '/me', { method: 'GET' }));
    expect(me).toEqual({ id: login, name: login, email: `${login}@sandbox.example.com` });
    expect(calls(reference, `https://worker-proxy.${DOMAIN}`)).toContain(`${projectPath()}/sdk/proxy/sandbox/me`);
    expect(reference.corsErrors()).toEqual([]);
  });
});
