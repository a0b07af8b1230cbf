import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { AppContext } from '../app-context.js';
import { isoNow } from '../clock.js';
import type { CredentialSecrets } from '../providers/index.js';
import { deepFreeze, parseJson } from '../json.js';
import { sealedAad, type SecretBox } from '../secrets/envelope.js';
import type { CredentialRow, Database } from '../storage/schema.js';
import type { CredentialConfig } from '@switchboard/wire';

export type CredentialStatus = 'VALID' | 'INVALID' | 'PENDING';

export type { CredentialConfig };

/** A connected account, without its secrets. */
export interface Credential {
  id: string;
  projectId: string;
  connectedUserId: string;
  integrationId: string;
  status: CredentialStatus;
  providerId: string | null;
  providerData: Record<string, unknown>;
  inputs: Record<string, string>;
  accountType: string | null;
  expiresAt: string | null;
  refreshedAt: string | null;
  /** Failed refreshes since the last successful one. */
  refreshFailureCount: number;
  config: CredentialConfig;
  dateCreated: string;
  dateUpdated: string;
}

export const toCredential = (row: CredentialRow): Credential => ({
  id: row.id,
  projectId: row.project_id,
  connectedUserId: row.connected_user_id,
  integrationId: row.integration_id,
  status: row.status as CredentialStatus,
  providerId: row.provider_id,
  providerData: parseJson<Record<string, unknown>>(row.provider_data, {}),
  inputs: parseJson<Record<string, string>>(row.inputs, {}),
  accountType: row.account_type,
  expiresAt: row.expires_at,
  refreshedAt: row.refreshed_at,
  refreshFailureCount: row.refresh_failure_count,
  config: parseJson<CredentialConfig>(row.config, {}),
  dateCreated: row.created_at,
  dateUpdated: row.updated_at,
});

const secretsAad = (credentialId: string) => sealedAad('credentials', 'secrets_sealed', credentialId);

export function sealCredentialSecrets(box: SecretBox, credentialId: string, secrets: CredentialSecrets): string {
  return box.seal(JSON.stringify(secrets), secretsAad(credentialId));
}

/**
 * Opened secrets, by their ciphertext: a proxied call per request would otherwise pay two AES-GCM operations and
 * a JSON parse for the same value. Keyed by the sealed text, so a refresh or reconnect (new ciphertext) is never
 * served stale; entries live a minute at most, in this process's memory only (never written anywhere).
 */
const opened = new LRUCache<string, CredentialSecrets>({ max: 20_000, ttl: 60_000 });
/**
 * The same, by row object: cached credential rows are frozen and replaced on every write, so a row seen again
 * finds its secrets without a key as long as its ciphertext built and hashed on every call. These live as long as
 * the row stays in the credential cache (the proxy's rendered request for the row holds them that long anyway).
 */
const openedByRow = new WeakMap<object, CredentialSecrets>();

export function openCredentialSecrets(box: SecretBox, row: Pick<CredentialRow, 'id' | 'secrets_sealed'>): CredentialSecrets {
  const byRow = openedByRow.get(row);
  if (byRow) return byRow;
  const cacheKey = `${row.id}\n${row.secrets_sealed}`;
  let secrets = opened.get(cacheKey);
  if (!secrets) {
    // Frozen: the same object is handed to every caller, so nobody may change it in place.
    secrets = deepFreeze(JSON.parse(box.open(row.secrets_sealed, secretsAad(row.id))) as CredentialSecrets);
    opened.set(cacheKey, secrets);
  }
  if (Object.isFrozen(row)) openedByRow.set(row, secrets);
  return secrets;
}

const credentialsKey = (owner: { projectId: string; connectedUserId: string }) => `${owner.projectId}\n${owner.connectedUserId}`;

/**
 * A connected user's credential rows (secrets still sealed), oldest first, from memory when warm: the Proxy API
 * reads them on every call. Frozen, since every request of the user shares them.
 */
/** userCredentialRows when they are in memory; undefined when they must be read. */
export function cachedUserCredentialRows(context: Pick<AppContext, 'caches'>, owner: { projectId: string; connectedUserId: string }): readonly CredentialRow[] | undefined {
  return context.caches.peek('credentials', credentialsKey(owner));
}

export function userCredentialRows(
  context: Pick<AppContext, 'db' | 'caches'>,
  owner: { projectId: string; connectedUserId: string },
): Promise<readonly CredentialRow[]> {
  return context.caches.get('credentials', credentialsKey(owner), async () =>
    deepFreeze(
      await context.db
        .selectFrom('credentials')
        .selectAll()
        .where('project_id', '=', owner.projectId)
        .where('connected_user_id', '=', owner.connectedUserId)
        .orderBy('created_at')
        .orderBy('id')
        .execute(),
    ),
  );
}

/**
 * After any write to a user's credentials (added, re-authorized, refreshed, invalidated, configured, deleted), on
 * every instance; with `db` the writer's transaction, so other instances hear of it when it commits.
 */
export const credentialsChanged = (context: Pick<AppContext, 'db' | 'caches'>, owner: { projectId: string; connectedUserId: string }, db: Db = context.db) =>
  context.caches.changed(db, 'credentials', credentialsKey(owner));

/** What a connect flow learned about an account. */
export interface ConnectedAccount {
  secrets: CredentialSecrets;
  providerId: string | null;
  providerData: Record<string, unknown>;
  inputs: Record<string, string>;
  accountType: string | null;
  expiresAt: string | null;
}

type Db = Kysely<Database> | Transaction<Database>;

export async function insertCredential(
  db: Db,
  box: SecretBox,
  owner: { projectId: string; connectedUserId: string; integrationId: string },
  account: ConnectedAccount,
): Promise<Credential> {
  const id = randomUUID();
  const now = isoNow();
  const row: CredentialRow = {
    id,
    project_id: owner.projectId,
    connected_user_id: owner.connectedUserId,
    integration_id: owner.integrationId,
    status: 'VALID',
    provider_id: account.providerId,
    provider_data: JSON.stringify(account.providerData),
    inputs: JSON.stringify(account.inputs),
    account_type: account.accountType,
    secrets_sealed: sealCredentialSecrets(box, id, account.secrets),
    expires_at: account.expiresAt,
    refreshed_at: now,
    last_used_at: null,
    refresh_failure_count: 0,
    config: '{}',
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('credentials').values(row).execute();
  return toCredential(row);
}

/** Re-authorization in place: new secrets and identity for an existing account; its settings stay. */
export async function replaceCredentialAccount(db: Db, box: SecretBox, credentialId: string, account: ConnectedAccount): Promise<Credential> {
  const now = isoNow();
  await db
    .updateTable('credentials')
    .set({
      status: 'VALID',
      provider_id: account.providerId,
      provider_data: JSON.stringify(account.providerData),
      inputs: JSON.stringify(account.inputs),
      account_type: account.accountType,
      secrets_sealed: sealCredentialSecrets(box, credentialId, account.secrets),
      expires_at: account.expiresAt,
      refreshed_at: now,
      // A new grant: the failures of the old one no longer count.
      refresh_failure_count: 0,
      updated_at: now,
    })
    .where('id', '=', credentialId)
    .execute();
  return toCredential(await db.selectFrom('credentials').selectAll().where('id', '=', credentialId).executeTakeFirstOrThrow());
}

/** A user's credentials, oldest first (the first is the default account). */
export async function listUserCredentials(
  db: Db,
  connectedUserId: string,
  filter: { integrationId?: string } = {},
): Promise<Credential[]> {
  let query = db.selectFrom('credentials').selectAll().where('connected_user_id', '=', connectedUserId);
  if (filter.integrationId) query = query.where('integration_id', '=', filter.integrationId);
  const rows = await query.orderBy('created_at').orderBy('id').execute();
  return rows.map(toCredential);
}

/** The credentials of several connected users in one query, each user's oldest first (as listUserCredentials). */
export async function listCredentialsOfUsers(db: Db, connectedUserIds: readonly string[]): Promise<Map<string, Credential[]>> {
  const byUser = new Map<string, Credential[]>(connectedUserIds.map((id) => [id, []]));
  if (connectedUserIds.length === 0) return byUser;
  const rows = await db
    .selectFrom('credentials')
    .selectAll()
    .where('connected_user_id', 'in', [...connectedUserIds])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  for (const row of rows) byUser.get(row.connected_user_id)?.push(toCredential(row));
  return byUser;
}

/** One of the user's credentials; another user's or project's credential is simply not found. */
export async function findUserCredential(db: Db, connectedUserId: string, credentialId: string): Promise<Credential | undefined> {
  const row = await db
    .selectFrom('credentials')
    .selectAll()
    .where('connected_user_id', '=', connectedUserId)
    .where('id', '=', credentialId)
    .executeTakeFirst();
  return row && toCredential(row);
}

/** Callers must then call credentialsChanged: the user's cached rows hold the old config. */
export async function replaceCredentialConfig(db: Db, credentialId: string, config: CredentialConfig): Promise<void> {
  await db.updateTable('credentials').set({ config: JSON.stringify(config), updated_at: isoNow() }).where('id', '=', credentialId).execute();
}

export async function deleteCredentials(db: Db, credentialIds: string[]): Promise<void> {
  if (credentialIds.length === 0) return;
  await db.deleteFrom('credentials').where('id', 'in', credentialIds).execute();
}
