/** The database a bench's Switchboard runs on: SQLite in its data dir, or a fresh schema of a Postgres database. */
import { createScratchSchema } from './postgres-schema.js';
import type { BenchRun } from './processes.js';

export interface BenchDatabase {
  /** DATABASE_URL for Postgres; undefined for SQLite (the server's default). */
  url: string | undefined;
  /** What the report's header says about it. */
  line: string;
}

/**
 * SQLite, or a fresh schema of DATABASE_URL, else TEST_DATABASE_URL, else the local Postgres, dropped when the run
 * ends (on failure and Ctrl-C too).
 */
export async function benchDatabase(run: BenchRun, kind: 'sqlite' | 'postgres'): Promise<BenchDatabase> {
  if (kind === 'sqlite') return { url: undefined, line: 'SQLite in a temp data dir' };
  const base = process.env.DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const scratch = await createScratchSchema(base, 'sb_bench');
  run.onCleanup(() => scratch.drop());
  return { url: scratch.url, line: `Postgres ${scratch.postgresVersion} (local), schema ${scratch.schema}` };
}

/** The env that points a bench server at `database`. */
export const databaseEnv = (database: BenchDatabase): Record<string, string> => (database.url ? { DATABASE_URL: database.url } : {});
