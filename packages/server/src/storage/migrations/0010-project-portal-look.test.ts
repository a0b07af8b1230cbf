import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createScratchSchema, type ScratchSchema } from '../../../../../bench/src/lib/postgres-schema.js';
import * as initial from './0001-initial.js';
import * as proxyAndJobs from './0002-proxy-and-jobs.js';
import * as browserBoundOAuth from './0003-browser-bound-oauth.js';
import * as oauthSeenCredentials from './0004-oauth-seen-credentials.js';
import * as workflows from './0005-workflows.js';
import * as workflowEnablements from './0006-workflow-enablements.js';
import * as webhooks from './0007-webhooks.js';
import * as workflowRunRetention from './0008-workflow-run-retention.js';
import * as workflowRunSlots from './0009-workflow-run-slots.js';
import * as projectPortalLook from './0010-project-portal-look.js';

const before = [initial, proxyAndJobs, browserBoundOAuth, oauthSeenCredentials, workflows, workflowEnablements, webhooks, workflowRunRetention, workflowRunSlots];
const dialects = process.env.TEST_DATABASE_URL ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);

describe.each(dialects)('migration 0010: the project portal look, on %s', (dialect) => {
  let db: Kysely<any> | undefined;
  let scratch: ScratchSchema | undefined;
  afterEach(async () => {
    await db?.destroy();
    await scratch?.drop();
    db = scratch = undefined;
  });

  async function open(): Promise<Kysely<any>> {
    if (dialect === 'sqlite') {
      const sqlite = new SQLite(':memory:');
      sqlite.pragma('foreign_keys = ON');
      return new Kysely<any>({ dialect: new SqliteDialect({ database: sqlite }) });
    }
    scratch = await createScratchSchema(process.env.TEST_DATABASE_URL!, 'sb_migration');
    return new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: scratch.url, max: 2 }) }) });
  }

  it('keeps existing projects as they were, with no look of their own, takes a look, and goes back down', async () => {
    db = await open();
    for (const migration of before) await migration.up(db);
    const at = '2026-12-01T10:00:00.000Z';
    await db.insertInto('projects').values({ id: 'p', name: 'P', created_at: at, updated_at: at }).execute();

    await projectPortalLook.up(db);
    const look = (id: string) =>
      db!.selectFrom('projects').select(['name', 'portal_accent_color', 'portal_theme', 'portal_font_family']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(await look('p')).toEqual({ name: 'P', portal_accent_color: null, portal_theme: null, portal_font_family: null });
    await db.updateTable('projects').set({ portal_accent_color: '#0a7', portal_theme: 'dark', portal_font_family: 'Inter, sans-serif' }).where('id', '=', 'p').execute();
    expect(await look('p')).toEqual({ name: 'P', portal_accent_color: '#0a7', portal_theme: 'dark', portal_font_family: 'Inter, sans-serif' });

    await projectPortalLook.down(db);
    expect(await db.selectFrom('projects').selectAll().where('id', '=', 'p').executeTakeFirstOrThrow()).not.toHaveProperty('portal_theme');
  });
});
