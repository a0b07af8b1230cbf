import { CompiledQuery, sql } from 'kysely';
import PgBoss from 'pg-boss';
import type { Storage } from '../storage/database.js';
import { failureMessage, type JobHandler, type JobOptions, type JobQueue, type JobQueueSettings } from './job-queue.js';

/** pg-boss's schema for a Switchboard schema: two Switchboard schemas in one database never share jobs. */
export function pgBossSchemaName(switchboardSchema: string): string {
  return switchboardSchema === 'public' ? 'pgboss' : `${switchboardSchema}_pgboss`;
}

/**
 * pg-boss schedules by cron, to the minute: an interval becomes "every n minutes", rounded up (a minute at least),
 * past an hour "every n hours", past a day "every n days". A step that does not divide the hour (or day, or
 * month) restarts at its boundary, so some runs come sooner: "about every".
 */
export function cronFor(intervalSeconds: number): string {
  const minutes = Math.max(1, Math.ceil(intervalSeconds / 60));
  if (minutes < 60) return `*/${minutes} * * * *`;
  const hours = Math.ceil(minutes / 60);
  if (hours < 24) return `0 */${hours} * * *`;
  return `0 0 */${Math.ceil(hours / 24)} * *`;
}

/**
 * The job queue on Postgres: pg-boss, in its own schema beside Switchboard's, with its own small pool.
 *
 * pg-boss 10's singleton policies (`singleton`, `stately`) block a whole queue while the next job's key is taken,
 * and on the `standard` policy a singletonKey alone deduplicates nothing. So queues are `standard`, and send()
 * enforces "one waiting or running per key" itself: a transaction-scoped advisory lock on (queue, key), a look for a
 * created, retrying or active job with the key, and pg-boss's own insert in the same transaction.
 */
export class PgBossQueue implements JobQueue {
  readonly kind = 'pg-boss';
  readonly #db: Storage['db'];
  readonly #connectionString: string;
  readonly #settings: JobQueueSettings;
  readonly #handlers = new Map<string, JobHandler<object>>();
  readonly #schedules = new Map<string, { cron: string; data: object }>();
  /** Queues created in pg-boss (its send() silently drops jobs for a queue that does not exist). */
  readonly #queues = new Map<string, Promise<void>>();
  #boss: PgBoss | undefined;
  #schema = '';
  #starting: Promise<void> | undefined;

  constructor(storage: Storage, connectionString: string, settings: JobQueueSettings) {
    this.#db = storage.db;
    this.#connectionString = connectionString;
    this.#settings = settings;
  }

  async work<T extends object>(queue: string, handler: JobHandler<T>): Promise<void> {
    if (this.#handlers.has(queue)) throw new Error(`Queue ${queue} already has a handler.`);
    this.#handlers.set(queue, handler as JobHandler<object>);
    if (this.#boss) await this.#startWorkers(this.#boss, queue, handler as JobHandler<object>);
  }

  async send<T extends object>(queue: string, data: T, options: JobOptions = {}): Promise<string | null> {
    const boss = this.#boss;
    if (!boss) throw new Error('Start the job queue before sending jobs.');
    await this.#createQueue(boss, queue);
    const sendOptions: PgBoss.SendOptions = {
      ...this.#retryOptions(options),
      ...(options.startAfterSeconds && { startAfter: options.startAfterSeconds }),
      ...(options.singletonKey !== undefined && { singletonKey: options.singletonKey }),
    };
    if (options.singletonKey === undefined) return boss.send(queue, data, sendOptions);
    const key = options.singletonKey;
    return this.#db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtextextended(${`${this.#schema}.${queue}.${key}`}, 0))`.execute(trx);
      const taken = await sql`
        select 1 from ${sql.table(`${this.#schema}.job`)}
        where name = ${queue} and singleton_key = ${key} and state < 'completed' limit 1`.execute(trx);
      if (taken.rows.length > 0) return null;
      const db = { executeSql: (text: string, values: unknown[] = []) => trx.executeQuery(CompiledQuery.raw(text, values)) };
      return boss.send(queue, data, { ...sendOptions, db });
    });
  }

  async every(queue: string, intervalSeconds: number, data: object = {}): Promise<void> {
    if (!(intervalSeconds > 0)) throw new Error(`every(${queue}): the interval must be a positive number of seconds.`);
    const schedule = { cron: cronFor(intervalSeconds), data };
    this.#schedules.set(queue, schedule);
    if (this.#boss) await this.#schedule(this.#boss, queue, schedule);
  }

  async start(): Promise<void> {
    if (this.#boss) return;
    this.#starting ??= this.#start().finally(() => (this.#starting = undefined));
    return this.#starting;
  }

  async stop(): Promise<void> {
    await this.#starting?.catch(() => undefined);
    const boss = this.#boss;
    if (!boss) return;
    this.#boss = undefined;
    this.#queues.clear();
    // Waits for running handlers up to the timeout, then fails those still running (they are retried), closes the pool.
    await boss.stop({ graceful: true, wait: true, timeout: this.#settings.stopTimeoutMs });
  }

  async #start(): Promise<void> {
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(this.#db);
    const current = rows[0]?.schema;
    if (!current) throw new Error('The Postgres connection has no current schema (check search_path).');
    this.#schema = pgBossSchemaName(current);
    const { pollIntervalMs } = this.#settings;
    const boss = new PgBoss({
      connectionString: this.#connectionString,
      schema: this.#schema,
      application_name: `switchboard jobs (${this.#schema})`,
      max: this.#settings.concurrency + 2,
      // Finished jobs leave the hot table after an hour (send()'s singleton look stays cheap); gone after a day.
      archiveCompletedAfterSeconds: 3600,
      deleteAfterDays: 1,
      // pg-boss refuses to poll more often than every 500 ms.
      ...(pollIntervalMs !== undefined && { pollingIntervalSeconds: Math.max(0.5, pollIntervalMs / 1000) }),
    });
    // Without a listener an 'error' event would throw; pg-boss's errors carry no job data, but log the message only.
    boss.on('error', (error: Error & { queue?: string }) =>
      this.#settings.log.error({ queue: error.queue, error: failureMessage(error) }, 'job queue (pg-boss) error'),
    );
    try {
      await boss.start();
      for (const [queue, handler] of this.#handlers) await this.#startWorkers(boss, queue, handler);
      for (const [queue, schedule] of this.#schedules) await this.#schedule(boss, queue, schedule);
    } catch (error) {
      await boss.stop({ graceful: false }).catch(() => undefined);
      // When start() itself failed, stop() does nothing: close pg-boss's pool by hand.
      const db = boss.getDb() as PgBoss.Db & { opened?: boolean; close?: () => Promise<void> };
      if (db.opened) await db.close?.().catch(() => undefined);
      this.#queues.clear();
      throw error;
    }
    this.#boss = boss;
  }

  #retryOptions(options: JobOptions): PgBoss.RetryOptions {
    return {
      retryLimit: options.retryLimit ?? this.#settings.retryLimit,
      retryDelay: options.retryDelaySeconds ?? this.#settings.retryDelaySeconds,
      retryBackoff: true,
    };
  }

  #createQueue(boss: PgBoss, queue: string): Promise<void> {
    let created = this.#queues.get(queue);
    if (!created) {
      created = boss.createQueue(queue, { name: queue, policy: 'standard' });
      created.catch(() => this.#queues.delete(queue));
      this.#queues.set(queue, created);
    }
    return created;
  }

  /** pg-boss 10 has no per-worker concurrency: one worker per handler slot, each taking one job at a time. */
  async #startWorkers(boss: PgBoss, queue: string, handler: JobHandler<object>): Promise<void> {
    await this.#createQueue(boss, queue);
    for (let slot = 0; slot < this.#settings.concurrency; slot++) {
      let workerId: string | undefined;
      workerId = await boss.work<object>(queue, { batchSize: 1, includeMetadata: true }, async ([job]) => {
        if (!job) return;
        try {
          await this.#run(queue, job, handler);
        } finally {
          // pg-boss waits its polling interval after every fetch, also one that found a job, which caps a worker at
          // one job per interval under a backlog: while there is work, fetch again at once.
          if (workerId) boss.notifyWorker(workerId);
        }
      });
    }
  }

  async #run(queue: string, job: PgBoss.JobWithMetadata<object>, handler: JobHandler<object>): Promise<void> {
    try {
      // pg-boss counts a retry when a job that was started before is fetched again (failed, or expired after its
      // worker died).
      await handler(job.data, { attempt: job.retryCount + 1 });
    } catch (error) {
      const message = failureMessage(error);
      const last = job.retryCount >= job.retryLimit;
      const log = { queue, jobId: job.id, attempt: job.retryCount + 1, error: message };
      if (last) this.#settings.log.error(log, 'job failed for good');
      else this.#settings.log.warn(log, 'job failed; retrying later');
      // pg-boss stores what the handler threw, every field of it: give it the message only.
      const failure = new Error(message);
      failure.stack = undefined;
      throw failure;
    }
  }

  async #schedule(boss: PgBoss, queue: string, schedule: { cron: string; data: object }): Promise<void> {
    await this.#createQueue(boss, queue);
    await boss.schedule(queue, schedule.cron, schedule.data, this.#retryOptions({}));
  }
}
