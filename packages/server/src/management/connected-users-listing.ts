import { Type } from '@sinclair/typebox';
import type { AppContext } from '../app-context.js';
import { listIntegrations } from '../catalog/integration-store.js';
import { listCredentialsOfUsers } from '../credentials/credential-store.js';
import { credentialView } from '../credentials/credential-view.js';
import { apiError } from '../errors.js';
import { listConnectedUsersPage, type ConnectedUserPosition } from '../users/connected-users.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export const ConnectedUsersQuery = Type.Object(
  {
    // Query strings are not coerced (app.ts): a whole number as text, its range checked below.
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: `1 to ${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}` })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);

/** The cursor is opaque to clients: the last user's position, base64url. */
function encodeCursor(position: ConnectedUserPosition): string {
  return Buffer.from(JSON.stringify([position.dateCreated, position.id])).toString('base64url');
}

function decodeCursor(cursor: string): ConnectedUserPosition {
  try {
    const [dateCreated, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof dateCreated === 'string' && typeof id === 'string') return { dateCreated, id };
  } catch {
    // fall through to the refusal
  }
  throw apiError('INVALID_CURSOR', 'cursor is not a nextCursor this server gave', { field: 'cursor' });
}

/**
 * One page of connected users with their credentials' metadata: three queries whatever the page size (users,
 * their credentials, the project's integrations), so a large project cannot hold the database for long.
 */
function pageSize(limit: string | undefined): number {
  const size = limit === undefined ? DEFAULT_PAGE_SIZE : Number(limit);
  if (size < 1 || size > MAX_PAGE_SIZE) throw apiError('VALIDATION_ERROR', `limit must be from 1 to ${MAX_PAGE_SIZE}`, { field: 'limit' });
  return size;
}

export async function connectedUsersPage(context: AppContext, projectId: string, query: { limit?: string; cursor?: string }) {
  const limit = pageSize(query.limit);
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const { users, more } = await listConnectedUsersPage(context.db, projectId, { limit, after });
  const [credentials, integrations] = await Promise.all([listCredentialsOfUsers(context.db, users.map((u) => u.id)), listIntegrations(context.db, projectId)]);
  const byId = new Map(integrations.map((i) => [i.id, i]));
  const last = users.at(-1);
  return {
    data: users.map((user) => ({
      id: user.id,
      userId: user.userId,
      meta: user.meta,
      dateCreated: user.dateCreated,
      credentials: (credentials.get(user.id) ?? []).map((c) => credentialView(c, byId.get(c.integrationId))),
    })),
    nextCursor: more && last ? encodeCursor({ dateCreated: last.dateCreated, id: last.id }) : null,
  };
}
