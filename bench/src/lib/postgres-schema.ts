/**
 * A fresh Postgres schema for one test server or bench run, so runs never see each other's rows, and dropped at the
 * end with the schemas named after it (the job queue's pg-boss keeps its tables in `<schema>_pgboss`). Shared by the
 * benches and the test servers (packages/server/test/support/test-server.ts): one copy of the recipe.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface ScratchSchema {
  schema: string;
  /** `base` with `options=-c search_path=<schema>`: what DATABASE_URL is set to. */
  url: string;
  /** The server's `server_version`. */
  postgresVersion: string;
  /** Drops the schema and every schema named after it. */
  drop(): Promise<void>;
}

async function withClient<T>(base: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: base, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** Creates `<prefix>_<12 hex>` in the database at `base`. */
export async function createScratchSchema(base: string, prefix: string): Promise<ScratchSchema> {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  const postgresVersion = await withClient(base, async (client) => {
    await client.query(`CREATE SCHEMA ${schema}`);
    return (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?';
  });
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    schema,
    url: url.toString(),
    postgresVersion,
    drop: () =>
      withClient(base, async (client) => {
        // LIKE's `_` is a wildcard: escaped, the pattern matches this schema's name and the ones it starts.
        const { rows } = await client.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`, [`${schema.replace(/_/g, '\\_')}%`]);
        for (const { nspname } of rows) await client.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
      }),
  };
}
