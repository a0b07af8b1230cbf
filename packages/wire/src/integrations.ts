import { Type, type Static } from '@sinclair/typebox';
import { InstallField, Timestamp } from './common.js';

/** `oauth`, `oauthClientCredential`, `apiKey` or `basic`: how an account is connected (Switchboard's words). */
export const AuthenticationMethod = Type.Union([
  Type.Literal('oauth'),
  Type.Literal('oauthClientCredential'),
  Type.Literal('apiKey'),
  Type.Literal('basic'),
]);
export type AuthenticationMethod = Static<typeof AuthenticationMethod>;

/** The reference product's words for the same: every typed credential is `basic` there. */
export const ReferenceAuthenticationType = Type.Union([Type.Literal('oauth'), Type.Literal('oauth_client_credential'), Type.Literal('basic')]);
export type ReferenceAuthenticationType = Static<typeof ReferenceAuthenticationType>;

/** An item of `GET /sdk/metadata`: display data for building an integrations page; `icon` is an SVG on this server. */
export const IntegrationMetadata = Type.Object({
  type: Type.String(),
  name: Type.String(),
  brandColor: Type.String(),
  icon: Type.String(),
  authenticationType: AuthenticationMethod,
  description: Type.String(),
});
export type IntegrationMetadata = Static<typeof IntegrationMetadata>;

export const AccountType = Type.Object({ id: Type.String(), label: Type.String() });
export type AccountType = Static<typeof AccountType>;

/** A field in the reference SDK's words (`sdkIntegrationConfig`). */
export const ReferenceInput = Type.Object({
  id: Type.String(),
  title: Type.String(),
  type: Type.String(),
  required: Type.Boolean(),
  tooltip: Type.Optional(Type.String()),
  placeholder: Type.Optional(Type.String()),
  values: Type.Optional(Type.Array(Type.Object({ value: Type.String(), label: Type.String() }))),
});

/** A user setting in the reference SDK's words (`sharedMeta.inputs`), with what the Connect Portal needs to render it. */
export const ReferenceSettingInput = Type.Composite([
  ReferenceInput,
  Type.Object({
    /** The reference SDK matches `connect(type, { dropdowns })` keys against it. */
    key: Type.String(),
    customDropdownOptions: Type.Optional(Type.Array(Type.Object({ value: Type.String(), label: Type.String() }))),
    source: Type.Optional(Type.Object({ path: Type.String(), itemsPath: Type.Optional(Type.String()), valueField: Type.Optional(Type.String()), labelField: Type.Optional(Type.String()) })),
    fields: Type.Optional(Type.Array(Type.Object({ value: Type.String(), label: Type.String() }))),
  }),
]);

/** GET /portal/overview: an integration's overview markdown, rendered by the server (HTML in it escaped). */
export const PortalOverview = Type.Object({ html: Type.String() });
export type PortalOverview = Static<typeof PortalOverview>;

/** What an install asks for, by stage. */
export const InstallInputs = Type.Object({
  accountTypes: Type.Array(AccountType),
  preOAuthInputs: Type.Array(InstallField),
  credentialFields: Type.Array(InstallField),
  postInstallInputs: Type.Array(InstallField),
});
export type InstallInputs = Static<typeof InstallInputs>;

/** A published, active workflow of the integration, as a user's app lists it (`workflows[i]`). */
export const SdkWorkflow = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  projectId: Type.String(),
  integrationId: Type.String(),
  dateCreated: Timestamp,
  dateUpdated: Timestamp,
  /** What starts it: `appEvent`, `request`, `schedule`, `integrationEnabled` or `webhook`. */
  triggerType: Type.String(),
  /** Enabled for a user as soon as they connect the integration. */
  defaultEnabled: Type.Boolean(),
  /** The settings the user gives when enabling it (`configuredWorkflows[id].settings`). */
  settings: Type.Array(InstallField),
  isOnboardingWorkflow: Type.Boolean(),
  /** The reference product lists steps here; Switchboard keeps a workflow's definition to the management API. */
  steps: Type.Array(Type.Unknown()),
});
export type SdkWorkflow = Static<typeof SdkWorkflow>;

/** `configs[0].values.workflowMeta[id]`, where the reference SDK looks a workflow up. */
export const WorkflowMeta = Type.Object({
  id: Type.String(),
  description: Type.String(),
  infoText: Type.Optional(Type.String()),
  defaultEnabled: Type.Boolean(),
  hidden: Type.Boolean(),
  inputs: Type.Array(ReferenceInput),
});
export type WorkflowMeta = Static<typeof WorkflowMeta>;

/** An item of `GET /sdk/integrations`: an active integration of the project, in the reference's shape and ours. */
export const SdkIntegration = Type.Composite([
  Type.Object({
    id: Type.String(),
    dateCreated: Timestamp,
    dateUpdated: Timestamp,
    projectId: Type.String(),
    customIntegrationId: Type.Union([Type.String(), Type.Null()]),
    type: Type.String(),
    isActive: Type.Boolean(),
    configs: Type.Array(
      Type.Object({
        id: Type.String(),
        dateCreated: Timestamp,
        dateUpdated: Timestamp,
        integrationId: Type.String(),
        values: Type.Object({
          overview: Type.String(),
          sharedMeta: Type.Object({ inputs: Type.Optional(Type.Array(ReferenceSettingInput)) }),
          accentColor: Type.String(),
          description: Type.String(),
          theme: Type.Optional(Type.Union([Type.Literal('light'), Type.Literal('dark'), Type.Literal('system')])),
          fontFamily: Type.Optional(Type.String()),
          workflowMeta: Type.Record(Type.String(), WorkflowMeta),
        }),
      }),
    ),
    workflows: Type.Array(SdkWorkflow),
    customIntegration: Type.Union([
      Type.Object({
        id: Type.String(),
        name: Type.String(),
        icon: Type.String(),
        /** The reference SDK names a custom integration `custom.<slug>`: the type itself. */
        slug: Type.String(),
        inputFields: Type.Array(ReferenceInput),
      }),
      Type.Null(),
    ]),
    /** False for an OAuth integration without a client id and secret: it cannot connect yet. */
    hasCredential: Type.Boolean(),
    connectedUserLimitOnDevCred: Type.Integer(),
    connectedUserLimitReached: Type.Boolean(),
    name: Type.String(),
    brandColor: Type.String(),
    icon: Type.String(),
    /** True when typed input is needed before (or instead of) OAuth. */
    needPreOauthInputs: Type.Boolean(),
    providerType: Type.String(),
    authenticationType: ReferenceAuthenticationType,
    /** Switchboard's finer word, which tells API keys from basic auth (as `/sdk/metadata` gives it). */
    authenticationMethod: AuthenticationMethod,
    sdkIntegrationConfig: Type.Object({
      accountTypes: Type.Array(Type.Object({ id: Type.String(), label: Type.String(), scheme: Type.String() })),
      authConfigInputs: Type.Array(ReferenceInput),
      postOauthInputs: Type.Array(ReferenceInput),
    }),
  }),
  InstallInputs,
]);
export type SdkIntegration = Static<typeof SdkIntegration>;
