import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppEventAccepted, Credential, ErrorResponse, WorkflowWebhookUrl } from '@switchboard/wire';
import type { AppContext } from '../app-context.js';
import { credentialView } from '../credentials/credential-view.js';
import { apiError } from '../errors.js';
import type { WorkflowEngine } from './run-engine.js';
import { triggerAppEvent, triggerRequest } from './run-triggers.js';
import { setWorkflowEnabled, userWebhookUrl } from './workflow-enablement.js';

const WorkflowParams = Type.Object({ projectId: Type.String(), workflowId: Type.String({ minLength: 1, maxLength: 100 }) });
const AccountHeaders = Type.Object({
  'x-paragon-credential': Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Which account; default: the first valid one' })),
  'x-paragon-configuration-id': Type.Optional(Type.String({ maxLength: 100, description: 'The account\'s configuration: its own id here' })),
});
const refused = { '4xx': ErrorResponse };

/** Runs need the job queue; a server started without background jobs says so. */
export function runningEngine(engine: WorkflowEngine | undefined): WorkflowEngine {
  if (!engine) throw apiError('WORKFLOW_RUNS_UNAVAILABLE', 'This server runs no background jobs (SWITCHBOARD_JOBS=0), and workflows run on the job queue');
  return engine;
}

/** Request headers a Request trigger's run sees: not the caller's credentials, nor Switchboard's own. */
function passedHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || /^(authorization|cookie|host|connection|content-length|x-paragon-|x-switchboard-|x-forwarded-)/.test(name)) continue;
    kept[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return kept;
}

/** Headers a Response step may set on the HTTP answer: its own, never transport or cross-origin ones. */
const RESPONSE_HEADER_REFUSED = /^(content-length|transfer-encoding|connection|set-cookie|access-control-|x-switchboard-)/i;

/**
 * The SDK's workflow routes (under /projects/:projectId/sdk): enable and disable a workflow for the user's account,
 * and the Request trigger.
 */
export function workflowSdkRoutes(context: AppContext, engine: WorkflowEngine | undefined): FastifyPluginAsyncTypebox {
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
    app.get(
      '/workflows/:workflowId/webhook-url',
      {
        schema: {
          tags: ['SDK'],
          summary: "The user's account's URL for a workflow with a Webhook trigger, to give the system that posts to it",
          params: WorkflowParams,
          headers: AccountHeaders,
          response: { 200: WorkflowWebhookUrl, ...refused },
        },
      },
      async (request) => {
        const { project, user, permissions } = request.sdk;
        const credentialId = request.headers['x-paragon-credential'] ?? (request.headers['x-paragon-configuration-id'] || undefined);
        return userWebhookUrl(context, { projectId: project.id, connectedUserId: user.id, permissions, workflowId: request.params.workflowId, credentialId });
      },
    );
    app.post(
      '/triggers/:workflowId',
      {
        schema: {
          tags: ['SDK'],
          summary: "Run a workflow with a Request trigger; its Response step answers (docs/workflows.md)",
          params: WorkflowParams,
          headers: AccountHeaders,
          body: Type.Optional(Type.Unknown()),
          response: { 200: Type.Unknown({ description: "The Response step's body, with its status and headers; without one, { runId }" }), ...refused },
        },
      },
      async (request, reply) => {
        const answer = await triggerRequest(context, runningEngine(engine), request.sdk, request.params.workflowId, {
          body: request.body,
          query: request.query as Record<string, unknown>,
          headers: passedHeaders(request.headers),
          credentialId: request.headers['x-paragon-credential'],
        });
        for (const [name, value] of Object.entries(answer.headers ?? {})) {
          if (!RESPONSE_HEADER_REFUSED.test(name)) reply.header(name, String(value));
        }
        reply.code(answer.status);
        return typeof answer.body === 'string' || answer.body === null ? reply.send(answer.body ?? '') : reply.send(answer.body);
      },
    );
  };
}

/** POST /v2/projects/:id/sdk/events/trigger: an app event. */
export function appEventRoutes(context: AppContext, engine: WorkflowEngine | undefined): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/events/trigger',
      {
        schema: {
          tags: ['SDK'],
          summary: 'Send an app event: runs every enabled workflow listening to it for this user',
          body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), payload: Type.Optional(Type.Unknown()) }),
          headers: AccountHeaders,
          response: { 200: AppEventAccepted, ...refused },
        },
      },
      async (request) =>
        triggerAppEvent(context, runningEngine(engine), request.sdk, request.body.name, request.body.payload, request.headers['x-paragon-credential']),
    );
  };
}
