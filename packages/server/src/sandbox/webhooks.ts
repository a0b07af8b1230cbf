import { createHmac, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type Provider from 'oidc-provider';
import { API_KEY_PREFIX } from './api-auth.js';

/**
 * The sandbox sends signed webhooks, as a real provider does: `POST /sandbox/api/webhooks/send { url, event }`
 * delivers `event` as JSON to `url` with `X-Sandbox-Signature: sha256=<hex HMAC-SHA256 of the body>`. An API-key
 * caller's deliveries are signed with its key; an OAuth caller's with its client's secret (the app's), matching the
 * `webhookSignature` of the sandbox integrations in the catalog.
 *
 * Only this Switchboard server's own webhook URLs are delivered to: the sandbox must not become a way to make the
 * server post to any address someone names.
 */

export const SANDBOX_SIGNATURE_HEADER = 'x-sandbox-signature';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** The key the caller's deliveries are signed with: its API key, or the secret of the client its token was issued to. */
export async function signingKey(provider: Provider, headers: IncomingHttpHeaders): Promise<string | undefined> {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.startsWith(API_KEY_PREFIX)) return apiKey;
  const token = BEARER.exec(headers.authorization ?? '')?.[1];
  if (!token) return undefined;
  if (token.startsWith(API_KEY_PREFIX)) return token;
  const accessToken = (await provider.AccessToken.find(token).catch(() => undefined)) ?? (await provider.ClientCredentials.find(token).catch(() => undefined));
  if (!accessToken?.clientId) return undefined;
  const client = await provider.Client.find(accessToken.clientId).catch(() => undefined);
  return client?.clientSecret;
}

/** Whether `url` is one of this server's webhook URLs: same origin, under /webhooks/. */
export function deliverableUrl(serverUrl: string, url: unknown): URL | undefined {
  if (typeof url !== 'string') return undefined;
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return undefined;
  }
  const base = new URL(serverUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  return target.origin === base.origin && target.pathname.startsWith(`${basePath}/webhooks/`) && !target.username && !target.password ? target : undefined;
}

/** Posts the signed event; answers what the receiver answered. Redirects are not followed. */
export async function deliverWebhook(target: URL, event: unknown, key: string): Promise<{ status: number; body: unknown }> {
  const body = JSON.stringify(event ?? {});
  const response = await fetch(target, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/json',
      'x-sandbox-event-id': randomUUID(),
      [SANDBOX_SIGNATURE_HEADER]: `sha256=${createHmac('sha256', key).update(body).digest('hex')}`,
    },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: response.status, body: parsed };
}
