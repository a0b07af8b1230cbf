import { Type, type TSchema } from '@sinclair/typebox';
import { ErrorResponse } from '../http/schemas.js';

/** Asks for retries on 429 and 503 (idempotent requests only): `X-Switchboard-Retry: <attempts>` or `true`. */
export const RETRY_HEADER = 'x-switchboard-retry';

/**
 * The Proxy API's control headers. Fastify checks them (ajv, compiled once per route) before the handler runs, so a
 * bad value is a 400 `VALIDATION_ERROR` naming the header and the provider is never called. Every other header is
 * the caller's and is forwarded, so the object stays open.
 */
const ControlHeaders = Type.Object({
  'X-Paragon-Credential': Type.Optional(
    Type.String({ maxLength: 100, description: 'The connected account (credential id) to call with; else the first valid one the user token sees.' }),
  ),
  'X-Switchboard-Retry': Type.Optional(
    Type.String({
      pattern: '^(true|[0-9]{1,9})$',
      description:
        'Retries a GET, HEAD, OPTIONS, PUT or DELETE answered 429 or 503: a number of attempts, or `true` for the server maximum (SWITCHBOARD_PROXY_RETRY_MAX_ATTEMPTS).',
    }),
  ),
  'Content-Type': Type.Optional(Type.String({ description: 'Forwarded as sent; `auto` means "infer from the body".' })),
});

const path = Type.String({ description: "The path under the integration's API base URL, forwarded exactly as sent (with its query string)." });

// The provider's answers have whatever type and shape it gives them: only Switchboard's own errors are described.
// Typed TSchema: the spread copies TypeBox's symbol keys, which a declaration file cannot name (TS4023).
const ownError: TSchema = {
  ...ErrorResponse,
  description:
    "Switchboard's own error, `{ message, code }` with an `X-Switchboard-Error: <code>` header; the provider's own 4xx and 5xx answers come as they came, without that header.",
};

const common = {
  tags: ['SDK'],
  description:
    "Sends the request to the integration's API with the connected account's credential added, and streams the provider's answer back as it came. The body is forwarded unread; `Content-Type: auto` has Switchboard infer its media type (OpenAPI tools may ignore a `Content-Type` header parameter, hence this note).",
  headers: ControlHeaders,
  response: {
    // `type: 'null'`: no content is described (any media type); the route never serializes a body of its own here.
    default: { type: 'null', description: "The provider's answer: its status, headers and body as they came, streamed." },
    '4xx': ownError,
    '5xx': ownError,
  },
};

export const proxyByTypeSchema = {
  ...common,
  summary: "Proxy API: call an integration's API with the connected user's credential",
  params: Type.Object({
    projectId: Type.String(),
    integrationType: Type.String({ description: 'The integration type, e.g. `hubspot` or `custom.<slug>`.' }),
    '*': path,
  }),
};

export const proxyByIdSchema = {
  ...common,
  summary: "Proxy API: call a custom integration's API, by id, with the connected user's credential",
  params: Type.Object({
    projectId: Type.String(),
    integrationId: Type.String({ description: 'The id `GET /integrations` lists, or the custom integration id.' }),
    '*': path,
  }),
};
