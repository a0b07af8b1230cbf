import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Credential, ErrorResponse } from '@switchboard/wire';
import type { AppContext } from '../app-context.js';
import { credentialView } from '../credentials/credential-view.js';
import { apiError } from '../errors.js';
import { findAppEvent } from './app-event-store.js';
import { setWorkflowEnabled } from './workflow-enablement.js';
import { findWorkflow } from './workflow-store.js';

const WorkflowParams = Type.Object({ projectId: Type.String(), workflowId: Type.String({ minLength: 1, maxLength: 100 }) });
const AccountHeaders = Type.Object({
  'x-paragon-credential': Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Which account; default: the first valid one' })),
  'x-paragon-configuration-id': Type.Optional(Type.String({ maxLength: 100, description: 'The account\'s configuration: its own id here' })),
});
const refused = { '4xx': ErrorResponse };

/** Runs are not executed by this version of the server; a known workflow or event says so instead of pretending. */
const runsUnavailable = () =>
  apiError('WORKFLOW_RUNS_UNAVAILABLE', 'This Switchboard server stores workflows and lets users enable them, but does not run them yet (docs/workflows.md)');

/**
 * The SDK's workflow routes (under /projects/:projectId/sdk): enable and disable a workflow for the user's account,
 * and the Request trigger.
 */
export function workflowSdkRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    for (const method of ['POST', 'DELETE'] as const) {
      const enabled = method === 'POST';
      app.route({
        method,
        url: '/workflows/:workflowId',
        schema: {
          tags: ['SDK'],
          summary: `${enabled ? 'Enable' : 'Disable'} a workflow for the user's account; answers the account`,
          params: WorkflowParams,
          headers: AccountHeaders,
          response: { 200: Credential, ...refused },
        },
        handler: async (request) => {
          const { project, user, permissions } = request.sdk;
          // One configuration per account: the configuration id, when given alone, names the account.
          const credentialId = request.headers['x-paragon-credential'] ?? (request.headers['x-paragon-configuration-id'] || undefined);
          const { credential } = await setWorkflowEnabled(
            context,
            { projectId: project.id, connectedUserId: user.id, permissions, workflowId: request.params.workflowId, credentialId },
            enabled,
          );
          return credentialView(credential);
        },
      });
    }
    app.post(
      '/triggers/:workflowId',
      { schema: { tags: ['SDK'], summary: 'Run a workflow with a Request trigger; its Response step answers', params: WorkflowParams, response: refused } },
      async (request) => {
        const workflow = await findWorkflow(context.db, request.sdk.project.id, request.params.workflowId);
        if (!workflow || workflow.publishedVersion === null || !workflow.isActive) throw apiError('WORKFLOW_NOT_FOUND', `No workflow ${request.params.workflowId} in this project`);
        throw runsUnavailable();
      },
    );
  };
}

/** POST /v2/projects/:id/sdk/events/trigger: an app event. */
export function appEventRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/events/trigger',
      {
        schema: {
          tags: ['SDK'],
          summary: 'Send an app event: runs every enabled workflow listening to it for this user',
          body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), payload: Type.Optional(Type.Unknown()) }),
          response: refused,
        },
      },
      async (request) => {
        if (!(await findAppEvent(context.db, request.sdk.project.id, request.body.name))) {
          throw apiError('APP_EVENT_NOT_FOUND', `No app event named ${JSON.stringify(request.body.name)} is defined in this project`);
        }
        throw runsUnavailable();
      },
    );
  };
}
