import { Type, type Static } from '@sinclair/typebox';
import { CredentialStatus, JsonObject } from './common.js';
import { Credential } from './credentials.js';

/**
 * `user.integrations[type]` in `GET /sdk/me`. With an account connected, the account fields describe the default
 * account (the first valid one) and `allCredentials` lists every account; without one, only `enabled: false` and
 * the empty collections are there.
 */
export const IntegrationState = Type.Object({
  enabled: Type.Boolean(),
  credentialId: Type.Optional(Type.String()),
  credentialStatus: Type.Optional(CredentialStatus),
  credentialConfigId: Type.Optional(Type.String()),
  providerId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  providerData: Type.Optional(JsonObject),
  configuredWorkflows: JsonObject,
  workflowSettings: JsonObject,
  sharedSettings: Type.Optional(JsonObject),
  configMeta: Type.Optional(JsonObject),
  allCredentials: Type.Array(Credential),
});
export type IntegrationState = Static<typeof IntegrationState>;

/** `GET /sdk/me` (and `PATCH /sdk/me`): the connected user, every integration offered to them, and their metadata. */
export const UserState = Type.Object({
  authenticated: Type.Literal(true),
  /** The user token's `sub`. */
  userId: Type.String(),
  integrations: Type.Record(Type.String(), IntegrationState),
  meta: JsonObject,
  project: Type.Object({
    id: Type.String(),
    name: Type.String(),
    /** What this server implements, in the reference product's feature names. */
    accessibleFeatures: Type.Array(Type.String()),
  }),
  resources: Type.Array(Type.Unknown()),
});
export type UserState = Static<typeof UserState>;

/** `PATCH /sdk/me`: merged into the user's metadata (at most 64 KB of JSON). */
export const UserMetaChange = Type.Object({ meta: JsonObject });
export type UserMetaChange = Static<typeof UserMetaChange>;
