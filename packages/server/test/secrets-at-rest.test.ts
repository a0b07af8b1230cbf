import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCredentialSecrets } from '../src/credentials/credential-store.js';
import { SecretDecryptionError } from '../src/secrets/envelope.js';
import { management, sandboxOAuthCustomIntegration } from './support/management.js';
import { connectSandbox, credentialRowsOf, integrationIdOf, json, newUser, postedResult } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

describe.each(testDatabases)('secrets at rest on %s', (database) => {
  let server: TestServer;
  const sub = newUser('secrets');
  const apiKey = `sbx_${randomBytes(16).toString('hex')}`;
  /** name → plain-text secret that must appear nowhere. */
  const secrets: Record<string, string> = {};
  const credentialIds: string[] = [];
  const responses: string[] = [];

  beforeAll(async () => {
    server = await startTestServer(database);
    // A webhook destination first, so the installs below are recorded as deliveries too.
    const management = (method: string, path: string, body?: unknown) =>
      fetch(`${server.url}/api/v1/projects/${server.projectId}${path}`, {
        method,
        headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    const { destination, signingSecret } = await json(await management('POST', '/webhook-destinations', { url: 'http://127.0.0.1:9/hooks', events: ['credential.created'] }), 201);
    expect(signingSecret).toMatch(/^whsec_.{40,}/);
    secrets['webhook signing secret'] = signingSecret;
    secrets['webhook signing key'] = signingSecret.slice('whsec_'.length);
    responses.push(await (await management('GET', '/webhook-destinations')).text());
    const flow = await connectSandbox(server, sub, { login: 'secret-keeper' });
    const oauthCredentialId = postedResult(flow.page).credentialId as string;
    const code = new URL(flow.callbackUrl).searchParams.get('code');
    expect(code).toBeTruthy();
    secrets['authorization code'] = code!;
    responses.push(flow.page.html);

    const apiKeyInstall = await server.sdk(sub, '/credentials', {
      method: 'POST',
      json: { integrationId: await integrationIdOf(server, 'sandbox-apikey'), payload: { apiKey } },
    });
    const apiKeyCredential = await json(apiKeyInstall, 201);
    const clientInstall = await server.sdk(sub, '/credentials', {
      method: 'POST',
      json: { integrationId: await integrationIdOf(server, 'sandbox-client-credentials'), payload: { clientId: 'sandbox-client', clientSecret: 'sandbox-secret' } },
    });
    const clientCredential = await json(clientInstall, 201);
    credentialIds.push(oauthCredentialId, apiKeyCredential.id, clientCredential.id);
    responses.push(JSON.stringify(apiKeyCredential), JSON.stringify(clientCredential));

    const rows = await credentialRowsOf(server, sub);
    const byId = new Map(rows.map((row) => [row.id, row]));
    const box = server.server.context.secrets;
    const oauth = openCredentialSecrets(box, byId.get(oauthCredentialId)!);
    const client = openCredentialSecrets(box, byId.get(clientCredential.id)!);
    const key = openCredentialSecrets(box, byId.get(apiKeyCredential.id)!);
    // The secrets really are what the flows produced: without this, an empty secret would "not appear" anywhere.
    expect(oauth.accessToken!.length).toBeGreaterThan(20);
    expect(oauth.refreshToken!.length).toBeGreaterThan(20);
    expect(client.accessToken!.length).toBeGreaterThan(20);
    expect(key.fields).toEqual({ apiKey });
    Object.assign(secrets, {
      'OAuth access token': oauth.accessToken!,
      'OAuth refresh token': oauth.refreshToken!,
      'client-credentials access token': client.accessToken!,
      'API key': apiKey,
      'OAuth client secret': 'sandbox-secret',
      'project secret key': server.secretKey,
    });
    // The dev project's private key: every full base64 line of its PEM body.
    const pemLines = server.server.devProject!.privateKeyPem.split('\n').filter((line) => line.length === 64);
    expect(pemLines.length).toBeGreaterThan(10);
    pemLines.forEach((line, index) => {
      secrets[`private key PEM line ${index}`] = line;
    });

    for (const path of ['/me', '/credentials']) responses.push(await (await server.sdk(sub, path)).text());
    const users = await fetch(`${server.url}/api/v1/projects/${server.projectId}/connected-users`, { headers: { authorization: `Bearer ${server.secretKey}` } });
    responses.push(await users.text());
    responses.push(await (await management('GET', `/webhook-destinations/${destination.id}/deliveries`)).text());
    expect(responses.at(-1)).toContain(oauthCredentialId);
  });
  afterAll(async () => server?.close());

  const leaksIn = (haystack: string) => Object.entries(secrets).filter(([, secret]) => haystack.includes(secret)).map(([name]) => name);

  it('stores no token, API key, client secret or private key in plain text in the database', async () => {
    if (database === 'sqlite') {
      const file = join(server.dataDir, 'switchboard.sqlite');
      const bytes = [file, `${file}-wal`].filter(existsSync).map((path) => readFileSync(path).toString('latin1')).join('\n');
      // Sanity: the grep sees the data (a credential id is stored in plain text).
      expect(bytes).toContain(credentialIds[0]);
      expect(leaksIn(bytes)).toEqual([]);
    } else {
      // pg_dump-like: every row of every table of the schema as text.
      const db = server.server.context.db;
      const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = current_schema()`.execute(db);
      expect(tables.rows.map((t) => t.table_name)).toEqual(expect.arrayContaining(['credentials', 'oauth_sessions', 'integrations', 'signing_keys']));
      let dump = '';
      for (const { table_name } of tables.rows) {
        const rows = await sql<{ row: string }>`select row_to_json(t)::text as row from ${sql.table(table_name)} t`.execute(db);
        dump += rows.rows.map((r) => r.row).join('\n');
      }
      expect(dump).toContain(credentialIds[0]);
      expect(leaksIn(dump)).toEqual([]);
    }
  });

  it('writes none of them to the logs', () => {
    const logs = server.logs.join('');
    expect(logs).toContain('/oauth/callback');
    expect(leaksIn(logs)).toEqual([]);
  });

  it('answers none of them in an API response', () => {
    expect(responses.join('\n')).toContain(credentialIds[1]);
    expect(leaksIn(responses.join('\n'))).toEqual([]);
  });

  it('keeps a secret pre-OAuth input of a custom integration out of the database in plain text', async () => {
    const created = await management(
      server,
      server.secretKey,
      'POST',
      `/projects/${server.projectId}/custom-integrations`,
      sandboxOAuthCustomIntegration(server, 'secret-input', { secretInput: true }),
    );
    expect(created.status, await created.clone().text()).toBe(201);
    const user = newUser('tenant');
    const tenantKey = `tk${randomBytes(12).toString('hex')}`;
    const flow = await connectSandbox(server, user, { integration: 'custom.secret-input', installOptions: { preOptions: { tenantKey } } });
    expect(postedResult(flow.page).status).toBe('success');

    const db = server.server.context.db;
    const sessions = await db.selectFrom('oauth_sessions').selectAll().where('state', '=', flow.state).execute();
    const credentials = await credentialRowsOf(server, user);
    expect(sessions).toHaveLength(1);
    expect(credentials).toHaveLength(1);
    expect(JSON.stringify(sessions)).not.toContain(tenantKey);
    expect(JSON.stringify(credentials)).not.toContain(tenantKey);
    expect(server.logs.join('')).not.toContain(tenantKey);
  });

  it('keeps an API key of a custom integration out of the database even when its field was declared as plain text', async () => {
    const icon = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="10"/></svg>';
    const created = await fetch(`${server.url}/api/v1/projects/${server.projectId}/custom-integrations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        slug: 'text-api-key',
        name: 'Sandbox with a text API key field',
        iconSvg: icon,
        accentColor: '#7C3AED',
        auth: { type: 'api-key', fields: [{ id: 'token', label: 'API token', type: 'text', required: true }] },
        apiBaseUrl: `${server.url}/sandbox/api`,
        apiAuthorization: 'X-Api-Key: {{token}}',
        testEndpointUrl: '/me',
        providerIdPath: 'id',
      }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const user = newUser('text-key');
    const token = `sbx_${randomBytes(16).toString('hex')}`;
    const install = await server.sdk(user, '/credentials', { method: 'POST', json: { integrationId: 'custom.text-api-key', payload: { token } } });
    const credential = await json(install, 201);

    const [row] = (await credentialRowsOf(server, user)).filter((r) => r.id === credential.id);
    expect(openCredentialSecrets(server.server.context.secrets, row!).fields).toEqual({ token });
    expect(JSON.stringify(row)).not.toContain(token);
  });

  it('binds each sealed secret to its row: swapped ciphertexts do not open', async () => {
    const db = server.server.context.db;
    const box = server.server.context.secrets;
    const [first, second] = (await credentialRowsOf(server, sub)).filter((row) => credentialIds.slice(0, 2).includes(row.id));
    expect(openCredentialSecrets(box, first!)).toBeTruthy();
    const swap = async (a: typeof first, b: typeof first) =>
      db.updateTable('credentials').set({ secrets_sealed: b!.secrets_sealed }).where('id', '=', a!.id).execute();
    await swap(first, second);
    await swap(second, first);
    try {
      const swapped = (await credentialRowsOf(server, sub)).filter((row) => row.id === first!.id || row.id === second!.id);
      expect(swapped.map((row) => row.secrets_sealed).sort()).toEqual([first!.secrets_sealed, second!.secrets_sealed].sort());
      expect(swapped.find((row) => row.id === first!.id)!.secrets_sealed).toBe(second!.secrets_sealed);
      for (const row of swapped) expect(() => openCredentialSecrets(box, row)).toThrow(SecretDecryptionError);
    } finally {
      await swap(first, first);
      await swap(second, second);
    }
    const restored = await credentialRowsOf(server, sub);
    expect(openCredentialSecrets(box, restored.find((row) => row.id === credentialIds[1])!).fields).toEqual({ apiKey });
  });
});
