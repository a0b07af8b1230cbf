import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  ErrorResponse,
  WebhookDelivery,
  WebhookDeliveryStatus,
  WebhookDestination,
  WebhookDestinationChanges,
  WebhookDestinationInput,
  WebhookDestinationWithSecret,
} from '@switchboard/wire';
import type { AppContext } from '../app-context.js';
import { apiError } from '../errors.js';
import { deliveryView, findDeliveryRow, listDeliveries } from './delivery-store.js';
import { checkDestinationUrl } from './destination-url.js';
import {
  createDestination,
  deleteDestination,
  destinationView,
  findDestinationRow,
  listDestinations,
  rotateSigningSecret,
  updateDestination,
} from './destination-store.js';
import type { WebhookDeliveries } from './webhook-deliveries.js';

const tags = ['Webhooks'];
const ProjectParams = Type.Object({ projectId: Type.String({ minLength: 1, maxLength: 100 }) });
const DestinationParams = Type.Object({ projectId: Type.String(), destinationId: Type.String({ minLength: 1, maxLength: 100 }) });
const DeliveryParams = Type.Object({ projectId: Type.String(), deliveryId: Type.String({ minLength: 1, maxLength: 100 }) });
const DeliveriesQuery = Type.Object(
  { status: Type.Optional(WebhookDeliveryStatus), limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: '1 to 200, default 50' })) },
  { additionalProperties: false },
);
const NoContent = Type.Null({ description: 'No content' });

/**
 * The management API's webhook routes (under /api/v1, in the project's secret-key scope): destinations with their
 * signing secrets (shown at create and rotation only), each destination's delivery log, and replay.
 */
export function webhookRoutes(context: AppContext, deliveries: WebhookDeliveries | undefined): FastifyPluginAsyncTypebox {
  return async (plain) => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    const destinationOf = async (projectId: string, id: string) => {
      const row = await findDestinationRow(context.db, projectId, id);
      if (!row) throw apiError('WEBHOOK_DESTINATION_NOT_FOUND', `No webhook destination ${id} in this project`);
      return row;
    };

    app.get(
      '/projects/:projectId/webhook-destinations',
      { schema: { tags, summary: "The project's webhook destinations, oldest first", params: ProjectParams, response: { 200: Type.Array(WebhookDestination), '4xx': ErrorResponse } } },
      async (request) => listDestinations(context.db, request.managedProject.id),
    );

    app.post(
      '/projects/:projectId/webhook-destinations',
      {
        schema: {
          tags,
          summary: 'Add a destination; its signing secret is in this answer only',
          params: ProjectParams,
          body: WebhookDestinationInput,
          response: { 201: WebhookDestinationWithSecret, '4xx': ErrorResponse },
        },
      },
      async (request, reply) => {
        const project = request.managedProject;
        const url = checkDestinationUrl(request.body.url, project.allowPrivateUpstreams);
        const { row, secret } = await createDestination(context.db, context.secrets, project.id, { ...request.body, url });
        return reply.code(201).send({ destination: destinationView(row), signingSecret: secret });
      },
    );

    app.get(
      '/projects/:projectId/webhook-destinations/:destinationId',
      { schema: { tags, summary: 'One destination', params: DestinationParams, response: { 200: WebhookDestination, '4xx': ErrorResponse } } },
      async (request) => destinationView(await destinationOf(request.managedProject.id, request.params.destinationId)),
    );

    app.patch(
      '/projects/:projectId/webhook-destinations/:destinationId',
      {
        schema: {
          tags,
          summary: "Change a destination's URL, events, description, or turn it off and on",
          params: DestinationParams,
          body: WebhookDestinationChanges,
          response: { 200: WebhookDestination, '4xx': ErrorResponse },
        },
      },
      async (request) => {
        const project = request.managedProject;
        const row = await destinationOf(project.id, request.params.destinationId);
        const changes = { ...request.body, ...(request.body.url !== undefined && { url: checkDestinationUrl(request.body.url, project.allowPrivateUpstreams) }) };
        return destinationView(await updateDestination(context.db, row, changes));
      },
    );

    app.delete(
      '/projects/:projectId/webhook-destinations/:destinationId',
      { schema: { tags, summary: 'Remove a destination with its delivery log', params: DestinationParams, response: { 204: NoContent, '4xx': ErrorResponse } } },
      async (request, reply) => {
        if (!(await deleteDestination(context.db, request.managedProject.id, request.params.destinationId))) {
          throw apiError('WEBHOOK_DESTINATION_NOT_FOUND', `No webhook destination ${request.params.destinationId} in this project`);
        }
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/projects/:projectId/webhook-destinations/:destinationId/rotate-secret',
      {
        schema: {
          tags,
          summary: 'A new signing secret, in this answer only; the old one also signs for 24 hours',
          params: DestinationParams,
          response: { 200: WebhookDestinationWithSecret, '4xx': ErrorResponse },
        },
      },
      async (request) => {
        const row = await destinationOf(request.managedProject.id, request.params.destinationId);
        const rotated = await rotateSigningSecret(context.db, context.secrets, row);
        return { destination: destinationView(rotated.row), signingSecret: rotated.secret };
      },
    );

    app.get(
      '/projects/:projectId/webhook-destinations/:destinationId/deliveries',
      {
        schema: {
          tags,
          summary: "A destination's deliveries, newest first, each with its tries",
          params: DestinationParams,
          querystring: DeliveriesQuery,
          response: { 200: Type.Array(WebhookDelivery), '4xx': ErrorResponse },
        },
      },
      async (request) => {
        const row = await destinationOf(request.managedProject.id, request.params.destinationId);
        const limit = request.query.limit === undefined ? 50 : Number(request.query.limit);
        if (limit < 1 || limit > 200) throw apiError('VALIDATION_ERROR', 'limit must be from 1 to 200', { field: 'limit' });
        return listDeliveries(context.db, row.id, { limit, ...(request.query.status && { status: request.query.status }) });
      },
    );

    const deliveryOf = async (projectId: string, id: string) => {
      const row = await findDeliveryRow(context.db, projectId, id);
      if (!row) throw apiError('WEBHOOK_DELIVERY_NOT_FOUND', `No webhook delivery ${id} in this project`);
      return row;
    };

    app.get(
      '/projects/:projectId/webhook-deliveries/:deliveryId',
      { schema: { tags, summary: 'One delivery with its tries', params: DeliveryParams, response: { 200: WebhookDelivery, '4xx': ErrorResponse } } },
      async (request) => deliveryView(context.db, await deliveryOf(request.managedProject.id, request.params.deliveryId)),
    );

    app.post(
      '/projects/:projectId/webhook-deliveries/:deliveryId/replay',
      {
        schema: {
          tags,
          summary: 'Send a finished delivery again (same webhook-id), with a new round of tries',
          params: DeliveryParams,
          response: { 202: WebhookDelivery, '4xx': ErrorResponse, '5xx': ErrorResponse },
        },
      },
      async (request, reply) => {
        const row = await deliveryOf(request.managedProject.id, request.params.deliveryId);
        if (!deliveries) throw apiError('WEBHOOKS_UNAVAILABLE', 'This server runs no background jobs (SWITCHBOARD_JOBS=0), so it sends no webhooks; replay on a server that does');
        if (!(await deliveries.replay(row))) {
          throw apiError('WEBHOOK_DELIVERY_PENDING', 'This delivery is still being tried; replay it once it is SUCCEEDED, FAILED or DEAD');
        }
        return reply.code(202).send(await deliveryView(context.db, (await findDeliveryRow(context.db, request.managedProject.id, row.id))!));
      },
    );
  };
}
