import type { Step, WorkflowDefinition } from '@switchboard/wire';
import type { AppContext } from '../app-context.js';
import { findIntegration, type ProjectIntegration } from '../catalog/integration-store.js';
import type { TokenRefresher } from '../credentials/token-refresh.js';
import type { JobQueue } from '../jobs/job-queue.js';
import { parseJson } from '../json.js';
import { findProject } from '../projects/project-store.js';
import type { CredentialRow } from '../storage/schema.js';
import { openProjectSecrets } from './project-secrets.js';
import { runEvent } from './run-events.js';
import {
  abandonedRuns,
  finishStep,
  findRun,
  heldRuns,
  leaseRun,
  prepareReplay,
  projectsWithHeldRuns,
  releaseRun,
  runSteps,
  setRunStatus,
  startStep,
  startWithinLimit,
  TERMINAL,
  type RunRow,
  type StepRow,
} from './run-store.js';
import { performAction } from './step-actions.js';
import { callIntegration, callUrl, StepFailure, stepFailureOf, type StepRequest, type StepResponse } from './step-requests.js';
import { holds, redact, resolve, type VariableScope } from './variables.js';
import { definitionAt } from './workflow-store.js';

export const WORKFLOW_RUN_QUEUE = 'workflow-run';
export const WORKFLOW_RECOVERY_QUEUE = 'workflow-run-recovery';
export const WORKFLOW_SCHEDULE_QUEUE = 'workflow-schedules';
/** How often schedules are looked at: cron's own resolution. */
const SCHEDULE_TICK_SECONDS = 60;

/** Every default of a run, in one place. */
export const runDefaults = {
  /** A step's own limit when it sets none. */
  stepTimeoutSeconds: 30,
  /** A run's limit when the definition sets none. */
  runTimeoutSeconds: 3600,
  /** Tries in all when a step asks for retries without a number. */
  retryAttempts: 5,
  /** Waits before the second, third... try. */
  retryBackoffSeconds: [10, 20, 30, 50, 80],
  /** Fan-out items run at once when the step sets no concurrency. */
  fanOutConcurrency: 10,
};

/** A Function step's sandbox (function-sandbox.ts), given to the engine so it can be swapped in tests. */
export type FunctionRunner = (
  code: string,
  input: unknown,
) => Promise<{ ok: true; output: unknown; logs: string[] } | { ok: false; error: { code: string; message: string }; logs: string[] }>;

/** How a sequence of steps ended: all done, or the run must wait (a delay, a retry) until `wakeAt`. */
type Outcome = { done: true } | { done: false; wakeAt: string };
const DONE: Outcome = { done: true };

/** What a run's steps work with. */
interface RunState {
  run: RunRow;
  definition: WorkflowDefinition;
  journal: Map<string, StepRow>;
  integration: ProjectIntegration;
  credential: CredentialRow | undefined;
  allowPrivate: boolean;
  secrets: Record<string, string>;
}

class RunFailed extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly stepKey?: string,
  ) {
    super(message);
  }
}

/** The run was cancelled (or another worker took it): stop without touching it further. */
class RunStopped extends Error {}

const later = (iso: string) => iso > new Date().toISOString();

/**
 * Executes runs, durably, on the job queue: each step's result is journaled before the next starts, so a run
 * that resumes (after a delay, a retry's wait, or a crash of its worker) skips what is done and picks up at the
 * first unfinished step. A step cut off mid-call is run again with the same idempotency key.
 */
export class WorkflowEngine {
  constructor(
    private readonly context: AppContext,
    private readonly refresher: TokenRefresher,
    private readonly jobs: JobQueue,
    private readonly functions: FunctionRunner,
    /** Starts the runs of schedules that are due (run-triggers.ts); given here so the engine does not import its callers. */
    private readonly schedules?: (engine: WorkflowEngine) => Promise<unknown>,
  ) {}

  private get lease(): number {
    return this.context.config.workflows.runLeaseSeconds;
  }

  private get limit(): number {
    return this.context.config.workflows.projectConcurrency;
  }

  /** Registers the engine's job handlers and sweeps; call recover() once the job queue has started. */
  async start(): Promise<void> {
    await this.jobs.work<{ runId: string }>(WORKFLOW_RUN_QUEUE, async ({ runId }) => this.execute(runId));
    await this.jobs.work(WORKFLOW_RECOVERY_QUEUE, async () => this.recover());
    await this.jobs.every(WORKFLOW_RECOVERY_QUEUE, this.context.config.workflows.recoveryIntervalSeconds);
    if (this.schedules) {
      const fire = this.schedules;
      await this.jobs.work(WORKFLOW_SCHEDULE_QUEUE, async () => {
        await fire(this);
      });
      await this.jobs.every(WORKFLOW_SCHEDULE_QUEUE, SCHEDULE_TICK_SECONDS);
    }
    // The first recover() is the caller's, once the job queue has started: it sends jobs.
  }

  /**
   * Queues again every run whose worker died holding it (its lease lapsed): it resumes at its first unfinished step.
   * And starts runs held by their project's limit that have a free slot, in case the wake-up of a run's end was lost.
   */
  async recover(): Promise<void> {
    for (const runId of await abandonedRuns(this.context.db)) {
      this.context.log.warn({ runId }, 'resuming a workflow run whose worker stopped');
      await this.enqueue(runId);
    }
    for (const projectId of await projectsWithHeldRuns(this.context.db)) await this.startHeld(projectId);
  }

  /** Queues the runs of the project its limit held, as many as it has free slots. */
  private async startHeld(projectId: string): Promise<void> {
    for (const runId of await heldRuns(this.context.db, projectId, this.limit)) await this.enqueue(runId);
  }

  /**
   * A FAILED run again from its failed step: the steps that succeeded keep their journal and are not run again.
   * False when the run is not FAILED.
   */
  async replay(run: RunRow): Promise<boolean> {
    const definition = await definitionAt(this.context.db, run.workflow_id, run.workflow_version);
    if (!(await prepareReplay(this.context.db, run.id, definition?.timeoutSeconds ?? runDefaults.runTimeoutSeconds))) return false;
    await this.enqueue(run.id);
    return true;
  }

  /** Queues the run (again), now or once `wakeAt` has passed. */
  async enqueue(runId: string, wakeAt?: string): Promise<void> {
    const seconds = wakeAt ? Math.max(0, Math.ceil((Date.parse(wakeAt) - Date.now()) / 1000)) : 0;
    await this.jobs.send(WORKFLOW_RUN_QUEUE, { runId }, { ...(seconds > 0 && { startAfterSeconds: seconds }), retryLimit: 10, retryDelaySeconds: 2 });
  }

  async execute(runId: string): Promise<void> {
    const run = await findRun(this.context.db, runId);
    if (!run || TERMINAL.includes(run.status as never)) return;
    // Another worker holds it: that worker finishes it, or, if it died, the recovery sweep resumes the run once the
    // lease lapses. Nothing is left for this job to do or to retry.
    if (!(await leaseRun(this.context.db, runId, this.lease))) {
      this.context.log.debug({ runId }, 'workflow run held by another worker; skipped');
      return;
    }
    if (run.status === 'QUEUED' && !(await startWithinLimit(this.context.db, this.context.storage.dialect, run, this.limit))) {
      await releaseRun(this.context.db, runId);
      // A run of the project may have ended while this one was held here, its wake-up skipping it: look once more.
      if ((await heldRuns(this.context.db, run.project_id, this.limit)).length > 0) await this.enqueue(runId);
      this.context.log.debug({ runId, projectId: run.project_id }, "workflow run queued behind its project's concurrency limit");
      return;
    }
    this.context.log.debug({ runId }, 'executing a workflow run');
    // A step may take longer than the lease: the hold is renewed while it runs, so no other worker takes the run.
    const heartbeat = setInterval(() => {
      leaseRun(this.context.db, runId, this.lease, true).catch((error: unknown) => this.context.log.warn({ err: error, runId }, 'could not renew a workflow run lease'));
    }, (this.lease * 1000) / 3);
    try {
      const state = await this.load(run);
      if (!later(run.timeout_at)) throw new RunFailed('RUN_TIMEOUT', 'The run took longer than its timeout');
      if (run.status === 'WAITING') await setRunStatus(this.context.db, runId, 'RUNNING');
      const scope = await this.scopeOf(state);
      const outcome = await this.sequence(state, state.definition.steps, scope, '');
      if (outcome.done) {
        await setRunStatus(this.context.db, runId, 'SUCCEEDED');
        await this.context.events.publish(runEvent(run, 'succeeded'));
      } else {
        await setRunStatus(this.context.db, runId, 'WAITING');
        await this.enqueue(runId, outcome.wakeAt);
      }
    } catch (error) {
      if (error instanceof RunStopped) return;
      const failure = error instanceof RunFailed ? error : new RunFailed('INTERNAL_ERROR', 'The run failed unexpectedly');
      if (!(error instanceof RunFailed)) this.context.log.error({ err: error, runId }, 'workflow run failed unexpectedly');
      await setRunStatus(this.context.db, runId, 'FAILED', { error: { code: failure.code, message: failure.message, ...(failure.stepKey && { stepKey: failure.stepKey }) } });
      await this.context.events.publish(runEvent(run, 'failed', failure));
    } finally {
      clearInterval(heartbeat);
      await releaseRun(this.context.db, runId);
      // The run has left RUNNING (ended or waits): a run its project's limit held may start.
      await this.startHeld(run.project_id).catch((error: unknown) => this.context.log.warn({ err: error, runId }, 'could not start held workflow runs'));
    }
  }

  private async load(run: RunRow): Promise<RunState> {
    const { db } = this.context;
    const [definition, project, journal, credential] = await Promise.all([
      definitionAt(db, run.workflow_id, run.workflow_version),
      findProject(db, run.project_id),
      runSteps(db, run.id),
      run.credential_id ? db.selectFrom('credentials').selectAll().where('id', '=', run.credential_id).executeTakeFirst() : undefined,
    ]);
    if (!definition || !project) throw new RunFailed('WORKFLOW_NOT_FOUND', 'The workflow was removed');
    const integration = await findIntegration(db, run.project_id, { type: definition.integration });
    if (!integration) throw new RunFailed('INTEGRATION_NOT_FOUND', `The integration ${definition.integration} was removed`);
    if (run.credential_id && !credential) throw new RunFailed('CREDENTIAL_NOT_FOUND', "The run's account was disconnected");
    const secrets = await openProjectSecrets(db, this.context.secrets, run.project_id);
    return { run, definition, journal, integration, credential, allowPrivate: project.allowPrivateUpstreams, secrets };
  }

  private async scopeOf(state: RunState): Promise<VariableScope> {
    const user = await this.context.db.selectFrom('connected_users').select('meta').where('id', '=', state.run.connected_user_id).executeTakeFirst();
    const config = parseJson<{ configuredWorkflows?: Record<string, { settings?: Record<string, unknown> }> }>(state.credential?.config, {});
    return {
      trigger: parseJson<unknown>(state.run.trigger_input, {}),
      steps: {},
      user: { meta: parseJson<Record<string, unknown>>(user?.meta, {}) },
      settings: config.configuredWorkflows?.[state.run.workflow_id]?.settings ?? {},
      secrets: state.secrets,
    };
  }

  /** Runs steps in order; stops at the first that must wait. */
  private async sequence(state: RunState, steps: readonly Step[], scope: VariableScope, prefix: string): Promise<Outcome> {
    for (const step of steps) {
      const outcome = await this.step(state, step, scope, `${prefix}${step.id}`);
      if (!outcome.done) return outcome;
    }
    return DONE;
  }

  private async step(state: RunState, step: Step, scope: VariableScope, key: string): Promise<Outcome> {
    const { db } = this.context;
    const record = state.journal.get(key);
    if (record?.status === 'SUCCEEDED') {
      const output = parseJson<unknown>(record.output, null);
      scope.steps[step.id] = stepScope(step, output);
      // A finished branching step still leads into its branch, whose own steps may be unfinished.
      if (step.type === 'conditional') return this.branch(state, step, scope, key, output as { branch: string | null });
      return DONE;
    }
    if (record?.status === 'FAILED') throw new RunFailed(parseJson<{ code: string }>(record.error, { code: 'STEP_FAILED' }).code, 'An earlier try of this run failed here', key);
    if (record?.status === 'WAITING' && record.wake_at && later(record.wake_at)) return { done: false, wakeAt: record.wake_at };
    // Between steps: a cancelled run stops, and the worker keeps its hold on the run.
    if (!(await leaseRun(db, state.run.id, this.lease, true))) throw new RunStopped();
    if (!later(state.run.timeout_at)) throw new RunFailed('RUN_TIMEOUT', 'The run took longer than its timeout', key);

    if (step.type === 'delay') {
      if (record?.status === 'WAITING') {
        await finishStep(db, state.run.id, key, { status: 'SUCCEEDED', output: { waitedUntil: record.wake_at } });
        scope.steps[step.id] = { output: { waitedUntil: record.wake_at } };
        return DONE;
      }
      const wakeAt = new Date(Date.now() + step.seconds * 1000).toISOString();
      await startStep(db, state.run.id, key, step.id, { seconds: step.seconds }, record);
      await finishStep(db, state.run.id, key, { status: 'WAITING', wakeAt });
      return { done: false, wakeAt };
    }
    if (step.type === 'fanOut') return this.fanOut(state, step, scope, key, record);

    // Resolved once: what the step sends is what the history shows (less headers, which may carry API keys).
    const fields = resolveFields(step, scope);
    const started = await startStep(db, state.run.id, key, step.id, redact(stepInput(step, fields), state.secrets), record);
    try {
      const output = await this.perform(state, step, scope, started, fields);
      // The journal never holds a project secret, even one an API echoed back; this run's later steps see it whole.
      await finishStep(db, state.run.id, key, { status: 'SUCCEEDED', output: redact(output, state.secrets) });
      scope.steps[step.id] = stepScope(step, output);
      if (step.type === 'conditional') return this.branch(state, step, scope, key, output as { branch: string | null });
      return DONE;
    } catch (error) {
      if (error instanceof RunStopped) throw error;
      const failure = stepFailureOf(error);
      const attempts = step.retry ? (step.retry.attempts ?? runDefaults.retryAttempts) : 1;
      if (failure.retryable && started.attempts < attempts) {
        const backoff = step.retry?.backoffSeconds ?? runDefaults.retryBackoffSeconds;
        const wakeAt = new Date(Date.now() + (backoff[started.attempts - 1] ?? backoff.at(-1)!) * 1000).toISOString();
        await finishStep(db, state.run.id, key, { status: 'WAITING', error: { code: failure.code, message: failure.message }, wakeAt });
        return { done: false, wakeAt };
      }
      await finishStep(db, state.run.id, key, { status: 'FAILED', error: { code: failure.code, message: failure.message } });
      throw new RunFailed(failure.code, `Step ${step.id} failed: ${failure.message}`, key);
    }
  }

  /** What a step does; its answer is the step's output. */
  private async perform(state: RunState, step: Step, scope: VariableScope, started: StepRow, fields: Record<string, unknown>): Promise<unknown> {
    const timeoutMs = (step.timeoutSeconds ?? runDefaults.stepTimeoutSeconds) * 1000;
    switch (step.type) {
      case 'request': {
        const request = fields as unknown as StepRequest;
        const options = { idempotencyKey: started.idempotency_key, timeoutMs };
        if (step.url !== undefined) return callUrl(this.context, { allowPrivate: state.allowPrivate }, request, options);
        if (!state.credential) throw new StepFailure('INTEGRATION_NOT_INSTALLED', `The run has no ${state.integration.type} account`, false);
        return callIntegration(this.context, this.refresher, { integration: state.integration, credential: state.credential, allowPrivate: state.allowPrivate }, request, options);
      }
      case 'function': {
        const result = await this.functions(step.code, fields.input);
        if (!result.ok) throw new StepFailure(result.error.code, result.error.message, false);
        return result.output;
      }
      case 'conditional':
        return { branch: holds(step.if, scope) ? 'then' : step.else ? 'else' : null };
      case 'response': {
        const response = { status: fields.status, headers: fields.headers, body: fields.body };
        await setRunStatus(this.context.db, state.run.id, 'RUNNING', { response });
        return response;
      }
      case 'action': {
        if (!state.credential) throw new StepFailure('INTEGRATION_NOT_INSTALLED', `The run has no ${state.integration.type} account`, false);
        const target = { integration: state.integration, credential: state.credential, allowPrivate: state.allowPrivate };
        return performAction(this.context, this.refresher, target, step.action, fields.input, { idempotencyKey: started.idempotency_key, timeoutMs, secrets: state.secrets });
      }
      default:
        throw new StepFailure('STEP_FAILED', 'Unknown step', false);
    }
  }

  private async branch(state: RunState, step: Extract<Step, { type: 'conditional' }>, scope: VariableScope, key: string, chosen: { branch: string | null }): Promise<Outcome> {
    const steps = (chosen.branch === 'then' ? step.then : chosen.branch === 'else' ? (step.else ?? []) : []) as Step[];
    return this.sequence(state, steps, scope, `${key}.${chosen.branch}.`);
  }

  /** The branch once per item, `concurrency` at a time; the step's output is each item's step outputs. */
  private async fanOut(state: RunState, step: Extract<Step, { type: 'fanOut' }>, scope: VariableScope, key: string, record: StepRow | undefined): Promise<Outcome> {
    const { db } = this.context;
    const items = resolve(step.items, scope);
    if (!Array.isArray(items)) {
      await startStep(db, state.run.id, key, step.id, { items: typeof items }, record);
      await finishStep(db, state.run.id, key, { status: 'FAILED', error: { code: 'FAN_OUT_NOT_AN_ARRAY', message: `${step.items} is not an array` } });
      throw new RunFailed('FAN_OUT_NOT_AN_ARRAY', `Step ${step.id}: ${step.items} is not an array`, key);
    }
    if (!record) await startStep(db, state.run.id, key, step.id, { items: items.length }, record);
    const children = step.steps as Step[];
    const outputs: Record<string, unknown>[] = new Array(items.length);
    let next = 0;
    let waiting: Outcome | undefined;
    const worker = async () => {
      while (next < items.length) {
        const index = next++;
        const itemScope: VariableScope = { ...scope, steps: { ...scope.steps }, item: items[index], index };
        const outcome = await this.sequence(state, children, itemScope, `${key}[${index}].`);
        if (!outcome.done && (!waiting || (!waiting.done && outcome.wakeAt < waiting.wakeAt))) waiting = outcome;
        outputs[index] = Object.fromEntries(children.map((child) => [child.id, itemScope.steps[child.id]?.output]));
      }
    };
    await Promise.all(Array.from({ length: Math.min(step.concurrency ?? runDefaults.fanOutConcurrency, items.length) }, worker));
    if (waiting) return waiting;
    await finishStep(db, state.run.id, key, { status: 'SUCCEEDED', output: redact(outputs, state.secrets) });
    scope.steps[step.id] = { output: outputs };
    return DONE;
  }
}

/** What `{{steps.<id>…}}` reads: a Request step's `output` is the answer's body, beside its `status` and `headers`. */
function stepScope(step: Step, output: unknown): { output: unknown; status?: number; headers?: Record<string, string> } {
  if (step.type === 'request' && output && typeof output === 'object' && 'status' in output) {
    const answer = output as StepResponse;
    return { output: answer.body, status: answer.status, headers: answer.headers };
  }
  return { output };
}

/** The fields a step sends or answers, its variables filled in. */
function resolveFields(step: Step, scope: VariableScope): Record<string, unknown> {
  switch (step.type) {
    case 'request':
      return resolve({ method: step.method, path: step.path, url: step.url, query: step.query, headers: step.headers, body: step.body }, scope) as Record<string, unknown>;
    case 'function':
      return { input: resolve(step.input ?? {}, scope) };
    case 'action':
      return { action: step.action, input: resolve(step.input ?? {}, scope) };
    case 'response':
      return { status: step.status ?? 200, headers: resolve(step.headers ?? {}, scope), body: resolve(step.body ?? null, scope) };
    default:
      return {};
  }
}

/** A step's resolved fields as the history shows its input: a request's headers are left out. */
function stepInput(step: Step, fields: Record<string, unknown>): unknown {
  switch (step.type) {
    case 'request': {
      const { headers: _headers, ...shown } = fields;
      return shown;
    }
    case 'function':
      return fields.input;
    case 'action':
      return fields;
    case 'response':
      return { status: fields.status, body: fields.body };
    case 'conditional':
      return { if: step.if };
    default:
      return {};
  }
}
