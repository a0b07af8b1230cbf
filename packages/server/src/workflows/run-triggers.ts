import { Cron } from 'croner';
import type { AppEventAccepted, WorkflowDefinition } from '@switchboard/wire';
import type { AppContext } from '../app-context.js';
import { findIntegration, listIntegrations } from '../catalog/integration-store.js';
import { listUserCredentials, type Credential } from '../credentials/credential-store.js';
import { apiError } from '../errors.js';
import { parseJson } from '../json.js';
import { chooseCredential } from '../proxy/choose-credential.js';
import type { Project } from '../projects/project-store.js';
import type { ConnectedUser } from '../users/connected-users.js';
import { allows, credentialVisible, type TokenPermissions } from '../users/permissions.js';
import { findAppEvent } from './app-event-store.js';
import { runDefaults, type WorkflowEngine } from './run-engine.js';
import { enabledOf } from './enablement-store.js';
import { createRun, createRunOnce, findRun, runsHeldHere, runUpdates, TERMINAL } from './run-store.js';
import { definitionAt, findWorkflow, publishedWorkflows } from './workflow-store.js';

/** Who triggers: the SDK's user token, or a backend acting for a connected user. */
export interface Trigger {
  project: Project;
  user: ConnectedUser;
  permissions: TokenPermissions;
}

const enabledOn = (credential: Credential, workflowId: string) => credential.config.configuredWorkflows?.[workflowId]?.enabled === true;

/** How long a Request trigger's caller waits for the Response step when the trigger sets no limit. */
export const REQUEST_TRIGGER_TIMEOUT_SECONDS = 30;
/**
 * How often a Request trigger reads its run again when it may not be woken: a run a worker of this instance holds
 * wakes the waiting request as soon as it writes its answer (runUpdates), so it is not polled at all; one still
 * queued, or taken by another instance, is read again at this pace.
 */
const RESPONSE_FALLBACK_POLL_MS = 1_000;

function runTimeout(definition: WorkflowDefinition): number {
  return definition.timeoutSeconds ?? runDefaults.runTimeoutSeconds;
}

/**
 * An app event: a run of every published, active workflow listening to it, on every account of the user that has
 * the workflow enabled. Answers at once with the runs started; the payload is not checked against the event's
 * schema (the reference product does not either).
 */
export async function triggerAppEvent(
  context: AppContext,
  engine: WorkflowEngine,
  trigger: Trigger,
  name: string,
  payload: unknown,
  /** `X-Paragon-Credential`: only this account's workflows run. */
  onlyCredentialId?: string,
): Promise<AppEventAccepted> {
  const { project, user, permissions } = trigger;
  if (!(await findAppEvent(context.db, project.id, name))) {
    throw apiError('APP_EVENT_NOT_FOUND', `No app event named ${JSON.stringify(name)} is defined in this project`);
  }
  const [workflows, credentials] = await Promise.all([publishedWorkflows(context.db, project.id), listUserCredentials(context.db, user.id)]);
  const listening = workflows.filter((workflow) => workflow.definition.trigger.type === 'appEvent' && workflow.definition.trigger.event === name);
  // The project's integrations once, not once per listening workflow.
  const integrations = listening.length > 0 ? new Map((await listIntegrations(context.db, project.id)).map((integration) => [integration.id, integration])) : new Map();
  const targets: { workflowId: string; definition: WorkflowDefinition; credential: Credential; version: number }[] = [];
  let forbidden = 0;
  for (const workflow of listening) {
    const integration = integrations.get(workflow.integrationId);
    const accounts = credentials.filter((c) => c.integrationId === workflow.integrationId && enabledOn(c, workflow.id) && (!onlyCredentialId || c.id === onlyCredentialId));
    for (const credential of accounts) {
      const ref = { integrationType: integration?.type, credentialId: credential.id };
      if (!credentialVisible(permissions, ref)) continue;
      if (!allows(permissions, ref, 'events')) {
        forbidden += 1;
        continue;
      }
      targets.push({ workflowId: workflow.id, definition: workflow.definition, credential, version: workflow.version });
    }
  }
  if (targets.length === 0 && forbidden > 0) {
    throw apiError('PERMISSION_DENIED', "This user token's permissions do not allow app events through the accounts listening to this event");
  }
  const runs = [];
  for (const target of targets) {
    const run = await createRun(context.db, {
      projectId: project.id,
      workflowId: target.workflowId,
      workflowVersion: target.version,
      connectedUserId: user.id,
      credentialId: target.credential.id,
      triggerType: 'appEvent',
      triggerInput: { event: name, payload: payload ?? {} },
      timeoutSeconds: runTimeout(target.definition),
    });
    await engine.enqueue(run.id);
    runs.push({ id: run.id, workflowId: target.workflowId });
  }
  return { runs };
}

/** What the HTTP caller of a Request trigger gets back. */
export interface TriggerAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * A Request trigger: a run on the user's account (the first valid one with the workflow enabled, or the one
 * X-Paragon-Credential names), whose Response step answers the call. The caller waits for it within the trigger's
 * timeout; a run that ends without one answers 200 with its id.
 */
export async function triggerRequest(
  context: AppContext,
  engine: WorkflowEngine,
  trigger: Trigger,
  workflowId: string,
  request: { body: unknown; query: Record<string, unknown>; headers: Record<string, string>; credentialId: string | string[] | undefined },
): Promise<TriggerAnswer> {
  const { project, user, permissions } = trigger;
  const workflow = await findWorkflow(context.db, project.id, workflowId);
  const definition = workflow?.publishedVersion ? await definitionAt(context.db, workflow.id, workflow.publishedVersion) : undefined;
  if (!workflow || !workflow.isActive || !definition || definition.trigger.type !== 'request') {
    throw apiError('WORKFLOW_NOT_FOUND', `No published workflow ${workflowId} with a Request trigger in this project`);
  }
  const integration = await findIntegration(context.db, project.id, { id: workflow.integrationId });
  if (!integration) throw apiError('WORKFLOW_NOT_FOUND', `No published workflow ${workflowId} with a Request trigger in this project`);
  let credentialId = request.credentialId;
  if (credentialId === undefined) {
    // The first valid account that has the workflow enabled, so a user with several accounts is not refused.
    const enabled = (await listUserCredentials(context.db, user.id, { integrationId: integration.id })).find((c) => c.status === 'VALID' && enabledOn(c, workflow.id));
    credentialId = enabled?.id;
  }
  const row = await chooseCredential(context, { connectedUserId: user.id, permissions, integration, requested: credentialId, kind: 'workflows' });
  const config = parseJson<Credential['config']>(row.config, {});
  if (config.configuredWorkflows?.[workflow.id]?.enabled !== true) {
    throw apiError('WORKFLOW_NOT_ENABLED', `Workflow ${workflow.id} is not enabled for this account: enableWorkflow first`);
  }
  const run = await createRun(context.db, {
    projectId: project.id,
    workflowId: workflow.id,
    workflowVersion: workflow.publishedVersion!,
    connectedUserId: user.id,
    credentialId: row.id,
    triggerType: 'request',
    triggerInput: { body: request.body ?? null, query: request.query, headers: request.headers },
    timeoutSeconds: runTimeout(definition),
  });
  await engine.enqueue(run.id);

  const deadline = Date.now() + (definition.trigger.timeoutSeconds ?? REQUEST_TRIGGER_TIMEOUT_SECONDS) * 1000;
  // Listening before the first read, and flagging every update, so one written during a read is not missed.
  const wake = { updated: false, resolve: undefined as (() => void) | undefined };
  const listener = () => {
    wake.updated = true;
    wake.resolve?.();
  };
  runUpdates.on(run.id, listener);
  try {
    while (Date.now() < deadline) {
      wake.updated = false;
      const current = await findRun(context.db, run.id);
      if (current?.response) return parseJson<TriggerAnswer>(current.response, { status: 200, headers: {}, body: null });
      if (current && TERMINAL.includes(current.status as never)) {
        if (current.status === 'SUCCEEDED') return { status: 200, headers: {}, body: { runId: run.id } };
        const error = parseJson<{ message?: string }>(current.error, {});
        throw apiError('WORKFLOW_RUN_FAILED', `The workflow run failed before its Response step: ${error.message ?? current.status}`, { runId: run.id });
      }
      // A run a worker of this process holds wakes the call itself; only one queued or held elsewhere is polled.
      const left = deadline - Date.now();
      if (!wake.updated) await untilWoken(wake, runsHeldHere.has(run.id) ? left : Math.min(RESPONSE_FALLBACK_POLL_MS, left));
    }
  } finally {
    runUpdates.off(run.id, listener);
  }
  throw apiError('WORKFLOW_RESPONSE_TIMEOUT', 'The workflow did not reach its Response step in time; the run goes on', { runId: run.id });
}

/** Waits for the run's next update on this instance, or `ms`, whichever comes first. */
async function untilWoken(wake: { resolve: (() => void) | undefined }, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve) => {
      wake.resolve = resolve;
      timer = setTimeout(resolve, Math.max(0, ms));
    });
  } finally {
    clearTimeout(timer);
    wake.resolve = undefined;
  }
}

/** How far back a schedule looks for a time it has not fired yet: a server down longer skips, rather than floods. */
export const SCHEDULE_CATCH_UP_SECONDS = 300;

/**
 * Schedule triggers: for every published, active workflow with a schedule, its latest time due (within the catch-up
 * window) starts one run on every valid account that has had the workflow enabled since before that time. Every
 * instance may look at once: a time fires once per account, because the run's schedule key is unique.
 */
export async function fireSchedules(context: AppContext, engine: WorkflowEngine, now = new Date()): Promise<number> {
  const projects = await context.db.selectFrom('workflows').select('project_id').distinct().where('is_active', '=', 1).where('published_version', 'is not', null).execute();
  let started = 0;
  for (const { project_id: projectId } of projects) {
    for (const workflow of await publishedWorkflows(context.db, projectId)) {
      const trigger = workflow.definition.trigger;
      if (trigger.type !== 'schedule') continue;
      // Every time due within the window, so a tick missed (a restart, a slow queue) loses no run; keys dedupe.
      const dueTimes = new Cron(trigger.cron, { timezone: trigger.timeZone ?? 'UTC', paused: true })
        .previousRuns(10, now)
        // Nor a time before the workflow was published or last changed.
        .filter((due) => now.getTime() - due.getTime() <= SCHEDULE_CATCH_UP_SECONDS * 1000 && due.getTime() > Date.parse(workflow.dateUpdated));
      if (dueTimes.length === 0) continue;
      // Only the valid accounts that have it enabled, read from the enablements (not every account's config).
      for (const account of await enabledOf(context.db, { workflowId: workflow.id, validOnly: true })) {
        // Nor a time before this user turned it on (publishing is not enabling).
        for (const due of dueTimes.filter((time) => time.getTime() > Date.parse(account.enabledAt))) {
          const run = await createRunOnce(context.db, {
            projectId,
            workflowId: workflow.id,
            workflowVersion: workflow.version,
            connectedUserId: account.connectedUserId,
            credentialId: account.credentialId,
            triggerType: 'schedule',
            triggerInput: { scheduledAt: due.toISOString() },
            timeoutSeconds: runTimeout(workflow.definition),
            scheduleKey: `${workflow.id}:${account.credentialId}:${due.toISOString()}`,
          });
          if (run) {
            await engine.enqueue(run.id);
            started += 1;
          }
        }
      }
    }
  }
  return started;
}
