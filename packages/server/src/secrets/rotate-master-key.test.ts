import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { management, sandboxOAuthCustomIntegration } from '../../test/support/management.js';
import { startTestServer, type TestServer } from '../../test/support/test-server.js';
import { sealedAad, SecretBox, SecretDecryptionError } from './envelope.js';
import { generateMasterKey, loadMasterKeys } from './master-keys.js';
import { rewrapAllSecrets } from './rotate-master-key.js';

describe('rewrapAllSecrets on a real server database (SQLite)', () => {
  let server: TestServer;

  /** Every `*_sealed` column of the schema, found in SQLite's catalog (not a hand-kept list), with its table's key. */
  async function sealedColumns(): Promise<{ table: string; column: string; idColumn: string }[]> {
    const { rows } = await sql<{ tbl: string; col: string; pk: number }>`
      SELECT m.name AS tbl, p.name AS col, p.pk AS pk FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'`.execute(
      server.server.context.db,
    );
    return rows
      .filter((row) => row.col.endsWith('_sealed'))
      .map((row) => ({ table: row.tbl, column: row.col, idColumn: rows.find((r) => r.tbl === row.tbl && r.pk === 1)!.col }));
  }

  /** Every sealed value in the database, with its AAD. */
  async function sealedValues(): Promise<{ where: string; sealed: string; aad: string }[]> {
    const db = server.server.context.db as unknown as Kysely<Record<string, Record<string, string | null>>>;
    const values = [];
    for (const { table, column, idColumn } of await sealedColumns()) {
      const rows = await db.selectFrom(table).select([idColumn, column]).where(column, 'is not', null).execute();
      for (const row of rows) {
        const id = row[idColumn] as string;
        values.push({ where: `${table}.${column}:${id}`, sealed: row[column] as string, aad: sealedAad(table, column, id) });
      }
    }
    return values;
  }

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    // One sealed value of each kind: the dev project's sandbox client secret (created at start), an API-key
    // credential, a pending OAuth session's PKCE verifier, a project secret, a webhook URL token and webhook
    // destination signing secrets.
    const installed = await server.sdk('rotating-user', '/credentials', {
      method: 'POST',
      json: { integrationId: 'sandbox-apikey', payload: { apiKey: 'sbx_rotate_me' } },
    });
    expect(installed.status).toBe(201);
    // A pending OAuth flow with a secret pre-OAuth input seals both its PKCE verifier and that input.
    const custom = await management(
      server,
      server.secretKey,
      'POST',
      `/projects/${server.projectId}/custom-integrations`,
      sandboxOAuthCustomIntegration(server, 'tenant-oauth', { secretInput: true }),
    );
    expect(custom.status).toBe(201);
    const started = await server.sdk('rotating-user', '/oauth/start', {
      method: 'POST',
      json: { integration: 'custom.tenant-oauth', origin: 'http://localhost:3000', installOptions: { preOptions: { tenantKey: 'tenant-secret-1' } } },
    });
    expect(started.status).toBe(200);
    // A project environment secret for workflow steps.
    const secret = await management(server, server.secretKey, 'PUT', `/projects/${server.projectId}/secrets/ROTATED_TOKEN`, { value: 'env-secret-1' });
    expect(secret.status).toBe(204);
    // A Webhook trigger's URL token, issued when the account's URL is first asked for.
    const workflow = await management(server, server.secretKey, 'POST', `/projects/${server.projectId}/workflows`, {
      name: 'On webhook',
      integration: 'sandbox-apikey',
      trigger: { type: 'webhook' },
      steps: [{ id: 'me', type: 'request', method: 'GET', path: '/me' }],
    });
    const { id: workflowId } = (await workflow.json()) as { id: string };
    await management(server, server.secretKey, 'POST', `/projects/${server.projectId}/workflows/${workflowId}/publish`);
    expect((await server.sdk('rotating-user', `/workflows/${workflowId}`, { method: 'POST' })).status).toBe(200);
    expect((await server.sdk('rotating-user', `/workflows/${workflowId}/webhook-url`)).status).toBe(200);
    // A webhook destination whose secret was rotated holds both its signing secret and the one before.
    const hook = await management(server, server.secretKey, 'POST', `/projects/${server.projectId}/webhook-destinations`, {
      url: 'https://hooks.example.com/switchboard',
      events: ['credential.created'],
    });
    expect(hook.status).toBe(201);
    const { destination } = (await hook.json()) as { destination: { id: string } };
    const rotated = await management(server, server.secretKey, 'POST', `/projects/${server.projectId}/webhook-destinations/${destination.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
  });
  afterAll(async () => server?.close());

  it('moves every sealed column to the new master key; the new key alone then opens all of them, the old alone none', async () => {
    const oldKeys = loadMasterKeys({ dataDir: server.dataDir }).keys;
    const before = await sealedValues();
    // Every sealed column holds at least one value, so the rotation is checked on each of them.
    const columns = await sealedColumns();
    expect(columns.length).toBeGreaterThanOrEqual(3);
    expect(new Set(before.map((v) => v.where.split(':')[0]))).toEqual(new Set(columns.map((c) => `${c.table}.${c.column}`)));
    const plaintexts = new Map(before.map((v) => [v.where, new SecretBox(oldKeys).open(v.sealed, v.aad)]));
    expect([...plaintexts.values()].some((p) => p.includes('sbx_rotate_me'))).toBe(true);

    const newKey = generateMasterKey();
    const result = await rewrapAllSecrets(server.server.context.db, new SecretBox([newKey, ...oldKeys]));
    expect(result).toEqual({ rewrapped: before.length, total: before.length });

    const after = await sealedValues();
    expect(after.map((v) => v.where).sort()).toEqual(before.map((v) => v.where).sort());
    const newOnly = new SecretBox([newKey]);
    const oldOnly = new SecretBox(oldKeys);
    for (const value of after) {
      expect(SecretBox.keyIdOf(value.sealed), value.where).toBe(newKey.id);
      expect(newOnly.open(value.sealed, value.aad), value.where).toBe(plaintexts.get(value.where));
      expect(() => oldOnly.open(value.sealed, value.aad), value.where).toThrow(SecretDecryptionError);
    }

    // Safe to re-run: nothing left to move.
    expect(await rewrapAllSecrets(server.server.context.db, new SecretBox([newKey, ...oldKeys]))).toEqual({ rewrapped: 0, total: before.length });
  });
});
