import { createServer, type Server } from 'node:http';

/**
 * A customer's page and a Connect Portal page on one loopback port, reached by two host names so that they are two
 * origins: `http://localhost:<port>/host.html` (the customer's page, loading the SDK by script tag from Switchboard)
 * and `http://127.0.0.1:<port>/ui` (a minimal page that speaks the reference SDK's portal protocol, as the portal
 * app does), plus `/foreign.html` (posts SDK calls from another window of the portal's origin) and `/silent` (a page
 * that never answers).
 */
export interface PortalSite {
  port: number;
  hostPage: string;
  portalUrl: string;
  portalOrigin: string;
  close(): Promise<void>;
}

/** The portal's side of the protocol, kept to what the tests need: show, type an API key, connect, close. */
const PORTAL_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Portal</title>
<style>html,body{margin:0;background:transparent;font:16px system-ui}
.scrim{position:fixed;inset:0;background:rgba(0,0,0,.4);display:grid;place-items:center}
.modal{background:#fff;padding:24px;border-radius:8px;min-width:280px}</style></head><body>
<div class="scrim" id="scrim" hidden><div class="modal" role="dialog" aria-modal="true" aria-labelledby="name">
<h1 id="name"></h1><form id="form"><label>API key <input id="apiKey" autocomplete="off"></label>
<button type="submit">Save key</button></form><p id="error" role="alert"></p>
<button type="button" id="connect">Connect with OAuth</button> <button type="button" id="close">Close</button></div></div>
<script>
var parentOrigin, nextId = 1, pending = {}, shown = false, current;
window.received = [];
function call(type) {
  var parameters = Array.prototype.slice.call(arguments, 1);
  return new Promise(function (resolve) {
    var id = 'call-' + nextId++;
    pending[id] = resolve;
    parent.postMessage({ messageType: 'SDK_FUNCTION_INVOCATION', id: id, type: type, parameters: parameters }, parentOrigin);
  });
}
window.call = call;
addEventListener('message', function (event) {
  if (event.source !== parent) return;
  var data = event.data;
  if (data.messageType === 'UI_UPDATE') {
    parentOrigin = event.origin;
    window.received.push(data);
    current = data.nextModalState.integration;
    document.getElementById('scrim').hidden = !current;
    if (current && !shown) {
      shown = true;
      document.getElementById('name').textContent = current.name;
      call('updateContainerStyle', { isModalShown: true }).then(function () {
        document.getElementById('apiKey').focus();
        return call('onOpen');
      });
    }
    if (!current) shown = false;
  } else if (data.messageType === 'SDK_FUNCTION_RESPONSE' || data.messageType === 'SDK_FUNCTION_ERROR') {
    if (pending[data.id]) pending[data.id](data);
    delete pending[data.id];
  }
});
document.getElementById('form').addEventListener('submit', function (event) {
  event.preventDefault();
  var body = JSON.stringify({ integrationId: current.id, payload: { apiKey: document.getElementById('apiKey').value } });
  call('sendConnectRequest', '/sdk/credentials', { method: 'POST', body: body }).then(function (reply) {
    document.getElementById('error').textContent = reply.messageType === 'SDK_FUNCTION_ERROR' ? reply.code + ': ' + reply.message : '';
  });
});
document.getElementById('connect').addEventListener('click', function () { call('startOAuthFlow', current.type, {}); });
document.getElementById('close').addEventListener('click', function () { call('closePortal'); });
addEventListener('keydown', function (event) { if (event.key === 'Escape') call('closePortal'); });
</script></body></html>`;

const hostPage = (serverOrigin: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Customer app</title>
<script src="${serverOrigin}/switchboard.js"></script>
<style>body{min-height:300vh}</style></head><body>
<h1>Customer app</h1><button type="button" id="open">Open the portal</button>
<script>
window.log = [];
['onPortalOpen', 'onPortalClose', 'onIntegrationInstall', 'onIntegrationUninstall'].forEach(function (name) {
  switchboard.subscribe(name, function (event) { log.push({ via: 'subscribe', name: name, event: event }); });
});
window.connectOptions = {};
document.getElementById('open').addEventListener('click', function () {
  var callbacks = {};
  ['onOpen', 'onClose', 'onInstall', 'onUninstall', 'onWorkflowChange', 'onError'].forEach(function (name) {
    callbacks[name] = function (event) { log.push({ via: 'connect', name: name, event: event && event.message ? { message: event.message, code: event.code } : event }); };
  });
  var method = window.openWith === 'installIntegration' ? 'installIntegration' : 'connect';
  window.outcome = switchboard[method](window.integrationType, Object.assign(callbacks, window.connectOptions)).then(
    function (event) { return { resolved: event || null }; },
    function (error) { return { rejected: { name: error.name, code: error.code, field: error.field, message: error.message } }; });
});
</script></body></html>`;

const FOREIGN_PAGE = `<!doctype html><title>Elsewhere</title><script>
addEventListener('message', function (event) { if (event.data === 'fire') parent.postMessage({ messageType: 'SDK_FUNCTION_INVOCATION', id: 'x', type: 'closePortal', parameters: [] }, '*'); });
</script>`;

export function startPortalSite(serverOrigin: string): Promise<PortalSite> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://site').pathname;
    const page = path === '/ui' ? PORTAL_PAGE : path === '/silent' ? '<!doctype html><title>Not a portal</title><p>Nothing here' : path === '/host.html' ? hostPage(serverOrigin) : path === '/foreign.html' ? FOREIGN_PAGE : undefined;
    response.writeHead(page ? 200 : 404, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(page ?? 'not found');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({
        port,
        hostPage: `http://localhost:${port}/host.html`,
        portalUrl: `http://127.0.0.1:${port}/ui`,
        portalOrigin: `http://127.0.0.1:${port}`,
        close: async () => {
          server.closeAllConnections();
          await new Promise<void>((done) => server.close(() => done()));
        },
      });
    });
  });
}
