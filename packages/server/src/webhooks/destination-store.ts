import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { WebhookDestination, WebhookDestinationChanges, WebhookDestinationInput, WebhookEventType } from '@switchboard/wire';
import { isoIn, isoNow } from '../clock.js';
import { parseJson } from '../json.js';
import type { SecretBox } from '../secrets/envelope.js';
import type { Database, WebhookDestinationRow } from '../storage/schema.js';
import { newSigningSecret, openSigningSecret, sealSigningSecret } from './signing.js';

type Db = Kysely<Database>;

/** How long deliveries are also signed with the secret a rotation replaced, so receivers can switch without a gap. */
export const ROTATION_OVERLAP_SECONDS = 24 * 3600;

export const destinationView = (row: WebhookDestinationRow): WebhookDestination => ({
  id: row.id,
  url: row.url,
  events: parseJson<WebhookEventType[]>(row.events, []),
  enabled: row.enabled === 1,
  description: row.description,
  dateCreated: row.created_at,
  dateUpdated: row.updated_at,
});

export async function listDestinations(db: Db, projectId: string): Promise<WebhookDestination[]> {
  const rows = await db.selectFrom('webhook_destinations').selectAll().where('project_id', '=', projectId).orderBy('created_at').orderBy('id').execute();
  return rows.map(destinationView);
}

export async function findDestinationRow(db: Db, projectId: string, id: string): Promise<WebhookDestinationRow | undefined> {
  return db.selectFrom('webhook_destinations').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
}

/** The enabled destinations of a project that asked for this event type. */
export async function subscribedDestinations(db: Db, projectId: string, type: WebhookEventType): Promise<WebhookDestinationRow[]> {
  const rows = await db.selectFrom('webhook_destinations').selectAll().where('project_id', '=', projectId).where('enabled', '=', 1).execute();
  return rows.filter((row) => parseJson<string[]>(row.events, []).includes(type));
}

/** Creates the destination; answers it with its signing secret, which is never shown again. */
export async function createDestination(db: Db, box: SecretBox, projectId: string, input: WebhookDestinationInput): Promise<{ row: WebhookDestinationRow; secret: string }> {
  const id = randomUUID();
  const now = isoNow();
  const secret = newSigningSecret();
  const row: WebhookDestinationRow = {
    id,
    project_id: projectId,
    url: input.url,
    events: JSON.stringify(input.events),
    enabled: input.enabled === false ? 0 : 1,
    description: input.description ?? '',
    secret_sealed: sealSigningSecret(box, id, secret),
    previous_secret_sealed: null,
    previous_secret_until: null,
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('webhook_destinations').values(row).execute();
  return { row, secret };
}

export async function updateDestination(db: Db, row: WebhookDestinationRow, changes: WebhookDestinationChanges): Promise<WebhookDestinationRow> {
  const set = {
    ...(changes.url !== undefined && { url: changes.url }),
    ...(changes.events !== undefined && { events: JSON.stringify(changes.events) }),
    ...(changes.enabled !== undefined && { enabled: changes.enabled ? 1 : 0 }),
    ...(changes.description !== undefined && { description: changes.description }),
    updated_at: isoNow(),
  };
  await db.updateTable('webhook_destinations').set(set).where('id', '=', row.id).execute();
  return { ...row, ...set };
}

/** A new signing secret; the one it replaces keeps signing beside it for ROTATION_OVERLAP_SECONDS. */
export async function rotateSigningSecret(db: Db, box: SecretBox, row: WebhookDestinationRow): Promise<{ row: WebhookDestinationRow; secret: string }> {
  const secret = newSigningSecret();
  const set = {
    secret_sealed: sealSigningSecret(box, row.id, secret),
    previous_secret_sealed: sealSigningSecret(box, row.id, openSigningSecret(box, row.id, row.secret_sealed), 'previous_secret_sealed'),
    previous_secret_until: isoIn(ROTATION_OVERLAP_SECONDS),
    updated_at: isoNow(),
  };
  await db.updateTable('webhook_destinations').set(set).where('id', '=', row.id).execute();
  return { row: { ...row, ...set }, secret };
}

/** The secrets a delivery is signed with now: the current one, and the one before it during the overlap. */
export function signingSecretsOf(box: SecretBox, row: WebhookDestinationRow): string[] {
  const secrets = [openSigningSecret(box, row.id, row.secret_sealed)];
  if (row.previous_secret_sealed && row.previous_secret_until && row.previous_secret_until > isoNow()) {
    secrets.push(openSigningSecret(box, row.id, row.previous_secret_sealed, 'previous_secret_sealed'));
  }
  return secrets;
}

export async function deleteDestination(db: Db, projectId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('webhook_destinations').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
