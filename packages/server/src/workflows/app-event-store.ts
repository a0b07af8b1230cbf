import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AppEvent, AppEventInput } from '@switchboard/wire';
import { isoNow } from '../clock.js';
import { parseJson } from '../json.js';
import type { AppEventTable, Database } from '../storage/schema.js';

/** App events a project's app sends, by name; a workflow's App Event trigger names one. */

type Db = Kysely<Database>;
const toAppEvent = (row: AppEventTable): AppEvent => ({
  id: row.id,
  name: row.name,
  schema: parseJson<Record<string, unknown>>(row.schema, {}),
  samplePayload: parseJson<unknown>(row.sample_payload, {}),
  dateCreated: row.created_at,
  dateUpdated: row.updated_at,
});

export async function listAppEvents(db: Db, projectId: string): Promise<AppEvent[]> {
  return (await db.selectFrom('app_events').selectAll().where('project_id', '=', projectId).orderBy('name').execute()).map(toAppEvent);
}

export async function findAppEvent(db: Db, projectId: string, name: string): Promise<AppEvent | undefined> {
  const row = await db.selectFrom('app_events').selectAll().where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
  return row && toAppEvent(row);
}

/** Creates the event, or replaces its schema and sample; the same body twice leaves it as it was. */
export async function putAppEvent(db: Db, projectId: string, name: string, input: Omit<AppEventInput, 'name'>): Promise<{ event: AppEvent; created: boolean }> {
  const now = isoNow();
  const schema = JSON.stringify(input.schema ?? {});
  const sample = JSON.stringify(input.samplePayload ?? {});
  const existing = await db.selectFrom('app_events').selectAll().where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
  if (existing) {
    if (existing.schema !== schema || existing.sample_payload !== sample) {
      await db.updateTable('app_events').set({ schema, sample_payload: sample, updated_at: now }).where('id', '=', existing.id).execute();
    }
    return { event: (await findAppEvent(db, projectId, name))!, created: false };
  }
  await db
    .insertInto('app_events')
    .values({ id: randomUUID(), project_id: projectId, name, schema, sample_payload: sample, created_at: now, updated_at: now })
    // Two first PUTs at once: the second finds the first's row and is an update of nothing.
    .onConflict((conflict) => conflict.columns(['project_id', 'name']).doNothing())
    .execute();
  return { event: (await findAppEvent(db, projectId, name))!, created: true };
}

export async function deleteAppEvent(db: Db, projectId: string, name: string): Promise<boolean> {
  const result = await db.deleteFrom('app_events').where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
