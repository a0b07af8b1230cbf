import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isoNow } from '../clock.js';
import { parseJson } from '../json.js';
import type { ProjectPortalLook } from '@switchboard/wire';
import type { Database, ProjectRow, ProjectTable } from '../storage/schema.js';

/** A public key the project's backend signs user tokens with; several at once, so keys rotate. */
export interface SigningKey {
  id: string;
  publicKeyPem: string;
}

export interface Project {
  id: string;
  name: string;
  allowedOrigins: string[];
  isDev: boolean;
  /** Custom integrations may call loopback, private and link-local addresses (explicit opt-in; the dev project has it). */
  allowPrivateUpstreams: boolean;
  /** The Connect Portal's look for integrations that set none of their own. */
  portal: ProjectPortalLook;
  dateCreated: string;
  dateUpdated: string;
}

/** The look's fields and their columns; an absent field is a null column. */
const LOOK_COLUMNS = {
  accentColor: 'portal_accent_color',
  theme: 'portal_theme',
  fontFamily: 'portal_font_family',
} as const satisfies Record<keyof ProjectPortalLook, keyof ProjectTable>;

function lookOf(row: ProjectRow): ProjectPortalLook {
  const look: Record<string, string> = {};
  for (const [field, column] of Object.entries(LOOK_COLUMNS)) {
    const value = row[column];
    if (value !== null) look[field] = value;
  }
  return look as ProjectPortalLook;
}

/** The columns of a whole new look: what it leaves out is cleared. */
const lookColumns = (look: ProjectPortalLook) =>
  Object.fromEntries(Object.entries(LOOK_COLUMNS).map(([field, column]) => [column, look[field as keyof ProjectPortalLook] ?? null]));

export const toProject = (row: ProjectRow): Project => ({
  id: row.id,
  name: row.name,
  allowedOrigins: parseJson<string[]>(row.allowed_origins, []),
  isDev: row.is_dev === 1,
  allowPrivateUpstreams: row.allow_private_upstreams === 1,
  portal: lookOf(row),
  dateCreated: row.created_at,
  dateUpdated: row.updated_at,
});

const SECRET_KEY_PREFIX = 'sk_';
export const hashSecretKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** Every project's allowed origins, together: the pages that may frame the Connect Portal before it knows its project. */
export async function allAllowedOrigins(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('projects').select('allowed_origins').execute();
  return [...new Set(rows.flatMap((row) => parseJson<string[]>(row.allowed_origins, [])))];
}

export async function findProject(db: Kysely<Database>, id: string): Promise<Project | undefined> {
  const row = await db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toProject(row);
}

/** Creates a project and its first secret key; the key is returned once and stored hashed. */
export async function createProject(
  db: Kysely<Database>,
  input: { name: string; allowedOrigins?: string[]; isDev?: boolean; allowPrivateUpstreams?: boolean },
): Promise<{ project: Project; secretKey: string }> {
  const now = isoNow();
  const id = randomUUID();
  const secretKey = SECRET_KEY_PREFIX + randomBytes(32).toString('base64url');
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('projects')
      .values({
        id,
        name: input.name,
        allowed_origins: JSON.stringify(input.allowedOrigins ?? []),
        is_dev: input.isDev ? 1 : 0,
        allow_private_upstreams: input.allowPrivateUpstreams ? 1 : 0,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await trx
      .insertInto('project_secret_keys')
      .values({
        id: randomUUID(),
        project_id: id,
        key_hash: hashSecretKey(secretKey),
        key_prefix: secretKey.slice(0, 8),
        created_at: now,
      })
      .execute();
  });
  return { project: (await findProject(db, id))!, secretKey };
}

export async function updateProject(
  db: Kysely<Database>,
  id: string,
  changes: { name?: string; allowedOrigins?: string[]; allowPrivateUpstreams?: boolean; portal?: ProjectPortalLook },
): Promise<Project | undefined> {
  await db
    .updateTable('projects')
    .set({
      ...(changes.name !== undefined && { name: changes.name }),
      ...(changes.allowedOrigins !== undefined && { allowed_origins: JSON.stringify(changes.allowedOrigins) }),
      ...(changes.allowPrivateUpstreams !== undefined && { allow_private_upstreams: changes.allowPrivateUpstreams ? 1 : 0 }),
      ...(changes.portal !== undefined && lookColumns(changes.portal)),
      updated_at: isoNow(),
    })
    .where('id', '=', id)
    .execute();
  return findProject(db, id);
}

/** The project a secret key belongs to, if any. */
export async function projectIdForSecretKey(db: Kysely<Database>, secretKey: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('project_secret_keys')
    .select('project_id')
    .where('key_hash', '=', hashSecretKey(secretKey))
    .executeTakeFirst();
  return row?.project_id;
}

export async function listSigningKeys(db: Kysely<Database>, projectId: string): Promise<(SigningKey & { dateCreated: string })[]> {
  const rows = await db
    .selectFrom('signing_keys')
    .selectAll()
    .where('project_id', '=', projectId)
    .orderBy('created_at')
    .execute();
  return rows.map((row) => ({ id: row.id, publicKeyPem: row.public_key_pem, dateCreated: row.created_at }));
}

/** Adds a key; undefined when the project already has a key with that id (also when two requests race for it). */
export async function addSigningKey(
  db: Kysely<Database>,
  projectId: string,
  key: { id?: string; publicKeyPem: string },
): Promise<(SigningKey & { dateCreated: string }) | undefined> {
  const row = {
    id: key.id ?? randomUUID(),
    project_id: projectId,
    public_key_pem: key.publicKeyPem,
    created_at: isoNow(),
  };
  // The primary key (project_id, id) decides, not a read before the write: a racing twin inserts nothing.
  const result = await db
    .insertInto('signing_keys')
    .values(row)
    .onConflict((oc) => oc.columns(['project_id', 'id']).doNothing())
    .executeTakeFirst();
  if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 0) return undefined;
  return { id: row.id, publicKeyPem: row.public_key_pem, dateCreated: row.created_at };
}

export async function removeSigningKey(db: Kysely<Database>, projectId: string, keyId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('signing_keys')
    .where('project_id', '=', projectId)
    .where('id', '=', keyId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
