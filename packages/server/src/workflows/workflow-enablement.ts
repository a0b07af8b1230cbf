import type { Workflow } from '@switchboard/wire';
import type { AppContext } from '../app-context.js';
import { findIntegration } from '../catalog/integration-store.js';
import { recordCredentialEvent } from '../credentials/audit-log.js';
import { credentialsChanged, findUserCredential, replaceCredentialConfig, type Credential } from '../credentials/credential-store.js';
import { apiError } from '../errors.js';
import { chooseCredential } from '../proxy/choose-credential.js';
import type { TokenPermissions } from '../users/permissions.js';
import { definitionAt, findWorkflow } from './workflow-store.js';

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
  const row = await chooseCredential(context, request.connectedUserId, request.permissions, integration, request.credentialId, 'workflows');
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
  }
  return { workflow, credential: (await findUserCredential(context.db, request.connectedUserId, credential.id))! };
}
