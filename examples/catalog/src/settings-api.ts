import type { ConnectedAccount, InstallField } from '@switchboard/sdk';

/**
 * An account's saved settings through the SDK REST API, as the reference's headless docs suggest for a custom UI:
 * the integrations' setting fields from `GET /sdk/integrations`, the change with `PATCH /sdk/credentials/:id`
 * (which replaces the account's whole config, so the other parts are sent back as they are).
 */
export interface SettingsApi {
  fields(integrationType: string): Promise<InstallField[]>;
  save(account: ConnectedAccount, values: Record<string, string>): Promise<void>;
  /** A workflow's settings on the account (`configuredWorkflows[id].settings`), its on/off state left as it is. */
  saveWorkflow(account: ConnectedAccount, workflowId: string, values: Record<string, string>): Promise<void>;
}

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
  const replaceConfig = (account: ConnectedAccount, config: ConnectedAccount['config']) =>
    call(`/credentials/${encodeURIComponent(account.id)}`, { method: 'PATCH', body: JSON.stringify({ config }) });
  let integrations: Promise<{ type: string; postInstallInputs?: InstallField[] }[]> | undefined;
  return {
    async fields(integrationType) {
      integrations ??= call('/integrations') as unknown as Promise<{ type: string; postInstallInputs?: InstallField[] }[]>;
      integrations.catch(() => (integrations = undefined));
      return (await integrations).find((integration) => integration.type === integrationType)?.postInstallInputs ?? [];
    },
    async save(account, values) {
      await replaceConfig(account, { ...account.config, sharedSettings: { ...account.config.sharedSettings, ...values } });
    },
    async saveWorkflow(account, workflowId, values) {
      const configured = account.config.configuredWorkflows ?? {};
      const workflow = configured[workflowId];
      await replaceConfig(account, { ...account.config, configuredWorkflows: { ...configured, [workflowId]: { ...workflow, settings: { ...workflow?.settings, ...values } } } });
    },
  };
}
