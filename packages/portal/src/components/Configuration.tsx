import { useCallback, useState } from 'react';
import { fromInstallField, fromSettingInput, type FieldSpec } from '../fields.js';
import { serverError } from '../protocol.js';
import { integrationType, type Account, type Integration, type PortalConfigValues, type WorkflowMeta } from '../types.js';
import { FieldsForm } from './FieldsForm.js';
import type { OptionsLoader } from './Field.js';

type Invoke = <T>(method: string, ...parameters: unknown[]) => Promise<T>;

interface ConfigurationProps {
  integration: Integration;
  config: PortalConfigValues;
  account: Account;
  invoke: Invoke;
  /** Only the post-install inputs, right after connecting. */
  postInstall?: boolean;
  onSaved?: () => void;
}

const defined = <T,>(value: T | undefined): value is T => value !== undefined;

/** An array somewhere in a proxy answer (`itemsPath` is dot-separated), or the answer itself. */
function itemsAt(answer: unknown, path: string | undefined): unknown[] {
  let value: unknown = answer;
  for (const key of path ? path.split('.') : []) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return Array.isArray(value) ? value : [];
}

/** `PATCH /sdk/credentials/:id/settings`: only the settings named change; `null` clears one. */
interface SettingsChange {
  sharedSettings?: Record<string, unknown>;
  workflowSettings?: Record<string, Record<string, unknown>>;
}
type SettingsSaver = (change: SettingsChange) => Promise<void>;

/** A form's values as a change: each of its fields set, or cleared (null) when left empty. */
const changeOf = (fields: readonly FieldSpec[], values: Record<string, unknown>) => Object.fromEntries(fields.map((field) => [field.id, values[field.id] ?? null]));

/**
 * Saves only the settings a form shows (the server merges them into the account's config in one transaction), so
 * another tab or the app's own code saving other settings meanwhile keeps theirs; then hands the answer to the SDK.
 */
function useSettingsSaver(integration: Integration, account: Account, invoke: Invoke): SettingsSaver {
  return useCallback(
    async (change) => {
      let credential: unknown;
      try {
        credential = await invoke('sendConnectRequest', `/sdk/credentials/${encodeURIComponent(account.id)}/settings`, { method: 'PATCH', body: JSON.stringify(change) });
      } catch (failure) {
        throw serverError(failure);
      }
      await invoke('updateCredentialData', credential, integration);
    },
    [integration, account, invoke],
  );
}

/** Settings (shared and per workflow), workflow switches: each saved through the SDK on the page. */
export function Configuration({ integration, config, account, invoke, postInstall, onSaved }: ConfigurationProps) {
  const configuration = account.configurations?.find((candidate) => candidate.isDefault) ?? account.configurations?.[0];
  const postInstallFields = (integration.postInstallInputs ?? []).map(fromInstallField);
  const sharedFields = postInstall ? postInstallFields : [...postInstallFields, ...(config.sharedMeta?.inputs ?? []).map(fromSettingInput).filter(defined)];
  const workflows = Object.values(config.workflowMeta ?? {}).filter((workflow) => workflow && !workflow.hidden);
  const loadOptions: OptionsLoader = useCallback(
    async (field: FieldSpec) => {
      if (!field.source?.path) return [];
      let answer: unknown;
      try {
        answer = await invoke('request', integrationType(integration), field.source.path, { method: 'GET', selectedCredentialId: account.id });
      } catch (failure) {
        throw new Error(serverError(failure).message);
      }
      const valueField = field.source.valueField ?? 'id';
      const labelField = field.source.labelField ?? 'name';
      return itemsAt(answer, field.source.itemsPath).flatMap((item) => {
        if (!item || typeof item !== 'object') return [];
        const record = item as Record<string, unknown>;
        const value = record[valueField];
        if (typeof value !== 'string' && typeof value !== 'number') return [];
        const label = record[labelField];
        return [{ value: String(value), label: typeof label === 'string' ? label : String(value) }];
      });
    },
    [invoke, integrationType(integration), account.id],
  );

  const saveSettings = useSettingsSaver(integration, account, invoke);
  const saveShared = async (values: Record<string, unknown>) => {
    await saveSettings({ sharedSettings: changeOf(sharedFields, values) });
    onSaved?.();
  };

  return (
    <div className="configuration">
      {sharedFields.length > 0 && (
        <section aria-labelledby="settings-title">
          <h2 id="settings-title">{postInstall ? 'A few more details' : 'Settings'}</h2>
          <FieldsForm
            fields={sharedFields}
            initial={configuration?.sharedSettings}
            submitLabel={postInstall ? 'Finish' : 'Save settings'}
            busyLabel="Saving…"
            doneMessage="Settings saved."
            onSubmit={saveShared}
            loadOptions={loadOptions}
          />
        </section>
      )}
      {!postInstall && workflows.length > 0 && (
        <section aria-labelledby="workflows-title">
          <h2 id="workflows-title">Workflows</h2>
          <ul className="workflows">
            {workflows.map((workflow) => (
              <Workflow
                key={workflow.id}
                integration={integration}
                workflow={workflow}
                state={configuration?.workflowSettings?.[workflow.id]}
                accountId={account.id}
                invoke={invoke}
                loadOptions={loadOptions}
                saveSettings={saveSettings}
              />
            ))}
          </ul>
        </section>
      )}
      {!postInstall && sharedFields.length === 0 && workflows.length === 0 && <p className="help">{integration.name} has nothing to configure: it is ready to use.</p>}
    </div>
  );
}

interface WorkflowProps {
  integration: Integration;
  workflow: WorkflowMeta;
  state: { enabled?: boolean; settings?: Record<string, unknown> } | undefined;
  accountId: string;
  invoke: Invoke;
  loadOptions: OptionsLoader;
  saveSettings: SettingsSaver;
}

function Workflow({ integration, workflow, state, accountId, invoke, loadOptions, saveSettings: saveAccountSettings }: WorkflowProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const enabled = state?.enabled === true;
  const fields = (workflow.inputs ?? []).map(fromSettingInput).filter(defined);
  const title = workflow.description ?? workflow.id;
  const switchId = `workflow-${workflow.id}`;
  const selection = { selectedCredentialId: accountId };

  // A workflow with a required setting the account lacks cannot be turned on yet: its settings are asked first.
  const missing = fields.some((field) => field.required && field.kind !== 'boolean' && (state?.settings?.[field.id] ?? '') === '');
  const [asking, setAsking] = useState(false);

  const turn = async (on: boolean) => {
    await invoke(on ? 'enableWorkflow' : 'disableWorkflow', workflow.id, selection);
    await invoke('triggerSDKEvent', {
      type: 'onWorkflowChange',
      integrationId: integration.id,
      integrationType: integrationType(integration),
      workflowId: workflow.id,
      workflowStateChange: { enabled: on },
    });
  };

  const saveSettings = (values: Record<string, unknown>) => saveAccountSettings({ workflowSettings: { [workflow.id]: changeOf(fields, values) } });

  const toggle = async () => {
    setError(undefined);
    if (!enabled && missing) {
      setAsking(true);
      return;
    }
    setBusy(true);
    try {
      await turn(!enabled);
    } catch (failure) {
      setError(`${serverError(failure).message} Try again.`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <li className="workflow">
      <div className="workflow-row">
        <div>
          <label htmlFor={switchId} className="workflow-title">
            {title}
          </label>
          {workflow.infoText && <p className="help">{workflow.infoText}</p>}
        </div>
        <input id={switchId} type="checkbox" role="switch" className="switch" checked={enabled} disabled={busy} aria-describedby={error ? `${switchId}-error` : undefined} onChange={toggle} />
      </div>
      {error && (
        <p className="error" id={`${switchId}-error`} role="alert">
          {error}
        </p>
      )}
      {asking && !enabled && (
        <FieldsForm
          fields={fields}
          initial={state?.settings}
          submitLabel="Save and turn on"
          busyLabel="Turning on…"
          loadOptions={loadOptions}
          onSubmit={async (values) => {
            try {
              await saveSettings(values);
              await turn(true);
              setAsking(false);
            } catch (failure) {
              throw serverError(failure);
            }
          }}
        >
          <p className="help">{title} needs these settings before it can run.</p>
        </FieldsForm>
      )}
      {enabled && fields.length > 0 && (
        <FieldsForm
          fields={fields}
          initial={state?.settings}
          submitLabel="Save"
          busyLabel="Saving…"
          doneMessage="Workflow settings saved."
          loadOptions={loadOptions}
          onSubmit={async (values) => {
            try {
              await saveSettings(values);
            } catch (failure) {
              throw serverError(failure);
            }
          }}
        />
      )}
    </li>
  );
}
