import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Insertable, KyselyPlugin } from 'kysely';
import pino from 'pino';
import { logCapture } from '../../test/support/log-capture.js';
import { describe, it, vi, type TestContext } from 'vitest';
import { isoIn, isoNow } from '../clock.js';
import { openStorage } from '../storage/database.js';
import type { JobTable } from '../storage/schema.js';
import { openJobQueue } from './open-job-queue.js';

const eventually = { timeout: 10_000, interval: 20 };

/** The embedded queue on a fresh SQLite file, stopped and removed when the test ends. */
async function setup(
  onTestFinished: TestContext['onTestFinished'],
  { plugin, ...options }: { concurrency?: number; stopTimeoutMs?: number; pollIntervalMs?: number; plugin?: KyselyPlugin } = {},
) {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-jobs-'));
  const storage = await openStorage({ dataDir });
  const { lines: logs, stream } = logCapture();
  const log = pino({ level: 'debug' }, stream);
  // A plugin sees only the queue's own statements: `db` below, for the test's rows, goes without it.
  const queue = openJobQueue({ storage: plugin ? { ...storage, db: storage.db.withPlugin(plugin) } : storage, log, pollIntervalMs: 20, ...options });
  onTestFinished(async () => {
    await queue.stop();
    await storage.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const db = storage.db;
  /** A job row as a worker would have left it. */
  const insertJob = async (row: Partial<Insertable<JobTable>>) => {
    const id = randomUUID();
    await db
      .insertInto('jobs')
      .values({ id, queue: 'refresh', data: '{}', state: 'created', run_after: isoNow(), attempts: 0, retry_limit: 3, retry_delay_seconds: 1, created_at: isoNow(), ...row })
      .execute();
    return id;
  };
  const job = (id: string) => db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  return { queue, db, logs, insertJob, job };
}

describe.concurrent('embedded job queue', () => {
  it('takes over a job whose worker died once its lock lapses', async ({ expect, onTestFinished }) => {
    const { queue, insertJob, job } = await setup(onTestFinished);
    const id = await insertJob({ data: '{"credentialId":"cred_1"}', state: 'active', attempts: 1, locked_until: isoIn(-1) });
    const locked = await insertJob({ state: 'active', attempts: 1, locked_until: isoIn(600) });
    const handled: object[] = [];
    await queue.work('refresh', async (data, run) => {
      handled.push({ ...data, attempt: run.attempt });
    });
    await queue.start();
    await vi.waitFor(async () => expect((await job(id))?.state).toBe('completed'), eventually);
    // The handler knows it runs a second time: the dead worker may have done part of the work.
    expect(handled).toEqual([{ credentialId: 'cred_1', attempt: 2 }]);
    expect((await job(id))?.attempts).toBe(2);
    // Still locked by a live worker: left alone.
    expect((await job(locked))?.state).toBe('active');
  });

  it('fails, without running it, a job taken over after its last attempt', async ({ expect, onTestFinished }) => {
    const { queue, insertJob, job } = await setup(onTestFinished);
    const id = await insertJob({ state: 'active', attempts: 2, retry_limit: 1, locked_until: isoIn(-1) });
    let runs = 0;
    await queue.work('refresh', async () => {
      runs++;
    });
    await queue.start();
    await vi.waitFor(async () => expect((await job(id))?.state).toBe('failed'), eventually);
    expect((await job(id))?.last_error).toBe('its worker stopped while running it');
    expect(runs).toBe(0);
  });

  it('prunes completed and failed jobs older than a day', async ({ expect, onTestFinished }) => {
    const { queue, insertJob, job } = await setup(onTestFinished);
    const oldCompleted = await insertJob({ state: 'completed', completed_at: isoIn(-2 * 86_400) });
    const oldFailed = await insertJob({ state: 'failed', completed_at: isoIn(-2 * 86_400) });
    const recent = await insertJob({ state: 'completed', completed_at: isoIn(-3600) });
    const waiting = await insertJob({ queue: 'nobody-works-this', created_at: isoIn(-2 * 86_400) });
    await queue.start();
    await vi.waitFor(async () => expect(await job(oldCompleted)).toBeUndefined(), eventually);
    expect(await job(oldFailed)).toBeUndefined();
    expect(await job(recent)).toBeDefined();
    expect(await job(waiting)).toBeDefined();
  });

  it('runs at most `concurrency` handlers of a queue at once', async ({ expect, onTestFinished }) => {
    const { queue, job } = await setup(onTestFinished, { concurrency: 2 });
    let running = 0;
    let most = 0;
    await queue.work('refresh', async () => {
      running++;
      most = Math.max(most, running);
      await sleep(100);
      running--;
    });
    await queue.start();
    const ids = await Promise.all(Array.from({ length: 6 }, () => queue.send('refresh', {})));
    await vi.waitFor(async () => {
      for (const id of ids) expect((await job(id!))?.state).toBe('completed');
    }, eventually);
    expect(most).toBe(2);
  });

  it('runs a job sent between two polls at once, not at the next poll: sending wakes the queue', async ({ expect, onTestFinished }) => {
    // A poll a minute apart: only the wake-up of send() (a workflow run queued by a trigger, say) runs a job sooner.
    const { queue, job } = await setup(onTestFinished, { pollIntervalMs: 60_000 });
    const handled: number[] = [];
    await queue.work<{ n: number }>('refresh', async ({ n }) => {
      handled.push(n);
    });
    const first = await queue.send('refresh', { n: 1 });
    await queue.start();
    await vi.waitFor(async () => expect((await job(first!))?.state).toBe('completed'), eventually);
    // The round that ran it and the one its end woke are over: the next poll is a minute away.
    await sleep(300);
    const second = await queue.send('refresh', { n: 2 });
    await vi.waitFor(async () => expect((await job(second!))?.state).toBe('completed'), eventually);
    expect(handled).toEqual([1, 2]);
  });

  it('polls an idle queue with one read and no write, however many queues it serves, and still claims what is due', async ({ expect, onTestFinished }) => {
    // Counts the statements the queue sends, by kind (SelectQueryNode, UpdateQueryNode, ...).
    const sent = new Map<string, number>();
    const plugin: KyselyPlugin = {
      transformQuery: ({ node }) => {
        sent.set(node.kind, (sent.get(node.kind) ?? 0) + 1);
        return node;
      },
      transformResult: async ({ result }) => result,
    };
    const { queue, insertJob } = await setup(onTestFinished, { plugin });
    const handled: string[] = [];
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) await queue.work(name, async () => void handled.push(name));
    await queue.start();
    await sleep(300);
    // A poll every 20 ms: several rounds, none of which wrote.
    expect(sent.get('SelectQueryNode') ?? 0).toBeGreaterThanOrEqual(5);
    expect(sent.get('UpdateQueryNode') ?? 0).toBe(0);
    // A job another process put in: the next poll finds it and claims it in its queue alone.
    await insertJob({ queue: 'd' });
    await vi.waitFor(() => expect(handled).toEqual(['d']), eventually);
    // Its claim and its completion.
    await vi.waitFor(() => expect(sent.get('UpdateQueryNode')).toBe(2), eventually);
  });

  it('stops taking jobs at stop()', async ({ expect, onTestFinished }) => {
    const { queue, job } = await setup(onTestFinished);
    let runs = 0;
    await queue.work('refresh', async () => {
      runs++;
    });
    await queue.start();
    await queue.stop();
    const id = await queue.send('refresh', {});
    await sleep(200);
    expect(runs).toBe(0);
    expect((await job(id!))?.state).toBe('created');
  });

  it('gives up waiting for a stuck handler after stopTimeoutMs, leaving its job to be taken over', async ({ expect, onTestFinished }) => {
    const { queue, logs, job } = await setup(onTestFinished, { stopTimeoutMs: 100 });
    let started = false;
    await queue.work('refresh', async () => {
      started = true;
      await new Promise(() => undefined);
    });
    await queue.start();
    const id = await queue.send('refresh', {});
    await vi.waitFor(() => expect(started).toBe(true), eventually);
    await queue.stop();
    expect((await job(id!))?.state).toBe('active');
    expect(logs.join('\n')).toContain('stopped with handlers still running');
  });
});
