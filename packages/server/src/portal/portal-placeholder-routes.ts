import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ErrorCode } from '../errors.js';

/** What `connect()` rejects with until the Connect Portal is built: a clear `{ message, code }`, not a hang. */
export const PORTAL_UNAVAILABLE: { code: ErrorCode; message: string } = {
  code: 'CONNECT_PORTAL_UNAVAILABLE',
  message:
    'The Connect Portal is not available on this Switchboard server yet: connect OAuth integrations with installIntegration, and API-key integrations with POST /sdk/credentials or your own form',
};

/**
 * The script of the placeholder. The reference SDK frames `<connect host>/ui` and posts it `UI_UPDATE` messages; when
 * one asks for the portal (a `connect()` call, or an install that needs typed input first), the page calls the SDK
 * back with `SDK_FUNCTION_INVOCATION` of its `emitError`, which rejects the `connect()` promise, and `closePortal`.
 * OAuth installs (`installIntegration` on an OAuth integration) run in the SDK's own popup and are left alone.
 */
const script = (error: typeof PORTAL_UNAVAILABLE) => `(function () {
  var handled = '';
  var calls = 0;
  function invoke(target, origin, type, parameters) {
    calls += 1;
    target.postMessage({ messageType: 'SDK_FUNCTION_INVOCATION', id: 'placeholder-' + calls, type: type, parameters: parameters }, origin);
  }
  window.addEventListener('message', function (event) {
    var data = event.data;
    if (!data || data.messageType !== 'UI_UPDATE' || event.source !== window.parent) return;
    var state = data.nextModalState || {};
    var integration = state.integration;
    if (!integration) { handled = ''; return; }
    var options = state.apiInstallationOptions || {};
    var needsPortal = !options.isApiInstallation || (integration.needPreOauthInputs && !options.selectedAccountConfig);
    var key = integration.id + ':' + JSON.stringify(options);
    if (!needsPortal || key === handled) return;
    handled = key;
    var type = integration.type === 'custom' && integration.customIntegration ? integration.customIntegration.slug : integration.type;
    console.warn('Switchboard: ' + ${JSON.stringify(error.message)});
    invoke(window.parent, event.origin, 'emitError', [${JSON.stringify({ ...error, name: 'ConnectPortalUnavailableError' })}, type]);
    invoke(window.parent, event.origin, 'closePortal', []);
  });
})();`;

/**
 * GET /ui (the reference SDK's Connect Portal iframe, on the `connect.` host name) and GET /portal: a placeholder
 * that turns portal requests into a clear error until the Connect Portal is built. Any page may frame it: the SDK
 * loads it before it knows its project (so no allowed-origin list applies), and it holds nothing and does nothing
 * but tell its parent that the portal is not there.
 */
export function portalPlaceholderRoutes(): FastifyPluginAsyncTypebox {
  // The page never changes: built once, its script allowed by hash.
  const source = script(PORTAL_UNAVAILABLE);
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Connect Portal</title></head><body><script>${source}</script></body></html>`;
  const csp = `default-src 'none'; script-src 'sha256-${createHash('sha256').update(source).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors *`;
  return async (app) => {
    for (const url of ['/ui', '/portal']) {
      app.get(url, { schema: { hide: true } }, async (_request, reply) =>
        reply
          .header('content-type', 'text/html; charset=utf-8')
          .header('content-security-policy', csp)
          .header('cache-control', 'no-store')
          .header('referrer-policy', 'no-referrer')
          .send(html),
      );
    }
  };
}
