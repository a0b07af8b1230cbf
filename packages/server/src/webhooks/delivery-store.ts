import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus, WebhookEventType } from '@switchboard/wire';
import { isoNow } from '../clock.js';
import { parseJson } from '../json.js';
import type { Database, WebhookDeliveryRow } from '../storage/schema.js';

type Db = Kysely<Database>;

/** The log keeps this much of a receiver's answer: enough to read an error message, never a whole page. */
export const EXCERPT_CHARACTERS = 500;

export async function insertDeliveries(
  db: Db,
  event: { projectId: string; eventId: string; type: WebhookEventType; payload: string },
  destinationIds: readonly string[],
): Promise<string[]> {
  if (destinationIds.length === 0) return [];
  const now = isoNow();
  const rows = destinationIds.map((destinationId) => ({
    id: randomUUID(),
    project_id: event.projectId,
    destination_id: destinationId,
    event_id: event.eventId,
    event_type: event.type,
    payload: event.payload,
    status: 'PENDING',
    attempt_count: 0,
    round_start: 0,
    next_attempt_at: now,
    created_at: now,
    updated_at: now,
  }));
  await db.insertInto('webhook_deliveries').values(rows).execute();
  return rows.map((row) => row.id);
}

/**
 * Takes try number `attempt` of a PENDING delivery: only one job (of possibly several queued for it) wins, so the
 * receiver gets each try once. Until `lostAfter` the try counts as running; past it, a sweep presumes it lost.
 */
export async function claimAttempt(db: Db, deliveryId: string, attempt: number, lostAfter: string): Promise<WebhookDeliveryRow | undefined> {
  const result = await db
    .updateTable('webhook_deliveries')
    .set({ attempt_count: attempt, next_attempt_at: lostAfter, updated_at: isoNow() })
    .where('id', '=', deliveryId)
    .where('status', '=', 'PENDING')
    .where('attempt_count', '=', attempt - 1)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) return undefined;
  return db.selectFrom('webhook_deliveries').selectAll().where('id', '=', deliveryId).executeTakeFirst();
}

export interface AttemptRecord {
  attempt: number;
  startedAt: string;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseExcerpt: string | null;
}

/** Logs the try and moves the delivery on: to its next try's time (still PENDING), or to a final status. */
export async function recordAttempt(db: Db, deliveryId: string, record: AttemptRecord, next: { status: WebhookDeliveryStatus; nextAttemptAt: string | null }): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('webhook_attempts')
      .values({
        delivery_id: deliveryId,
        attempt: record.attempt,
        started_at: record.startedAt,
        duration_ms: record.durationMs,
        status_code: record.statusCode,
        error: record.error,
        response_excerpt: record.responseExcerpt,
      })
      .execute();
    await trx
      .updateTable('webhook_deliveries')
      .set({ status: next.status, next_attempt_at: next.nextAttemptAt, updated_at: isoNow() })
      .where('id', '=', deliveryId)
      .where('attempt_count', '=', record.attempt)
      .execute();
  });
}

/** Ends a delivery that can no longer be tried (its destination was disabled or removed meanwhile). */
export async function endDelivery(db: Db, deliveryId: string, status: WebhookDeliveryStatus): Promise<void> {
  await db.updateTable('webhook_deliveries').set({ status, next_attempt_at: null, updated_at: isoNow() }).where('id', '=', deliveryId).execute();
}

/** A finished delivery gets a new round of tries, due now; answers the try number to take next, or undefined when it is still PENDING. */
export async function reopenDelivery(db: Db, row: WebhookDeliveryRow): Promise<number | undefined> {
  const result = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'PENDING', round_start: row.attempt_count, next_attempt_at: isoNow(), updated_at: isoNow() })
    .where('id', '=', row.id)
    .where('status', '!=', 'PENDING')
    .where('attempt_count', '=', row.attempt_count)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 0 ? undefined : row.attempt_count + 1;
}

/** PENDING deliveries whose try is overdue by `graceSeconds`: their job was lost, or their worker died mid-try. */
export async function overdueDeliveries(db: Db, before: string): Promise<{ id: string; attempt_count: number }[]> {
  return db
    .selectFrom('webhook_deliveries')
    .select(['id', 'attempt_count'])
    .where('status', '=', 'PENDING')
    .where('next_attempt_at', '<', before)
    .orderBy('next_attempt_at')
    .limit(500)
    .execute();
}

/** Moves an overdue delivery past its lost try, so the next job claims `attempt_count + 1`; answers whether this caller did. */
export async function skipLostAttempt(db: Db, deliveryId: string, attemptCount: number, dueAt: string): Promise<boolean> {
  const result = await db
    .updateTable('webhook_deliveries')
    .set({ next_attempt_at: dueAt, updated_at: isoNow() })
    .where('id', '=', deliveryId)
    .where('status', '=', 'PENDING')
    .where('attempt_count', '=', attemptCount)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function findDeliveryRow(db: Db, projectId: string, id: string): Promise<WebhookDeliveryRow | undefined> {
  return db.selectFrom('webhook_deliveries').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
}

export async function deliveryView(db: Db, row: WebhookDeliveryRow): Promise<WebhookDelivery> {
  const attempts = await db.selectFrom('webhook_attempts').selectAll().where('delivery_id', '=', row.id).orderBy('attempt').execute();
  return toDelivery(row, attempts.map(toAttempt));
}

/** A destination's deliveries, newest first, with their tries. */
export async function listDeliveries(db: Db, destinationId: string, filter: { status?: WebhookDeliveryStatus; limit: number }): Promise<WebhookDelivery[]> {
  let query = db.selectFrom('webhook_deliveries').selectAll().where('destination_id', '=', destinationId);
  if (filter.status) query = query.where('status', '=', filter.status);
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  if (rows.length === 0) return [];
  const attempts = await db
    .selectFrom('webhook_attempts')
    .selectAll()
    .where(
      'delivery_id',
      'in',
      rows.map((row) => row.id),
    )
    .orderBy('attempt')
    .execute();
  const byDelivery = new Map<string, WebhookAttempt[]>();
  for (const attempt of attempts) byDelivery.set(attempt.delivery_id, [...(byDelivery.get(attempt.delivery_id) ?? []), toAttempt(attempt)]);
  return rows.map((row) => toDelivery(row, byDelivery.get(row.id) ?? []));
}

const toAttempt = (row: Database['webhook_attempts']): WebhookAttempt => ({
  attempt: row.attempt,
  dateStarted: row.started_at,
  durationMs: row.duration_ms,
  status: row.status_code,
  error: row.error,
  responseExcerpt: row.response_excerpt,
});

const toDelivery = (row: WebhookDeliveryRow, attempts: WebhookAttempt[]): WebhookDelivery => ({
  id: row.id,
  destinationId: row.destination_id,
  eventId: row.event_id,
  eventType: row.event_type as WebhookEventType,
  payload: parseJson<Record<string, unknown>>(row.payload, {}),
  status: row.status as WebhookDeliveryStatus,
  // While a try runs, next_attempt_at is when it is presumed lost: not a time the customer should wait for.
  nextAttemptAt: row.status === 'PENDING' ? row.next_attempt_at : null,
  attempts,
  dateCreated: row.created_at,
  dateUpdated: row.updated_at,
});

/** Removes finished deliveries (with their tries) last touched before `before`; answers how many. */
export async function pruneDeliveries(db: Db, before: string): Promise<number> {
  const result = await db.deleteFrom('webhook_deliveries').where('status', '!=', 'PENDING').where('updated_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
