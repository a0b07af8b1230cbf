import type { Kysely } from 'kysely';

// JWT permissions: an OAuth flow started with a member-level user token counts and re-authorizes, at its callback
// (which has no token), only the accounts that token saw. JSON list of credential ids; null when it saw them all.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('oauth_sessions').addColumn('visible_credential_ids', 'text').execute();
}
