import type { Kysely } from 'kysely';

// OAuth flows bound to the browser that started them: the authorization URL is kept so the popup's first request
// to Switchboard (which sets the browser's binding cookie) can send it on, and the reference SDK's own key for a
// flow (`oauthMetaKeyId`) is kept so its polling finds the flow.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('oauth_sessions').addColumn('authorization_url', 'text').execute();
  await db.schema.alterTable('oauth_sessions').addColumn('client_key', 'text').execute();
  await db.schema.createIndex('oauth_sessions_by_client_key').on('oauth_sessions').columns(['connected_user_id', 'client_key']).execute();
}
