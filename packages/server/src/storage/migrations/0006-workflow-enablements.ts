import { randomBytes, randomUUID, createHash } from 'node:crypto';
import type { Kysely } from 'kysely';

/**
 * Which account has which workflow enabled, and since when, kept by the server beside the account's config (which
 * the app may rewrite whole): schedules fire only times after the user enabled the workflow, and read only enabled
 * accounts; an Integration enabled run starts once per enablement; a Webhook trigger addresses the account by an
 * unguessable token. The token is kept sealed (to show its URL again) and as a SHA-256 hash (to find its row).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('workflow_enablements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('workflow_id', 'text', (c) => c.notNull().references('workflows.id').onDelete('cascade'))
    .addColumn('credential_id', 'text', (c) => c.notNull().references('credentials.id').onDelete('cascade'))
    .addColumn('connected_user_id', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('enabled_at', 'text', (c) => c.notNull())
    .addColumn('webhook_token_hash', 'text', (c) => c.notNull().unique())
    // Sealed by the server when it first needs the row (a migration has no master key): null until then.
    .addColumn('webhook_token_sealed', 'text')
    .addUniqueConstraint('workflow_enablements_account', ['workflow_id', 'credential_id'])
    .execute();
  await db.schema.createIndex('workflow_enablements_by_credential').on('workflow_enablements').column('credential_id').execute();

  // Accounts enabled before this table existed keep running: since their config last changed.
  const credentials = await db.selectFrom('credentials').select(['id', 'project_id', 'connected_user_id', 'config', 'updated_at']).execute();
  const workflows = new Set((await db.selectFrom('workflows').select('id').execute()).map((row: { id: string }) => row.id));
  for (const credential of credentials as { id: string; project_id: string; connected_user_id: string; config: string | null; updated_at: string }[]) {
    let configured: Record<string, { enabled?: boolean }> = {};
    try {
      configured = (JSON.parse(credential.config ?? '{}') as { configuredWorkflows?: typeof configured }).configuredWorkflows ?? {};
    } catch {
      continue;
    }
    for (const [workflowId, entry] of Object.entries(configured)) {
      if (entry?.enabled !== true || !workflows.has(workflowId)) continue;
      await db
        .insertInto('workflow_enablements')
        .values({
          id: randomUUID(),
          project_id: credential.project_id,
          workflow_id: workflowId,
          credential_id: credential.id,
          connected_user_id: credential.connected_user_id,
          enabled: 1,
          enabled_at: credential.updated_at,
          // A placeholder nobody holds the token of: the server issues a real one when the URL is first asked for.
          webhook_token_hash: createHash('sha256').update(randomBytes(32)).digest('hex'),
          webhook_token_sealed: null,
        })
        .execute();
    }
  }
}
