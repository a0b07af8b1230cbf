import type { Kysely } from 'kysely';

/** The retention sweep finds old runs by age across every project: an index of their own keeps it off a scan. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('workflow_runs_by_age').on('workflow_runs').columns(['created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('workflow_runs_by_age').execute();
}
