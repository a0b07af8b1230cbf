import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppEventAccepted, ErrorResponse, RunStatus, WorkflowRun, WorkflowRunDetail, WorkflowRunsPage } from '@switchboard/wire';
import type { AppContext } from '../app-context.js';
import { apiError } from '../errors.js';
import { NO_RESTRICTIONS } from '../users/permissions.js';
import type { WorkflowEngine } from './run-engine.js';
import { findRun, listRuns, runDetail, setRunStatus, TERMINAL } from './run-store.js';
import { triggerAppEvent } from './run-triggers.js';
import { openProjectSecrets } from './project-secrets.js';
import { redact } from './variables.js';
import { runningEngine } from './workflow-sdk-routes.js';

const tags = ['Workflows'];
const ProjectParams = Type.Object({ projectId: Type.String({ minLength: 1, maxLength: 100 }) });
const RunParams = Type.Object({ projectId: Type.String(), runId: Type.String({ minLength: 1, maxLength: 100 }) });
const IsoTime = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T', maxLength: 40, description: 'ISO 8601' });
const RunsQuery = Type.Object(
  {
    workflowId: Type.Optional(Type.String({ maxLength: 100 })),
    userId: Type.Optional(Type.String({ maxLength: 300, description: "The connected user's id in your app" })),
    status: Type.Optional(RunStatus),
    since: Type.Optional(IsoTime),
    until: Type.Optional(IsoTime),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: '1 to 500, default 50' })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
  },
  { additionalProperties: false },
);

const encodeCursor = (run: { dateCreated: string; id: string }) => Buffer.from(JSON.stringify([run.dateCreated, run.id])).toString('base64url');
function decodeCursor(cursor: string): { dateCreated: string; id: string } {
  try {
    const [dateCreated, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof dateCreated === 'string' && typeof id === 'string') return { dateCreated, id };
  } catch {
    // refused below
  }
  throw apiError('INVALID_CURSOR', 'cursor is not a nextCursor this server gave', { field: 'cursor' });
}

/**
 * The task history (under /api/v1, in the project's secret-key scope): runs with filters, one run with every
 * step's input, output, error and timings (secrets redacted, large values shown as their size), cancellation; and
 * app events sent by the customer's backend for one of its users.
 */
export function runManagementRoutes(context: AppContext, engine: WorkflowEngine | undefined): FastifyPluginAsyncTypebox {
  return async (plain) => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/projects/:projectId/workflow-runs',
      { schema: { tags, summary: 'Workflow runs, newest first', params: ProjectParams, querystring: RunsQuery, response: { 200: WorkflowRunsPage, '4xx': ErrorResponse } } },
      async (request) => {
        const { limit: text, cursor, ...filter } = request.query;
        const limit = text === undefined ? 50 : Number(text);
        if (limit < 1 || limit > 500) throw apiError('VALIDATION_ERROR', 'limit must be from 1 to 500', { field: 'limit' });
        const { runs, more } = await listRuns(context.db, request.managedProject.id, { ...filter, limit, ...(cursor && { before: decodeCursor(cursor) }) });
        const last = runs.at(-1);
        return { data: runs, nextCursor: more && last ? encodeCursor(last) : null };
      },
    );

    app.get(
      '/projects/:projectId/workflow-runs/:runId',
      { schema: { tags, summary: 'A run with its steps', params: RunParams, response: { 200: WorkflowRunDetail, '4xx': ErrorResponse } } },
      async (request) => {
        const run = await runDetail(context.db, request.managedProject.id, request.params.runId);
        if (!run) throw apiError('WORKFLOW_RUN_NOT_FOUND', `No workflow run ${request.params.runId} in this project`);
        // The journal keeps what a resumed run needs; what leaves the server never shows a project secret.
        return redact(run, await openProjectSecrets(context.db, context.secrets, request.managedProject.id)) as WorkflowRunDetail;
      },
    );

    app.post(
      '/projects/:projectId/workflow-runs/:runId/cancel',
      { schema: { tags, summary: 'Cancel a run: it stops before its next step', params: RunParams, response: { 200: WorkflowRun, '4xx': ErrorResponse } } },
      async (request) => {
        const run = await findRun(context.db, request.params.runId);
        if (!run || run.project_id !== request.managedProject.id) throw apiError('WORKFLOW_RUN_NOT_FOUND', `No workflow run ${request.params.runId} in this project`);
        if (TERMINAL.includes(run.status as never)) throw apiError('WORKFLOW_RUN_FINISHED', `Run ${run.id} has already ended (${run.status})`);
        await setRunStatus(context.db, run.id, 'CANCELLED', { error: { code: 'CANCELLED', message: 'Cancelled through the management API' } });
        const { steps: _steps, trigger: _trigger, ...view } = (await runDetail(context.db, request.managedProject.id, run.id))!;
        return view;
      },
    );

    app.post(
      '/projects/:projectId/workflow-runs/:runId/replay',
      {
        schema: {
          tags,
          summary: 'Replay a failed run from its failed step: the steps that succeeded are not run again',
          params: RunParams,
          response: { 200: WorkflowRun, '4xx': ErrorResponse, '5xx': ErrorResponse },
        },
      },
      async (request) => {
        const running = runningEngine(engine);
        const run = await findRun(context.db, request.params.runId);
        if (!run || run.project_id !== request.managedProject.id) throw apiError('WORKFLOW_RUN_NOT_FOUND', `No workflow run ${request.params.runId} in this project`);
        if (!(await running.replay(run))) {
          throw apiError('WORKFLOW_RUN_NOT_FAILED', `Run ${run.id} is ${run.status}: only a FAILED run can be replayed`, { status: run.status });
        }
        const { steps: _steps, trigger: _trigger, ...view } = (await runDetail(context.db, request.managedProject.id, run.id))!;
        return view;
      },
    );

    app.post(
      '/projects/:projectId/app-events/:name/trigger',
      {
        schema: {
          tags,
          summary: "Send an app event from your backend for one of your users: runs every workflow they have enabled that listens to it",
          params: Type.Object({ projectId: Type.String(), name: Type.String({ minLength: 1, maxLength: 200 }) }),
          body: Type.Object({ userId: Type.String({ minLength: 1, maxLength: 300 }), payload: Type.Optional(Type.Unknown()) }, { additionalProperties: false }),
          response: { 200: AppEventAccepted, '4xx': ErrorResponse },
        },
      },
      async (request) => {
        const project = request.managedProject;
        const row = await context.db.selectFrom('connected_users').selectAll().where('project_id', '=', project.id).where('external_id', '=', request.body.userId).executeTakeFirst();
        // A user who never signed in has no accounts, so no workflow of theirs listens: nothing to start.
        if (!row) return { runs: [] };
        const user = { id: row.id, projectId: row.project_id, userId: row.external_id, meta: JSON.parse(row.meta) as Record<string, unknown>, dateCreated: row.created_at };
        return triggerAppEvent(context, runningEngine(engine), { project, user, permissions: NO_RESTRICTIONS }, request.params.name, request.body.payload);
      },
    );
  };
}
