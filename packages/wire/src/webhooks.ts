import { Type, type Static } from '@sinclair/typebox';
import { JsonObject, Timestamp } from './common.js';

/**
 * Webhook destinations: the customer's backend URLs Switchboard sends signed events to (the Standard Webhooks
 * scheme: `webhook-id`, `webhook-timestamp`, `webhook-signature` headers; docs/webhooks.md).
 */

/** What Switchboard reports. The workflow run events are sent only to destinations that name them. */
export const WEBHOOK_EVENT_TYPES = ['credential.created', 'credential.refresh_failed', 'credential.deleted', 'workflow.run.failed', 'workflow.run.succeeded'] as const;
export const WebhookEventType = Type.Union(WEBHOOK_EVENT_TYPES.map((type) => Type.Literal(type)));
export type WebhookEventType = Static<typeof WebhookEventType>;

const DestinationUrl = Type.String({ minLength: 1, maxLength: 2_000, description: 'https URL of your backend (plain http only where the project allows private upstreams)' });
const Events = Type.Array(WebhookEventType, { minItems: 1, maxItems: WEBHOOK_EVENT_TYPES.length, uniqueItems: true });
const Description = Type.String({ maxLength: 200 });

export const WebhookDestinationInput = Type.Object(
  {
    url: DestinationUrl,
    events: Events,
    enabled: Type.Optional(Type.Boolean({ description: 'Default true' })),
    description: Type.Optional(Description),
  },
  { additionalProperties: false },
);
export type WebhookDestinationInput = Static<typeof WebhookDestinationInput>;

export const WebhookDestinationChanges = Type.Object(
  { url: Type.Optional(DestinationUrl), events: Type.Optional(Events), enabled: Type.Optional(Type.Boolean()), description: Type.Optional(Description) },
  { additionalProperties: false, minProperties: 1 },
);
export type WebhookDestinationChanges = Static<typeof WebhookDestinationChanges>;

/** A destination as the management API shows it: never its signing secret. */
export const WebhookDestination = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(WebhookEventType),
  enabled: Type.Boolean(),
  description: Type.String(),
  dateCreated: Timestamp,
  dateUpdated: Timestamp,
});
export type WebhookDestination = Static<typeof WebhookDestination>;

/** Create and rotate answer the signing secret (`whsec_…`) this once; Switchboard keeps it sealed. */
export const WebhookDestinationWithSecret = Type.Object({ destination: WebhookDestination, signingSecret: Type.String() });
export type WebhookDestinationWithSecret = Static<typeof WebhookDestinationWithSecret>;

/**
 * PENDING: a try is due or running; SUCCEEDED: a 2xx answer; FAILED: refused with a final 4xx (not 408 or 429);
 * DEAD: the last try failed too.
 */
export const WebhookDeliveryStatus = Type.Union([Type.Literal('PENDING'), Type.Literal('SUCCEEDED'), Type.Literal('FAILED'), Type.Literal('DEAD')]);
export type WebhookDeliveryStatus = Static<typeof WebhookDeliveryStatus>;

/** One try of a delivery. */
export const WebhookAttempt = Type.Object({
  attempt: Type.Integer(),
  dateStarted: Timestamp,
  durationMs: Type.Integer(),
  /** The answer's HTTP status; null when none came (timeout, connection refused, address blocked). */
  status: Type.Union([Type.Integer(), Type.Null()]),
  /** Why no answer came (an error code such as `UPSTREAM_TIMEOUT`), or null. */
  error: Type.Union([Type.String(), Type.Null()]),
  /** The start of the answer's body, at most 500 characters. */
  responseExcerpt: Type.Union([Type.String(), Type.Null()]),
});
export type WebhookAttempt = Static<typeof WebhookAttempt>;

export const WebhookDelivery = Type.Object({
  id: Type.String(),
  destinationId: Type.String(),
  /** The `webhook-id` header: the same on every try and replay, so a receiver can ignore one it has handled. */
  eventId: Type.String(),
  eventType: WebhookEventType,
  /** The JSON body sent: `{ type, timestamp, data }` with ids and types only. */
  payload: JsonObject,
  status: WebhookDeliveryStatus,
  /** When the next try is due, while PENDING. */
  nextAttemptAt: Type.Union([Timestamp, Type.Null()]),
  attempts: Type.Array(WebhookAttempt),
  dateCreated: Timestamp,
  dateUpdated: Timestamp,
});
export type WebhookDelivery = Static<typeof WebhookDelivery>;
