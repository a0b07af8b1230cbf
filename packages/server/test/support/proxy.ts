import { request as httpRequest } from 'node:http';
import type { CredentialSecrets } from '../../src/providers/index.js';
import { openCredentialSecrets, sealCredentialSecrets } from '../../src/credentials/credential-store.js';
import type { TestServer } from './test-server.js';

/** A proxied call through the SDK route: `path` is what follows `/sdk/proxy/`. */
export function proxy(server: TestServer, sub: string, path: string, init: Parameters<TestServer['sdk']>[2] = {}): Promise<Response> {
  return server.sdk(sub, `/proxy/${path}`, init);
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A request whose path goes on the wire byte for byte (fetch and URL would resolve `..` and `%2e` first), for
 * the path-escape tests.
 */
export function rawRequest(server: TestServer, rawPath: string, headers: Record<string, string>, method = 'GET'): Promise<RawAnswer> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path: rawPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Token-endpoint requests the server's own sandbox answered, by grant type. */
export async function sandboxTokenRequests(baseUrl: string): Promise<{ authorization_code: number; refresh_token: number; client_credentials: number }> {
  const stats = (await (await fetch(`${baseUrl}/sandbox/_stats`)).json()) as { tokenRequests: { authorization_code: number; refresh_token: number; client_credentials: number } };
  return stats.tokenRequests;
}

/** A credential's secrets, opened with the server's master key (the test plays the database admin). */
export async function storedSecrets(server: TestServer, credentialId: string): Promise<CredentialSecrets> {
  const row = await server.server.context.db.selectFrom('credentials').selectAll().where('id', '=', credentialId).executeTakeFirstOrThrow();
  return openCredentialSecrets(server.server.context.secrets, row);
}

/** Replaces some of a credential's secrets in place, sealed as the server would. */
export async function patchSecrets(server: TestServer, credentialId: string, patch: Partial<CredentialSecrets>): Promise<void> {
  const secrets = { ...(await storedSecrets(server, credentialId)), ...patch };
  await server.server.context.db
    .updateTable('credentials')
    .set({ secrets_sealed: sealCredentialSecrets(server.server.context.secrets, credentialId, secrets) })
    .where('id', '=', credentialId)
    .execute();
  await server.server.context.caches.clear();
}

/** Moves a credential's token expiry (seconds from now; negative: already expired) and its last refresh back. */
export async function setTokenExpiry(server: TestServer, credentialId: string, secondsFromNow: number): Promise<void> {
  await server.server.context.db
    .updateTable('credentials')
    .set({ expires_at: new Date(Date.now() + secondsFromNow * 1000).toISOString(), refreshed_at: new Date(Date.now() - 3600_000).toISOString() })
    .where('id', '=', credentialId)
    .execute();
  // Written behind the servers' backs: every instance must read the row again.
  await server.server.context.caches.clear();
}

export async function credentialRow(server: TestServer, credentialId: string) {
  return server.server.context.db.selectFrom('credentials').selectAll().where('id', '=', credentialId).executeTakeFirstOrThrow();
}

export async function credentialEvents(server: TestServer, credentialId: string) {
  const rows = await server.server.context.db.selectFrom('credential_events').selectAll().where('credential_id', '=', credentialId).orderBy('created_at').execute();
  return rows.map((row) => ({ event: row.event, detail: JSON.parse(row.detail) as Record<string, unknown> }));
}

/** Waits until `check` holds, polling; fails with `what` after `ms`. */
export async function eventually(what: string, check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Connects `sub` to an API-key integration (built-in or `custom.<slug>`) with `apiKey`; expects 201. */
export async function connectApiKey(server: TestServer, sub: string, integrationId: string, apiKey: string): Promise<void> {
  const response = await server.sdk(sub, '/credentials', { method: 'POST', json: { integrationId, payload: { apiKey } } });
  if (response.status !== 201) throw new Error(`connecting ${integrationId} answered ${response.status}: ${await response.text()}`);
}
