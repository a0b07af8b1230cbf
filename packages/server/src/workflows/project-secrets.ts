import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ProjectSecret } from '@switchboard/wire';
import { isoNow } from '../clock.js';
import { sealedAad, type SecretBox } from '../secrets/envelope.js';
import type { Database } from '../storage/schema.js';

/**
 * A project's environment secrets for workflow steps (`{{secrets.<name>}}`): sealed at rest, listed by name only,
 * opened only for a run. The row id is in the AAD, so a sealed value moved to another row does not open.
 */

type Db = Kysely<Database>;
const aad = (id: string) => sealedAad('project_secrets', 'value_sealed', id);

export async function listProjectSecrets(db: Db, projectId: string): Promise<ProjectSecret[]> {
  const rows = await db.selectFrom('project_secrets').select(['name', 'created_at', 'updated_at']).where('project_id', '=', projectId).orderBy('name').execute();
  return rows.map((row) => ({ name: row.name, dateCreated: row.created_at, dateUpdated: row.updated_at }));
}

/** Sets the secret's value, creating it if need be; answers whether it was created. */
export async function putProjectSecret(db: Db, box: SecretBox, projectId: string, name: string, value: string): Promise<boolean> {
  const now = isoNow();
  const existing = await db.selectFrom('project_secrets').select('id').where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
  if (existing) {
    await db.updateTable('project_secrets').set({ value_sealed: box.seal(value, aad(existing.id)), updated_at: now }).where('id', '=', existing.id).execute();
    return false;
  }
  const id = randomUUID();
  const inserted = await db
    .insertInto('project_secrets')
    .values({ id, project_id: projectId, name, value_sealed: box.seal(value, aad(id)), created_at: now, updated_at: now })
    .onConflict((conflict) => conflict.columns(['project_id', 'name']).doNothing())
    .executeTakeFirst();
  // Another write created it first: this value replaces that one, as a later PUT would.
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return putProjectSecret(db, box, projectId, name, value);
  return true;
}

export async function deleteProjectSecret(db: Db, projectId: string, name: string): Promise<boolean> {
  const result = await db.deleteFrom('project_secrets').where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Every secret's value, for a run's `{{secrets.…}}`. */
export async function openProjectSecrets(db: Db, box: SecretBox, projectId: string): Promise<Record<string, string>> {
  const rows = await db.selectFrom('project_secrets').select(['id', 'name', 'value_sealed']).where('project_id', '=', projectId).execute();
  return Object.fromEntries(rows.map((row) => [row.name, box.open(row.value_sealed, aad(row.id))]));
}
