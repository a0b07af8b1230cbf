import type { Credential as CredentialView, CredentialConfiguration } from '@switchboard/wire';
import type { ProjectIntegration } from '../catalog/integration-store.js';
import type { Credential } from './credential-store.js';

/**
 * A credential's configurations, as the reference SDK reads them. Switchboard has one per account: its settings and
 * workflow state live on the credential itself.
 */
export const credentialConfigurations = (credential: Credential): CredentialConfiguration[] => [
  {
    id: credential.id,
    isDefault: true,
    connectCredentialId: credential.id,
    workflowSettings: credential.config.configuredWorkflows ?? {},
    sharedSettings: credential.config.sharedSettings ?? {},
    configMeta: {},
  },
];

/** A credential as the SDK REST API shows it (reference: "Get user's Connect credentials"). Never secrets. */
export function credentialView(credential: Credential, integration?: Pick<ProjectIntegration, 'type'>): CredentialView {
  return {
    id: credential.id,
    dateCreated: credential.dateCreated,
    dateUpdated: credential.dateUpdated,
    dateDeleted: null,
    projectId: credential.projectId,
    integrationId: credential.integrationId,
    ...(integration && { integrationType: integration.type }),
    personaId: credential.connectedUserId,
    status: credential.status,
    config: credential.config,
    isPreviewCredential: false,
    providerId: credential.providerId,
    providerData: credential.providerData,
    accountType: credential.accountType,
    dateRefreshed: credential.refreshedAt,
    dateValidUntil: credential.expiresAt,
    refreshFailureCount: credential.refreshFailureCount,
    configurations: credentialConfigurations(credential),
  };
}
