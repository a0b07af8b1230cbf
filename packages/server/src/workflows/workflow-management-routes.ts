import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  AppEvent,
  AppEventInput,
  ErrorResponse,
  ProjectSecret,
  ProjectSecretInput,
  SecretName,
  Workflow,
  WorkflowDefinition,
  WorkflowRollback,
  WorkflowVersion,
  WorkflowWebhookUrl,
} from '@switchboard/wire';
import type { AppContext } from '../app-context.js';
import { apiError } from '../errors.js';
import { deleteAppEvent, listAppEvents, putAppEvent } from './app-event-store.js';
import { deleteProjectSecret, listProjectSecrets, putProjectSecret } from './project-secrets.js';
import type { WorkflowEngine } from './run-engine.js';
import { runManagementRoutes } from './run-management-routes.js';
import { checkedDefinition } from './workflow-checks.js';
import {
  createWorkflow,
  deleteWorkflow,
  findWorkflow,
  listVersions,
  listWorkflows,
  publishVersion,
  saveDraft,
  setWorkflowActive,
  versionExists,
  type Workflow as StoredWorkflow,
} from './workflow-store.js';
import { accountWebhookUrls, workflowWebhookBase } from './webhook-urls.js';

const tags = ['Workflows'];
const WorkflowParams = Type.Object({ projectId: Type.String(), workflowId: Type.String({ minLength: 1, maxLength: 100 }) });
const EventParams = Type.Object({ projectId: Type.String(), name: Type.String({ minLength: 1, maxLength: 200 }) });
const SecretParams = Type.Object({ projectId: Type.String(), name: SecretName });
const NoContent = Type.Null({ description: 'No content' });
const ProjectParams = Type.Object({ projectId: Type.String({ minLength: 1, maxLength: 100 }) });

/**
 * The management API's workflow routes (under /api/v1, inside the project's secret-key scope): workflows and their
 * versions, app events, and the project's environment secrets. Definitions are checked here, whole, before anything
 * is stored (workflow-checks.ts), and a refused one names the step and property at fault.
 */
export function workflowManagementRoutes(context: AppContext, engine: WorkflowEngine | undefined): FastifyPluginAsyncTypebox {
  return async (plain) => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    await plain.register(runManagementRoutes(context, engine));
    /** The management API's view of a workflow: with its webhook address when its trigger is a Webhook. */
    const view = (workflow: StoredWorkflow): Workflow => ({ ...workflow, webhookUrl: workflowWebhookBase(context, workflow) });
    const workflowOf = async (projectId: string, id: string) => {
      const workflow = await findWorkflow(context.db, projectId, id);
      if (!workflow) throw apiError('WORKFLOW_NOT_FOUND', `No workflow ${id} in this project`);
      return workflow;
    };

    app.get(
      '/projects/:projectId/workflows',
      {
        schema: {
          tags,
          summary: "The project's workflows, with their latest definitions",
          params: ProjectParams,
          response: { 200: Type.Array(Workflow), '4xx': ErrorResponse },
        },
      },
      async (request) => (await listWorkflows(context.db, request.managedProject.id)).map(view),
    );

    app.post(
      '/projects/:projectId/workflows',
      {
        // The definition is checked by checkedDefinition, which names the step at fault; the schema documents it.
        attachValidation: true,
        schema: { tags, summary: 'Create a workflow (version 1, unpublished)', params: ProjectParams, body: WorkflowDefinition, response: { 201: Workflow, '4xx': ErrorResponse } },
      },
      async (request, reply) => {
        const { definition, integration } = await checkedDefinition(context, request.managedProject.id, request.body, request.validationError);
        return reply.code(201).send(view(await createWorkflow(context, request.managedProject.id, integration.id, definition)));
      },
    );

    app.get(
      '/projects/:projectId/workflows/:workflowId',
      { schema: { tags, params: WorkflowParams, response: { 200: Workflow, '4xx': ErrorResponse } } },
      async (request) => view(await workflowOf(request.managedProject.id, request.params.workflowId)),
    );

    app.put(
      '/projects/:projectId/workflows/:workflowId',
      {
        attachValidation: true,
        schema: {
          tags,
          summary: 'Write a new draft version; the same definition as the latest changes nothing',
          params: WorkflowParams,
          body: WorkflowDefinition,
          response: { 200: Workflow, '4xx': ErrorResponse },
        },
      },
      async (request) => {
        const workflow = await workflowOf(request.managedProject.id, request.params.workflowId);
        const { definition, integration } = await checkedDefinition(context, request.managedProject.id, request.body, request.validationError);
        return view((await saveDraft(context, workflow, integration.id, definition)).workflow);
      },
    );

    app.patch(
      '/projects/:projectId/workflows/:workflowId',
      {
        schema: {
          tags,
          summary: 'Activate or deactivate a workflow: an inactive one starts no runs',
          params: WorkflowParams,
          body: Type.Object({ isActive: Type.Boolean() }, { additionalProperties: false }),
          response: { 200: Workflow, '4xx': ErrorResponse },
        },
      },
      async (request) => view(await setWorkflowActive(context, await workflowOf(request.managedProject.id, request.params.workflowId), request.body.isActive)),
    );

    app.delete(
      '/projects/:projectId/workflows/:workflowId',
      { schema: { tags, summary: 'Remove a workflow and its history', params: WorkflowParams, response: { 204: NoContent, '4xx': ErrorResponse } } },
      async (request, reply) => {
        if (!(await deleteWorkflow(context, request.managedProject.id, request.params.workflowId))) {
          throw apiError('WORKFLOW_NOT_FOUND', `No workflow ${request.params.workflowId} in this project`);
        }
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/projects/:projectId/workflows/:workflowId/publish',
      {
        schema: {
          tags,
          summary: 'Publish the latest version: runs use it from now on',
          params: WorkflowParams,
          response: { 200: Workflow, '4xx': ErrorResponse },
        },
      },
      async (request) => {
        const workflow = await workflowOf(request.managedProject.id, request.params.workflowId);
        return view(await publishVersion(context, workflow, workflow.latestVersion));
      },
    );

    app.post(
      '/projects/:projectId/workflows/:workflowId/rollback',
      {
        schema: {
          tags,
          summary: 'Publish an earlier version again',
          params: WorkflowParams,
          body: WorkflowRollback,
          response: { 200: Workflow, '4xx': ErrorResponse },
        },
      },
      async (request) => {
        const workflow = await workflowOf(request.managedProject.id, request.params.workflowId);
        if (!(await versionExists(context.db, workflow.id, request.body.version))) {
          throw apiError('WORKFLOW_VERSION_NOT_FOUND', `Workflow ${workflow.id} has no version ${request.body.version}`, { field: 'version' });
        }
        return view(await publishVersion(context, workflow, request.body.version));
      },
    );

    app.get(
      '/projects/:projectId/workflows/:workflowId/webhook-urls',
      {
        schema: {
          tags,
          summary: "A Webhook trigger's URLs: one per account that has enabled the workflow (of one user with userId)",
          params: WorkflowParams,
          querystring: Type.Object({ userId: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: "The connected user's id in your app" })) }, { additionalProperties: false }),
          response: { 200: Type.Object({ data: Type.Array(WorkflowWebhookUrl) }), '4xx': ErrorResponse },
        },
      },
      async (request) => {
        const workflow = await workflowOf(request.managedProject.id, request.params.workflowId);
        if (!workflowWebhookBase(context, workflow)) throw apiError('WORKFLOW_NOT_FOUND', `Workflow ${workflow.id} has no Webhook trigger`);
        const { userId } = request.query;
        if (userId === undefined) return { data: await accountWebhookUrls(context, workflow) };
        const user = await context.db.selectFrom('connected_users').select('id').where('project_id', '=', request.managedProject.id).where('external_id', '=', userId).executeTakeFirst();
        return { data: user ? await accountWebhookUrls(context, workflow, user.id) : [] };
      },
    );

    app.get(
      '/projects/:projectId/workflows/:workflowId/versions',
      { schema: { tags, summary: "A workflow's history, newest first", params: WorkflowParams, response: { 200: Type.Array(WorkflowVersion), '4xx': ErrorResponse } } },
      async (request) => listVersions(context.db, await workflowOf(request.managedProject.id, request.params.workflowId)),
    );

    app.get(
      '/projects/:projectId/app-events',
      { schema: { tags, summary: "The project's app events", params: ProjectParams, response: { 200: Type.Array(AppEvent), '4xx': ErrorResponse } } },
      async (request) => listAppEvents(context.db, request.managedProject.id),
    );

    app.put(
      '/projects/:projectId/app-events/:name',
      {
        schema: {
          tags,
          summary: "Define an app event, or replace its payload's schema and sample",
          params: EventParams,
          body: Type.Omit(AppEventInput, ['name']),
          response: { 200: AppEvent, 201: AppEvent, '4xx': ErrorResponse },
        },
      },
      async (request, reply) => {
        const { event, created } = await putAppEvent(context.db, request.managedProject.id, request.params.name, request.body);
        return reply.code(created ? 201 : 200).send(event);
      },
    );

    app.delete(
      '/projects/:projectId/app-events/:name',
      { schema: { tags, params: EventParams, response: { 204: NoContent, '4xx': ErrorResponse } } },
      async (request, reply) => {
        if (!(await deleteAppEvent(context.db, request.managedProject.id, request.params.name))) {
          throw apiError('APP_EVENT_NOT_FOUND', `No app event named ${JSON.stringify(request.params.name)} in this project`);
        }
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/projects/:projectId/secrets',
      { schema: { tags, summary: "The project's environment secrets, by name; values are never shown", params: ProjectParams, response: { 200: Type.Array(ProjectSecret), '4xx': ErrorResponse } } },
      async (request) => listProjectSecrets(context.db, request.managedProject.id),
    );

    app.put(
      '/projects/:projectId/secrets/:name',
      {
        schema: {
          tags,
          summary: 'Set an environment secret, which steps read as {{secrets.<name>}}',
          params: SecretParams,
          body: ProjectSecretInput,
          response: { 204: NoContent, '4xx': ErrorResponse },
        },
      },
      async (request, reply) => {
        await putProjectSecret(context.db, context.secrets, request.managedProject.id, request.params.name, request.body.value);
        return reply.code(204).send(null);
      },
    );

    app.delete(
      '/projects/:projectId/secrets/:name',
      { schema: { tags, params: SecretParams, response: { 204: NoContent, '4xx': ErrorResponse } } },
      async (request, reply) => {
        if (!(await deleteProjectSecret(context.db, request.managedProject.id, request.params.name))) {
          throw apiError('SECRET_NOT_FOUND', `No secret named ${request.params.name} in this project`);
        }
        return reply.code(204).send(null);
      },
    );
  };
}
