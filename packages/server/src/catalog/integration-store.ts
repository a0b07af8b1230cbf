import { randomUUID } from 'node:crypto';
import { findBuiltInIntegration, type IntegrationDefinition } from '@switchboard/catalog';
import type { Kysely } from 'kysely';
import type { PortalConfig as WirePortalConfig } from '@switchboard/wire';
import type { AppContext } from '../app-context.js';
import { isoNow } from '../clock.js';
import { apiError } from '../errors.js';
import { parseJson } from '../json.js';
import { sealedAad, type SecretBox } from '../secrets/envelope.js';
import type { Database, IntegrationRow } from '../storage/schema.js';
import { checkPortalAccountTypes } from './account-types.js';

/** What the Connect Portal shows for an integration and how it looks; set per project (the management API's shape). */
export type PortalConfig = WirePortalConfig;

/** A project's integration: its stored row joined with the definition the engine runs. */
export interface ProjectIntegration {
  id: string;
  projectId: string;
  type: string;
  customIntegrationId: string | null;
  isActive: boolean;
  clientId: string | null;
  hasClientSecret: boolean;
  scopes: string[] | null;
  portal: PortalConfig;
  definition: IntegrationDefinition;
  dateCreated: string;
  dateUpdated: string;
  row: IntegrationRow;
}

export const sealClientSecret = (secrets: SecretBox, integrationId: string, clientSecret: string) =>
  secrets.seal(clientSecret, sealedAad('integrations', 'client_secret_sealed', integrationId));

export function openClientSecret(secrets: SecretBox, integration: ProjectIntegration): string | undefined {
  const sealed = integration.row.client_secret_sealed;
  return sealed ? secrets.open(sealed, sealedAad('integrations', 'client_secret_sealed', integration.id)) : undefined;
}

/**
 * An OAuth integration without its project's OAuth app (client ID and secret) cannot connect anyone: end users
 * would meet a developer's error. It is refused activation and kept out of the SDK's listings.
 */
export function lacksOAuthClient(integration: Pick<ProjectIntegration, 'definition' | 'clientId' | 'hasClientSecret'>): boolean {
  return integration.definition.auth.kind === 'oauth2' && (!integration.clientId || !integration.hasClientSecret);
}

function toProjectIntegration(row: IntegrationRow, customDefinition: string | null): ProjectIntegration | undefined {
  const definition = customDefinition
    ? parseJson<IntegrationDefinition | undefined>(customDefinition, undefined)
    : findBuiltInIntegration(row.type);
  // A built-in type that a later release dropped from the catalog: not offered, not fatal.
  if (!definition) return undefined;
  return {
    id: row.id,
    projectId: row.project_id,
    type: row.type,
    customIntegrationId: row.custom_integration_id,
    isActive: row.is_active === 1,
    clientId: row.client_id,
    hasClientSecret: row.client_secret_sealed !== null,
    scopes: row.scopes === null ? null : parseJson<string[]>(row.scopes, []),
    portal: parseJson<PortalConfig>(row.portal_config, {}),
    definition,
    dateCreated: row.created_at,
    dateUpdated: row.updated_at,
    row,
  };
}

function integrationQuery(db: Kysely<Database>, projectId: string) {
  return db
    .selectFrom('integrations')
    .leftJoin('custom_integrations', 'custom_integrations.id', 'integrations.custom_integration_id')
    .selectAll('integrations')
    .select('custom_integrations.definition as custom_definition')
    .where('integrations.project_id', '=', projectId);
}

type IntegrationQueryRow = IntegrationRow & { custom_definition: string | null };
const fromQueryRow = ({ custom_definition, ...row }: IntegrationQueryRow) => toProjectIntegration(row, custom_definition);

export async function listIntegrations(
  db: Kysely<Database>,
  projectId: string,
  options: { activeOnly?: boolean } = {},
): Promise<ProjectIntegration[]> {
  let query = integrationQuery(db, projectId);
  if (options.activeOnly) query = query.where('integrations.is_active', '=', 1);
  const rows = await query.orderBy('integrations.created_at').orderBy('integrations.type').execute();
  return rows.map(fromQueryRow).filter((i): i is ProjectIntegration => i !== undefined);
}

/** A project's integrations, each definition parsed once: in listing order, and by type, id and custom integration id. */
export interface ProjectCatalog {
  all: readonly ProjectIntegration[];
  byType: ReadonlyMap<string, ProjectIntegration>;
  byId: ReadonlyMap<string, ProjectIntegration>;
  byCustomIntegrationId: ReadonlyMap<string, ProjectIntegration>;
}

/**
 * The project's integrations from memory when warm (one query and one parse of every definition, icons included,
 * when cold): what the Proxy API and the SDK's listings read on every request.
 */
export function projectCatalog(context: Pick<AppContext, 'db' | 'caches'>, projectId: string): Promise<ProjectCatalog> {
  return context.caches.get('integrations', projectId, async () => {
    const all = await listIntegrations(context.db, projectId);
    const byCustomIntegrationId = new Map<string, ProjectIntegration>();
    for (const integration of all) if (integration.customIntegrationId !== null) byCustomIntegrationId.set(integration.customIntegrationId, integration);
    return {
      all,
      byType: new Map(all.map((integration) => [integration.type, integration])),
      byId: new Map(all.map((integration) => [integration.id, integration])),
      byCustomIntegrationId,
    };
  });
}

/** projectCatalog when it is in memory (no promise); undefined when it must be read. */
export function cachedProjectCatalog(context: Pick<AppContext, 'caches'>, projectId: string): ProjectCatalog | undefined {
  return context.caches.peek('integrations', projectId);
}

/** After a write to any of the project's integrations or custom integrations, on every instance. */
export const integrationsChanged = (context: Pick<AppContext, 'db' | 'caches'>, projectId: string) => context.caches.changed(context.db, 'integrations', projectId);

/** By integrationType (`salesforce`, `custom.<slug>`) or by the integration's id. */
export async function findIntegration(
  db: Kysely<Database>,
  projectId: string,
  by: { type: string } | { id: string },
): Promise<ProjectIntegration | undefined> {
  const query = integrationQuery(db, projectId);
  const row = await ('type' in by ? query.where('integrations.type', '=', by.type) : query.where('integrations.id', '=', by.id)).executeTakeFirst();
  return row && fromQueryRow(row);
}

/** An active integration of the project, or 404: inactive integrations do not exist for end users. */
export async function requireActiveIntegration(
  db: Kysely<Database>,
  projectId: string,
  by: { type: string } | { id: string },
): Promise<ProjectIntegration> {
  const integration = await findIntegration(db, projectId, by);
  if (!integration || !integration.isActive) throw integrationNotFound('type' in by ? by.type : by.id);
  return integration;
}

/** The 404 for an integration an end user cannot reach: not in the project, inactive, or hidden by JWT permissions. */
export const integrationNotFound = (name: string) => apiError('INTEGRATION_NOT_FOUND', `Integration ${name} is not active in this project`);

export interface IntegrationSettings {
  isActive?: boolean;
  clientId?: string | null;
  clientSecret?: string | null;
  scopes?: string[] | null;
  portal?: PortalConfig;
}

/**
 * Activates, deactivates or configures a project's integration (management API, dev bootstrap). A catalog
 * integration's row is created on first use, active unless told otherwise; a custom integration's row exists since
 * its definition does, and its OAuth client is part of that definition.
 */
export async function configureIntegration(
  db: Kysely<Database>,
  secrets: SecretBox,
  projectId: string,
  type: string,
  settings: IntegrationSettings,
): Promise<ProjectIntegration> {
  const existing = await findIntegration(db, projectId, { type });
  if (type.startsWith('custom.')) {
    if (!existing) throw apiError('INTEGRATION_NOT_FOUND', `No custom integration ${type} in this project`);
    if (settings.clientId !== undefined || settings.clientSecret !== undefined) {
      throw apiError('CLIENT_IN_DEFINITION', "A custom integration's OAuth client is part of its definition: PUT custom-integrations/:id", {
        field: settings.clientId !== undefined ? 'clientId' : 'clientSecret',
      });
    }
  }
  const definition = existing?.definition ?? findBuiltInIntegration(type);
  if (!definition) throw apiError('INTEGRATION_NOT_FOUND', `${type} is not in the catalog`);
  checkOAuthClient(type, definition, existing, settings);
  checkPortalAccountTypes(type, definition, settings.portal?.accountTypes);
  const now = isoNow();
  const id = existing?.id ?? randomUUID();
  const changes = {
    ...(settings.isActive !== undefined && { is_active: settings.isActive ? 1 : 0 }),
    ...(settings.clientId !== undefined && { client_id: settings.clientId }),
    ...(settings.clientSecret !== undefined && {
      client_secret_sealed: settings.clientSecret === null ? null : sealClientSecret(secrets, id, settings.clientSecret),
    }),
    ...(settings.scopes !== undefined && { scopes: settings.scopes === null ? null : JSON.stringify(settings.scopes) }),
    ...(settings.portal !== undefined && { portal_config: JSON.stringify(settings.portal) }),
    updated_at: now,
  };
  if (existing) {
    await db.updateTable('integrations').set(changes).where('id', '=', id).execute();
  } else {
    await db
      .insertInto('integrations')
      .values({
        id,
        project_id: projectId,
        type,
        custom_integration_id: null,
        is_active: 1,
        client_id: null,
        client_secret_sealed: null,
        scopes: null,
        portal_config: '{}',
        created_at: now,
        ...changes,
      })
      .execute();
  }
  return (await findIntegration(db, projectId, { id }))!;
}

/** Refuses a change that would leave an OAuth integration active without a client ID and secret (400, naming which). */
function checkOAuthClient(type: string, definition: IntegrationDefinition, existing: ProjectIntegration | undefined, settings: IntegrationSettings): void {
  const active = settings.isActive ?? existing?.isActive ?? true;
  const after = {
    definition,
    clientId: settings.clientId !== undefined ? settings.clientId : (existing?.clientId ?? null),
    hasClientSecret: settings.clientSecret !== undefined ? settings.clientSecret !== null : (existing?.hasClientSecret ?? false),
  };
  if (!active || !lacksOAuthClient(after)) return;
  const field = after.clientId ? 'clientSecret' : 'clientId';
  throw apiError('OAUTH_CLIENT_REQUIRED', `${type} connects through OAuth: an active integration needs ${field} (your OAuth app at the provider), or isActive: false`, {
    field,
  });
}
