import type { WorkflowWebhookUrl } from '@switchboard/wire';
import type { AppContext } from '../app-context.js';
import { webhookToken } from './enablement-store.js';
import type { Workflow } from './workflow-store.js';

/**
 * Webhook trigger addresses. A workflow with a Webhook trigger has one address, `/webhooks/workflows/<id>`; each
 * account that enables it has its own URL below it, ending in an unguessable token (32 random bytes) that names that
 * account, so whoever posts to it starts a run for that account's user and no other. The token stays the same for
 * the life of the account, across disabling and enabling again; disconnecting the account ends it.
 */
export function workflowWebhookBase(context: AppContext, workflow: Pick<Workflow, 'id' | 'definition'>): string | null {
  return workflow.definition.trigger.type === 'webhook' ? `${context.config.publicUrl}/webhooks/workflows/${workflow.id}` : null;
}

/** The webhook URLs of the workflow's accounts (of one connected user, when given), issuing tokens not yet issued. */
export async function accountWebhookUrls(context: AppContext, workflow: Pick<Workflow, 'id' | 'definition'>, connectedUserId?: string): Promise<WorkflowWebhookUrl[]> {
  let query = context.db
    .selectFrom('workflow_enablements')
    .innerJoin('connected_users', 'connected_users.id', 'workflow_enablements.connected_user_id')
    .select(['workflow_enablements.credential_id as credential_id', 'workflow_enablements.enabled as enabled', 'connected_users.external_id as user_id'])
    .where('workflow_enablements.workflow_id', '=', workflow.id);
  if (connectedUserId) query = query.where('workflow_enablements.connected_user_id', '=', connectedUserId);
  const rows = await query.orderBy('workflow_enablements.enabled_at').orderBy('workflow_enablements.id').limit(1000).execute();
  const base = `${context.config.publicUrl}/webhooks/workflows/${workflow.id}`;
  const urls: WorkflowWebhookUrl[] = [];
  for (const row of rows) {
    const token = (await webhookToken(context.db, context.secrets, workflow.id, row.credential_id))!;
    urls.push({ credentialId: row.credential_id, userId: row.user_id, url: `${base}/${token}`, enabled: row.enabled === 1 });
  }
  return urls;
}
