import type { Kysely } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { Database } from '../storage/schema.js';
import { removeOldCredentialEvents } from '../credentials/audit-log.js';
import { TERMINAL } from './run-store.js';
import type { RunStatus } from '@switchboard/wire';

export const WORKFLOW_RETENTION_QUEUE = 'workflow-run-retention';

/** Runs removed per statement: a sweep never holds a long lock on the runs a busy server is writing. */
const BATCH = 500;

/**
 * Removes finished runs created more than `retentionDays` before `now`, with their step journal (the steps go by
 * the foreign key's cascade). A run still going is kept whatever its age. Answers how many runs were removed.
 */
export async function removeOldRuns(db: Kysely<Database>, retentionDays: number, now: Date = new Date()): Promise<number> {
  if (retentionDays <= 0) return 0;
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000).toISOString();
  let removed = 0;
  for (;;) {
    const batch = await db
      .selectFrom('workflow_runs')
      .select('id')
      .where('created_at', '<', cutoff)
      .where('status', 'in', TERMINAL as RunStatus[])
      .limit(BATCH)
      .execute();
    if (batch.length === 0) return removed;
    const ids = batch.map((row) => row.id);
    await db.transaction().execute(async (trx) => {
      // Explicit, not only the cascade: the journal goes first so no step outlives its run on either database.
      await trx.deleteFrom('workflow_run_steps').where('run_id', 'in', ids).execute();
      await trx.deleteFrom('workflow_runs').where('id', 'in', ids).execute();
    });
    removed += ids.length;
    if (batch.length < BATCH) return removed;
  }
}

/**
 * The periodic sweep: once across all instances, every `retentionSweepSeconds` (docs/configuration.md). It also
 * removes the credential audit log's old entries, the other table that grows with use.
 */
export async function scheduleRunRetention(context: AppContext, jobs: JobQueue): Promise<void> {
  const { workflows: { runRetentionDays, retentionSweepSeconds }, credentialEventRetentionDays } = context.config;
  if (runRetentionDays <= 0 && credentialEventRetentionDays <= 0) return;
  await jobs.work(WORKFLOW_RETENTION_QUEUE, async () => {
    const removed = await removeOldRuns(context.db, runRetentionDays);
    if (removed > 0) context.log.info({ removed, retentionDays: runRetentionDays }, 'removed old workflow runs');
    const events = await removeOldCredentialEvents(context.db, credentialEventRetentionDays);
    if (events > 0) context.log.info({ removed: events, retentionDays: credentialEventRetentionDays }, 'removed old credential audit-log entries');
  });
  await jobs.every(WORKFLOW_RETENTION_QUEUE, retentionSweepSeconds);
}
