import type { Kysely } from 'kysely';

// Proxy and token lifecycle: the private-network opt-in per project, when a credential was last used
// (the background refresh only keeps credentials in use fresh), and the embedded job queue's table.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('projects')
    .addColumn('allow_private_upstreams', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('credentials').addColumn('last_used_at', 'text').execute();
  await db.schema.createIndex('credentials_by_expiry').on('credentials').columns(['status', 'expires_at']).execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('queue', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('singleton_key', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('run_after', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('retry_limit', 'integer', (c) => c.notNull())
    .addColumn('retry_delay_seconds', 'integer', (c) => c.notNull())
    .addColumn('locked_until', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .execute();
  await db.schema.createIndex('jobs_due').on('jobs').columns(['queue', 'state', 'run_after']).execute();
}
