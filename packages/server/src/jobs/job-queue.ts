import type { FastifyBaseLogger } from 'fastify';

export interface JobOptions {
  /** At most one job per (queue, singletonKey) waiting or running; send() answers null when one already waits. */
  singletonKey?: string;
  startAfterSeconds?: number;
  /** Retries after the first failure (default 3), with exponential backoff from retryDelaySeconds (default 5). */
  retryLimit?: number;
  retryDelaySeconds?: number;
}

/** What a handler is told about the job besides its data. */
export interface JobRun {
  /**
   * 1 for the first run; more when an earlier run failed or its worker died while running it (the job was taken
   * over). An earlier run may have done part of its work.
   */
  attempt: number;
}

export type JobHandler<T> = (data: T, run: JobRun) => Promise<void>;

/** Durable background jobs: the embedded adapter on the app's SQLite, pg-boss on Postgres. */
export interface JobQueue {
  readonly kind: 'embedded' | 'pg-boss';
  /** Handles jobs of `queue` in this process. */
  work<T extends object>(queue: string, handler: JobHandler<T>): Promise<void>;
  send<T extends object>(queue: string, data: T, options?: JobOptions): Promise<string | null>;
  /**
   * Runs `queue` about every intervalSeconds, once across all server processes. pg-boss schedules by cron, so its
   * interval is rounded up to whole minutes (and to whole hours past an hour); see `cronFor` in pg-boss-queue.ts.
   */
  every(queue: string, intervalSeconds: number, data?: object): Promise<void>;
  start(): Promise<void>;
  /** Stops taking jobs and waits (bounded, a few seconds) for running handlers. */
  stop(): Promise<void>;
}

/** Every default of the job queue, in one place. */
export const jobQueueDefaults = {
  /** Retries after the first failure. */
  retryLimit: 3,
  /** The first retry waits this long; each further retry twice as long as the one before. */
  retryDelaySeconds: 5,
  /** How often the embedded queue looks for due jobs (pg-boss keeps its own 2 s unless told). */
  pollIntervalMs: 1000,
  /** Handlers of one queue running at once in one process. */
  concurrency: 4,
  /** How long stop() waits for running handlers. */
  stopTimeoutMs: 5000,
};

/** What an adapter is built with: the defaults above, overridden by openJobQueue's options. */
export interface JobQueueSettings {
  log: FastifyBaseLogger;
  retryLimit: number;
  retryDelaySeconds: number;
  /** Given: the embedded poll interval, and pg-boss's worker polling (at least its minimum of 500 ms). */
  pollIntervalMs: number | undefined;
  concurrency: number;
  stopTimeoutMs: number;
}

/** A failure as a job may record it: the message only, never the data or the error's other fields. */
export function failureMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 1000 ? `${message.slice(0, 1000)}…` : message;
}
