import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { ErrorResponse, WebhookAccepted } from '@switchboard/wire';
import type { AppContext } from '../app-context.js';
import { apiError } from '../errors.js';
import { jsonNestingExceeds, MAX_JSON_DEPTH } from '../http/json-body.js';
import type { WorkflowEngine } from './run-engine.js';
import { triggerWebhook } from './webhook-trigger.js';
import { runningEngine } from './workflow-sdk-routes.js';

/** Largest webhook body accepted; providers' events are far smaller. */
const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/** Headers a webhook's run sees: not credentials or cookies (they would land in the run history), nor transport ones. */
const HIDDEN_HEADER = /^(authorization|proxy-authorization|cookie|host|connection|content-length|transfer-encoding|x-forwarded-)/;

function passedHeaders(headers: FastifyRequest['headers']): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HIDDEN_HEADER.test(name)) continue;
    kept[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return kept;
}

/**
 * `POST /webhooks/workflows/:workflowId/:token`: a provider, or any system, delivers an event to one account's
 * Webhook trigger (webhook-urls.ts). No user token: the URL's token is the address. The body is read as bytes, so a
 * signature is checked over exactly what was sent, then parsed (JSON, a form, else text) for `{{trigger.body}}`.
 */
export function webhookTriggerRoutes(context: AppContext, engine: WorkflowEngine | undefined): FastifyPluginAsyncTypebox {
  return async (app) => {
    const rawBodies = new WeakMap<FastifyRequest, Buffer>();
    const parseJsonText = app.getDefaultJsonParser('error', 'error');
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (request, body, done) => {
      const raw = body as Buffer;
      rawBodies.set(request, raw);
      const type = (request.headers['content-type'] ?? '').toLowerCase();
      if (raw.length === 0) return done(null, undefined);
      if (/^application\/([a-z0-9.+-]*\+)?json\b/.test(type)) {
        const text = raw.toString('utf8');
        if (jsonNestingExceeds(text, MAX_JSON_DEPTH)) return done(apiError('JSON_TOO_DEEP', `The JSON body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`), undefined);
        return parseJsonText(request, text, done);
      }
      if (type.startsWith('application/x-www-form-urlencoded')) return done(null, Object.fromEntries(new URLSearchParams(raw.toString('utf8'))));
      return done(null, raw.toString('utf8'));
    });

    app.post(
      '/webhooks/workflows/:workflowId/:token',
      {
        schema: {
          tags: ['Workflows'],
          summary: "Deliver a webhook to one account's Webhook trigger: starts a run, answers at once with its id (docs/workflows.md)",
          params: Type.Object({ workflowId: Type.String({ minLength: 1, maxLength: 100 }), token: Type.String({ minLength: 1, maxLength: 200 }) }),
          body: Type.Optional(Type.Unknown()),
          response: { 202: WebhookAccepted, '4xx': ErrorResponse, '5xx': ErrorResponse },
        },
      },
      async (request, reply) => {
        const accepted = await triggerWebhook(context, runningEngine(engine), {
          workflowId: request.params.workflowId,
          token: request.params.token,
          rawBody: rawBodies.get(request) ?? Buffer.alloc(0),
          body: request.body,
          headers: passedHeaders(request.headers),
          query: request.query as Record<string, unknown>,
        });
        return reply.code(202).send(accepted);
      },
    );
  };
}

