import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { describe, expect, it, vi, type TestContext } from 'vitest';
import { openStorage, type Storage } from '../storage/database.js';
import { openJobQueue } from './open-job-queue.js';
import { cronFor, pgBossSchemaName } from './pg-boss-queue.js';

describe('pgBossSchemaName', () => {
  it('names pg-boss after the Switchboard schema, and keeps its usual name beside public', () => {
    expect(pgBossSchemaName('public')).toBe('pgboss');
    expect(pgBossSchemaName('sb_test_1a2b')).toBe('sb_test_1a2b_pgboss');
  });
});

describe('cronFor', () => {
  it.each([
    [1, '*/1 * * * *'],
    [60, '*/1 * * * *'],
    [61, '*/2 * * * *'],
    [300, '*/5 * * * *'],
    [3600, '0 */1 * * *'],
    [5400, '0 */2 * * *'],
    [86_400, '0 0 */1 * *'],
    [3 * 86_400, '0 0 */3 * *'],
  ])('rounds %i s up to the cron "%s"', (seconds, cron) => {
    expect(cronFor(seconds)).toBe(cron);
  });
});

async function adminQuery<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Storage on a fresh Switchboard schema; dropped, with pg-boss's beside it, when the test ends. */
async function postgresStorage(onTestFinished: TestContext['onTestFinished']): Promise<{ storage: Storage; databaseUrl: string; schema: string }> {
  const schema = `sb_jobs_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE SCHEMA ${schema}`);
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-jobs-'));
  const storage = await openStorage({ databaseUrl: url.toString(), dataDir });
  onTestFinished(async () => {
    await storage.close();
    await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${pgBossSchemaName(schema)} CASCADE`);
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { storage, databaseUrl: url.toString(), schema };
}

const log = pino({ level: 'silent' });
const eventually = { timeout: 10_000, interval: 20 };

describe('openJobQueue on Postgres', () => {
  it('needs the connection string for pg-boss', () => {
    const storage = { dialect: 'postgres' } as Storage;
    expect(() => openJobQueue({ storage, log })).toThrow(/DATABASE_URL/);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL).concurrent('pg-boss job queue', () => {
  it('keeps its tables in <schema>_pgboss and leaves no connection open after stop()', async ({ expect, onTestFinished }) => {
    const { storage, databaseUrl, schema } = await postgresStorage(onTestFinished);
    const queue = openJobQueue({ storage, databaseUrl, log, pollIntervalMs: 50 });
    onTestFinished(() => queue.stop());
    let handled = 0;
    await queue.work('refresh', async () => {
      handled++;
    });
    await queue.start();
    await queue.send('refresh', {});
    await vi.waitFor(() => expect(handled).toBe(1), eventually);

    const schemas = await adminQuery<{ name: string }>('select schema_name as name from information_schema.schemata where schema_name = $1', [`${schema}_pgboss`]);
    expect(schemas).toEqual([{ name: `${schema}_pgboss` }]);
    const connections = () =>
      adminQuery<{ count: number }>('select count(*)::int as count from pg_stat_activity where application_name = $1', [`switchboard jobs (${schema}_pgboss)`]);
    expect((await connections())[0]!.count).toBeGreaterThan(0);
    await queue.stop();
    await vi.waitFor(async () => expect((await connections())[0]!.count).toBe(0), eventually);
  });

  it('keeps the jobs of two Switchboard schemas in one database apart', async ({ expect, onTestFinished }) => {
    const first = await postgresStorage(onTestFinished);
    const second = await postgresStorage(onTestFinished);
    const firstQueue = openJobQueue({ ...first, log, pollIntervalMs: 50 });
    const secondQueue = openJobQueue({ ...second, log, pollIntervalMs: 50 });
    onTestFinished(() => Promise.all([firstQueue.stop(), secondQueue.stop()]).then(() => undefined));
    const handled: string[] = [];
    await firstQueue.work<{ by: string }>('refresh', async ({ by }) => {
      handled.push(`first got ${by}`);
    });
    await secondQueue.work<{ by: string }>('refresh', async ({ by }) => {
      handled.push(`second got ${by}`);
    });
    await Promise.all([firstQueue.start(), secondQueue.start()]);
    await firstQueue.send('refresh', { by: 'first' }, { singletonKey: 'cred_1' });
    // Same queue and key, other schema: not a duplicate.
    expect(await secondQueue.send('refresh', { by: 'second' }, { singletonKey: 'cred_1' })).toEqual(expect.any(String));
    await vi.waitFor(() => expect(handled.sort()).toEqual(['first got first', 'second got second']), eventually);
  });

  it('hands pg-boss only the message of a failure', async ({ expect, onTestFinished }) => {
    const { storage, databaseUrl, schema } = await postgresStorage(onTestFinished);
    const queue = openJobQueue({ storage, databaseUrl, log, pollIntervalMs: 50 });
    onTestFinished(() => queue.stop());
    await queue.work('broken', async () => {
      throw Object.assign(new Error('token endpoint unavailable'), { body: 'response body' });
    });
    await queue.start();
    const id = await queue.send('broken', {}, { retryLimit: 0 });
    const output = async () => {
      const { rows } = await sql<{ state: string; output: unknown }>`
        select state, output from ${sql.table(`${pgBossSchemaName(schema)}.job`)} where id = ${id}`.execute(storage.db);
      return rows[0];
    };
    await vi.waitFor(async () => expect((await output())?.state).toBe('failed'), eventually);
    expect((await output())?.output).toEqual({ name: 'Error', message: 'token endpoint unavailable' });
  });

  it('refuses to send before start()', async ({ expect, onTestFinished }) => {
    const { storage, databaseUrl } = await postgresStorage(onTestFinished);
    const queue = openJobQueue({ storage, databaseUrl, log });
    await expect(queue.send('refresh', {})).rejects.toThrow(/Start the job queue/);
  });
});
