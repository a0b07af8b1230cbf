import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isoNow } from '../clock.js';
import { parseJson } from '../json.js';
import { sealedAad, type SecretBox } from '../secrets/envelope.js';
import type { CredentialRow, Database } from '../storage/schema.js';

/**
 * The server's own record of which account has which workflow enabled, and since when. The account's config
 * (`configuredWorkflows`, the reference product's shape) says what is enabled, and the app may rewrite it whole;
 * this table follows it on every account change (syncEnablements) and adds what the config cannot be trusted to
 * keep: when the workflow was last turned on, and the account's Webhook trigger token.
 */

type Db = Kysely<Database>;

export interface Enablement {
  id: string;
  projectId: string;
  workflowId: string;
  credentialId: string;
  connectedUserId: string;
  enabledAt: string;
}

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');
const tokenAad = (id: string) => sealedAad('workflow_enablements', 'webhook_token_sealed', id);

/**
 * Brings the account's rows in line with its config: a workflow newly enabled gets `enabled_at` now (a first
 * enablement, or one after a disable); one no longer enabled is marked so (its row, and its webhook token, stay).
 * Answers the account's enabled workflows.
 */
export async function syncEnablements(db: Db, credential: Pick<CredentialRow, 'id' | 'project_id' | 'connected_user_id' | 'config'>): Promise<Enablement[]> {
  const configured = parseJson<{ configuredWorkflows?: Record<string, { enabled?: boolean }> }>(credential.config, {}).configuredWorkflows ?? {};
  const wanted = Object.entries(configured)
    .filter(([, entry]) => entry?.enabled === true)
    .map(([workflowId]) => workflowId);
  // The config is the app's to write: only ids of this project's workflows count.
  const known = wanted.length
    ? new Set((await db.selectFrom('workflows').select('id').where('project_id', '=', credential.project_id).where('id', 'in', wanted).execute()).map((row) => row.id))
    : new Set<string>();
  const rows = await db.selectFrom('workflow_enablements').selectAll().where('credential_id', '=', credential.id).execute();
  const now = isoNow();
  for (const row of rows) {
    const on = known.has(row.workflow_id);
    if (on === (row.enabled === 1)) continue;
    // Conditional on the old state: two changes at once turn it on (and stamp the time) once.
    await db
      .updateTable('workflow_enablements')
      .set(on ? { enabled: 1, enabled_at: now } : { enabled: 0 })
      .where('id', '=', row.id)
      .where('enabled', '=', on ? 0 : 1)
      .execute();
  }
  const present = new Set(rows.map((row) => row.workflow_id));
  for (const workflowId of known) {
    if (present.has(workflowId)) continue;
    await db
      .insertInto('workflow_enablements')
      .values({
        id: randomUUID(),
        project_id: credential.project_id,
        workflow_id: workflowId,
        credential_id: credential.id,
        connected_user_id: credential.connected_user_id,
        enabled: 1,
        enabled_at: now,
        // Issued for real (and sealed) when its URL is first asked for.
        webhook_token_hash: tokenHash(randomBytes(32).toString('base64url')),
        webhook_token_sealed: null,
      })
      .onConflict((conflict) => conflict.columns(['workflow_id', 'credential_id']).doNothing())
      .execute();
  }
  return enabledOf(db, { credentialId: credential.id });
}

/** Enabled rows of one account, or of one workflow on valid accounts only (what schedules read). */
export async function enabledOf(db: Db, filter: { credentialId: string } | { workflowId: string; validOnly: true }): Promise<Enablement[]> {
  let query = db
    .selectFrom('workflow_enablements')
    .innerJoin('credentials', 'credentials.id', 'workflow_enablements.credential_id')
    .select([
      'workflow_enablements.id as id',
      'workflow_enablements.project_id as project_id',
      'workflow_enablements.workflow_id as workflow_id',
      'workflow_enablements.credential_id as credential_id',
      'workflow_enablements.connected_user_id as connected_user_id',
      'workflow_enablements.enabled_at as enabled_at',
    ])
    .where('workflow_enablements.enabled', '=', 1);
  query =
    'credentialId' in filter
      ? query.where('workflow_enablements.credential_id', '=', filter.credentialId)
      : query.where('workflow_enablements.workflow_id', '=', filter.workflowId).where('credentials.status', '=', 'VALID');
  const rows = await query.orderBy('workflow_enablements.enabled_at').orderBy('workflow_enablements.id').execute();
  return rows.map((row) => ({ id: row.id, projectId: row.project_id, workflowId: row.workflow_id, credentialId: row.credential_id, connectedUserId: row.connected_user_id, enabledAt: row.enabled_at }));
}

/**
 * The account's Webhook trigger token for the workflow: issued (random, 32 bytes) the first time it is asked for,
 * then the same for the life of the account, disabled or not. Undefined when the account never enabled it.
 */
export async function webhookToken(db: Db, box: SecretBox, workflowId: string, credentialId: string): Promise<string | undefined> {
  const row = await db.selectFrom('workflow_enablements').selectAll().where('workflow_id', '=', workflowId).where('credential_id', '=', credentialId).executeTakeFirst();
  if (!row) return undefined;
  if (row.webhook_token_sealed) return box.open(row.webhook_token_sealed, tokenAad(row.id));
  const token = randomBytes(32).toString('base64url');
  // Only if nobody issued one meanwhile; then read back whichever was kept.
  await db
    .updateTable('workflow_enablements')
    .set({ webhook_token_hash: tokenHash(token), webhook_token_sealed: box.seal(token, tokenAad(row.id)) })
    .where('id', '=', row.id)
    .where('webhook_token_sealed', 'is', null)
    .execute();
  return webhookToken(db, box, workflowId, credentialId);
}

/** The enablement a webhook token addresses, looked up by its hash (the token itself is never compared in a query). */
export async function enablementByWebhookToken(db: Db, token: string): Promise<(Enablement & { enabled: boolean; issued: boolean }) | undefined> {
  const row = await db.selectFrom('workflow_enablements').selectAll().where('webhook_token_hash', '=', tokenHash(token)).executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    projectId: row.project_id,
    workflowId: row.workflow_id,
    credentialId: row.credential_id,
    connectedUserId: row.connected_user_id,
    enabledAt: row.enabled_at,
    enabled: row.enabled === 1,
    issued: row.webhook_token_sealed !== null,
  };
}
