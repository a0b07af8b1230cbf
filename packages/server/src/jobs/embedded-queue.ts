import { randomUUID } from 'node:crypto';
import type { Insertable } from 'kysely';
import { isoIn, isoNow } from '../clock.js';
import type { Storage } from '../storage/database.js';
import type { JobRow, JobTable } from '../storage/schema.js';
import { failureMessage, jobQueueDefaults, type JobHandler, type JobOptions, type JobQueue, type JobQueueSettings } from './job-queue.js';

/** A claimed job's lock: another worker takes the job over once it lapses, so running jobs renew it. */
const LOCK_SECONDS = 60;
/** Completed and failed jobs are kept this long, then pruned. */
const KEEP_FINISHED_SECONDS = 86_400;
const PRUNE_EVERY_MS = 10 * 60_000;
/** The singleton key of the jobs every() sends: at most one waits or runs per queue. */
const EVERY_KEY = 'every';

interface RunningJob {
  queue: string;
  done: Promise<void>;
}

/**
 * The job queue on the app's SQLite (one process): a poll loop claims due jobs from the jobs table (and jobs whose
 * worker died, once their lock lapses), runs a few per queue at once, and records completion, or a retry with
 * exponential backoff, or the failure. Every state change is a single statement, so a second process on the same
 * file (a CLI) cannot take a job twice.
 */
export class EmbeddedQueue implements JobQueue {
  readonly kind = 'embedded';
  readonly #db: Storage['db'];
  readonly #settings: JobQueueSettings;
  readonly #pollIntervalMs: number;
  readonly #handlers = new Map<string, JobHandler<object>>();
  readonly #schedules = new Map<string, { intervalSeconds: number; data: object }>();
  readonly #running = new Map<string, RunningJob>();
  readonly #everyTimers = new Map<string, NodeJS.Timeout>();
  #started = false;
  #pollTimer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #pollAgain = false;
  #lastPrune = 0;
  #lastRenew = 0;

  constructor(storage: Storage, settings: JobQueueSettings) {
    this.#db = storage.db;
    this.#settings = settings;
    this.#pollIntervalMs = settings.pollIntervalMs ?? jobQueueDefaults.pollIntervalMs;
  }

  async work<T extends object>(queue: string, handler: JobHandler<T>): Promise<void> {
    if (this.#handlers.has(queue)) throw new Error(`Queue ${queue} already has a handler.`);
    this.#handlers.set(queue, handler as JobHandler<object>);
    this.#wake();
  }

  async send<T extends object>(queue: string, data: T, options: JobOptions = {}): Promise<string | null> {
    const now = isoNow();
    const job: Insertable<JobTable> = {
      id: randomUUID(),
      queue,
      data: JSON.stringify(data),
      singleton_key: options.singletonKey ?? null,
      state: 'created',
      run_after: options.startAfterSeconds ? isoIn(options.startAfterSeconds) : now,
      attempts: 0,
      retry_limit: options.retryLimit ?? this.#settings.retryLimit,
      retry_delay_seconds: options.retryDelaySeconds ?? this.#settings.retryDelaySeconds,
      created_at: now,
    };
    const key = options.singletonKey;
    if (key === undefined) {
      await this.#db.insertInto('jobs').values(job).execute();
    } else {
      // Insert-unless-one-waits-or-runs in one statement, so two senders cannot both get in.
      const columns = Object.keys(job) as (keyof typeof job & string)[];
      const result = await this.#db
        .insertInto('jobs')
        .columns(columns)
        .expression(
          this.#db
            .selectNoFrom((eb) => columns.map((column) => eb.val(job[column]).as(column)))
            .where(({ not, exists, selectFrom }) =>
              not(
                exists(
                  selectFrom('jobs')
                    .select('id')
                    .where('queue', '=', queue)
                    .where('singleton_key', '=', key)
                    .where('state', 'in', ['created', 'active']),
                ),
              ),
            ),
        )
        .executeTakeFirst();
      if (!result.numInsertedOrUpdatedRows) return null;
    }
    if (!options.startAfterSeconds && this.#handlers.has(queue)) this.#wake();
    return job.id;
  }

  async every(queue: string, intervalSeconds: number, data: object = {}): Promise<void> {
    if (!(intervalSeconds > 0)) throw new Error(`every(${queue}): the interval must be a positive number of seconds.`);
    this.#schedules.set(queue, { intervalSeconds, data });
    if (this.#started) this.#startSchedule(queue, intervalSeconds, data);
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    for (const [queue, { intervalSeconds, data }] of this.#schedules) this.#startSchedule(queue, intervalSeconds, data);
    this.#pollTimer = setTimeout(this.#poll, 0);
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    clearTimeout(this.#pollTimer);
    for (const timer of this.#everyTimers.values()) clearInterval(timer);
    this.#everyTimers.clear();
    // A poll round may be claiming jobs right now: its handlers must be among those waited for.
    await this.#polling;
    const running = [...this.#running.values()];
    if (running.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      Promise.all(running.map((job) => job.done)).then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), this.#settings.stopTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (!finished) {
      const queues = [...new Set([...this.#running.values()].map((job) => job.queue))];
      this.#settings.log.warn({ queues, count: this.#running.size }, 'job queue stopped with handlers still running; their jobs are taken over once their lock lapses');
    }
  }

  #startSchedule(queue: string, intervalSeconds: number, data: object): void {
    const send = () =>
      this.send(queue, data, { singletonKey: EVERY_KEY }).catch((error: unknown) =>
        this.#settings.log.error({ queue, error: failureMessage(error) }, 'could not send a scheduled job'),
      );
    clearInterval(this.#everyTimers.get(queue));
    this.#everyTimers.set(queue, setInterval(send, intervalSeconds * 1000));
  }

  /** Polls now rather than at the next tick: a job was sent or a handler slot freed up. */
  #wake(): void {
    if (!this.#started) return;
    if (this.#polling) {
      this.#pollAgain = true;
      return;
    }
    clearTimeout(this.#pollTimer);
    this.#pollTimer = setTimeout(this.#poll, 0);
  }

  #poll = async (): Promise<void> => {
    if (this.#polling) {
      this.#pollAgain = true;
      return;
    }
    this.#pollAgain = false;
    this.#polling = this.#pollRound();
    await this.#polling;
    this.#polling = undefined;
    if (this.#started) this.#pollTimer = setTimeout(this.#poll, this.#pollAgain ? 0 : this.#pollIntervalMs);
  };

  async #pollRound(): Promise<void> {
    try {
      await this.#renewLocks();
      await this.#prune();
      const due = await this.#dueQueues();
      for (const [queue, handler] of this.#handlers) {
        if (!this.#started) return;
        if (due.has(queue)) await this.#claimAndRun(queue, handler);
      }
    } catch (error) {
      this.#settings.log.error({ error: failureMessage(error) }, 'job queue poll failed');
    }
  }

  /**
   * The queues with a job to claim now, in one read. The claim is a write per queue, and on SQLite every statement
   * runs on the event loop: claiming in each of the server's queues every second held it for 2 to 6 ms, which every
   * request arriving meanwhile waited out (docs/performance.md). The claim itself still decides who takes a job.
   */
  async #dueQueues(): Promise<Set<string>> {
    const queues = [...this.#handlers.keys()];
    if (queues.length === 0) return new Set();
    const now = isoNow();
    // Two index seeks (jobs_due: queue, state, run_after) rather than one OR the planner could only scan for.
    const rows = await this.#db
      .selectFrom('jobs')
      .select('queue')
      .where('queue', 'in', queues)
      .where('state', '=', 'created')
      .where('run_after', '<=', now)
      .union(this.#db.selectFrom('jobs').select('queue').where('queue', 'in', queues).where('state', '=', 'active').where('locked_until', '<', now))
      .execute();
    return new Set(rows.map((row) => row.queue));
  }

  async #claimAndRun(queue: string, handler: JobHandler<object>): Promise<void> {
    const mine = [...this.#running].filter(([, job]) => job.queue === queue).map(([id]) => id);
    const free = this.#settings.concurrency - mine.length;
    if (free <= 0) return;
    const now = isoNow();
    const claimed = await this.#db
      .updateTable('jobs')
      .set((eb) => ({ state: 'active', attempts: eb('attempts', '+', 1), locked_until: isoIn(LOCK_SECONDS) }))
      .where((eb) =>
        eb(
          'id',
          'in',
          eb
            .selectFrom('jobs')
            .select('id')
            .where('queue', '=', queue)
            .where((due) =>
              due.or([
                due.and([due('state', '=', 'created'), due('run_after', '<=', now)]),
                // Its worker died (or stopped without waiting for it): take it over.
                due.and([due('state', '=', 'active'), due('locked_until', '<', now)]),
              ]),
            )
            .$if(mine.length > 0, (query) => query.where('id', 'not in', mine))
            .orderBy('run_after')
            .orderBy('created_at')
            .limit(free),
        ),
      )
      .returningAll()
      .execute();
    for (const job of claimed) {
      // A job taken over after its last attempt had its chances: its worker died while running it.
      if (job.attempts > job.retry_limit + 1) await this.#fail(job, 'its worker stopped while running it');
      else this.#run(job, handler);
    }
  }

  #run(job: JobRow, handler: JobHandler<object>): void {
    const done = (async () => {
      let failure: string | undefined;
      try {
        await handler(JSON.parse(job.data) as object, { attempt: job.attempts });
      } catch (error) {
        failure = failureMessage(error);
      }
      try {
        if (failure === undefined) await this.#complete(job);
        else await this.#fail(job, failure);
      } catch (error) {
        this.#settings.log.error({ queue: job.queue, jobId: job.id, error: failureMessage(error) }, 'could not record a job result');
      }
    })();
    this.#running.set(job.id, { queue: job.queue, done });
    void done.then(() => {
      this.#running.delete(job.id);
      this.#wake();
    });
  }

  async #complete(job: JobRow): Promise<void> {
    await this.#db
      .updateTable('jobs')
      .set({ state: 'completed', completed_at: isoNow(), locked_until: null })
      .where('id', '=', job.id)
      .where('state', '=', 'active')
      .execute();
  }

  async #fail(job: JobRow, message: string): Promise<void> {
    const log = { queue: job.queue, jobId: job.id, attempt: job.attempts, error: message };
    const update = this.#db.updateTable('jobs').where('id', '=', job.id).where('state', '=', 'active');
    if (job.attempts > job.retry_limit) {
      this.#settings.log.error(log, 'job failed for good');
      await update.set({ state: 'failed', completed_at: isoNow(), locked_until: null, last_error: message }).execute();
      return;
    }
    const delaySeconds = job.retry_delay_seconds * 2 ** Math.min(job.attempts - 1, 16);
    this.#settings.log.warn({ ...log, retryInSeconds: delaySeconds }, 'job failed; retrying later');
    await update.set({ state: 'created', run_after: isoIn(delaySeconds), locked_until: null, last_error: message }).execute();
  }

  /** Running jobs keep their lock, so a long handler is not taken over while it runs. */
  async #renewLocks(): Promise<void> {
    if (this.#running.size === 0 || Date.now() - this.#lastRenew < (LOCK_SECONDS * 1000) / 3) return;
    this.#lastRenew = Date.now();
    await this.#db
      .updateTable('jobs')
      .set({ locked_until: isoIn(LOCK_SECONDS) })
      .where('id', 'in', [...this.#running.keys()])
      .where('state', '=', 'active')
      .execute();
  }

  async #prune(): Promise<void> {
    if (Date.now() - this.#lastPrune < PRUNE_EVERY_MS) return;
    this.#lastPrune = Date.now();
    await this.#db
      .deleteFrom('jobs')
      .where('state', 'in', ['completed', 'failed'])
      .where('completed_at', '<', isoIn(-KEEP_FINISHED_SECONDS))
      .execute();
  }
}
