import { useId, useState, type FormEvent } from 'react';
import type { IntegrationState, WorkflowInfo } from '@switchboard/sdk';
import { useSwitchboard } from '@switchboard/react';
import { asError, type ErrorLike } from '../errors.js';
import './workflows.css';

/**
 * The user's workflows for one connected integration: each published workflow with its state and Enable/Disable
 * (`switchboard.enableWorkflow` / `disableWorkflow`), and a form that sends an app event (`switchboard.event`) and
 * lists the runs it started, so a customer can follow a run into the task history (docs/workflows.md).
 */
export function WorkflowsPanel({ integrationType, integrationName, state }: { integrationType: string; integrationName: string; state: IntegrationState | undefined }) {
  const sdk = useSwitchboard();
  const workflows = sdk.getWorkflows(integrationType);
  const configured = (state?.configuredWorkflows ?? {}) as Record<string, { enabled?: boolean } | undefined>;

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
            <WorkflowRow key={workflow.id} workflow={workflow} enabled={configured[workflow.id]?.enabled === true} />
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
    case 'WORKFLOW_SETTINGS_REQUIRED':
      return `${sentence(error.message)}, with config.configuredWorkflows (docs/workflows.md), then click Enable again.`;
    case 'PERMISSION_DENIED':
      return `${sentence(error.message)}. Your user token does not allow this: sign in with one that allows workflows.`;
    case 'INTEGRATION_NOT_INSTALLED':
      return 'No account of this integration is connected. Connect one, then enable the workflow.';
    default:
      return error.message || 'The change was not saved. Try again.';
  }
}

function WorkflowRow({ workflow, enabled }: { workflow: WorkflowInfo; enabled: boolean }) {
  const sdk = useSwitchboard();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const errorId = useId();

  const toggle = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      await (enabled ? sdk.disableWorkflow(workflow.id) : sdk.enableWorkflow(workflow.id));
    } catch (error) {
      setProblem(toggleProblem(asError(error)));
    } finally {
      setBusy(false);
    }
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
      <div className="account-actions">
        <button type="button" className={`button${enabled ? '' : ' primary'}`} onClick={toggle} disabled={busy} aria-describedby={problem ? errorId : undefined}>
          {busy ? (enabled ? 'Disabling…' : 'Enabling…') : enabled ? 'Disable' : 'Enable'}
          <span className="visually-hidden"> {workflow.name}</span>
        </button>
      </div>
      {problem && (
        <p className="form-error" role="alert" id={errorId} data-testid="workflow-error">
          {problem}
        </p>
      )}
    </li>
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
