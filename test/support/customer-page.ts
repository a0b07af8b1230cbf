import { createServer, type Server } from 'node:http';
import type { BrowserContext, Page } from 'playwright-core';

/**
 * A customer's web app on its own loopback origin (`http://localhost:<port>`, while Switchboard is `127.0.0.1`): a
 * page that loads Switchboard's SDK by script tag and calls `connect()` or `installIntegration()` from a button, and
 * the OAuth redirect page a customer hosts for `overrideRedirectUrl` (docs/connect-portal.md), which forwards the
 * provider's query to Switchboard's callback.
 */
export interface CustomerPage {
  origin: string;
  /** The page with the SDK; sign in with `signIn`. */
  appUrl: string;
  /** The forwarding page: `overrideRedirectUrl`. */
  returnUrl: string;
  /** The queries the forwarding page was loaded with (what the provider sent it). */
  returns: URLSearchParams[];
  close(): Promise<void>;
}

const appPage = (serverUrl: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Customer app</title>
<style>body{font:16px system-ui;margin:24px;background:#f4f0e8}main{max-width:40rem}</style></head><body><main>
<h1>Customer app</h1><p>Integrations for your workspace.</p>
<button type="button" id="open">Open the portal</button></main>
<script src="${serverUrl}/switchboard.js"></script>
<script>
window.log = [];
document.getElementById('open').addEventListener('click', function () {
  var callbacks = {};
  ['onOpen', 'onClose', 'onInstall', 'onError'].forEach(function (name) {
    callbacks[name] = function (event) { log.push({ name: name, event: event && event.message ? { message: event.message, code: event.code } : event }); };
  });
  var method = window.openWith === 'installIntegration' ? 'installIntegration' : 'connect';
  window.outcome = switchboard[method](window.integrationType, Object.assign(callbacks, window.connectOptions || {})).then(
    function (event) { return { resolved: event || null }; },
    function (error) { return { rejected: { name: error.name, code: error.code, field: error.field, message: error.message } }; });
});
</script></body></html>`;

/** What a customer hosts at its redirect URL: the query goes on to Switchboard's callback, in the same window. */
const returnPage = (serverUrl: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="referrer" content="no-referrer"><title>Connecting…</title></head><body><p>Connecting…</p>
<script>location.replace(${JSON.stringify(`${serverUrl}/oauth/callback`)} + location.search);</script></body></html>`;

export async function startCustomerPage(serverUrl: string, port: number): Promise<CustomerPage> {
  const returns: URLSearchParams[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const send = (status: number, body: string) => {
      response.writeHead(status, { 'content-type': status === 200 ? 'text/html; charset=utf-8' : 'text/plain', 'cache-control': 'no-store' });
      response.end(body);
    };
    if (url.pathname === '/') return send(200, appPage(serverUrl));
    if (url.pathname === '/oauth/return') {
      returns.push(url.searchParams);
      return send(200, returnPage(serverUrl));
    }
    send(404, 'not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const origin = `http://localhost:${port}`;
  return {
    origin,
    appUrl: `${origin}/`,
    returnUrl: `${origin}/oauth/return`,
    returns,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A Switchboard server as the browser suites see it: where it is, its project, and user tokens for it. */
interface SwitchboardFor {
  url: string;
  projectId: string;
  userToken(sub: string): Promise<string>;
}

/** The customer's page in a new tab, signed in as `sub` (which loads the integrations as they are now). */
export async function signedInPage(context: BrowserContext, site: CustomerPage, server: SwitchboardFor, sub: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(site.appUrl);
  const userToken = await server.userToken(sub);
  await page.evaluate(
    ({ host, projectId, userToken }) => {
      const sdk = (window as unknown as { switchboard: { configureGlobal(o: object): void; authenticate(p: string, t: string): Promise<void> } }).switchboard;
      sdk.configureGlobal({ host });
      return sdk.authenticate(projectId, userToken);
    },
    { host: server.url, projectId: server.projectId, userToken },
  );
  return page;
}
