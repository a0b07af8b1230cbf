import { useCallback, useState } from 'react';
import { fromInstallField, fromSettingInput, type FieldSpec } from '../fields.js';
import { serverError } from '../protocol.js';
import type { Account, Integration, PortalConfigValues, WorkflowMeta } from '../types.js';
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

/** Settings (shared and per workflow), workflow switches: each saved through the SDK on the page. */
export function Configuration({ integration, config, account, invoke, postInstall, onSaved }: ConfigurationProps) {
  const configuration = account.configurations?.find((candidate) => candidate.isDefault) ?? account.configurations?.[0];
  const postInstallFields = (integration.postInstallInputs ?? []).map(fromInstallField);
  const sharedFields = postInstall ? postInstallFields : [...postInstallFields, ...(config.sharedMeta?.inputs ?? []).map(fromSettingInput).filter(defined)];
  const workflows = Object.values(config.workflowMeta ?? {}).filter((workflow) => workflow && !workflow.hidden);
  const selection = { selectedCredentialId: account.id };

  const loadOptions: OptionsLoader = useCallback(
    async (field: FieldSpec) => {
      if (!field.source?.path) return [];
      let answer: unknown;
      try {
        answer = await invoke('request', integration.type, field.source.path, { method: 'GET', selectedCredentialId: account.id });
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
    [invoke, integration.type, account.id],
  );

  const saveShared = async (values: Record<string, unknown>) => {
    try {
      await invoke('updateIntegrationUserSettings', integration.type, values, selection);
    } catch (failure) {
      throw serverError(failure);
    }
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
}

function Workflow({ integration, workflow, state, accountId, invoke, loadOptions }: WorkflowProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const enabled = state?.enabled === true;
  const fields = (workflow.inputs ?? []).map(fromSettingInput).filter(defined);
  const title = workflow.description ?? workflow.id;
  const switchId = `workflow-${workflow.id}`;
  const selection = { selectedCredentialId: accountId };

  const toggle = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await invoke(enabled ? 'disableWorkflow' : 'enableWorkflow', workflow.id, selection);
      await invoke('triggerSDKEvent', {
        type: 'onWorkflowChange',
        integrationId: integration.id,
        integrationType: integration.type,
        workflowId: workflow.id,
        workflowStateChange: { enabled: !enabled },
      });
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
              await invoke('updateWorkflowUserSettings', integration.type, workflow.id, values, selection);
            } catch (failure) {
              throw serverError(failure);
            }
          }}
        />
      )}
    </li>
  );
}
