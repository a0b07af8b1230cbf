import { randomUUID } from 'node:crypto';
import { actionProblems, defineIntegration, fillPlaceholders, isValidInputPattern, postInstallInputProblems, templatePlaceholders, type InputField, type IntegrationAction, type IntegrationDefinition } from '@switchboard/catalog';
import type { Kysely } from 'kysely';
import { isoNow } from '../clock.js';
import { isLoopbackHttp } from '../providers/http.js';
import { apiError } from '../errors.js';
import { parseJson } from '../json.js';
import type { SecretBox } from '../secrets/envelope.js';
import type { Database } from '../storage/schema.js';
import type { CustomIntegrationInput } from '@switchboard/wire';
import { inputSchemaProblem } from './action-inputs.js';
import { sealClientSecret } from './integration-store.js';
import { invalidSvgIcon } from './svg-icon.js';

/**
 * Custom integrations: a project describes any API with a public interface, at run time, in the same schema as
 * the built-in catalog (custom-integrations.md). They are addressed as `custom.<slug>`.
 */
export type { CustomIntegrationInput };

export const customType = (slug: string) => `custom.${slug}`;

// Inputs used in URLs must be constrained so a user cannot steer a request to another host.
const SAFE_URL_INPUT = '^[A-Za-z0-9][A-Za-z0-9-]{0,62}$';

function parseHeaderTemplate(template: string): { name: string; value: string } {
  const match = template.match(/^\s*([A-Za-z0-9-]+)\s*:\s*(.+?)\s*$/);
  if (!match) throw apiError('INVALID_API_AUTHORIZATION', 'apiAuthorization must look like "Header-Name: value {{accessToken}}"', { field: 'apiAuthorization' });
  return { name: match[1]!, value: match[2]! };
}

function absoluteUrl(field: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(fillPlaceholders(value, () => 'x'));
  } catch {
    throw apiError('INVALID_URL', `${field} must be an absolute http(s) URL`, { field });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw apiError('INVALID_URL', `${field} must be an absolute http(s) URL`, { field });
  }
  return url;
}

/** Token requests carry the client secret: the engine sends them over https only (plain http to this machine). */
function tokenUrl(field: string, value: string): void {
  const url = absoluteUrl(field, value);
  if (url.protocol !== 'https:' && !isLoopbackHttp(url)) {
    throw apiError('INVALID_URL', `${field} must be an https URL`, { field });
  }
}

/**
 * The API base URL and an absolute test endpoint carry the user's credential on every call: https only, or plain
 * http to this machine (localhost, 127.0.0.0/8, [::1]) in a project that allows private upstreams.
 */
function apiUrl(field: string, value: string, allowPrivateUpstreams: boolean): void {
  const url = absoluteUrl(field, value);
  if (url.protocol === 'https:' || (allowPrivateUpstreams && isLoopbackHttp(url))) return;
  const why = allowPrivateUpstreams
    ? 'plain http only to this machine (localhost, 127.0.0.1, [::1])'
    : 'plain http to this machine needs a project that allows private upstreams';
  throw apiError('INVALID_URL', `${field} must be an https URL (${why})`, { field });
}

/** Refuses an input pattern that is no regular expression (as the engine compiles it): it would fail every install. */
function checkPatterns(input: CustomIntegrationInput): void {
  const auth = input.auth;
  const [path, fields] = auth.type === 'api-key' ? ['auth.fields', auth.fields] : auth.type === 'oauth2' ? ['auth.inputFields', auth.inputFields ?? []] : ['', []];
  const lists: [string, InputField[]][] = [[path, fields], ['postInstallInputs', input.postInstallInputs ?? []]];
  for (const [listPath, list] of lists) {
    list.forEach((field, index) => {
      if (field.pattern === undefined || isValidInputPattern(field.pattern)) return;
      throw apiError('INVALID_PATTERN', `${listPath}.${index}.pattern is not a valid regular expression`, { field: `${listPath}.${index}.pattern` });
    });
  }
}

/** Post-install inputs are plain settings: refused when secret, a select without options, or a repeated id. */
function checkPostInstallInputs(input: CustomIntegrationInput): void {
  const [problem] = postInstallInputProblems(input.postInstallInputs ?? []);
  if (!problem) return;
  const field = ['postInstallInputs', problem.index, problem.property].filter((part) => part !== undefined).join('.');
  throw apiError('INVALID_POST_INSTALL_INPUT', `${field}: ${problem.message}`, { field });
}

/** Refuses a `{{name}}` the engine could never fill (it would fail every install), naming the field it is in. */
function checkPlaceholders(input: CustomIntegrationInput): void {
  const auth = input.auth;
  const fieldIds =
    auth.type === 'api-key' ? auth.fields.map((f) => f.id) : auth.type === 'oauth2' ? (auth.inputFields ?? []).map((f) => f.id) : ['clientId', 'clientSecret'];
  const known = (name: string) =>
    name === 'serverUrl' || name.startsWith('providerData.') || fieldIds.includes(name) || (name === 'accessToken' && auth.type !== 'api-key');
  const templates: [string, string][] = [
    ['apiBaseUrl', input.apiBaseUrl],
    ['apiAuthorization', input.apiAuthorization],
    ['testEndpointUrl', input.testEndpointUrl],
  ];
  if (auth.type !== 'api-key') templates.push(['auth.tokenUrl', auth.tokenUrl]);
  if (auth.type === 'oauth2') templates.push(['auth.authorizeUrl', auth.authorizeUrl]);
  for (const [field, template] of templates) {
    for (const name of templatePlaceholders(template)) {
      if (!known(name)) {
        throw apiError('UNKNOWN_PLACEHOLDER', `${field}: {{${name}}} is not an input field of this integration or a known value`, { field });
      }
    }
  }
}

/** Actions are declared as in the catalog (define-action.ts); their input schemas must compile. */
function checkActions(input: CustomIntegrationInput): void {
  const actions = (input.actions ?? []) as IntegrationAction[];
  const [problem] = actionProblems(actions);
  if (problem) throw apiError('INVALID_ACTION', problem.message, { field: `actions.${problem.index}.${problem.field}` });
  actions.forEach((action, index) => {
    const schemaProblem = inputSchemaProblem(action.inputSchema);
    if (schemaProblem) throw apiError('INVALID_ACTION', `action ${action.name}: inputSchema ${schemaProblem}`, { field: `actions.${index}.inputSchema` });
  });
}

/** The project a custom integration is defined in, as far as checking its definition goes. */
export interface DefiningProject {
  allowPrivateUpstreams: boolean;
}

/** Turns the customer's input into a catalog definition, refusing anything the engine could not run safely. */
export function toDefinition(input: CustomIntegrationInput, project: DefiningProject): IntegrationDefinition {
  const iconProblem = invalidSvgIcon(input.iconSvg);
  if (iconProblem) throw apiError('INVALID_ICON', `iconSvg ${iconProblem}`, { field: 'iconSvg' });
  apiUrl('apiBaseUrl', input.apiBaseUrl, project.allowPrivateUpstreams);
  const header = parseHeaderTemplate(input.apiAuthorization);
  // A relative test endpoint is joined to apiBaseUrl by the engine (as text), so it shares its scheme and host.
  const testUrl = input.testEndpointUrl;
  if (/^[a-z][a-z0-9+.-]*:/i.test(testUrl)) apiUrl('testEndpointUrl', testUrl, project.allowPrivateUpstreams);
  checkPlaceholders(input);
  checkPatterns(input);
  checkPostInstallInputs(input);
  checkActions(input);

  // A field the API authorization carries is a credential, whatever type it was declared with: it is stored sealed.
  const authorizationFields = new Set(templatePlaceholders(input.apiAuthorization));
  const sealIfCredential = (field: InputField): InputField => (authorizationFields.has(field.id) ? { ...field, secret: true } : field);

  const auth = input.auth;
  let definitionAuth: IntegrationDefinition['auth'];
  if (auth.type === 'oauth2') {
    absoluteUrl('auth.authorizeUrl', auth.authorizeUrl);
    tokenUrl('auth.tokenUrl', auth.tokenUrl);
    definitionAuth = {
      kind: 'oauth2',
      authorizeUrl: auth.authorizeUrl,
      tokenUrl: auth.tokenUrl,
      scopes: auth.scopes ?? [],
      ...(auth.scopeSeparator !== undefined && { scopeSeparator: auth.scopeSeparator }),
      pkce: auth.pkce ?? true,
      preOAuthInputs: (auth.inputFields ?? []).map((field) => sealIfCredential({ ...field, pattern: field.pattern ?? SAFE_URL_INPUT })),
    };
  } else if (auth.type === 'api-key') {
    definitionAuth = { kind: 'api-key', fields: auth.fields.map(sealIfCredential) };
  } else {
    tokenUrl('auth.tokenUrl', auth.tokenUrl);
    definitionAuth = {
      kind: 'oauth2-client-credentials',
      tokenUrl: auth.tokenUrl,
      ...(auth.scopes && { scopes: auth.scopes }),
      fields: [
        { id: 'clientId', label: 'Client ID', type: 'text', required: true },
        { id: 'clientSecret', label: 'Client Secret', type: 'password', required: true, secret: true },
      ],
    };
  }

  try {
    return defineIntegration({
      type: customType(input.slug),
      name: input.name,
      description: input.description ?? '',
      brandColor: input.accentColor,
      iconSvg: input.iconSvg,
      auth: definitionAuth,
      api: {
        baseUrl: input.apiBaseUrl.replace(/\/+$/, ''),
        authorization: { type: 'header', name: header.name, value: header.value },
      },
      identity: {
        url: testUrl,
        method: 'GET',
        ...(input.providerIdPath && { providerIdPath: input.providerIdPath }),
      },
      ...(input.postInstallInputs && input.postInstallInputs.length > 0 && { postInstallInputs: input.postInstallInputs }),
      ...(input.actions && input.actions.length > 0 && { actions: input.actions as IntegrationAction[] }),
    });
  } catch (error) {
    throw apiError('INVALID_CUSTOM_INTEGRATION', (error as Error).message, {}, { cause: error });
  }
}

export interface StoredCustomIntegration {
  id: string;
  slug: string;
  integrationId: string;
  definition: IntegrationDefinition;
  dateCreated: string;
  dateUpdated: string;
}

/** Creates the custom integration and its (active) integration row in one transaction. */
export async function createCustomIntegration(
  db: Kysely<Database>,
  secrets: SecretBox,
  projectId: string,
  input: CustomIntegrationInput,
  project: DefiningProject,
): Promise<{ id: string; integrationId: string; type: string }> {
  const definition = toDefinition(input, project);
  const existing = await db
    .selectFrom('custom_integrations')
    .select('id')
    .where('project_id', '=', projectId)
    .where('slug', '=', input.slug)
    .executeTakeFirst();
  if (existing) throw apiError('CUSTOM_INTEGRATION_EXISTS', `custom.${input.slug} already exists in this project`);

  const now = isoNow();
  const id = randomUUID();
  const integrationId = randomUUID();
  const oauth = input.auth.type === 'oauth2' ? input.auth : undefined;
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('custom_integrations')
      .values({ id, project_id: projectId, slug: input.slug, definition: JSON.stringify(definition), created_at: now, updated_at: now })
      .execute();
    await trx
      .insertInto('integrations')
      .values({
        id: integrationId,
        project_id: projectId,
        type: definition.type,
        custom_integration_id: id,
        is_active: 1,
        client_id: oauth?.clientId ?? null,
        client_secret_sealed: oauth ? sealClientSecret(secrets, integrationId, oauth.clientSecret) : null,
        scopes: null,
        portal_config: JSON.stringify({ description: definition.description, accentColor: definition.brandColor }),
        created_at: now,
        updated_at: now,
      })
      .execute();
  });
  return { id, integrationId, type: definition.type };
}

/** Replaces the definition (the slug stays); OAuth client details change with it. */
export async function updateCustomIntegration(
  db: Kysely<Database>,
  secrets: SecretBox,
  projectId: string,
  id: string,
  input: CustomIntegrationInput,
  project: DefiningProject,
): Promise<void> {
  const row = await db
    .selectFrom('custom_integrations')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw apiError('CUSTOM_INTEGRATION_NOT_FOUND', 'No such custom integration in this project');
  if (input.slug !== row.slug) throw apiError('SLUG_IMMUTABLE', 'slug cannot change', { field: 'slug' });
  const definition = toDefinition(input, project);
  const now = isoNow();
  const oauth = input.auth.type === 'oauth2' ? input.auth : undefined;
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('custom_integrations').set({ definition: JSON.stringify(definition), updated_at: now }).where('id', '=', id).execute();
    const integration = await trx
      .selectFrom('integrations')
      .select(['id', 'portal_config'])
      .where('custom_integration_id', '=', id)
      .executeTakeFirstOrThrow();
    // The portal shows the definition's description and accent colour (copied at creation): they follow the edit.
    const portal = { ...parseJson<Record<string, unknown>>(integration.portal_config, {}), description: definition.description, accentColor: definition.brandColor };
    await trx
      .updateTable('integrations')
      .set({
        portal_config: JSON.stringify(portal),
        client_id: oauth?.clientId ?? null,
        client_secret_sealed: oauth ? sealClientSecret(secrets, integration.id, oauth.clientSecret) : null,
        updated_at: now,
      })
      .where('id', '=', integration.id)
      .execute();
  });
}

export async function deleteCustomIntegration(db: Kysely<Database>, projectId: string, id: string): Promise<boolean> {
  // Credentials and sessions of its integration row go with it (foreign keys cascade).
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom('integrations').where('project_id', '=', projectId).where('custom_integration_id', '=', id).execute();
    const result = await trx.deleteFrom('custom_integrations').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  });
}

export async function listCustomIntegrations(db: Kysely<Database>, projectId: string): Promise<StoredCustomIntegration[]> {
  const rows = await db
    .selectFrom('custom_integrations')
    .innerJoin('integrations', 'integrations.custom_integration_id', 'custom_integrations.id')
    .select([
      'custom_integrations.id as id',
      'custom_integrations.slug as slug',
      'custom_integrations.definition as definition',
      'custom_integrations.created_at as created_at',
      'custom_integrations.updated_at as updated_at',
      'integrations.id as integration_id',
    ])
    .where('custom_integrations.project_id', '=', projectId)
    .orderBy('custom_integrations.created_at')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    slug: row.slug,
    integrationId: row.integration_id,
    definition: parseJson<IntegrationDefinition>(row.definition, undefined as never),
    dateCreated: row.created_at,
    dateUpdated: row.updated_at,
  }));
}
