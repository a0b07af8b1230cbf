import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Workflow as WorkflowView, WorkflowDefinition, WorkflowVersion } from '@switchboard/wire';
import { isoNow } from '../clock.js';
import type { AppContext } from '../app-context.js';
import { deepFreeze, parseJson } from '../json.js';
import type { Database } from '../storage/schema.js';

/**
 * Workflows and their versions. Every write of a definition appends a version (unless it is the same definition as
 * the latest, so pushing the same file twice changes nothing); publishing points `published_version` at one, and
 * rolling back points it at an earlier one. Runs use the published version only.
 */

/** The JSON a definition is compared and stored as: keys sorted, so key order in a file never makes a new version. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

type Db = Kysely<Database>;
/** What a write needs besides the database: the caches it makes stale. */
type Writer = Pick<AppContext, 'db' | 'caches'>;

/**
 * After any write to a project's workflows (in the writer's transaction when given, so other instances hear of it at
 * its commit): the published workflows cached for GET /sdk/integrations are read again, here and on every instance.
 */
const workflowsChanged = (context: Writer, projectId: string, db: Db = context.db) => context.caches.changed(db, 'published-workflows', projectId);

/** A workflow as stored; the management API's view adds its webhook URL (workflow-management-routes.ts). */
export type Workflow = Omit<WorkflowView, 'webhookUrl'>;

function workflowQuery(db: Db) {
  return db
    .selectFrom('workflows')
    .innerJoin('workflow_versions', (join) =>
      join.onRef('workflow_versions.workflow_id', '=', 'workflows.id').onRef('workflow_versions.version', '=', 'workflows.latest_version'),
    )
    .select([
      'workflows.id as id',
      'workflows.project_id as project_id',
      'workflows.integration_id as integration_id',
      'workflows.is_active as is_active',
      'workflows.published_version as published_version',
      'workflows.latest_version as latest_version',
      'workflows.created_at as created_at',
      'workflows.updated_at as updated_at',
      'workflow_versions.definition as definition',
    ]);
}

type WorkflowRow = Awaited<ReturnType<ReturnType<typeof workflowQuery>['executeTakeFirstOrThrow']>>;

const toWorkflow = (row: WorkflowRow): Workflow => ({
  id: row.id,
  projectId: row.project_id,
  integrationId: row.integration_id,
  isActive: row.is_active === 1,
  publishedVersion: row.published_version,
  latestVersion: row.latest_version,
  definition: parseJson<WorkflowDefinition>(row.definition, undefined as never),
  dateCreated: row.created_at,
  dateUpdated: row.updated_at,
});

export async function listWorkflows(db: Db, projectId: string, filter: { integrationId?: string } = {}): Promise<Workflow[]> {
  let query = workflowQuery(db).where('workflows.project_id', '=', projectId);
  if (filter.integrationId) query = query.where('workflows.integration_id', '=', filter.integrationId);
  return (await query.orderBy('workflows.created_at').orderBy('workflows.id').execute()).map(toWorkflow);
}

export async function findWorkflow(db: Db, projectId: string, id: string): Promise<Workflow | undefined> {
  const row = await workflowQuery(db).where('workflows.project_id', '=', projectId).where('workflows.id', '=', id).executeTakeFirst();
  return row && toWorkflow(row);
}

export async function createWorkflow(context: Writer, projectId: string, integrationId: string, definition: WorkflowDefinition): Promise<Workflow> {
  const { db } = context;
  const id = randomUUID();
  const now = isoNow();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('workflows')
      .values({ id, project_id: projectId, integration_id: integrationId, is_active: 1, published_version: null, latest_version: 1, created_at: now, updated_at: now })
      .execute();
    await trx.insertInto('workflow_versions').values({ workflow_id: id, version: 1, definition: canonicalJson(definition), created_at: now, published_at: null }).execute();
    await workflowsChanged(context, projectId, trx);
  });
  return (await findWorkflow(db, projectId, id))!;
}

/**
 * Writes a new draft: a new version after the latest, unless the definition is the latest one already. The number
 * is taken by an atomic increment, so two concurrent writes get two versions and neither is lost.
 */
export async function saveDraft(context: Writer, workflow: Workflow, integrationId: string, definition: WorkflowDefinition): Promise<{ workflow: Workflow; changed: boolean }> {
  const { db } = context;
  const text = canonicalJson(definition);
  if (text === canonicalJson(workflow.definition) && integrationId === workflow.integrationId) return { workflow, changed: false };
  const now = isoNow();
  await db.transaction().execute(async (trx) => {
    const { latest_version: version } = await trx
      .updateTable('workflows')
      .set((eb) => ({ latest_version: eb('latest_version', '+', 1), integration_id: integrationId, updated_at: now }))
      .where('id', '=', workflow.id)
      .returning('latest_version')
      .executeTakeFirstOrThrow();
    await trx.insertInto('workflow_versions').values({ workflow_id: workflow.id, version, definition: text, created_at: now, published_at: null }).execute();
    await workflowsChanged(context, workflow.projectId, trx);
  });
  return { workflow: (await findWorkflow(db, workflow.projectId, workflow.id))!, changed: true };
}

/** Makes `version` the one that runs. */
export async function publishVersion(context: Writer, workflow: Workflow, version: number): Promise<Workflow> {
  const { db } = context;
  const now = isoNow();
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('workflow_versions').set({ published_at: now }).where('workflow_id', '=', workflow.id).where('version', '=', version).execute();
    await trx.updateTable('workflows').set({ published_version: version, updated_at: now }).where('id', '=', workflow.id).execute();
    await workflowsChanged(context, workflow.projectId, trx);
  });
  return (await findWorkflow(db, workflow.projectId, workflow.id))!;
}

export async function setWorkflowActive(context: Writer, workflow: Workflow, isActive: boolean): Promise<Workflow> {
  await context.db.updateTable('workflows').set({ is_active: isActive ? 1 : 0, updated_at: isoNow() }).where('id', '=', workflow.id).execute();
  await workflowsChanged(context, workflow.projectId);
  return (await findWorkflow(context.db, workflow.projectId, workflow.id))!;
}

export async function deleteWorkflow(context: Writer, projectId: string, id: string): Promise<boolean> {
  const result = await context.db.deleteFrom('workflows').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
  await workflowsChanged(context, projectId);
  return Number(result.numDeletedRows) > 0;
}

/** The history, newest first. */
export async function listVersions(db: Db, workflow: Workflow): Promise<WorkflowVersion[]> {
  const rows = await db.selectFrom('workflow_versions').selectAll().where('workflow_id', '=', workflow.id).orderBy('version', 'desc').execute();
  return rows.map((row) => ({
    version: row.version,
    definition: parseJson<WorkflowDefinition>(row.definition, undefined as never),
    dateCreated: row.created_at,
    datePublished: row.published_at,
    isPublished: row.version === workflow.publishedVersion,
  }));
}

/** One version's definition (the published one, for runs and the SDK). */
export async function definitionAt(db: Db, workflowId: string, version: number): Promise<WorkflowDefinition | undefined> {
  const row = await db.selectFrom('workflow_versions').select('definition').where('workflow_id', '=', workflowId).where('version', '=', version).executeTakeFirst();
  return row && parseJson<WorkflowDefinition>(row.definition, undefined as never);
}

export async function versionExists(db: Db, workflowId: string, version: number): Promise<boolean> {
  return (await db.selectFrom('workflow_versions').select('version').where('workflow_id', '=', workflowId).where('version', '=', version).executeTakeFirst()) !== undefined;
}

/** The published definitions of a project's active workflows, for the SDK's listings. */
export async function publishedWorkflows(
  db: Db,
  projectId: string,
): Promise<{ id: string; integrationId: string; version: number; definition: WorkflowDefinition; dateCreated: string; dateUpdated: string }[]> {
  const rows = await db
    .selectFrom('workflows')
    .innerJoin('workflow_versions', (join) =>
      join.onRef('workflow_versions.workflow_id', '=', 'workflows.id').onRef('workflow_versions.version', '=', 'workflows.published_version'),
    )
    .select([
      'workflows.id as id',
      'workflows.integration_id as integration_id',
      'workflow_versions.version as version',
      'workflow_versions.definition as definition',
      'workflows.created_at as created_at',
      'workflows.updated_at as updated_at',
    ])
    .where('workflows.project_id', '=', projectId)
    .where('workflows.is_active', '=', 1)
    .orderBy('workflows.created_at')
    .orderBy('workflows.id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    integrationId: row.integration_id,
    version: row.version,
    definition: parseJson<WorkflowDefinition>(row.definition, undefined as never),
    dateCreated: row.created_at,
    dateUpdated: row.updated_at,
  }));
}

/**
 * The published workflows from memory when warm (one query when cold), frozen: GET /sdk/integrations lists them on
 * every call. Every write above drops them (workflowsChanged).
 */
export function cachedPublishedWorkflows(context: Pick<AppContext, 'db' | 'caches'>, projectId: string): ReturnType<typeof publishedWorkflows> {
  return context.caches.get('published-workflows', projectId, async () => deepFreeze(await publishedWorkflows(context.db, projectId)));
}
