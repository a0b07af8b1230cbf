import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { apiError } from '../errors.js';
import { ErrorResponse } from '../http/schemas.js';

const WorkflowParams = Type.Object({ projectId: Type.String(), workflowId: Type.String({ minLength: 1, maxLength: 100 }) });
const refused = { '4xx': ErrorResponse };
const noWorkflow = (id: string) => apiError('WORKFLOW_NOT_FOUND', `No workflow ${id} in this project`);

/**
 * The SDK's workflow routes (enable, disable, request trigger). The project has no workflows yet, so each answers
 * 404 in the one error shape rather than leaving a client to a CORS failure or a hang.
 */
export function workflowSdkRoutes(): FastifyPluginAsyncTypebox {
  return async (app) => {
    for (const method of ['POST', 'DELETE'] as const) {
      app.route({
        method,
        url: '/workflows/:workflowId',
        schema: { tags: ['SDK'], summary: `${method === 'POST' ? 'Enable' : 'Disable'} a workflow for the user`, params: WorkflowParams, response: refused },
        handler: async (request) => {
          throw noWorkflow(request.params.workflowId);
        },
      });
    }
    app.post(
      '/triggers/:workflowId',
      { schema: { tags: ['SDK'], summary: 'Run a workflow with a Request trigger; its Response step answers', params: WorkflowParams, response: refused } },
      async (request) => {
        throw noWorkflow(request.params.workflowId);
      },
    );
  };
}

/** POST /v2/projects/:id/sdk/events/trigger: an app event. No app event is defined in a project yet. */
export function appEventRoutes(): FastifyPluginAsyncTypebox {
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
        throw apiError('APP_EVENT_NOT_FOUND', `No app event named ${JSON.stringify(request.body.name)} is defined in this project`);
      },
    );
  };
}
