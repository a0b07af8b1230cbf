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
