import { Type, type Static } from '@sinclair/typebox';
import { CredentialStatus, JsonObject, Timestamp } from './common.js';

/** One workflow's state on an account: whether it runs for the user, and the user's settings for it. */
export const ConfiguredWorkflow = Type.Object(
  { enabled: Type.Optional(Type.Boolean()), settings: Type.Optional(JsonObject) },
  { additionalProperties: true },
);

/** An account's settings: post-install options in `sharedSettings`, workflow state in `configuredWorkflows`. */
export const CredentialConfig = Type.Object(
  {
    configuredWorkflows: Type.Optional(Type.Record(Type.String(), ConfiguredWorkflow)),
    sharedSettings: Type.Optional(JsonObject),
  },
  { additionalProperties: true },
);
export type CredentialConfig = Static<typeof CredentialConfig>;

/** `PATCH /sdk/credentials/:id`: the account's whole config, replaced. */
export const CredentialConfigChange = Type.Object({ config: CredentialConfig });
export type CredentialConfigChange = Static<typeof CredentialConfigChange>;

/**
 * `PATCH /sdk/credentials/:id/settings`: only the settings named change (a JSON merge: `null` removes one), the rest
 * of the account's config is kept, so two writers of different settings both keep theirs.
 */
export const CredentialSettingsChange = Type.Object(
  {
    sharedSettings: Type.Optional(JsonObject),
    /** By workflow id: that workflow's settings to change (its on/off state is left as it is). */
    workflowSettings: Type.Optional(Type.Record(Type.String({ maxLength: 100 }), JsonObject)),
  },
  { additionalProperties: false },
);
export type CredentialSettingsChange = Static<typeof CredentialSettingsChange>;

/** The reference SDK's configuration of an account; Switchboard has one per account. */
export const CredentialConfiguration = Type.Object({
  id: Type.String(),
  isDefault: Type.Boolean(),
  connectCredentialId: Type.String(),
  workflowSettings: JsonObject,
  sharedSettings: JsonObject,
  configMeta: JsonObject,
});
export type CredentialConfiguration = Static<typeof CredentialConfiguration>;

/**
 * A connected account as the SDK REST API and the management API show it: metadata, never secrets. The same view
 * is each `allCredentials[i]` of `GET /sdk/me`.
 */
export const Credential = Type.Object({
  id: Type.String(),
  dateCreated: Timestamp,
  dateUpdated: Timestamp,
  dateDeleted: Type.Null(),
  projectId: Type.String(),
  integrationId: Type.String(),
  /** Given where the integration is known (credential listings); absent in `allCredentials`. */
  integrationType: Type.Optional(Type.String()),
  /** The connected user's internal id. */
  personaId: Type.String(),
  status: CredentialStatus,
  config: CredentialConfig,
  isPreviewCredential: Type.Boolean(),
  providerId: Type.Union([Type.String(), Type.Null()]),
  providerData: JsonObject,
  accountType: Type.Union([Type.String(), Type.Null()]),
  dateRefreshed: Type.Union([Timestamp, Type.Null()]),
  dateValidUntil: Type.Union([Timestamp, Type.Null()]),
  refreshFailureCount: Type.Integer(),
  configurations: Type.Array(CredentialConfiguration),
});
export type Credential = Static<typeof Credential>;

/** `DELETE /sdk/integrations/:integrationId`. */
export const UninstallResult = Type.Object({ success: Type.Boolean(), removedCredentialIds: Type.Array(Type.String()) });
export type UninstallResult = Static<typeof UninstallResult>;
