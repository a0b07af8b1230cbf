import type { ConnectedAccount, InstallField } from '@switchboard/sdk';

/**
 * An account's saved settings through the SDK REST API, as the reference's headless docs suggest for a custom UI:
 * the integrations' setting fields from `GET /sdk/integrations`, a change with `PATCH /sdk/credentials/:id/settings`,
 * which merges only the settings sent into the account's config on the server. The rest of the config (settings
 * saved meanwhile by another tab or by the app's backend, workflow switches) stays as the server has it, not as this
 * page last read it.
 */
export interface SettingsApi {
  fields(integrationType: string): Promise<InstallField[]>;
  save(account: ConnectedAccount, values: Record<string, string>): Promise<void>;
  /** A workflow's settings on the account (`configuredWorkflows[id].settings`), its on/off state left as it is. */
  saveWorkflow(account: ConnectedAccount, workflowId: string, values: Record<string, string>): Promise<void>;
}

/** A field left empty is sent as `null`, which removes the setting, as the Connect Portal does. */
const change = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).map(([id, value]) => [id, value === '' ? null : value]));

export function settingsApi(host: string, projectId: string, userToken: () => string): SettingsApi {
  const base = `${host}/projects/${encodeURIComponent(projectId)}/sdk`;
  const call = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${userToken()}`, accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) },
    });
    const body = (await response.json().catch(() => ({}))) as { message?: string; code?: string; field?: string };
    if (!response.ok) throw Object.assign(new Error(body.message ?? `Switchboard answered ${response.status}`), { name: 'SettingsError', ...body });
    return body;
  };
  const saveSettings = (account: ConnectedAccount, body: { sharedSettings?: object; workflowSettings?: object }) =>
    call(`/credentials/${encodeURIComponent(account.id)}/settings`, { method: 'PATCH', body: JSON.stringify(body) });
  let integrations: Promise<{ type: string; postInstallInputs?: InstallField[] }[]> | undefined;
  return {
    async fields(integrationType) {
      integrations ??= call('/integrations') as unknown as Promise<{ type: string; postInstallInputs?: InstallField[] }[]>;
      integrations.catch(() => (integrations = undefined));
      return (await integrations).find((integration) => integration.type === integrationType)?.postInstallInputs ?? [];
    },
    async save(account, values) {
      await saveSettings(account, { sharedSettings: change(values) });
    },
    async saveWorkflow(account, workflowId, values) {
      await saveSettings(account, { workflowSettings: { [workflowId]: change(values) } });
    },
  };
}
