import type { InputField, IntegrationDefinition } from '@switchboard/catalog';
import type { ProjectIntegration } from './integration-store.js';

/** The reference's names for auth kinds (`authenticationType` in GET /sdk/integrations). */
const AUTHENTICATION_TYPES: Record<IntegrationDefinition['auth']['kind'], string> = {
  oauth2: 'oauth',
  'oauth2-client-credentials': 'oauthClientCredential',
  'api-key': 'apiKey',
  basic: 'basic',
};

/** A stable URL of the integration's icon, served by this server (never a CDN). */
export function iconUrl(publicUrl: string, integration: Pick<ProjectIntegration, 'type' | 'customIntegrationId'>): string {
  return integration.customIntegrationId
    ? `${publicUrl}/icons/custom/${integration.customIntegrationId}.svg`
    : `${publicUrl}/icons/${encodeURIComponent(integration.type)}.svg`;
}

/** A field as a browser may see it (patterns help client-side validation; nothing here is secret). */
const fieldView = (field: InputField) => ({
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
export function installInputs(definition: IntegrationDefinition) {
  const auth = definition.auth;
  const postInstallInputs = (definition.postInstallInputs ?? []).map(fieldView);
  if (auth.kind === 'oauth2') {
    return {
      accountTypes: (auth.accountTypes ?? []).map(({ id, label }) => ({ id, label })),
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
export function integrationMetadata(publicUrl: string, integration: ProjectIntegration) {
  return {
    type: integration.type,
    name: integration.definition.name,
    brandColor: integration.portal.accentColor ?? integration.definition.brandColor,
    icon: iconUrl(publicUrl, integration),
    authenticationType: AUTHENTICATION_TYPES[integration.definition.auth.kind],
    description: integration.portal.description ?? integration.definition.description,
  };
}

/** An item of GET /sdk/integrations ("Get project's integrations" in the reference). */
export function integrationView(publicUrl: string, integration: ProjectIntegration) {
  const definition = integration.definition;
  const metadata = integrationMetadata(publicUrl, integration);
  const inputs = installInputs(definition);
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
          sharedMeta: {},
          accentColor: metadata.brandColor,
          description: metadata.description,
          workflowMeta: {},
        },
      },
    ],
    // Workflows arrive with a later release; the field is part of the contract now.
    workflows: [],
    customIntegration: integration.customIntegrationId
      ? { id: integration.customIntegrationId, name: definition.name, icon: metadata.icon }
      : null,
    hasCredential: definition.auth.kind !== 'oauth2' || (integration.clientId !== null && integration.hasClientSecret),
    connectedUserLimitOnDevCred: 0,
    connectedUserLimitReached: false,
    name: metadata.name,
    brandColor: metadata.brandColor,
    icon: metadata.icon,
    needPreOauthInputs: inputs.preOAuthInputs.length > 0 || inputs.accountTypes.length > 1,
    providerType: integration.type,
    authenticationType: metadata.authenticationType,
    ...inputs,
  };
}
