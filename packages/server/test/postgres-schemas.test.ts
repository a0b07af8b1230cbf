import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openStorage } from '../src/storage/database.js';
import { startTestServer } from './support/test-server.js';

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

// Regression: Kysely's migrator looked for its tables in every schema, so a second Switchboard schema in the same
// Postgres database skipped creating them and failed to start ("switchboard_migrations_lock" does not exist).
describe.skipIf(!process.env.TEST_DATABASE_URL)('Postgres schemas', () => {
  it('starts a server in a fresh schema while another schema of the same database is already migrated', async () => {
    const first = await startTestServer('postgres');
    try {
      const second = await startTestServer('postgres');
      try {
        expect(await (await fetch(`${second.url}/health`)).json()).toEqual({ status: 'ok' });
        expect((await second.sdk('someone', '/me')).status).toBe(200);
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
    }
  });

  it('migrates a fresh schema while other schemas of the same database are being dropped', async () => {
    // Kysely's migrator reads the catalog of every schema: one dropped meanwhile must not fail the start.
    const tag = randomBytes(4).toString('hex');
    const others = Array.from({ length: 40 }, (_, i) => `sb_drop_${tag}_${i}`);
    const ours = Array.from({ length: 6 }, (_, i) => `sb_mig_${tag}_${i}`);
    await admin((client) => client.query([...others.map((name) => `CREATE SCHEMA ${name}; CREATE TABLE ${name}.t (a int, b text, c text);`), ...ours.map((name) => `CREATE SCHEMA ${name};`)].join('\n')));
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-schemas-'));
    try {
      const dropping = admin(async (client) => {
        for (const name of others) await client.query(`DROP SCHEMA ${name} CASCADE`);
      });
      const opened = await Promise.allSettled(
        ours.map(async (schema) => {
          const url = new URL(process.env.TEST_DATABASE_URL!);
          url.searchParams.set('options', `-c search_path=${schema}`);
          const storage = await openStorage({ databaseUrl: url.toString(), dataDir });
          await storage.close();
        }),
      );
      await dropping;
      expect(opened.filter((result) => result.status === 'rejected').map((result) => String((result as PromiseRejectedResult).reason))).toEqual([]);
    } finally {
      await admin((client) => client.query([...others, ...ours].map((name) => `DROP SCHEMA IF EXISTS ${name} CASCADE;`).join('\n')));
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
