import type { AppContext } from '../app-context.js';
import { apiError } from '../errors.js';
import { isPlainObject, parseJson } from '../json.js';
import { recordCredentialEvent } from './audit-log.js';
import { credentialsChanged, replaceCredentialConfig, type Credential, type CredentialConfig } from './credential-store.js';

/** `PATCH /sdk/credentials/:id/settings`: only the settings named, by account and by workflow. */
export interface SettingsChange {
  sharedSettings?: Record<string, unknown> | undefined;
  workflowSettings?: Record<string, Record<string, unknown>> | undefined;
}

/** A JSON merge patch of one level: a named key takes its value, `null` removes it, every other key is kept. */
function mergeLevel(current: unknown, patch: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = isPlainObject(current) ? { ...current } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

/** The config with the change merged in: other settings, workflow switches and the app's own keys untouched. */
export function mergeSettings(config: CredentialConfig, change: SettingsChange): CredentialConfig {
  const next: CredentialConfig = { ...config };
  if (change.sharedSettings) next.sharedSettings = mergeLevel(config.sharedSettings, change.sharedSettings);
  if (change.workflowSettings) {
    const configured = { ...config.configuredWorkflows };
    for (const [workflowId, settings] of Object.entries(change.workflowSettings)) {
      const current = configured[workflowId];
      configured[workflowId] = { ...current, enabled: current?.enabled ?? false, settings: mergeLevel(current?.settings, settings) };
    }
    next.configuredWorkflows = configured;
  }
  return next;
}

/**
 * Merges a settings change into the account's stored config inside one transaction that holds the row (a row lock
 * on Postgres; SQLite runs one write transaction at a time), so two writers of different settings both keep theirs.
 */
export async function saveCredentialSettings(context: AppContext, credential: Credential, change: SettingsChange): Promise<void> {
  await context.db.transaction().execute(async (trx) => {
    const query = trx.selectFrom('credentials').select('config').where('id', '=', credential.id);
    const row = await (context.storage.dialect === 'postgres' ? query.forUpdate() : query).executeTakeFirst();
    // Disconnected between the lookup and now.
    if (!row) throw apiError('CREDENTIAL_NOT_FOUND', 'No such credential for this user');
    await replaceCredentialConfig(trx, credential.id, mergeSettings(parseJson<CredentialConfig>(row.config, {}), change));
    await credentialsChanged(context, { projectId: credential.projectId, connectedUserId: credential.connectedUserId }, trx);
    await recordCredentialEvent(trx, {
      projectId: credential.projectId,
      credentialId: credential.id,
      connectedUserId: credential.connectedUserId,
      integrationId: credential.integrationId,
      event: 'config_updated',
      detail: { sharedSettings: Object.keys(change.sharedSettings ?? {}), workflowSettings: Object.keys(change.workflowSettings ?? {}) },
    });
  });
}
