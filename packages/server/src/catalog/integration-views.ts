import type { InputField, IntegrationDefinition } from '@switchboard/catalog';
import type {
  AuthenticationMethod,
  InstallField,
  InstallInputs,
  IntegrationMetadata,
  ProjectPortalLook,
  ReferenceAuthenticationType,
  SdkIntegration,
  SdkWorkflow,
  UserSetting,
  UserSettingType,
  WorkflowMeta,
} from '@switchboard/wire';
import type { ProjectIntegration } from './integration-store.js';
import { offeredAccountTypes } from './account-types.js';

/** Switchboard's names for auth kinds (`authenticationType` in GET /sdk/metadata and the SDK's metadata). */
const AUTHENTICATION_TYPES: Record<IntegrationDefinition['auth']['kind'], AuthenticationMethod> = {
  oauth2: 'oauth',
  'oauth2-client-credentials': 'oauthClientCredential',
  'api-key': 'apiKey',
  basic: 'basic',
};

/**
 * The reference SDK's names (its `AuthenticationScheme`): every typed credential is `basic` there, OAuth client
 * credentials are `oauth_client_credential`.
 */
const REFERENCE_AUTHENTICATION_TYPES: Record<IntegrationDefinition['auth']['kind'], ReferenceAuthenticationType> = {
  oauth2: 'oauth',
  'oauth2-client-credentials': 'oauth_client_credential',
  'api-key': 'basic',
  basic: 'basic',
};

/** The reference SDK's input types for a field (its SidebarInputType values). */
const REFERENCE_INPUT_TYPES: Record<InputField['type'], string> = {
  text: 'TEXT_NO_VARS',
  password: 'PASSWORD',
  url: 'URL',
  select: 'ENUM',
};

/** A field in the reference SDK's words (`sdkIntegrationConfig` inputs). */
const referenceInput = (field: InputField) => ({
  id: field.id,
  title: field.label,
  type: REFERENCE_INPUT_TYPES[field.type],
  required: field.required ?? false,
  ...(field.help && { tooltip: field.help }),
  ...(field.placeholder && { placeholder: field.placeholder }),
  ...(field.options && { values: field.options.map(({ value, label }) => ({ value, label })) }),
});

/** The reference SDK's input type of each kind of user setting (its SidebarInputType values). */
const SETTING_INPUT_TYPES: Record<UserSettingType, string> = {
  text: 'TEXT_NO_VARS',
  textarea: 'TEXTAREA_NO_VARS',
  number: 'NUMBER',
  email: 'EMAIL',
  url: 'URL',
  password: 'PASSWORD',
  boolean: 'BOOLEAN_INPUT',
  enum: 'ENUM',
  dynamicEnum: 'DYNAMIC_ENUM',
  customDropdown: 'CUSTOM_DROPDOWN',
  fieldMapper: 'FIELD_MAPPER',
};

/**
 * A user setting in `sharedMeta.inputs`, as the reference SDK and the Connect Portal read it. A custom dropdown
 * carries `customDropdownOptions` (its own options, or none): the reference SDK fills in those from
 * `connect(type, { dropdowns })` only where the property exists.
 */
const settingInput = (setting: UserSetting) => ({
  id: setting.id,
  key: setting.id,
  title: setting.label,
  type: SETTING_INPUT_TYPES[setting.type],
  required: setting.required ?? false,
  ...(setting.help && { tooltip: setting.help }),
  ...(setting.placeholder && { placeholder: setting.placeholder }),
  ...(setting.type === 'customDropdown'
    ? { customDropdownOptions: setting.options ?? [] }
    : setting.options && { values: setting.options }),
  ...(setting.source && { source: setting.source }),
  ...(setting.fields && { fields: setting.fields }),
});

/** A stable URL of the integration's icon, served by this server (never a CDN). */
export function iconUrl(publicUrl: string, integration: Pick<ProjectIntegration, 'type' | 'customIntegrationId'>): string {
  return integration.customIntegrationId
    ? `${publicUrl}/icons/custom/${integration.customIntegrationId}.svg`
    : `${publicUrl}/icons/${encodeURIComponent(integration.type)}.svg`;
}

/** A field as a browser may see it (patterns help client-side validation; nothing here is secret). */
const fieldView = (field: InputField): InstallField => ({
  id: field.id,
  label: field.label,
  type: field.type,
  required: field.required ?? false,
  ...(field.help && { help: field.help }),
  ...(field.placeholder && { placeholder: field.placeholder }),
  ...(field.pattern && { pattern: field.pattern }),
  ...(field.options && { options: field.options }),
});

/**
 * What the install flow needs to ask for, by stage: account type and pre-OAuth inputs before the redirect,
 * credential fields for typed credentials, post-install inputs once the account is connected.
 */
export function installInputs(integration: Pick<ProjectIntegration, 'definition' | 'portal'>): InstallInputs {
  const { definition } = integration;
  const auth = definition.auth;
  const postInstallInputs = (definition.postInstallInputs ?? []).map(fieldView);
  if (auth.kind === 'oauth2') {
    return {
      // Only those the project offers, in its order.
      accountTypes: offeredAccountTypes(integration).map(({ id, label }) => ({ id, label })),
      preOAuthInputs: (auth.preOAuthInputs ?? []).map(fieldView),
      credentialFields: [],
      postInstallInputs,
    };
  }
  return { accountTypes: [], preOAuthInputs: [], credentialFields: auth.fields.map(fieldView), postInstallInputs };
}

/**
 * `{ type, name, brandColor, icon }` as in getIntegrationMetadata, plus `authenticationType` (as in
 * GET /sdk/integrations) and `description`, so a headless install UI can list integrations from this alone.
 */
export function integrationMetadata(publicUrl: string, integration: ProjectIntegration): IntegrationMetadata {
  return {
    type: integration.type,
    name: integration.definition.name,
    brandColor: integration.portal.accentColor ?? integration.definition.brandColor,
    icon: iconUrl(publicUrl, integration),
    authenticationType: AUTHENTICATION_TYPES[integration.definition.auth.kind],
    description: integration.portal.description ?? integration.definition.description,
  };
}

/** A published workflow as a user's app sees it: name, trigger kind, settings to ask for; never its steps. */
export interface PublishedWorkflow {
  id: string;
  integrationId: string;
  definition: { name: string; description?: string; trigger: { type: string }; settings?: InputField[]; defaultEnabled?: boolean };
  dateCreated: string;
  dateUpdated: string;
}

function workflowView(integration: ProjectIntegration, workflow: PublishedWorkflow): SdkWorkflow {
  const { definition } = workflow;
  return {
    id: workflow.id,
    name: definition.name,
    description: definition.description ?? definition.name,
    projectId: integration.projectId,
    integrationId: integration.id,
    dateCreated: workflow.dateCreated,
    dateUpdated: workflow.dateUpdated,
    triggerType: definition.trigger.type,
    defaultEnabled: definition.defaultEnabled ?? false,
    settings: (definition.settings ?? []).map(fieldView),
    isOnboardingWorkflow: false,
    steps: [],
  };
}

/** The reference SDK finds a workflow by its id in `workflowMeta`, and reads its settings as `inputs`. */
const workflowMeta = (workflow: SdkWorkflow): WorkflowMeta => ({
  id: workflow.id,
  // The reference shows `description` as the workflow's title.
  description: workflow.name,
  ...(workflow.description !== workflow.name && { infoText: workflow.description }),
  defaultEnabled: workflow.defaultEnabled,
  hidden: false,
  inputs: workflow.settings.map(referenceInput),
});

/**
 * An item of GET /sdk/integrations ("Get project's integrations" in the reference), with its published workflows. Its
 * look is the integration's own portal settings over the project's `look`, over the built-in one (the brand colour).
 */
export function integrationView(publicUrl: string, integration: ProjectIntegration, published: PublishedWorkflow[] = [], look: ProjectPortalLook = {}): SdkIntegration {
  const workflows = published.filter((workflow) => workflow.integrationId === integration.id).map((workflow) => workflowView(integration, workflow));
  const definition = integration.definition;
  const metadata = integrationMetadata(publicUrl, integration);
  const inputs = installInputs(integration);
  // The reference SDK's startOAuthFlow opens the popup for an integration with pre-OAuth inputs only when an account
  // type of scheme `oauth` is chosen: one without account types of its own is offered its single `default` one.
  const accountTypes =
    inputs.accountTypes.length === 0 && inputs.preOAuthInputs.length > 0 ? [{ id: 'default', label: definition.name }] : inputs.accountTypes;
  const sdkConfig = {
    accountTypes: accountTypes.map(({ id, label }) => ({ id, label, scheme: 'oauth' })),
    authConfigInputs: [...inputs.preOAuthInputs, ...inputs.credentialFields].map(referenceInput),
    postOauthInputs: inputs.postInstallInputs.map(referenceInput),
  };
  const theme = integration.portal.theme ?? look.theme;
  const fontFamily = integration.portal.fontFamily ?? look.fontFamily;
  return {
    id: integration.id,
    dateCreated: integration.dateCreated,
    dateUpdated: integration.dateUpdated,
    projectId: integration.projectId,
    customIntegrationId: integration.customIntegrationId,
    type: integration.type,
    isActive: integration.isActive,
    configs: [
      {
        id: integration.id,
        dateCreated: integration.dateCreated,
        dateUpdated: integration.dateUpdated,
        integrationId: integration.id,
        values: {
          overview: integration.portal.overview ?? definition.overview ?? '',
          sharedMeta: integration.portal.userSettings ? { inputs: integration.portal.userSettings.map(settingInput) } : {},
          accentColor: integration.portal.accentColor ?? look.accentColor ?? metadata.brandColor,
          description: metadata.description,
          ...(theme && { theme }),
          ...(fontFamily && { fontFamily }),
          workflowMeta: Object.fromEntries(workflows.map((workflow) => [workflow.id, workflowMeta(workflow)])),
        },
      },
    ],
    workflows,
    customIntegration: integration.customIntegrationId
      ? {
          id: integration.customIntegrationId,
          name: definition.name,
          icon: metadata.icon,
          // The reference SDK names a custom integration by its slug, `custom.<slug>`: the type itself.
          slug: integration.type,
          inputFields: inputs.credentialFields.length > 0 ? sdkConfig.authConfigInputs : [],
        }
      : null,
    hasCredential: definition.auth.kind !== 'oauth2' || (integration.clientId !== null && integration.hasClientSecret),
    connectedUserLimitOnDevCred: 0,
    connectedUserLimitReached: false,
    name: metadata.name,
    brandColor: metadata.brandColor,
    icon: metadata.icon,
    // The reference SDK's word: typed input is needed before (or instead of) OAuth.
    needPreOauthInputs: inputs.preOAuthInputs.length > 0 || inputs.accountTypes.length > 1 || definition.auth.kind !== 'oauth2',
    providerType: integration.type,
    authenticationType: REFERENCE_AUTHENTICATION_TYPES[definition.auth.kind],
    // Switchboard's finer word for the same thing (`apiKey` and `basic` apart), as /sdk/metadata gives it.
    authenticationMethod: metadata.authenticationType,
    sdkIntegrationConfig: sdkConfig,
    ...inputs,
  };
}
