import type { IntegrationState, UserState } from '@switchboard/wire';
import type { AppContext } from '../app-context.js';
import { projectCatalog } from '../catalog/integration-store.js';
import { toCredential, userCredentialRows, type Credential } from '../credentials/credential-store.js';
import { credentialView } from '../credentials/credential-view.js';
import type { Project } from '../projects/project-store.js';
import type { ConnectedUser } from './connected-users.js';
import { integrationVisible, visibleCredentials, type TokenPermissions } from './permissions.js';

/**
 * What this server implements, in the reference's feature names (`project.accessibleFeatures`). The reference SDK
 * refuses installIntegration and uninstallIntegration without `headless-cp`; Switchboard has no paid tiers, so this
 * lists everything it has. A feature joins the list when it works.
 */
export const ACCESSIBLE_FEATURES = ['headless-cp', 'user-metadata'] as const;

/** The default account: the first valid one, else the first. */
export const defaultCredential = (credentials: Credential[]) => credentials.find((c) => c.status === 'VALID') ?? credentials[0];

function integrationState(credentials: Credential[]): IntegrationState {
  const primary = defaultCredential(credentials);
  if (!primary) return { enabled: false, configuredWorkflows: {}, workflowSettings: {}, allCredentials: [] };
  const workflows = primary.config.configuredWorkflows ?? {};
  return {
    enabled: true,
    credentialId: primary.id,
    credentialStatus: primary.status,
    credentialConfigId: primary.id,
    providerId: primary.providerId,
    providerData: primary.providerData,
    configuredWorkflows: workflows,
    workflowSettings: workflows,
    sharedSettings: primary.config.sharedSettings ?? {},
    configMeta: {},
    // The credential's view carries the `configurations` the reference SDK reads.
    allCredentials: credentials.map((credential) => credentialView(credential)),
  };
}

/**
 * GET /sdk/me: `{ authenticated, userId, integrations: { <type>: ... }, meta }`, plus project and resources. Only
 * what the token's JWT permissions show: its accounts, and integrations offered to it or holding one of its accounts.
 */
export async function buildUserState(context: AppContext, project: Project, user: ConnectedUser, permissions: TokenPermissions): Promise<UserState> {
  const [catalog, rows] = await Promise.all([projectCatalog(context, project.id), userCredentialRows(context, { projectId: project.id, connectedUserId: user.id })]);
  const credentials = rows.map(toCredential);
  const byIntegration = new Map<string, Credential[]>();
  for (const credential of credentials) {
    byIntegration.set(credential.integrationId, [...(byIntegration.get(credential.integrationId) ?? []), credential]);
  }
  const states: Record<string, IntegrationState> = {};
  for (const integration of catalog.all) {
    if (!integration.isActive) continue;
    const visible = visibleCredentials(permissions, integration.type, byIntegration.get(integration.id) ?? []);
    if (visible.length === 0 && !integrationVisible(permissions, integration.type)) continue;
    states[integration.type] = integrationState(visible);
  }
  return {
    authenticated: true,
    userId: user.userId,
    integrations: states,
    meta: user.meta,
    project: { id: project.id, name: project.name, accessibleFeatures: [...ACCESSIBLE_FEATURES] },
    resources: [],
  };
}
