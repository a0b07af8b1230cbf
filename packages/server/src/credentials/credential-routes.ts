import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../app-context.js';
import { findIntegration, listIntegrations } from '../catalog/integration-store.js';
import { checkInputValue, checkPostInstallSettings } from '../connect/install-inputs.js';
import { checkUserSettings } from '../catalog/setting-values.js';
import type { ProjectIntegration } from '../catalog/integration-store.js';
import { cachedPublishedWorkflows, definitionAt, findWorkflow } from '../workflows/workflow-store.js';
import { saveCredentialSettings, type SettingsChange } from './credential-settings.js';
import { apiError } from '../errors.js';
import { Credential, CredentialConfigChange, CredentialSettingsChange, ErrorResponse, UninstallResult } from '@switchboard/wire';
import { credentialVisible, requireAllowed, visibleCredentials, type TokenPermissions } from '../users/permissions.js';
import { changesWorkflows } from '../workflows/workflow-enablement.js';
import { recordCredentialEvent } from './audit-log.js';
import { credentialEvent } from './credential-events.js';
import { credentialsChanged, deleteCredentials, findUserCredential, listUserCredentials, replaceCredentialConfig } from './credential-store.js';
import { credentialView } from './credential-view.js';

const CREDENTIAL_HEADER = 'x-paragon-credential';
const CredentialParams = Type.Object({ projectId: Type.String(), credentialId: Type.String({ minLength: 1, maxLength: 100 }) });

/**
 * One of the user's accounts with its integration; one the token's JWT permissions hide is the same 404 as one that
 * does not exist.
 */
async function visibleCredential(context: AppContext, sdk: { user: { id: string }; permissions: TokenPermissions }, credentialId: string) {
  const credential = await findUserCredential(context.db, sdk.user.id, credentialId);
  const integration = credential && (await findIntegration(context.db, credential.projectId, { id: credential.integrationId }));
  if (!credential || !credentialVisible(sdk.permissions, { integrationType: integration?.type, credentialId: credential.id })) {
    throw apiError('CREDENTIAL_NOT_FOUND', 'No such credential for this user');
  }
  return { credential, integration };
}

/** The account's settings the integration declares, each checked against its type: post-install inputs, then the portal's user settings. */
function checkSharedSettings(integration: ProjectIntegration | undefined, sharedSettings: Record<string, unknown> | undefined, prefix: string): void {
  checkPostInstallSettings(integration?.definition.postInstallInputs ?? [], sharedSettings, prefix);
  checkUserSettings(integration?.portal.userSettings ?? [], sharedSettings, prefix);
}

/** A merge patch's values without its removals (`null`), which need no check. */
const valuesOnly = (patch: Record<string, unknown> | undefined) => patch && Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== null));

/**
 * A published workflow of the project with its published definition. The active ones are the published-workflows
 * cache's to answer (the one GET /sdk/integrations reads: no query when warm); only a workflow the cache does not
 * hold is looked up, and it counts only if it is published but turned off, whose settings are accepted too.
 */
async function publishedWorkflow(context: AppContext, projectId: string, workflowId: string) {
  const active = (await cachedPublishedWorkflows(context, projectId)).find((workflow) => workflow.id === workflowId);
  if (active) return active;
  const workflow = await findWorkflow(context.db, projectId, workflowId);
  if (!workflow || workflow.isActive || workflow.publishedVersion === null) return undefined;
  return { integrationId: workflow.integrationId, definition: await definitionAt(context.db, workflow.id, workflow.publishedVersion) };
}

/** Each workflow named must be a published workflow of the account's integration; its declared settings are checked. */
async function checkWorkflowSettings(context: AppContext, integration: ProjectIntegration | undefined, change: SettingsChange['workflowSettings']): Promise<void> {
  for (const [workflowId, settings] of Object.entries(change ?? {})) {
    const field = `workflowSettings.${workflowId}`;
    const workflow = integration && (await publishedWorkflow(context, integration.projectId, workflowId));
    if (!workflow || workflow.integrationId !== integration!.id) {
      throw apiError('INVALID_SETTING', `${field}: no published workflow ${workflowId} of this account's integration`, { field });
    }
    for (const setting of workflow.definition?.settings ?? []) {
      const value = settings[setting.id];
      if (value === undefined || value === null || value === '') continue;
      checkInputValue(setting, value, `${field}.${setting.id}`);
    }
  }
}

/** The user's connected accounts: list, replace settings, disconnect (under /projects/:projectId/sdk). */
export function credentialRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/credentials',
      {
        schema: {
          tags: ['SDK'],
          summary: "The user's connected accounts",
          querystring: Type.Object({ integration: Type.Optional(Type.String({ minLength: 1, maxLength: 120 })) }),
          response: { 200: Type.Array(Credential), '4xx': ErrorResponse },
        },
      },
      async (request) => {
        const { project, user } = request.sdk;
        const integrations = await listIntegrations(context.db, project.id);
        const byId = new Map(integrations.map((i) => [i.id, i]));
        let integrationId: string | undefined;
        if (request.query.integration) {
          const integration = integrations.find((i) => i.type === request.query.integration);
          if (!integration) throw apiError('INTEGRATION_NOT_FOUND', `Integration ${request.query.integration} is not in this project`);
          integrationId = integration.id;
        }
        const credentials = (await listUserCredentials(context.db, user.id, integrationId ? { integrationId } : {})).filter((credential) =>
          credentialVisible(request.sdk.permissions, { integrationType: byId.get(credential.integrationId)?.type, credentialId: credential.id }),
        );
        return credentials.map((credential) => credentialView(credential, byId.get(credential.integrationId)));
      },
    );

    app.get(
      '/credentials/:credentialId',
      {
        schema: {
          tags: ['SDK'],
          summary: 'One connected account of the user',
          params: CredentialParams,
          response: { 200: Credential, '4xx': ErrorResponse },
        },
      },
      async (request) => {
        const { credential, integration } = await visibleCredential(context, request.sdk, request.params.credentialId);
        return credentialView(credential, integration);
      },
    );

    app.patch(
      '/credentials/:credentialId',
      {
        schema: {
          tags: ['SDK'],
          summary: "Replace a connected account's config (settings and configured workflows); declared settings are checked",
          params: CredentialParams,
          body: CredentialConfigChange,
          response: { 200: Credential, '4xx': ErrorResponse },
        },
      },
      async (request) => {
        const { user } = request.sdk;
        const { credential, integration } = await visibleCredential(context, request.sdk, request.params.credentialId);
        // Turning workflows on or off here is the same call as enableWorkflow, under the same JWT permission.
        if (changesWorkflows(credential.config, request.body.config)) {
          requireAllowed(request.sdk.permissions, { integrationType: integration?.type, credentialId: credential.id }, 'workflows');
        }
        // The integration's post-install options and the portal's user settings are checked; other settings are the app's own.
        checkSharedSettings(integration, request.body.config.sharedSettings, 'config.sharedSettings');
        await replaceCredentialConfig(context.db, credential.id, request.body.config);
        await credentialsChanged(context, { projectId: credential.projectId, connectedUserId: user.id });
        await recordCredentialEvent(context.db, {
          projectId: credential.projectId,
          credentialId: credential.id,
          connectedUserId: user.id,
          integrationId: credential.integrationId,
          event: 'config_updated',
        });
        // Saved settings may complete a workflow's required ones: an Integration enabled run may start now.
        await context.accounts.changed({ projectId: credential.projectId, connectedUserId: user.id, credentialId: credential.id });
        return credentialView((await findUserCredential(context.db, user.id, credential.id))!, integration);
      },
    );

    app.patch(
      '/credentials/:credentialId/settings',
      {
        schema: {
          tags: ['SDK'],
          summary: "Change only the named settings of a connected account (a JSON merge: null removes one); the rest of its config is kept",
          params: CredentialParams,
          body: CredentialSettingsChange,
          response: { 200: Credential, '4xx': ErrorResponse },
        },
      },
      async (request) => {
        const { user } = request.sdk;
        const { credential, integration } = await visibleCredential(context, request.sdk, request.params.credentialId);
        // A workflow's settings are workflow configuration, under the same JWT permission as the whole-config PATCH.
        if (request.body.workflowSettings && Object.keys(request.body.workflowSettings).length > 0) {
          requireAllowed(request.sdk.permissions, { integrationType: integration?.type, credentialId: credential.id }, 'workflows');
        }
        // Every named value is checked before anything is written: a refusal changes nothing. `null` removes a setting.
        checkSharedSettings(integration, valuesOnly(request.body.sharedSettings), 'sharedSettings');
        await checkWorkflowSettings(context, integration, request.body.workflowSettings);
        await saveCredentialSettings(context, credential, request.body);
        await context.accounts.changed({ projectId: credential.projectId, connectedUserId: user.id, credentialId: credential.id });
        return credentialView((await findUserCredential(context.db, user.id, credential.id))!, integration);
      },
    );

    app.delete(
      '/integrations/:integrationId',
      {
        schema: {
          tags: ['SDK'],
          summary: 'Disconnect an integration: every account, or the one named by X-Paragon-Credential',
          params: Type.Object({ projectId: Type.String(), integrationId: Type.String({ minLength: 1, maxLength: 100 }) }),
          headers: Type.Object({ [CREDENTIAL_HEADER]: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) }),
          response: { 200: UninstallResult, '4xx': ErrorResponse },
        },
      },
      async (request) => {
        const { project, user } = request.sdk;
        const integration = await findIntegration(context.db, project.id, { id: request.params.integrationId });
        if (!integration) throw apiError('INTEGRATION_NOT_FOUND', 'No such integration in this project');
        const selected = request.headers[CREDENTIAL_HEADER];
        // Only the accounts the token sees: a hidden one is not found, and disconnecting all spares the hidden ones.
        const credentials = visibleCredentials(request.sdk.permissions, integration.type, await listUserCredentials(context.db, user.id, { integrationId: integration.id }));
        const targets = selected ? credentials.filter((c) => c.id === selected) : credentials;
        if (selected && targets.length === 0) throw apiError('CREDENTIAL_NOT_FOUND', 'X-Paragon-Credential is not an account of this user for this integration');
        if (targets.length === 0) throw apiError('INTEGRATION_NOT_INSTALLED', `${integration.type} is not installed for this user`);
        // Settings and workflow state live on the credential row, so deleting it clears them with it.
        await context.db.transaction().execute(async (trx) => {
          await deleteCredentials(trx, targets.map((c) => c.id));
          await credentialsChanged(context, { projectId: project.id, connectedUserId: user.id }, trx);
          for (const credential of targets) {
            await recordCredentialEvent(trx, {
              projectId: project.id,
              credentialId: credential.id,
              connectedUserId: user.id,
              integrationId: integration.id,
              event: 'uninstalled',
              detail: { providerId: credential.providerId },
            });
          }
        });
        for (const credential of targets) await context.events.publish(credentialEvent('credential.deleted', integration, credential));
        return { success: true, removedCredentialIds: targets.map((c) => c.id) };
      },
    );
  };
}
