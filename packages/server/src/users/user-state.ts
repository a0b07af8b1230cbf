import type { IntegrationState, UserState } from '@switchboard/wire';
import type { AppContext } from '../app-context.js';
import { projectCatalog, type ProjectCatalog } from '../catalog/integration-store.js';
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

/** The state of an integration the user has no account in that the token sees: the same for every user. */
const NOT_CONNECTED: IntegrationState = { enabled: false, configuredWorkflows: {}, workflowSettings: {}, allCredentials: [] };

/** The state of an integration the user has accounts in (those the token sees). */
function integrationState(credentials: Credential[]): IntegrationState {
  const primary = defaultCredential(credentials)!;
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

/** Turns a user state into JSON text: the route's own serializer, so its answer schema decides what leaves. */
export type SerializeUserState = (state: UserState) => string;

/**
 * GET and PATCH /sdk/me, as JSON text: `{ authenticated, userId, integrations: { <type>: ... }, meta }`, plus project
 * and resources. Only what the token's JWT permissions show: its accounts, and integrations offered to it or holding
 * one of its accounts.
 *
 * In a large catalog most integrations hold none of the user's accounts, and their state is the same for every
 * user. So `serialize` turns only the user's own states into text, and the others come from text made once per
 * cached catalog (a change to the project's integrations makes a new one), spliced into the `integrations` object.
 * At 500 integrations that is 54 KB the call no longer builds and serializes.
 */
export async function userStateAnswer(context: AppContext, project: Project, user: ConnectedUser, permissions: TokenPermissions, serialize: SerializeUserState): Promise<string> {
  const [catalog, rows] = await Promise.all([projectCatalog(context, project.id), userCredentialRows(context, { projectId: project.id, connectedUserId: user.id })]);
  const byIntegration = new Map<string, Credential[]>();
  for (const credential of rows.map(toCredential)) {
    byIntegration.set(credential.integrationId, [...(byIntegration.get(credential.integrationId) ?? []), credential]);
  }
  const connected: Record<string, IntegrationState> = {};
  const notConnected: string[] = [];
  const texts = notConnectedTexts(catalog, serialize);
  for (const integration of catalog.all) {
    if (!integration.isActive) continue;
    const visible = visibleCredentials(permissions, integration.type, byIntegration.get(integration.id) ?? []);
    if (visible.length > 0) connected[integration.type] = integrationState(visible);
    else if (integrationVisible(permissions, integration.type)) notConnected.push(texts.get(integration.type)!);
  }
  const text = serialize(userState(project, user, connected));
  return notConnected.length === 0 ? text : spliceIntoIntegrations(text, notConnected.join(','));
}

function userState(project: Pick<Project, 'id' | 'name'>, user: Pick<ConnectedUser, 'userId' | 'meta'>, integrations: Record<string, IntegrationState>): UserState {
  return {
    authenticated: true,
    userId: user.userId,
    integrations,
    meta: user.meta,
    project: { id: project.id, name: project.name, accessibleFeatures: [...ACCESSIBLE_FEATURES] },
    resources: [],
  };
}

/**
 * The serialized answer opens with `{"authenticated":true,"userId":"…","integrations":{`, in its schema's order. The
 * first `"integrations":{` in it is that key: inside the user id's string every quote is escaped.
 */
const INTEGRATIONS_OPEN = '"integrations":{';

function spliceIntoIntegrations(text: string, members: string): string {
  const at = text.indexOf(INTEGRATIONS_OPEN) + INTEGRATIONS_OPEN.length;
  return `${text.slice(0, at)}${members}${text[at] === '}' ? '' : ','}${text.slice(at)}`;
}

/** `"<type>":<not-connected state>` for each of the catalog's integrations, made once per cached catalog. */
const notConnectedByCatalog = new WeakMap<ProjectCatalog, Map<string, string>>();

function notConnectedTexts(catalog: ProjectCatalog, serialize: SerializeUserState): Map<string, string> {
  let texts = notConnectedByCatalog.get(catalog);
  if (!texts) {
    const state = notConnectedText(serialize);
    texts = new Map(catalog.all.map((integration) => [integration.type, `${JSON.stringify(integration.type)}:${state}`]));
    notConnectedByCatalog.set(catalog, texts);
  }
  return texts;
}

/** The not-connected state as the route's serializer writes it: taken from an answer with only that state in it. */
function notConnectedText(serialize: SerializeUserState): string {
  const text = serialize(userState({ id: '', name: '' }, { userId: '', meta: {} }, { x: NOT_CONNECTED }));
  const start = text.indexOf(`${INTEGRATIONS_OPEN}"x":`) + INTEGRATIONS_OPEN.length + '"x":'.length;
  return text.slice(start, text.indexOf('},"meta":', start));
}
