import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { ConnectedAccount, IntegrationState, WorkflowInfo } from '@switchboard/sdk';
import { useSwitchboard } from '@switchboard/react';
import { asError, type ErrorLike } from '../errors.js';
import { SettingField, SettingsFormEnd } from './SettingField.js';
import './workflows.css';

/** Saves a workflow's settings on the account, then the user state is read again. */
export type SaveWorkflowSettings = (account: ConnectedAccount, workflowId: string, values: Record<string, string>) => Promise<void>;

/**
 * The user's workflows for one connected integration: each published workflow with its state and Enable/Disable
 * (`switchboard.enableWorkflow` / `disableWorkflow`), and a form that sends an app event (`switchboard.event`) and
 * lists the runs it started, so a customer can follow a run into the task history (docs/workflows.md). A workflow
 * with a required setting asks for it in a small form before it is turned on.
 */
export function WorkflowsPanel({
  integrationType,
  integrationName,
  state,
  onSaveSettings,
}: {
  integrationType: string;
  integrationName: string;
  state: IntegrationState | undefined;
  onSaveSettings: SaveWorkflowSettings;
}) {
  const sdk = useSwitchboard();
  const workflows = sdk.getWorkflows(integrationType);
  const configured = (state?.configuredWorkflows ?? {}) as Record<string, { enabled?: boolean; settings?: Record<string, unknown> } | undefined>;
  // The account whose workflows the panel shows (the integration's default one): settings are saved on it.
  const account = state?.allCredentials?.find((candidate) => candidate.id === state.credentialId);

  return (
    <section className="workflows" data-testid="workflows-panel" aria-labelledby="workflows-title">
      <h2 className="section-title" id="workflows-title">
        Workflows <span className="count">{workflows.length}</span>
      </h2>
      {workflows.length === 0 ? (
        <p className="empty" data-testid="no-workflows">
          No workflow of {integrationName} is published in this project. Define and publish one with the management API
          (docs/workflows.md), then reload this page.
        </p>
      ) : (
        <ul className="workflow-list">
          {workflows.map((workflow) => (
            <WorkflowRow
              key={workflow.id}
              workflow={workflow}
              enabled={configured[workflow.id]?.enabled === true}
              settings={configured[workflow.id]?.settings ?? {}}
              account={account}
              onSaveSettings={onSaveSettings}
            />
          ))}
        </ul>
      )}
      <AppEventForm workflows={workflows} />
    </section>
  );
}

const TRIGGER_LABELS: Record<string, string> = {
  appEvent: 'App event',
  request: 'Request',
  schedule: 'Schedule',
  integrationEnabled: 'Integration enabled',
  webhook: 'Webhook',
};

/** The server's message as a sentence, to which the panel adds what to do next. */
const sentence = (message: string) => message.replace(/[.\s]+$/, '');

/** What to do about a refused enable or disable, in words. */
function toggleProblem(error: ErrorLike): string {
  switch (error.code) {
    case 'PERMISSION_DENIED':
      return `${sentence(error.message)}. Your user token does not allow this: sign in with one that allows workflows.`;
    case 'INTEGRATION_NOT_INSTALLED':
      return 'No account of this integration is connected. Connect one, then enable the workflow.';
    default:
      return error.message || 'The change was not saved. Try again.';
  }
}

/** The required settings of the workflow that have no saved value. */
const missingSettings = (workflow: WorkflowInfo, settings: Record<string, unknown>) =>
  (workflow.settings ?? []).filter((setting) => setting.required && (settings[setting.id] === undefined || settings[setting.id] === ''));

function WorkflowRow({
  workflow,
  enabled,
  settings,
  account,
  onSaveSettings,
}: {
  workflow: WorkflowInfo;
  enabled: boolean;
  settings: Record<string, unknown>;
  account: ConnectedAccount | undefined;
  onSaveSettings: SaveWorkflowSettings;
}) {
  const sdk = useSwitchboard();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [asking, setAsking] = useState(false);
  const errorId = useId();
  const toggleRef = useRef<HTMLButtonElement>(null);
  // Back from the settings form, the focus returns to the row's button once it is shown and enabled again.
  const refocus = useRef(false);
  useEffect(() => {
    if (refocus.current && !asking && !busy) {
      refocus.current = false;
      toggleRef.current?.focus();
    }
  }, [asking, busy]);

  const toggle = async () => {
    setProblem(undefined);
    // Turning on a workflow whose required setting is not saved: ask for it first rather than be refused.
    if (!enabled && account && missingSettings(workflow, settings).length > 0) return setAsking(true);
    setBusy(true);
    try {
      await (enabled ? sdk.disableWorkflow(workflow.id) : sdk.enableWorkflow(workflow.id));
    } catch (error) {
      const failure = asError(error);
      if (failure.code === 'WORKFLOW_SETTINGS_REQUIRED' && account) setAsking(true);
      else setProblem(toggleProblem(failure));
    } finally {
      setBusy(false);
    }
  };

  /** After the settings form: saved, so turn the workflow on for that account. */
  const enableWith = async (values: Record<string, string>) => {
    await onSaveSettings(account!, workflow.id, values);
    refocus.current = true;
    setAsking(false);
    setBusy(true);
    try {
      await sdk.enableWorkflow(workflow.id, { selectedCredentialId: account!.id });
    } catch (error) {
      setProblem(toggleProblem(asError(error)));
    } finally {
      setBusy(false);
    }
  };

  const cancel = () => {
    refocus.current = true;
    setAsking(false);
  };

  return (
    <li className="workflow" data-testid="workflow" data-workflow-id={workflow.id} data-enabled={String(enabled)}>
      <div className="workflow-main">
        <div className="workflow-who">
          <span className="workflow-name" data-testid="workflow-name">
            {workflow.name}
          </span>
          {workflow.description && <span className="workflow-description">{workflow.description}</span>}
          <span className="workflow-meta">
            {TRIGGER_LABELS[workflow.triggerType] ?? workflow.triggerType} trigger · <code>{workflow.id}</code>
          </span>
        </div>
        <span className={`badge ${enabled ? 'connected' : 'not-connected'}`} data-testid="workflow-state">
          <span className="badge-symbol" aria-hidden="true">
            {enabled ? '●' : '○'}
          </span>
          {enabled ? 'On' : 'Off'}
        </span>
      </div>
      {!asking && (
        <div className="account-actions">
          <button
            ref={toggleRef}
            type="button"
            className={`button${enabled ? '' : ' primary'}`}
            onClick={toggle}
            disabled={busy}
            aria-describedby={problem ? errorId : undefined}
          >
            {busy ? (enabled ? 'Disabling…' : 'Enabling…') : enabled ? 'Disable' : 'Enable'}
            <span className="visually-hidden"> {workflow.name}</span>
          </button>
        </div>
      )}
      {asking && <WorkflowSettingsForm workflow={workflow} settings={settings} onSave={enableWith} onCancel={cancel} />}
      {problem && (
        <p className="form-error" role="alert" id={errorId} data-testid="workflow-error">
          {problem}
        </p>
      )}
    </li>
  );
}

/**
 * The workflow's settings, asked for before it is turned on: every setting it declares, its saved values first.
 * A required one left empty is named in the error, and nothing is sent.
 */
function WorkflowSettingsForm({
  workflow,
  settings,
  onSave,
  onCancel,
}: {
  workflow: WorkflowInfo;
  settings: Record<string, unknown>;
  onSave(values: Record<string, string>): Promise<void>;
  onCancel(): void;
}) {
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<{ message: string; field?: string }>();
  const formRef = useRef<HTMLFormElement>(null);
  const ids = { form: useId(), error: useId() };
  const fields = workflow.settings ?? [];
  const fieldId = (id: string) => `${ids.form}-${id}`;

  // Opened from the Enable button: the first field takes the focus, so the keyboard carries on here.
  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>('input, select')?.focus();
  }, []);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const values = Object.fromEntries(fields.map((field) => [field.id, String(data.get(field.id) ?? '').trim()]));
    const empty = fields.find((field) => field.required && values[field.id] === '');
    if (empty) {
      setError({ message: `Enter ${empty.label}: ${workflow.name} needs it to run. Then save again.`, field: empty.id });
      document.getElementById(fieldId(empty.id))?.focus();
      return;
    }
    setSaving(true);
    setError(undefined);
    try {
      await onSave(values);
    } catch (raw) {
      const failure = asError(raw);
      const field = fields.find((candidate) => failure.field?.endsWith(`.${candidate.id}`))?.id;
      setError({ message: `${sentence(failure.message || 'The settings were not saved')}. Check the value and save again.`, ...(field && { field }) });
      setSaving(false);
    }
  };

  return (
    <form ref={formRef} className="settings-form workflow-settings" data-testid="workflow-settings-form" onSubmit={submit} noValidate aria-labelledby={`${ids.form}-title`}>
      <h3 className="settings-title" id={`${ids.form}-title`}>
        Settings for {workflow.name}
      </h3>
      <p className="muted small">This workflow needs these before it can be turned on.</p>
      {fields.map((field) => {
        const saved = settings[field.id];
        return (
          <SettingField
            key={field.id}
            id={fieldId(field.id)}
            field={field}
            current={typeof saved === 'string' ? saved : ''}
            invalid={error?.field === field.id}
            describedBy={error?.field === field.id ? ids.error : undefined}
          />
        );
      })}
      <SettingsFormEnd error={error?.message} errorId={ids.error} errorTestId="workflow-settings-error" saving={saving} saveLabel="Save and enable" onCancel={onCancel} />
    </form>
  );
}

type Sent = { runs: { id: string; workflowId: string }[]; name: string };

/** The payload typed in the form, or what is wrong with it. */
function parsePayload(text: string): { payload: Record<string, unknown> } | { problem: string } {
  if (text.trim() === '') return { payload: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { problem: `The payload is not valid JSON (${(error as Error).message}). Fix it, or leave it empty to send {}.` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { problem: 'The payload must be a JSON object, like { "contacts": [] }.' };
  }
  return { payload: value as Record<string, unknown> };
}

/** What to do about a refused app event, in words. */
function eventProblem(error: ErrorLike, name: string): string {
  switch (error.code) {
    case 'APP_EVENT_NOT_FOUND':
      return `This project has no app event named “${name}”. Define it first with PUT /api/v1/projects/:projectId/app-events/:name (docs/workflows.md), or check the spelling.`;
    case 'PERMISSION_DENIED':
      return `${sentence(error.message)}. Sign in with a user token that allows app events to send this one.`;
    case 'WORKFLOW_RUNS_UNAVAILABLE':
      return `${sentence(error.message)}. Start the server with background jobs on (SWITCHBOARD_JOBS=1) to run workflows.`;
    default:
      return error.message || 'The event was not sent. Try again.';
  }
}

function AppEventForm({ workflows }: { workflows: WorkflowInfo[] }) {
  const sdk = useSwitchboard();
  const [name, setName] = useState('');
  const [payload, setPayload] = useState('');
  const [problem, setProblem] = useState<{ field: 'name' | 'payload' | 'form'; message: string }>();
  const [sending, setSending] = useState(false);
  const [sent, setSent] = useState<Sent>();
  const ids = { name: useId(), payload: useId(), error: useId() };
  const workflowName = (id: string) => workflows.find((workflow) => workflow.id === id)?.name ?? id;

  const send = async (event: FormEvent) => {
    event.preventDefault();
    setSent(undefined);
    const trimmed = name.trim();
    if (trimmed === '') return setProblem({ field: 'name', message: 'Enter the app event’s name, as the project defines it (e.g. Contacts Imported).' });
    const parsed = parsePayload(payload);
    if ('problem' in parsed) return setProblem({ field: 'payload', message: parsed.problem });
    setProblem(undefined);
    setSending(true);
    try {
      const accepted = await sdk.event(trimmed, parsed.payload);
      setSent({ runs: accepted.runs, name: trimmed });
    } catch (error) {
      setProblem({ field: 'form', message: eventProblem(asError(error), trimmed) });
    } finally {
      setSending(false);
    }
  };

  const describedBy = (field: 'name' | 'payload') => (problem?.field === field ? ids.error : undefined);

  return (
    <form className="app-event" data-testid="app-event-form" onSubmit={send} noValidate aria-labelledby={`${ids.name}-title`}>
      <h3 id={`${ids.name}-title`}>Send an app event</h3>
      <p className="muted small">
        <code>switchboard.event(name, payload)</code> runs every enabled workflow listening to the event, for this user.
      </p>
      <div className={`field${problem?.field === 'name' ? ' has-error' : ''}`}>
        <label htmlFor={ids.name}>Event name</label>
        <input
          id={ids.name}
          name="event-name"
          value={name}
          onChange={(event) => setName(event.target.value)}
          placeholder="e.g. Contacts Imported"
          autoComplete="off"
          aria-invalid={problem?.field === 'name'}
          aria-describedby={describedBy('name')}
        />
      </div>
      <div className={`field${problem?.field === 'payload' ? ' has-error' : ''}`}>
        <label htmlFor={ids.payload}>
          Payload <span className="optional">(JSON object, optional)</span>
        </label>
        <textarea
          id={ids.payload}
          name="event-payload"
          value={payload}
          onChange={(event) => setPayload(event.target.value)}
          placeholder={'{ "contacts": [{ "name": "Ada", "email": "ada@example.com" }] }'}
          rows={4}
          spellCheck={false}
          aria-invalid={problem?.field === 'payload'}
          aria-describedby={describedBy('payload')}
        />
      </div>
      {problem && (
        <p className="form-error" role="alert" id={ids.error} data-testid="app-event-error" data-field={problem.field}>
          {problem.message}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={sending}>
          {sending ? 'Sending…' : 'Send event'}
        </button>
      </div>
      {sent && (
        <div className="test-result ok" data-testid="app-event-result" data-runs={sent.runs.map((run) => run.id).join(' ')} role="status">
          {sent.runs.length === 0 ? (
            <p className="test-result-title none">No workflow ran: none that listens to “{sent.name}” is enabled for this user. Enable one above.</p>
          ) : (
            <>
              <p className="test-result-title">
                <span aria-hidden="true">✓ </span>
                {sent.runs.length === 1 ? 'Started 1 run' : `Started ${sent.runs.length} runs`}; read each in the task history
                (GET /api/v1/projects/:projectId/workflow-runs/:runId).
              </p>
              <ul className="run-list">
                {sent.runs.map((run) => (
                  <li key={run.id} data-testid="app-event-run" data-run-id={run.id}>
                    {workflowName(run.workflowId)}: run <code>{run.id}</code>
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </form>
  );
}
