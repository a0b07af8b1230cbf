import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { isoNow } from '../clock.js';
import type { AppContext } from '../app-context.js';
import { deepFreeze, parseJson } from '../json.js';
import type { Dialect } from '../storage/database.js';
import type { ConnectedUserRow, Database } from '../storage/schema.js';

export interface ConnectedUser {
  id: string;
  projectId: string;
  /** The user token's `sub`: the customer's id for its user or organisation. */
  userId: string;
  meta: Record<string, unknown>;
  dateCreated: string;
}

const toConnectedUser = (row: ConnectedUserRow): ConnectedUser => ({
  id: row.id,
  projectId: row.project_id,
  userId: row.external_id,
  meta: parseJson<Record<string, unknown>>(row.meta, {}),
  dateCreated: row.created_at,
});

async function findBySub(db: Kysely<Database>, projectId: string, sub: string) {
  return db
    .selectFrom('connected_users')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('external_id', '=', sub)
    .executeTakeFirst();
}

/** The connected user for a verified token; the first valid call creates it. Safe under concurrent first calls. */
export async function ensureConnectedUser(db: Kysely<Database>, projectId: string, sub: string): Promise<ConnectedUser> {
  const existing = await findBySub(db, projectId, sub);
  if (existing) return toConnectedUser(existing);
  const now = isoNow();
  await db
    .insertInto('connected_users')
    .values({ id: randomUUID(), project_id: projectId, external_id: sub, meta: '{}', created_at: now, updated_at: now })
    .onConflict((oc) => oc.columns(['project_id', 'external_id']).doNothing())
    .execute();
  return toConnectedUser((await findBySub(db, projectId, sub))!);
}

/**
 * The connected user for a verified token, from memory when warm (first call: ensureConnectedUser). Frozen: every
 * request of that user shares the object.
 */
export function connectedUserOf(context: Pick<AppContext, 'db' | 'caches'>, projectId: string, sub: string): Promise<ConnectedUser> {
  return context.caches.get('connected-user', connectedUserKey(projectId, sub), async () => deepFreeze(await ensureConnectedUser(context.db, projectId, sub)));
}

/** The connected user from memory, or undefined when it is not cached (then `connectedUserOf` reads or records it). */
export const cachedConnectedUser = (context: Pick<AppContext, 'caches'>, projectId: string, sub: string) =>
  context.caches.peek<ConnectedUser>('connected-user', connectedUserKey(projectId, sub));

const connectedUserKey = (projectId: string, sub: string) => `${projectId}\n${sub}`;

/** After a write to a connected user (its metadata), on every instance. */
export const connectedUserChanged = (context: Pick<AppContext, 'db' | 'caches'>, user: Pick<ConnectedUser, 'projectId' | 'userId'>) =>
  context.caches.changed(context.db, 'connected-user', connectedUserKey(user.projectId, user.userId));

/**
 * Serializes writes to one connected user's data (metadata, installs) inside a transaction. SQLite runs one
 * write transaction at a time anyway; on Postgres the row lock makes concurrent requests and instances queue.
 */
export async function lockConnectedUser(trx: Transaction<Database>, dialect: Dialect, connectedUserId: string): Promise<ConnectedUserRow> {
  const query = trx.selectFrom('connected_users').selectAll().where('id', '=', connectedUserId);
  return (dialect === 'postgres' ? query.forUpdate() : query).executeTakeFirstOrThrow();
}

/** Merges metadata (shallow, like the reference's setUserMetadata). */
export async function mergeUserMeta(
  db: Kysely<Database>,
  dialect: Dialect,
  user: ConnectedUser,
  meta: Record<string, unknown>,
): Promise<ConnectedUser> {
  return db.transaction().execute(async (trx) => {
    const row = await lockConnectedUser(trx, dialect, user.id);
    const merged = { ...parseJson<Record<string, unknown>>(row.meta, {}), ...meta };
    await trx.updateTable('connected_users').set({ meta: JSON.stringify(merged), updated_at: isoNow() }).where('id', '=', user.id).execute();
    return toConnectedUser({ ...row, meta: JSON.stringify(merged) });
  });
}

/** Where a page of connected users starts: after this user, in (created_at, id) order. */
export interface ConnectedUserPosition {
  dateCreated: string;
  id: string;
}

/**
 * One page of a project's connected users, oldest first (ties by id, so pages never overlap or skip), and whether
 * more follow.
 */
export async function listConnectedUsersPage(
  db: Kysely<Database>,
  projectId: string,
  page: { limit: number; after?: ConnectedUserPosition | undefined },
): Promise<{ users: ConnectedUser[]; more: boolean }> {
  let query = db.selectFrom('connected_users').selectAll().where('project_id', '=', projectId);
  const after = page.after;
  if (after) {
    query = query.where((eb) =>
      eb.or([eb('created_at', '>', after.dateCreated), eb.and([eb('created_at', '=', after.dateCreated), eb('id', '>', after.id)])]),
    );
  }
  const rows = await query.orderBy('created_at').orderBy('id').limit(page.limit + 1).execute();
  return { users: rows.slice(0, page.limit).map(toConnectedUser), more: rows.length > page.limit };
}
