import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import * as initial from './0001-initial.js';
import * as proxyAndJobs from './0002-proxy-and-jobs.js';
import * as browserBoundOAuth from './0003-browser-bound-oauth.js';
import * as oauthSeenCredentials from './0004-oauth-seen-credentials.js';
import * as workflows from './0005-workflows.js';
import * as workflowEnablements from './0006-workflow-enablements.js';

describe('migration 0006: workflow enablements', () => {
  let db: Kysely<any> | undefined;
  afterEach(async () => db?.destroy());

  it('keeps every account enabled before it running: one enabled row per enabled workflow, since the config last changed', async () => {
    const sqlite = new SQLite(':memory:');
    sqlite.pragma('foreign_keys = ON');
    db = new Kysely<any>({ dialect: new SqliteDialect({ database: sqlite }) });
    for (const migration of [initial, proxyAndJobs, browserBoundOAuth, oauthSeenCredentials, workflows]) await migration.up(db);
    const at = '2026-11-30T10:00:00.000Z';
    await db.insertInto('projects').values({ id: 'p', name: 'P', created_at: at, updated_at: at }).execute();
    await db.insertInto('integrations').values({ id: 'i', project_id: 'p', type: 'sandbox', created_at: at, updated_at: at }).execute();
    await db.insertInto('connected_users').values({ id: 'u', project_id: 'p', external_id: 'user-1', created_at: at, updated_at: at }).execute();
    for (const id of ['w1', 'w2']) {
      await db.insertInto('workflows').values({ id, project_id: 'p', integration_id: 'i', latest_version: 1, created_at: at, updated_at: at }).execute();
    }
    const credential = (id: string, config: unknown, updatedAt: string) => ({
      id,
      project_id: 'p',
      connected_user_id: 'u',
      integration_id: 'i',
      status: 'VALID',
      secrets_sealed: 'sealed',
      config: typeof config === 'string' ? config : JSON.stringify(config),
      created_at: at,
      updated_at: updatedAt,
    });
    await db
      .insertInto('credentials')
      .values([
        // w1 enabled, w2 turned off, and a workflow id that no longer exists.
        credential('c1', { configuredWorkflows: { w1: { enabled: true }, w2: { enabled: false }, gone: { enabled: true } } }, '2026-11-30T11:00:00.000Z'),
        credential('c2', { configuredWorkflows: { w2: { enabled: true, settings: { label: 'x' } } } }, '2026-11-30T12:00:00.000Z'),
        credential('c3', 'not json', at),
      ])
      .execute();

    await workflowEnablements.up(db);
    const rows = await db.selectFrom('workflow_enablements').selectAll().orderBy('credential_id').execute();
    expect(rows.map((row) => [row.credential_id, row.workflow_id, row.enabled, row.enabled_at, row.webhook_token_sealed])).toEqual([
      ['c1', 'w1', 1, '2026-11-30T11:00:00.000Z', null],
      ['c2', 'w2', 1, '2026-11-30T12:00:00.000Z', null],
    ]);
    // Placeholder hashes nobody holds a token for, distinct so the unique index holds.
    expect(new Set(rows.map((row) => row.webhook_token_hash)).size).toBe(2);
    // Removing an account removes its rows.
    await db.deleteFrom('credentials').where('id', '=', 'c1').execute();
    expect(await db.selectFrom('workflow_enablements').select('credential_id').execute()).toEqual([{ credential_id: 'c2' }]);
  });
});
