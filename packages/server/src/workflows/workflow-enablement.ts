import { isDeepStrictEqual } from 'node:util';
import type { AppContext } from '../app-context.js';
import { findIntegration } from '../catalog/integration-store.js';
import { recordCredentialEvent } from '../credentials/audit-log.js';
import type { CredentialConfig, WorkflowWebhookUrl } from '@switchboard/wire';
import { credentialsChanged, findUserCredential, listUserCredentials, replaceCredentialConfig, type Credential } from '../credentials/credential-store.js';
import { apiError } from '../errors.js';
import { chooseCredential } from '../proxy/choose-credential.js';
import type { TokenPermissions } from '../users/permissions.js';
import { accountWebhookUrls } from './webhook-urls.js';
import { definitionAt, findWorkflow, type Workflow } from './workflow-store.js';

/**
 * Per user, a workflow runs only while it is enabled on one of their accounts: `configuredWorkflows[<id>]` in the
 * account's config, as the reference product keeps it (so `/sdk/me`, the credential views and the reference SDK
 * read it unchanged). Uninstalling the account removes the config, which disables its workflows and clears their
 * settings.
 */

export interface EnablementRequest {
  projectId: string;
  connectedUserId: string;
  permissions: TokenPermissions;
  workflowId: string;
  /** `X-Paragon-Credential`; `X-Paragon-Configuration-Id` names the same account (one configuration per account). */
  credentialId: string | string[] | undefined;
}

/**
 * Does a new config of an account turn a workflow on or off, or change a workflow's settings? Such a change needs
 * the token's `workflows` permission however it is sent: enableWorkflow or a whole-config PATCH.
 */
export function changesWorkflows(before: CredentialConfig, after: CredentialConfig): boolean {
  const was = before.configuredWorkflows ?? {};
  const now = after.configuredWorkflows ?? {};
  const state = (entry: NonNullable<CredentialConfig['configuredWorkflows']>[string] | undefined) => ({
    enabled: entry?.enabled ?? false,
    settings: entry?.settings ?? {},
  });
  return [...new Set([...Object.keys(was), ...Object.keys(now)])].some((id) => !isDeepStrictEqual(state(was[id]), state(now[id])));
}

/** A workflow the user can see: published, active, of an integration the token is offered. */
async function visibleWorkflow(context: AppContext, projectId: string, workflowId: string): Promise<Workflow> {
  const workflow = await findWorkflow(context.db, projectId, workflowId);
  if (!workflow || workflow.publishedVersion === null || !workflow.isActive) throw apiError('WORKFLOW_NOT_FOUND', `No workflow ${workflowId} in this project`);
  return workflow;
}

/** Sets the workflow on or off for the chosen account; answers the account as it is now. */
export async function setWorkflowEnabled(context: AppContext, request: EnablementRequest, enabled: boolean): Promise<{ workflow: Workflow; credential: Credential }> {
  const workflow = await visibleWorkflow(context, request.projectId, request.workflowId);
  const integration = await findIntegration(context.db, request.projectId, { id: workflow.integrationId });
  if (!integration) throw apiError('WORKFLOW_NOT_FOUND', `No workflow ${request.workflowId} in this project`);
  const row = await chooseCredential(context, { connectedUserId: request.connectedUserId, permissions: request.permissions, integration, requested: request.credentialId, kind: 'workflows' });
  const credential = (await findUserCredential(context.db, request.connectedUserId, row.id))!;
  const configured = credential.config.configuredWorkflows ?? {};
  const current = configured[workflow.id];
  const settings = current?.settings ?? {};
  if (enabled) {
    // The published version's settings: a newer draft's do not apply until it is published.
    const definition = (await definitionAt(context.db, workflow.id, workflow.publishedVersion!))!;
    const missing = (definition.settings ?? []).find((setting) => setting.required && (settings[setting.id] === undefined || settings[setting.id] === ''));
    if (missing) {
      throw apiError('WORKFLOW_SETTINGS_REQUIRED', `Set ${missing.label} (${missing.id}) for this workflow first: PATCH /sdk/credentials/${credential.id}`, {
        field: `config.configuredWorkflows.${workflow.id}.settings.${missing.id}`,
      });
    }
  }
  if ((current?.enabled ?? false) !== enabled) {
    const config = { ...credential.config, configuredWorkflows: { ...configured, [workflow.id]: { ...current, enabled, settings } } };
    await replaceCredentialConfig(context.db, credential.id, config);
    await credentialsChanged(context, { projectId: request.projectId, connectedUserId: request.connectedUserId });
    await recordCredentialEvent(context.db, {
      projectId: request.projectId,
      credentialId: credential.id,
      connectedUserId: request.connectedUserId,
      integrationId: integration.id,
      event: 'config_updated',
      detail: { workflowId: workflow.id, enabled },
    });
    await context.accounts.changed({ projectId: request.projectId, connectedUserId: request.connectedUserId, credentialId: credential.id });
  }
  return { workflow, credential: (await findUserCredential(context.db, request.connectedUserId, credential.id))! };
}

/** The URL of the user's account (the one chosen as for enabling) for a workflow with a Webhook trigger it has enabled. */
export async function userWebhookUrl(context: AppContext, request: EnablementRequest): Promise<WorkflowWebhookUrl> {
  const workflow = await visibleWorkflow(context, request.projectId, request.workflowId);
  const definition = (await definitionAt(context.db, workflow.id, workflow.publishedVersion!))!;
  if (definition.trigger.type !== 'webhook') throw apiError('WORKFLOW_NOT_FOUND', `Workflow ${workflow.id} has no Webhook trigger`);
  const integration = await findIntegration(context.db, request.projectId, { id: workflow.integrationId });
  if (!integration) throw apiError('WORKFLOW_NOT_FOUND', `No workflow ${request.workflowId} in this project`);
  let credentialId = request.credentialId;
  if (credentialId === undefined) {
    // As a Request trigger picks: the first valid account that has it enabled.
    const accounts = await listUserCredentials(context.db, request.connectedUserId, { integrationId: integration.id });
    credentialId = accounts.find((c) => c.status === 'VALID' && c.config.configuredWorkflows?.[workflow.id]?.enabled === true)?.id;
  }
  const row = await chooseCredential(context, { connectedUserId: request.connectedUserId, permissions: request.permissions, integration, requested: credentialId, kind: 'workflows' });
  const url = (await accountWebhookUrls(context, { id: workflow.id, definition }, request.connectedUserId)).find((entry) => entry.credentialId === row.id);
  if (!url?.enabled) throw apiError('WORKFLOW_NOT_ENABLED', `Workflow ${workflow.id} is not enabled for this account: enableWorkflow first`);
  return url;
}
