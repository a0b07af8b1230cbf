import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { sql, type Kysely } from 'kysely';
import type { RunStatus, WorkflowRun, WorkflowRunDetail, WorkflowRunStep } from '@switchboard/wire';
import { isoIn, isoNow } from '../clock.js';
import { parseJson } from '../json.js';
import type { Dialect } from '../storage/database.js';
import type { Database, WorkflowRunStepTable, WorkflowRunTable } from '../storage/schema.js';

/**
 * Runs and their journal. A step's row is written when it starts (RUNNING, with its idempotency key) and again
 * when it ends, before the next step starts: a run that resumes after a crash skips every SUCCEEDED step, and
 * replays one left RUNNING with the same key.
 */

type Db = Kysely<Database>;
export type RunRow = WorkflowRunTable;
export type StepRow = WorkflowRunStepTable;

export const TERMINAL: readonly RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** Largest JSON the run history shows for one step's input or output; a larger value shows as its size and start. */
const MAX_SHOWN_JSON = 64 * 1024;

const toJson = (value: unknown): string | null => (value === undefined ? null : (JSON.stringify(value) ?? null));

/** A journaled value as the run history shows it: whole up to a size, else a summary that says how large it was. */
function shown(json: string | null): unknown {
  if (json === null) return null;
  if (json.length <= MAX_SHOWN_JSON) return parseJson<unknown>(json, null);
  return { truncated: true, size: json.length, start: json.slice(0, 1024) };
}

export interface NewRun {
  projectId: string;
  workflowId: string;
  workflowVersion: number;
  connectedUserId: string;
  credentialId: string | null;
  triggerType: string;
  triggerInput: unknown;
  timeoutSeconds: number;
  /** For a run that must start once (a scheduled time, an Integration enabled run): not created when one with this key exists. */
  scheduleKey?: string;
}

export async function createRun(db: Db, run: NewRun): Promise<RunRow> {
  return (await createRunOnce(db, run))!;
}

/** Creates the run; answers undefined when a scheduled run with the same key exists already. */
export async function createRunOnce(db: Db, run: NewRun): Promise<RunRow | undefined> {
  const now = isoNow();
  const row: RunRow = {
    id: randomUUID(),
    project_id: run.projectId,
    workflow_id: run.workflowId,
    workflow_version: run.workflowVersion,
    connected_user_id: run.connectedUserId,
    credential_id: run.credentialId,
    trigger_type: run.triggerType,
    // The trigger is kept whole: a resumed run reads it again.
    trigger_input: JSON.stringify(run.triggerInput ?? {}),
    status: 'QUEUED',
    response: null,
    error: null,
    created_at: now,
    started_at: null,
    finished_at: null,
    updated_at: now,
    timeout_at: isoIn(run.timeoutSeconds),
    lease_until: null,
    schedule_key: run.scheduleKey ?? null,
  };
  const inserted = await db
    .insertInto('workflow_runs')
    .values(row)
    .onConflict((conflict) => conflict.column('schedule_key').doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 1n) === 0 ? undefined : row;
}

export const findRun = (db: Db, runId: string) => db.selectFrom('workflow_runs').selectAll().where('id', '=', runId).executeTakeFirst();

/**
 * Emits the run's id after its status or answer is written by this process: a Request trigger waiting here for its
 * Response step wakes at once instead of polling (runs executed by another instance are still polled, slower).
 */
export const runUpdates = new EventEmitter().setMaxListeners(0);

/** Runs a worker of this process holds the lease of: their updates are emitted here, so waiting on them needs no poll. */
export const runsHeldHere = new Set<string>();

export async function setRunStatus(db: Db, runId: string, status: RunStatus, extra: { error?: unknown; response?: unknown } = {}): Promise<void> {
  const now = isoNow();
  await db
    .updateTable('workflow_runs')
    .set({
      status,
      updated_at: now,
      ...(status === 'RUNNING' && { started_at: now }),
      ...(TERMINAL.includes(status) && { finished_at: now }),
      ...(extra.error !== undefined && { error: JSON.stringify(extra.error) }),
      ...(extra.response !== undefined && { response: JSON.stringify(extra.response) }),
    })
    .where('id', '=', runId)
    // A finished run stays finished: a cancellation is not overwritten by a worker that was still going.
    .where('status', 'not in', TERMINAL as RunStatus[])
    .execute();
  runUpdates.emit(runId);
}

/**
 * Takes (or renews, with `renew`) the run for this worker for `seconds`: false when the run has ended (a
 * cancellation) or another worker holds it.
 */
export async function leaseRun(db: Db, runId: string, seconds: number, renew = false): Promise<boolean> {
  const now = isoNow();
  let query = db.updateTable('workflow_runs').set({ lease_until: isoIn(seconds) }).where('id', '=', runId).where('status', 'not in', TERMINAL as RunStatus[]);
  if (!renew) query = query.where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]));
  const taken = Number((await query.executeTakeFirst()).numUpdatedRows) === 1;
  if (taken && !renew) runsHeldHere.add(runId);
  return taken;
}

/**
 * Runs a dead worker left behind: it held them (a lease that has lapsed) whatever their status, so a kill between
 * taking a run and queueing its next job loses nothing. A run no one holds (null lease) has a job of its own.
 */
export async function abandonedRuns(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom('workflow_runs')
    .select('id')
    .where('status', 'not in', TERMINAL as RunStatus[])
    .where('lease_until', 'is not', null)
    .where('lease_until', '<', isoNow())
    .limit(1000)
    .execute();
  return rows.map((row) => row.id);
}

/**
 * Moves a QUEUED run to RUNNING if its project has fewer than `limit` runs RUNNING: false leaves it QUEUED, marked
 * held (its updated_at moves past its created_at), to be started when a run of the project ends or waits. On
 * Postgres the count and the update are serialised per project with an advisory lock, so instances that start runs
 * at once never exceed the limit together; SQLite runs the single statement under its one writer.
 */
export async function startWithinLimit(db: Db, dialect: Dialect, run: { id: string; project_id: string }, limit: number): Promise<boolean> {
  const start = async (trx: Db) => {
    const now = isoNow();
    const result = await trx
      .updateTable('workflow_runs')
      .set({ status: 'RUNNING', started_at: now, updated_at: now })
      .where('id', '=', run.id)
      .where('status', '=', 'QUEUED')
      .where((eb) =>
        eb(
          eb.selectFrom('workflow_runs as others').select((count) => count.fn.countAll<number>().as('running')).where('others.project_id', '=', run.project_id).where('others.status', '=', 'RUNNING'),
          '<',
          limit,
        ),
      )
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) return true;
    await trx.updateTable('workflow_runs').set({ updated_at: now }).where('id', '=', run.id).where('status', '=', 'QUEUED').execute();
    return false;
  };
  if (dialect === 'sqlite') return start(db);
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`workflow-runs:${run.project_id}`}, 0))`.execute(trx);
    return start(trx);
  });
}

/** QUEUED runs of the project that were held by its limit, oldest first, as many as it has free slots. */
export async function heldRuns(db: Db, projectId: string, limit: number): Promise<string[]> {
  const running = await db
    .selectFrom('workflow_runs')
    .select((eb) => eb.fn.countAll<number>().as('running'))
    .where('project_id', '=', projectId)
    .where('status', '=', 'RUNNING')
    .executeTakeFirstOrThrow();
  const free = limit - Number(running.running);
  if (free <= 0) return [];
  const rows = await db
    .selectFrom('workflow_runs')
    .select('id')
    .where('project_id', '=', projectId)
    .where('status', '=', 'QUEUED')
    .whereRef('updated_at', '>', 'created_at')
    .orderBy('created_at')
    .limit(free)
    .execute();
  return rows.map((row) => row.id);
}

/** Projects with runs held by their limit: the recovery sweep starts them when a wake-up was missed. */
export async function projectsWithHeldRuns(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('workflow_runs').select('project_id').distinct().where('status', '=', 'QUEUED').whereRef('updated_at', '>', 'created_at').limit(1000).execute();
  return rows.map((row) => row.project_id);
}

/**
 * A FAILED run made ready to run again: its finished steps stay journaled; each failed step is reset with a new
 * idempotency key (a deliberate new try: an API that stored its failed answer under the old key must not answer it
 * again), and the run is QUEUED with a fresh timeout. False when the run was not FAILED (checked in the update).
 */
export async function prepareReplay(db: Db, runId: string, timeoutSeconds: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const now = isoNow();
    const reset = await trx
      .updateTable('workflow_runs')
      .set({ status: 'QUEUED', error: null, response: null, finished_at: null, updated_at: now, timeout_at: isoIn(timeoutSeconds), lease_until: null })
      .where('id', '=', runId)
      .where('status', '=', 'FAILED')
      .executeTakeFirst();
    if (Number(reset.numUpdatedRows) !== 1) return false;
    const failed = await trx.selectFrom('workflow_run_steps').select(['step_key', 'idempotency_key']).where('run_id', '=', runId).where('status', '=', 'FAILED').execute();
    for (const step of failed) {
      await trx
        .updateTable('workflow_run_steps')
        .set({ status: 'RUNNING', error: null, output: null, attempts: 0, wake_at: null, finished_at: null, idempotency_key: replayKey(runId, step.step_key, step.idempotency_key) })
        .where('run_id', '=', runId)
        .where('step_key', '=', step.step_key)
        .execute();
    }
    return true;
  });
}

/** `<runId>:<step>` at first, then `<runId>:<step>:replay-<n>` for the n-th replay. */
function replayKey(runId: string, stepKey: string, current: string): string {
  const base = `${runId}:${stepKey}`;
  const replays = current.startsWith(`${base}:replay-`) ? Number(current.slice(base.length + ':replay-'.length)) || 0 : 0;
  return `${base}:replay-${replays + 1}`;
}

export async function releaseRun(db: Db, runId: string): Promise<void> {
  await db.updateTable('workflow_runs').set({ lease_until: null }).where('id', '=', runId).execute();
  runsHeldHere.delete(runId);
  // A caller waiting without a poll (the run was held here) looks again: another instance may carry on with it.
  runUpdates.emit(runId);
}

export async function runSteps(db: Db, runId: string): Promise<Map<string, StepRow>> {
  const rows = await db.selectFrom('workflow_run_steps').selectAll().where('run_id', '=', runId).execute();
  return new Map(rows.map((row) => [row.step_key, row]));
}

/** Records a step as started (or started again), keeping its idempotency key across attempts. */
export async function startStep(db: Db, runId: string, key: string, stepId: string, input: unknown, previous: StepRow | undefined): Promise<StepRow> {
  const row: StepRow = {
    run_id: runId,
    step_key: key,
    step_id: stepId,
    status: 'RUNNING',
    input: toJson(input),
    output: null,
    error: null,
    attempts: (previous?.attempts ?? 0) + 1,
    wake_at: null,
    idempotency_key: previous?.idempotency_key ?? `${runId}:${key}`,
    started_at: previous?.started_at ?? isoNow(),
    finished_at: null,
  };
  await db
    .insertInto('workflow_run_steps')
    .values(row)
    .onConflict((conflict) => conflict.columns(['run_id', 'step_key']).doUpdateSet({ status: 'RUNNING', input: row.input, attempts: row.attempts, wake_at: null, error: null }))
    .execute();
  return row;
}

export async function finishStep(db: Db, runId: string, key: string, outcome: { status: 'SUCCEEDED' | 'FAILED' | 'WAITING'; output?: unknown; error?: unknown; wakeAt?: string }): Promise<void> {
  await db
    .updateTable('workflow_run_steps')
    .set({
      status: outcome.status,
      // Whole: a resumed run reads earlier outputs back from here.
      output: toJson(outcome.output),
      error: outcome.error === undefined ? null : JSON.stringify(outcome.error),
      wake_at: outcome.wakeAt ?? null,
      finished_at: outcome.status === 'WAITING' ? null : isoNow(),
    })
    .where('run_id', '=', runId)
    .where('step_key', '=', key)
    .execute();
}

const runView = (row: RunRow & { user_id: string }): WorkflowRun => ({
  id: row.id,
  workflowId: row.workflow_id,
  workflowVersion: row.workflow_version,
  userId: row.user_id,
  credentialId: row.credential_id,
  triggerType: row.trigger_type,
  status: row.status as RunStatus,
  error: parseJson(row.error, null),
  dateCreated: row.created_at,
  dateStarted: row.started_at,
  dateFinished: row.finished_at,
});

const stepView = (row: StepRow): WorkflowRunStep => ({
  key: row.step_key,
  stepId: row.step_id,
  status: row.status,
  input: shown(row.input),
  output: shown(row.output),
  error: parseJson(row.error, null),
  attempts: row.attempts,
  dateStarted: row.started_at,
  dateFinished: row.finished_at,
});

function runsQuery(db: Db, projectId: string) {
  return db
    .selectFrom('workflow_runs')
    .innerJoin('connected_users', 'connected_users.id', 'workflow_runs.connected_user_id')
    .selectAll('workflow_runs')
    .select('connected_users.external_id as user_id')
    .where('workflow_runs.project_id', '=', projectId);
}

export interface RunFilter {
  workflowId?: string;
  userId?: string;
  status?: RunStatus;
  since?: string;
  until?: string;
  /** Newest first: runs created before this (created_at, id). */
  before?: { dateCreated: string; id: string };
  limit: number;
}

/** One page of runs, newest first. */
export async function listRuns(db: Db, projectId: string, filter: RunFilter): Promise<{ runs: WorkflowRun[]; more: boolean }> {
  let query = runsQuery(db, projectId);
  if (filter.workflowId) query = query.where('workflow_runs.workflow_id', '=', filter.workflowId);
  if (filter.userId) query = query.where('connected_users.external_id', '=', filter.userId);
  if (filter.status) query = query.where('workflow_runs.status', '=', filter.status);
  if (filter.since) query = query.where('workflow_runs.created_at', '>=', filter.since);
  if (filter.until) query = query.where('workflow_runs.created_at', '<', filter.until);
  if (filter.before) {
    const { dateCreated, id } = filter.before;
    query = query.where((eb) =>
      eb.or([eb('workflow_runs.created_at', '<', dateCreated), eb.and([eb('workflow_runs.created_at', '=', dateCreated), eb('workflow_runs.id', '<', id)])]),
    );
  }
  const rows = await query.orderBy('workflow_runs.created_at', 'desc').orderBy('workflow_runs.id', 'desc').limit(filter.limit + 1).execute();
  return { runs: rows.slice(0, filter.limit).map(runView), more: rows.length > filter.limit };
}

export async function runDetail(db: Db, projectId: string, runId: string): Promise<WorkflowRunDetail | undefined> {
  const row = await runsQuery(db, projectId).where('workflow_runs.id', '=', runId).executeTakeFirst();
  if (!row) return undefined;
  const steps = await db.selectFrom('workflow_run_steps').selectAll().where('run_id', '=', runId).orderBy('started_at').orderBy('step_key').execute();
  return { ...runView(row), trigger: parseJson(row.trigger_input, {}), steps: steps.map(stepView) };
}
