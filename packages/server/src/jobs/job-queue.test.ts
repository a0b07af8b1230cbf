import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import PgBoss from 'pg-boss';
import pino from 'pino';
import { logCapture } from '../../test/support/log-capture.js';
import { describe, it, vi, type TestContext } from 'vitest';
import { openStorage, type Storage } from '../storage/database.js';
import type { JobQueue } from './job-queue.js';
import { openJobQueue } from './open-job-queue.js';
import { pgBossSchemaName } from './pg-boss-queue.js';

/** One storage for a test, and a look into where its adapter keeps jobs. */
interface Harness {
  storage: Storage;
  databaseUrl?: string;
  /** A job as stored: its state, how many times it was retried, the error it recorded. */
  job(queue: string, id: string): Promise<{ state: string; retries: number; error: string | null | undefined } | undefined>;
  /** pg-boss only: its schedules, read through pg-boss's own getSchedules(). */
  schedules(): Promise<{ name: string; cron: string }[]>;
  close(): Promise<void>;
}

async function openSqliteHarness(): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-jobs-'));
  const storage = await openStorage({ dataDir });
  return {
    storage,
    async job(_queue, id) {
      const row = await storage.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
      return row && { state: row.state, retries: Math.max(0, row.attempts - 1), error: row.last_error };
    },
    schedules: async () => [],
    async close() {
      await storage.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A fresh Switchboard schema (search_path) in the test database; closing drops it and pg-boss's beside it. */
async function openPostgresHarness(): Promise<Harness> {
  const schema = `sb_jobs_${randomBytes(6).toString('hex')}`;
  const bossSchema = pgBossSchemaName(schema);
  await adminQuery(`CREATE SCHEMA ${schema}`);
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const databaseUrl = url.toString();
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-jobs-'));
  const storage = await openStorage({ databaseUrl, dataDir });
  return {
    storage,
    databaseUrl,
    async job(queue, id) {
      const { rows } = await sql<{ state: string; retry_count: number; output: { message?: string } | null }>`
        select state, retry_count, output from ${sql.table(`${bossSchema}.job`)} where name = ${queue} and id = ${id}`.execute(storage.db);
      const row = rows[0];
      return row && { state: row.state, retries: row.retry_count, error: row.output?.message };
    },
    async schedules() {
      const boss = new PgBoss({ connectionString: databaseUrl, schema: bossSchema, migrate: false, supervise: false, schedule: false, max: 1 });
      await boss.start();
      try {
        return (await boss.getSchedules()).map(({ name, cron }) => ({ name, cron }));
      } finally {
        await boss.stop({ graceful: false });
      }
    },
    async close() {
      await storage.close();
      await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${bossSchema} CASCADE`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const adapters = [
  { kind: 'embedded', openHarness: openSqliteHarness },
  ...(process.env.TEST_DATABASE_URL ? [{ kind: 'pg-boss', openHarness: openPostgresHarness }] : []),
];

const eventually = { timeout: 15_000, interval: 20 };

// Concurrent: each test has its own storage, and most of the time goes to waiting for retries and delays.
describe.concurrent.each(adapters)('job queue ($kind)', ({ kind, openHarness }) => {
  /** A storage and a queue on it for one test, closed when the test ends (queues first, newest first). */
  async function setup(onTestFinished: TestContext['onTestFinished']) {
    const cleanups: (() => Promise<void>)[] = [];
    onTestFinished(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });
    const harness = await openHarness();
    cleanups.push(() => harness.close());
    const { lines: logs, stream } = logCapture();
    const log = pino({ level: 'debug' }, stream);
    const open = (): JobQueue => {
      const queue = openJobQueue({ storage: harness.storage, databaseUrl: harness.databaseUrl, log, pollIntervalMs: 50 });
      cleanups.push(() => queue.stop());
      return queue;
    };
    return { harness, logs, open, queue: open() };
  }

  it('handles a sent job with its data, and records it completed', async ({ expect, onTestFinished }) => {
    const { harness, queue } = await setup(onTestFinished);
    expect(queue.kind).toBe(kind);
    const handled: object[] = [];
    await queue.work<{ credentialId: string }>('refresh', async (data) => {
      handled.push(data);
    });
    await queue.start();
    const id = await queue.send('refresh', { credentialId: 'cred_1' });
    expect(id).toEqual(expect.any(String));
    await vi.waitFor(async () => expect((await harness.job('refresh', id!))?.state).toBe('completed'), eventually);
    expect(handled).toEqual([{ credentialId: 'cred_1' }]);
  });

  it('retries a failing handler with exponential backoff until it succeeds', async ({ expect, onTestFinished }) => {
    const { harness, queue } = await setup(onTestFinished);
    const attempts: number[] = [];
    await queue.work('flaky', async () => {
      attempts.push(Date.now());
      if (attempts.length < 3) throw new Error('provider unavailable');
    });
    await queue.start();
    const id = await queue.send('flaky', {}, { retryLimit: 3, retryDelaySeconds: 1 });
    await vi.waitFor(async () => expect((await harness.job('flaky', id!))?.state).toBe('completed'), eventually);
    expect(attempts).toHaveLength(3);
    expect((await harness.job('flaky', id!))?.retries).toBe(2);
    // Each retry waits at least its delay: 1 s, then 2 s (pg-boss adds jitter on top).
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(1000 - 50);
    expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(2000 - 50);
  });

  it('tells the handler which attempt it runs: 1, then 2 after a failure', async ({ expect, onTestFinished }) => {
    const { harness, queue } = await setup(onTestFinished);
    const seen: number[] = [];
    await queue.work('counted', async (_data, run) => {
      seen.push(run.attempt);
      if (seen.length === 1) throw new Error('first run fails');
    });
    await queue.start();
    const id = await queue.send('counted', {}, { retryLimit: 1, retryDelaySeconds: 1 });
    await vi.waitFor(async () => expect((await harness.job('counted', id!))?.state).toBe('completed'), eventually);
    expect(seen).toEqual([1, 2]);
  });

  it('fails a job for good after retryLimit retries, recording the error message and never logging the data', async ({ expect, onTestFinished }) => {
    const { harness, queue, logs } = await setup(onTestFinished);
    let attempts = 0;
    await queue.work('broken', async () => {
      attempts++;
      throw Object.assign(new Error('always broken'), { response: 'error-detail-marker' });
    });
    await queue.start();
    const id = await queue.send('broken', { note: 'job-data-marker' }, { retryLimit: 1, retryDelaySeconds: 1 });
    await vi.waitFor(async () => expect((await harness.job('broken', id!))?.state).toBe('failed'), eventually);
    expect(attempts).toBe(2);
    expect(await harness.job('broken', id!)).toEqual({ state: 'failed', retries: 1, error: 'always broken' });
    expect(logs.join('\n')).toContain('always broken');
    expect(logs.join('\n')).not.toContain('job-data-marker');
    expect(logs.join('\n')).not.toContain('error-detail-marker');
  });

  it('deduplicates by singletonKey while a job with the key waits or runs', async ({ expect, onTestFinished }) => {
    const { harness, queue } = await setup(onTestFinished);
    await queue.start();
    const first = await queue.send('refresh', { n: 1 }, { singletonKey: 'cred_1' });
    expect(first).toEqual(expect.any(String));
    expect(await queue.send('refresh', { n: 2 }, { singletonKey: 'cred_1' })).toBeNull();
    expect(await queue.send('refresh', { n: 3 }, { singletonKey: 'cred_2' })).toEqual(expect.any(String));
    // Concurrent senders: exactly one gets in.
    const burst = await Promise.all(Array.from({ length: 5 }, (_, n) => queue.send('refresh', { n }, { singletonKey: 'cred_3' })));
    expect(burst.filter((id) => id !== null)).toHaveLength(1);

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const running: number[] = [];
    await queue.work<{ n: number }>('refresh', async ({ n }) => {
      running.push(n);
      if (n === 1) await gate;
    });
    await vi.waitFor(() => expect(running).toContain(1), eventually);
    expect(await queue.send('refresh', { n: 4 }, { singletonKey: 'cred_1' })).toBeNull();
    release();
    await vi.waitFor(async () => expect((await harness.job('refresh', first!))?.state).toBe('completed'), eventually);
    expect(await queue.send('refresh', { n: 5 }, { singletonKey: 'cred_1' })).toEqual(expect.any(String));
    await vi.waitFor(() => expect(running).toContain(5), eventually);
    expect(running).not.toContain(2);
    expect(running).not.toContain(4);
  });

  it('holds a job back for startAfterSeconds', async ({ expect, onTestFinished }) => {
    const { harness, queue } = await setup(onTestFinished);
    const handled: string[] = [];
    await queue.work<{ name: string }>('later', async ({ name }) => {
      handled.push(name);
    });
    await queue.start();
    const delayed = await queue.send('later', { name: 'delayed' }, { startAfterSeconds: 2 });
    await queue.send('later', { name: 'now' });
    await vi.waitFor(() => expect(handled).toContain('now'), eventually);
    expect(handled).not.toContain('delayed');
    expect((await harness.job('later', delayed!))?.state).toBe('created');
    await vi.waitFor(() => expect(handled).toContain('delayed'), eventually);
  });

  it('keeps a job sent before stop() for a new queue on the same storage', async ({ expect, onTestFinished }) => {
    const { open, queue } = await setup(onTestFinished);
    await queue.start();
    await queue.send('refresh', { credentialId: 'cred_9' });
    await queue.stop();

    const restarted = open();
    const handled: object[] = [];
    await restarted.work('refresh', async (data) => {
      handled.push(data);
    });
    await restarted.start();
    await vi.waitFor(() => expect(handled).toEqual([{ credentialId: 'cred_9' }]), eventually);
  });

  it('runs a queue about every interval', async ({ expect, onTestFinished }) => {
    const { harness, queue } = await setup(onTestFinished);
    let runs = 0;
    await queue.work('sweep', async () => {
      runs++;
    });
    if (queue.kind === 'embedded') {
      await queue.every('sweep', 0.1);
      await queue.start();
      await vi.waitFor(() => expect(runs).toBeGreaterThanOrEqual(2), eventually);
    } else {
      // pg-boss schedules by cron, to the minute: 90 s rounds up to every 2 minutes.
      await queue.start();
      await queue.every('sweep', 90);
      expect(await harness.schedules()).toEqual([{ name: 'sweep', cron: '*/2 * * * *' }]);
    }
  });

  it('stop() waits for a running handler', async ({ expect, onTestFinished }) => {
    const { harness, queue } = await setup(onTestFinished);
    let started = false;
    let finished = false;
    await queue.work('slow', async () => {
      started = true;
      await sleep(300);
      finished = true;
    });
    await queue.start();
    const id = await queue.send('slow', {});
    await vi.waitFor(() => expect(started).toBe(true), eventually);
    await queue.stop();
    expect(finished).toBe(true);
    expect((await harness.job('slow', id!))?.state).toBe('completed');
  });
});
