import { sql, type Kysely } from 'kysely';

/**
 * The credential audit log is read per project, newest last (the management API's audit log), and swept by age
 * (SWITCHBOARD_CREDENTIAL_EVENT_RETENTION_DAYS): an index for each keeps both off a scan of every entry ever
 * written. Credentials count the refresh failures since their last successful refresh, as their views show it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('credential_events_by_project').on('credential_events').columns(['project_id', 'created_at']).execute();
  await db.schema.createIndex('credential_events_by_age').on('credential_events').columns(['created_at']).execute();
  await db.schema
    .alterTable('credentials')
    .addColumn('refresh_failure_count', 'integer', (c) => c.notNull().defaultTo(sql`0`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('credentials').dropColumn('refresh_failure_count').execute();
  await db.schema.dropIndex('credential_events_by_age').execute();
  await db.schema.dropIndex('credential_events_by_project').execute();
}
