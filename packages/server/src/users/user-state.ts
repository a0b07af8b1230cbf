import type { AppContext } from '../app-context.js';
import { listIntegrations, type ProjectIntegration } from '../catalog/integration-store.js';
import { listUserCredentials, type Credential } from '../credentials/credential-store.js';
import type { Project } from '../projects/project-store.js';
import type { ConnectedUser } from './connected-users.js';
import { integrationVisible, visibleCredentials, type TokenPermissions } from './permissions.js';

/** An entry of `allCredentials`, with the `configurations` array the reference SDK reads. */
export function credentialSummary(credential: Credential) {
  return {
    id: credential.id,
    status: credential.status,
    providerId: credential.providerId,
    providerData: credential.providerData,
    accountType: credential.accountType,
    dateCreated: credential.dateCreated,
    dateUpdated: credential.dateUpdated,
    dateRefreshed: credential.refreshedAt,
    dateValidUntil: credential.expiresAt,
    configurations: [
      {
        id: credential.id,
        isDefault: true,
        connectCredentialId: credential.id,
        workflowSettings: credential.config.configuredWorkflows ?? {},
        sharedSettings: credential.config.sharedSettings ?? {},
        configMeta: {},
      },
    ],
  };
}

/** The default account: the first valid one, else the first. */
export const defaultCredential = (credentials: Credential[]) => credentials.find((c) => c.status === 'VALID') ?? credentials[0];

function integrationState(credentials: Credential[]) {
  const primary = defaultCredential(credentials);
  if (!primary) return { enabled: false, configuredWorkflows: {}, allCredentials: [] };
  return {
    enabled: true,
    credentialId: primary.id,
    credentialStatus: primary.status,
    providerId: primary.providerId,
    providerData: primary.providerData,
    configuredWorkflows: primary.config.configuredWorkflows ?? {},
    sharedSettings: primary.config.sharedSettings ?? {},
    allCredentials: credentials.map(credentialSummary),
  };
}

/**
 * GET /sdk/me: `{ authenticated, userId, integrations: { <type>: ... }, meta }`, plus project and resources. Only
 * what the token's JWT permissions show: its accounts, and integrations offered to it or holding one of its accounts.
 */
export async function buildUserState(context: AppContext, project: Project, user: ConnectedUser, permissions: TokenPermissions) {
  const [integrations, credentials] = await Promise.all([
    listIntegrations(context.db, project.id, { activeOnly: true }),
    listUserCredentials(context.db, user.id),
  ]);
  const byIntegration = new Map<string, Credential[]>();
  for (const credential of credentials) {
    byIntegration.set(credential.integrationId, [...(byIntegration.get(credential.integrationId) ?? []), credential]);
  }
  const states: Record<string, ReturnType<typeof integrationState>> = {};
  for (const integration of integrations as ProjectIntegration[]) {
    const visible = visibleCredentials(permissions, integration.type, byIntegration.get(integration.id) ?? []);
    if (visible.length === 0 && !integrationVisible(permissions, integration.type)) continue;
    states[integration.type] = integrationState(visible);
  }
  return {
    authenticated: true as const,
    userId: user.userId,
    integrations: states,
    meta: user.meta,
    project: { id: project.id, name: project.name },
    resources: [],
  };
}
