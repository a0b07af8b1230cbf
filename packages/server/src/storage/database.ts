import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql, SqliteDialect, type Migration, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import * as initial from './migrations/0001-initial.js';
import * as proxyAndJobs from './migrations/0002-proxy-and-jobs.js';
import * as browserBoundOAuth from './migrations/0003-browser-bound-oauth.js';
import * as oauthSeenCredentials from './migrations/0004-oauth-seen-credentials.js';
import * as workflows from './migrations/0005-workflows.js';
import * as workflowEnablements from './migrations/0006-workflow-enablements.js';
import * as webhooks from './migrations/0007-webhooks.js';
import * as workflowRunRetention from './migrations/0008-workflow-run-retention.js';
import * as workflowRunSlots from './migrations/0009-workflow-run-slots.js';
import * as projectPortalLook from './migrations/0010-project-portal-look.js';
import * as storageHygiene from './migrations/0011-storage-hygiene.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Storage {
  db: Kysely<Database>;
  dialect: Dialect;
  close(): Promise<void>;
}

// Migrations are imported, not read from disk, so the built server needs no migration folder at run time.
const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-proxy-and-jobs': proxyAndJobs,
  '0003-browser-bound-oauth': browserBoundOAuth,
  '0004-oauth-seen-credentials': oauthSeenCredentials,
  '0005-workflows': workflows,
  '0006-workflow-enablements': workflowEnablements,
  '0007-webhooks': webhooks,
  '0008-workflow-run-retention': workflowRunRetention,
  '0009-workflow-run-slots': workflowRunSlots,
  '0010-project-portal-look': projectPortalLook,
  '0011-storage-hygiene': storageHygiene,
};

/** Where storage reports connections lost in the background (pino's logger fits). */
export interface StorageLog {
  warn(details: object, message: string): void;
}

/** Opens Postgres when a URL is given, else the SQLite file in the data dir; runs pending migrations. */
export async function openStorage(options: { databaseUrl?: string | undefined; dataDir: string; log?: StorageLog }): Promise<Storage> {
  const storage = options.databaseUrl ? openPostgres(options.databaseUrl, options.log) : openSqlite(options.dataDir);
  try {
    await migrate(storage);
  } catch (error) {
    await storage.close();
    throw error;
  }
  return storage;
}

function openSqlite(dataDir: string): Storage {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = new SQLite(join(dataDir, 'switchboard.sqlite'));
  file.pragma('journal_mode = WAL');
  file.pragma('foreign_keys = ON');
  // Writers from a second process wait instead of failing at once.
  file.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(file) }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

/**
 * Kysely prepares every query anew; compiling the SQL is most of a simple query's cost on SQLite, and the server
 * runs the same few dozen statements all day. A statement is reusable once run (Kysely never streams here).
 */
function withStatementCache(file: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (!statement) {
        // Queries with `in (?, ?, ...)` lists vary in text: keep the cache bounded.
        if (statements.size >= 1000) statements.clear();
        statement = file.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
    close: () => file.close(),
  };
}

/** A connection attempt to an unreachable host gives up after this long (the request then answers 503). */
const CONNECT_TIMEOUT_MS = 10_000;

function openPostgres(connectionString: string, log?: StorageLog): Storage {
  const pool = new pg.Pool({ connectionString, max: 10, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // A Postgres restart (or a network blip) ends pooled connections: node-postgres emits 'error' on the pool for an
  // idle one and on the client itself for one in use, and an 'error' nobody listens to kills the process. The
  // pool drops the broken client; the query in flight fails (503 DATABASE_UNAVAILABLE) and the next one connects
  // anew. The message only: pg's errors can carry the client, with its connection settings.
  const lost = (error: Error) => log?.warn({ error: error.message }, 'database connection lost');
  pool.on('error', lost);
  pool.on('connect', (client) => client.on('error', lost));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}

async function migrate({ db, dialect }: Storage): Promise<void> {
  // Without a schema, Kysely takes migration tables found in *any* schema for ours, so a second Switchboard schema
  // in the same Postgres database (search_path) would skip creating them: name the connection's own schema.
  const schema =
    dialect === 'postgres' ? (await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db)).rows[0]?.schema : undefined;
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'switchboard_migrations',
    migrationLockTableName: 'switchboard_migrations_lock',
    ...(schema && { migrationTableSchema: schema }),
  });
  for (let attempt = 1; ; attempt += 1) {
    // migrateToLatest answers a failed migration as `error`, and throws what fails before it (finding its tables).
    const error = await migrator.migrateToLatest().then(
      (result) => result.error,
      (thrown: unknown) => thrown,
    );
    if (!error) return;
    // Kysely looks for its migration tables across every schema of the database, by name: a schema, table or column
    // of someone else's dropped during that look (another installation, a test's own) fails it with "… does not
    // exist". Ours was not touched, so looking again is right; a real error still surfaces after the last attempt.
    if (attempt < MIGRATION_ATTEMPTS && VANISHED_DURING_LOOKUP.has(String((error as { code?: unknown }).code))) {
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      continue;
    }
    throw error instanceof Error ? error : new Error(String(error));
  }
}

const MIGRATION_ATTEMPTS = 10;
/** Postgres's SQLSTATEs for a schema, table or column that does not exist. */
const VANISHED_DURING_LOOKUP = new Set(['3F000', '42P01', '42703']);
