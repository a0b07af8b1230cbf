import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { isoNow } from '../clock.js';
import type { Database } from '../storage/schema.js';
import type { CredentialEvent, CredentialEventName } from '@switchboard/wire';

export type { CredentialEventName };

/** Appends to the credential audit log. `detail` is shown to admins: never put a secret in it. */
export async function recordCredentialEvent(
  db: Kysely<Database> | Transaction<Database>,
  event: {
    projectId: string;
    credentialId: string;
    connectedUserId: string;
    integrationId: string;
    event: CredentialEventName;
    detail?: Record<string, unknown>;
  },
): Promise<void> {
  await db
    .insertInto('credential_events')
    .values({
      id: randomUUID(),
      project_id: event.projectId,
      credential_id: event.credentialId,
      connected_user_id: event.connectedUserId,
      integration_id: event.integrationId,
      event: event.event,
      detail: JSON.stringify(event.detail ?? {}),
      created_at: isoNow(),
    })
    .execute();
}

/** Entries removed per statement: a sweep never holds a long lock on a log busy servers append to. */
const RETENTION_BATCH = 500;

/** Removes audit-log entries created more than `retentionDays` before `now` (0 keeps them all). Answers how many. */
export async function removeOldCredentialEvents(db: Kysely<Database>, retentionDays: number, now: Date = new Date()): Promise<number> {
  if (retentionDays <= 0) return 0;
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000).toISOString();
  let removed = 0;
  for (;;) {
    const ids = (await db.selectFrom('credential_events').select('id').where('created_at', '<', cutoff).limit(RETENTION_BATCH).execute()).map((row) => row.id);
    if (ids.length === 0) return removed;
    await db.deleteFrom('credential_events').where('id', 'in', ids).execute();
    removed += ids.length;
    if (ids.length < RETENTION_BATCH) return removed;
  }
}

export async function listCredentialEvents(db: Kysely<Database>, projectId: string, filter: { credentialId?: string } = {}): Promise<CredentialEvent[]> {
  let query = db.selectFrom('credential_events').selectAll().where('project_id', '=', projectId);
  if (filter.credentialId) query = query.where('credential_id', '=', filter.credentialId);
  const rows = await query.orderBy('created_at').execute();
  return rows.map((row) => ({
    id: row.id,
    credentialId: row.credential_id,
    connectedUserId: row.connected_user_id,
    integrationId: row.integration_id,
    event: row.event as CredentialEventName,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    dateCreated: row.created_at,
  }));
}
