import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeOldCredentialEvents } from '../src/credentials/audit-log.js';
import { json, newUser } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

const DAY = 86_400_000;

/** A new user's sandbox API-key account, with a settings change: two audit-log entries. Answers the credential id. */
async function accountWithEvents(server: TestServer): Promise<string> {
  const sub = newUser('audit');
  const { id } = await json<{ id: string }>(
    await server.sdk(sub, '/credentials', { method: 'POST', json: { integrationId: 'sandbox-apikey', payload: { apiKey: `sbx_${sub.slice(-8)}` } } }),
    201,
  );
  await json(await server.sdk(sub, `/credentials/${id}`, { method: 'PATCH', json: { config: { sharedSettings: { note: 'x' } } } }));
  return id;
}

const eventsOf = async (server: TestServer, credentialId: string) =>
  (await server.server.context.db.selectFrom('credential_events').select(['event', 'created_at']).where('credential_id', '=', credentialId).orderBy('created_at').execute()).map(
    (row) => row.event,
  );

/** Moves the credential's audit-log entries `days` into the past. */
async function age(server: TestServer, credentialId: string, days: number): Promise<void> {
  const then = new Date(Date.now() - days * DAY).toISOString();
  await server.server.context.db.updateTable('credential_events').set({ created_at: then }).where('credential_id', '=', credentialId).execute();
}

describe.each(testDatabases)('credential audit-log retention, on %s', (database) => {
  let server: TestServer;

  beforeAll(async () => {
    // The periodic sweep is off here: the test calls it with a retention of its own.
    server = await startTestServer(database, { SWITCHBOARD_WORKFLOW_RUN_RETENTION_DAYS: '0', SWITCHBOARD_CREDENTIAL_EVENT_RETENTION_DAYS: '0' });
  });
  afterAll(async () => server?.close());

  it('removes entries older than the retention and keeps younger ones; 0 days removes nothing', async () => {
    const [old, young] = [await accountWithEvents(server), await accountWithEvents(server)];
    expect(await eventsOf(server, old)).toEqual(['installed', 'config_updated']);
    await age(server, old, 91);
    await age(server, young, 89);
    const { db } = server.server.context;

    expect(await removeOldCredentialEvents(db, 0)).toBe(0);
    expect(await eventsOf(server, old)).toHaveLength(2);
    expect(await removeOldCredentialEvents(db, 90)).toBe(2);
    expect(await eventsOf(server, old)).toEqual([]);
    expect(await eventsOf(server, young)).toEqual(['installed', 'config_updated']);
    // The account itself is untouched: only its history went.
    expect(await server.server.context.db.selectFrom('credentials').select('id').where('id', '=', old).execute()).toHaveLength(1);
    expect(await removeOldCredentialEvents(db, 90)).toBe(0);
  });
});

describe('credential audit-log retention sweep on its schedule', () => {
  let server: TestServer;

  beforeAll(async () => {
    // Workflow runs kept forever: the sweep still runs for the audit log.
    server = await startTestServer('sqlite', {
      SWITCHBOARD_WORKFLOW_RUN_RETENTION_DAYS: '0',
      SWITCHBOARD_CREDENTIAL_EVENT_RETENTION_DAYS: '30',
      SWITCHBOARD_WORKFLOW_RETENTION_SWEEP_SECONDS: '1',
    });
  });
  afterAll(async () => server?.close());

  it('removes entries past SWITCHBOARD_CREDENTIAL_EVENT_RETENTION_DAYS without being asked, and leaves recent ones', async () => {
    const [old, recent] = [await accountWithEvents(server), await accountWithEvents(server)];
    await age(server, old, 31);
    await age(server, recent, 29);
    await expect.poll(async () => (await eventsOf(server, old)).length, { timeout: 10_000, interval: 200 }).toBe(0);
    expect(await eventsOf(server, recent)).toHaveLength(2);
    expect(server.logs.some((line) => line.includes('removed old credential audit-log entries'))).toBe(true);
  });
});
