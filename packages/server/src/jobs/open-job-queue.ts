import type { FastifyBaseLogger } from 'fastify';
import type { Storage } from '../storage/database.js';
import { EmbeddedQueue } from './embedded-queue.js';
import { jobQueueDefaults, type JobQueue, type JobQueueSettings } from './job-queue.js';
import { PgBossQueue } from './pg-boss-queue.js';

export interface OpenJobQueueOptions {
  storage: Storage;
  /** The Postgres connection string pg-boss opens its own pool with; required when storage is Postgres. */
  databaseUrl?: string;
  log: FastifyBaseLogger;
  pollIntervalMs?: number;
  concurrency?: number;
  stopTimeoutMs?: number;
}

/** The queue that fits the storage: pg-boss on Postgres, the embedded queue on SQLite. */
export function openJobQueue(options: OpenJobQueueOptions): JobQueue {
  const settings: JobQueueSettings = {
    log: options.log,
    retryLimit: jobQueueDefaults.retryLimit,
    retryDelaySeconds: jobQueueDefaults.retryDelaySeconds,
    pollIntervalMs: options.pollIntervalMs,
    concurrency: options.concurrency ?? jobQueueDefaults.concurrency,
    stopTimeoutMs: options.stopTimeoutMs ?? jobQueueDefaults.stopTimeoutMs,
  };
  if (options.storage.dialect === 'postgres') {
    if (!options.databaseUrl) throw new Error('The pg-boss job queue needs the Postgres connection string (DATABASE_URL).');
    return new PgBossQueue(options.storage, options.databaseUrl, settings);
  }
  return new EmbeddedQueue(options.storage, settings);
}
