import type { AccountChange } from '../events/account-events.js';
import type { AppContext } from '../app-context.js';
import { findIntegration } from '../catalog/integration-store.js';
import { parseJson } from '../json.js';
import type { Credential } from '../credentials/credential-store.js';
import { syncEnablements } from './enablement-store.js';
import { runDefaults, type WorkflowEngine } from './run-engine.js';
import { createRunOnce } from './run-store.js';
import { publishedWorkflows } from './workflow-store.js';

/**
 * After an account is connected, re-authorized or configured: the server's enablement records follow the account's
 * config, and every published, active workflow with an Integration enabled trigger that the account now has
 * enabled, with its required settings filled, starts one run. Once per enablement: the run's key names the
 * account, the workflow and when it was turned on, so saving settings again starts nothing, while disabling and
 * enabling it again is a new enablement and runs it again.
 */
export async function onAccountChanged(context: AppContext, engine: WorkflowEngine | undefined, change: AccountChange): Promise<number> {
  const row = await context.db.selectFrom('credentials').selectAll().where('id', '=', change.credentialId).executeTakeFirst();
  if (!row) return 0;
  const enabled = await syncEnablements(context.db, row);
  // Without the job queue nothing runs (triggers answer WORKFLOW_RUNS_UNAVAILABLE); a broken account waits for repair.
  if (!engine || enabled.length === 0 || row.status !== 'VALID') return 0;
  const config = parseJson<Credential['config']>(row.config, {});
  const workflows = (await publishedWorkflows(context.db, row.project_id)).filter(
    (workflow) => workflow.integrationId === row.integration_id && workflow.definition.trigger.type === 'integrationEnabled',
  );
  if (workflows.length === 0) return 0;
  const integration = await findIntegration(context.db, row.project_id, { id: row.integration_id });
  let started = 0;
  for (const workflow of workflows) {
    const enablement = enabled.find((entry) => entry.workflowId === workflow.id);
    if (!enablement) continue;
    const settings = config.configuredWorkflows?.[workflow.id]?.settings ?? {};
    const unfilled = (workflow.definition.settings ?? []).some((setting) => setting.required && (settings[setting.id] === undefined || settings[setting.id] === ''));
    if (unfilled) continue;
    const run = await createRunOnce(context.db, {
      projectId: row.project_id,
      workflowId: workflow.id,
      workflowVersion: workflow.version,
      connectedUserId: row.connected_user_id,
      credentialId: row.id,
      triggerType: 'integrationEnabled',
      triggerInput: { integration: integration?.type ?? null, credentialId: row.id, providerId: row.provider_id, enabledAt: enablement.enabledAt },
      timeoutSeconds: workflow.definition.timeoutSeconds ?? runDefaults.runTimeoutSeconds,
      scheduleKey: `integrationEnabled:${workflow.id}:${row.id}:${enablement.enabledAt}`,
    });
    if (run) {
      await engine.enqueue(run.id);
      started += 1;
    }
  }
  return started;
}
