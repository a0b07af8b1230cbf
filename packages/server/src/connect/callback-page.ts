import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { ErrorCode } from '../errors.js';
import { ERROR_CODE_HEADER } from '../http/error-reply.js';
import type { OAuthResult } from './oauth-sessions.js';

/** JSON safe to place inside a <script> element. */
const scriptJson = (value: unknown) =>
  JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface PopupPage {
  title: string;
  text: string;
  /** Posted to `window.opener`, each at exactly its origin (never `*`, so no other page can read it). */
  post?: { message: unknown; targetOrigin: string } | undefined;
  /** Close the window once posted. */
  close?: boolean;
}

/** A small page of the OAuth popup: says what happened, optionally tells the opener and closes. */
export function popupPage(page: PopupPage): { html: string; csp: string } {
  const nonce = randomBytes(16).toString('base64');
  const post = page.post
    ? `  try { if (window.opener) window.opener.postMessage(${scriptJson(page.post.message)}, ${scriptJson(page.post.targetOrigin)}); } catch (e) {}\n`
    : '';
  const close = page.close ? '  setTimeout(function () { window.close(); }, 50);\n' : '';
  const script = post || close ? `<script nonce="${nonce}">\n(function () {\n${post}${close}})();\n</script>` : '';
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(page.title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;background:#f6f7f9;color:#1d2330}
main{background:#fff;padding:1.5rem 1.75rem;margin:1rem;border-radius:12px;box-shadow:0 1px 4px rgba(0,0,0,.08);max-width:28rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .75rem}p{margin:0}
@media (prefers-color-scheme: dark){body{background:#14171c;color:#e6e8eb}main{background:#1e232a;box-shadow:none}}</style>
</head><body><main><h1>${escapeHtml(page.title)}</h1><p>${escapeHtml(page.text)}</p></main>${script}</body></html>`;
  return { html, csp: `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'` };
}

/**
 * Sends a page of the popup. Pages are documents: they say what went wrong in words, with the code in the usual
 * header. No Referer leaves them (the reference SDK's first page carries the user token in its URL).
 */
export function sendPopupPage(reply: FastifyReply, status: number, page: { html: string; csp: string }, errorCode?: ErrorCode) {
  if (errorCode) reply.header(ERROR_CODE_HEADER, errorCode);
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', page.csp)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .send(page.html);
}

/** Which SDK's popup protocol a flow speaks: Switchboard's, or the reference SDK's (docs/compatibility.md). */
export type PopupProtocol = 'switchboard' | 'reference';

/**
 * The page the OAuth popup lands on. Switchboard's SDK gets the result posted to the origin the flow was started
 * for, then the window closes; when the opener link is lost, the SDK polls GET /sdk/oauth/:state instead. The
 * reference SDK learns of a success by polling once the window closed (its `oauth_success_callback` message would
 * carry the provider's tokens through the browser, which Switchboard never does), and of a failure by
 * `oauth_error_callback`. Without a trusted origin nothing is posted.
 */
export function callbackPage(
  result: OAuthResult & { state: string },
  targetOrigin: string | undefined,
  protocol: PopupProtocol = 'switchboard',
  integrationId?: string,
): { html: string; csp: string } {
  const success = result.status === 'success';
  const text = success
    ? 'Your account is connected. This window closes by itself.'
    : `${result.error?.message ?? 'The connection did not complete.'} You can close this window and try again from the app.`;
  const message =
    protocol === 'switchboard'
      ? { type: 'switchboard:oauth', ...result }
      : success
        ? undefined
        : { type: 'oauth_error_callback', error: result.error?.message, errorResponse: result.error, integrationId };
  return popupPage({
    title: success ? 'Connected' : 'Connection failed',
    text,
    post: targetOrigin && message ? { message, targetOrigin } : undefined,
    close: targetOrigin !== undefined,
  });
}
