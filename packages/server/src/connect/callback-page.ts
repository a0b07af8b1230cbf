import { randomBytes } from 'node:crypto';
import type { OAuthResult } from './oauth-sessions.js';

/** JSON safe to place inside a <script> element. */
const scriptJson = (value: unknown) =>
  JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The page the OAuth popup lands on. It posts the result to its opener at exactly the origin the flow was started
 * for (never `*`, so no other page can read it), then closes. When the opener link is lost, the SDK polls
 * GET /sdk/oauth/:state instead. Without a known origin (unknown state) nothing is posted.
 */
export function callbackPage(result: OAuthResult & { state: string }, targetOrigin: string | undefined): { html: string; csp: string } {
  const nonce = randomBytes(16).toString('base64');
  const message = { type: 'switchboard:oauth', ...result };
  const title = result.status === 'success' ? 'Connected' : 'Connection failed';
  const text =
    result.status === 'success'
      ? 'Your account is connected. This window closes by itself.'
      : `${result.error?.message ?? 'The connection did not complete.'} You can close this window.`;
  const script = targetOrigin
    ? `<script nonce="${nonce}">
(function () {
  var message = ${scriptJson(message)};
  try { if (window.opener) window.opener.postMessage(message, ${scriptJson(targetOrigin)}); } catch (e) {}
  setTimeout(function () { window.close(); }, 50);
})();
</script>`
    : '';
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;background:#f6f7f9;color:#1d2330}
main{background:#fff;padding:2rem 2.5rem;border-radius:12px;box-shadow:0 1px 4px rgba(0,0,0,.08);max-width:28rem}</style>
</head><body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></main>${script}</body></html>`;
  return { html, csp: `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'` };
}
