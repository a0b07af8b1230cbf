import type { Kysely } from 'kysely';

/**
 * Each run's end counts its project's RUNNING runs and looks for runs its concurrency limit held; the recovery sweep
 * looks for lapsed leases. Indexes of their own keep both off a scan of every run a project ever had.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('workflow_runs_by_status').on('workflow_runs').columns(['status', 'project_id']).execute();
  await db.schema.createIndex('workflow_runs_by_lease').on('workflow_runs').columns(['lease_until']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('workflow_runs_by_lease').execute();
  await db.schema.dropIndex('workflow_runs_by_status').execute();
}
