import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoIn, isoNow } from '../src/clock.js';
import { REFRESH_CREDENTIAL_QUEUE } from '../src/credentials/refresh-job.js';
import { pgBossSchemaName } from '../src/jobs/pg-boss-queue.js';
import { credentialEvents, credentialRow, eventually, sandboxTokenRequests, setTokenExpiry, storedSecrets } from './support/proxy.js';
import { connectSandbox, newUser, postedResult } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

/**
 * A background refresh whose worker died after the sandbox (which rotates refresh tokens) answered, but before the
 * new tokens were stored: the stored refresh token is spent. The job is taken over and runs again.
 */
describe.each(testDatabases)('a token refresh job taken over after a crash, on %s', (database) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(database, { SWITCHBOARD_REFRESH_SWEEP_SECONDS: '0' });
  });
  afterAll(async () => server?.close());

  /** A sandbox account whose token nears expiry, and whose stored refresh token the dead worker already spent. */
  async function spentRefreshToken(login: string): Promise<string> {
    const credentialId = postedResult((await connectSandbox(server, newUser('takeover'), { login })).page).credentialId as string;
    const { refreshToken } = await storedSecrets(server, credentialId);
    const rotated = await fetch(`${server.url}/sandbox/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken!, client_id: 'sandbox-client', client_secret: 'sandbox-secret' }),
    });
    expect(rotated.status).toBe(200);
    // Within the background look-ahead, so the job does refresh.
    await setTokenExpiry(server, credentialId, 300);
    return credentialId;
  }

  /** A refresh job as the queue holds it once its worker died mid-run: the next run is its second attempt. */
  async function jobTakenOverAfterCrash(credentialId: string): Promise<{ ranAgain: () => Promise<boolean> }> {
    const db = server.server.context.db;
    if (database === 'sqlite') {
      const id = `crashed-${credentialId}`;
      await db
        .insertInto('jobs')
        .values({
          id,
          queue: REFRESH_CREDENTIAL_QUEUE,
          data: JSON.stringify({ credentialId }),
          state: 'active',
          run_after: isoNow(),
          attempts: 1,
          retry_limit: 5,
          retry_delay_seconds: 30,
          locked_until: isoIn(-1),
          created_at: isoNow(),
        })
        .execute();
      return {
        ranAgain: async () => {
          const row = await db.selectFrom('jobs').select(['attempts', 'state']).where('id', '=', id).executeTakeFirstOrThrow();
          return row.attempts === 2 && row.state !== 'active';
        },
      };
    }
    // pg-boss: a job started before and put back by its expiry (as pg-boss does when a worker dies) is fetched as
    // a retry.
    const id = await server.server.jobs!.send(REFRESH_CREDENTIAL_QUEUE, { credentialId }, { startAfterSeconds: 3600, retryLimit: 5, retryDelaySeconds: 30 });
    const schema = (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]!.schema;
    const jobs = sql.table(`${pgBossSchemaName(schema)}.job`);
    await sql`update ${jobs} set state = 'retry', started_on = now() - interval '20 minutes', start_after = now() where id = ${id}`.execute(db);
    return {
      ranAgain: async () => {
        const { rows } = await sql<{ retry_count: number; state: string }>`select retry_count, state from ${jobs} where id = ${id}`.execute(db);
        return rows[0]!.retry_count === 1 && rows[0]!.state !== 'active';
      },
    };
  }

  it('does not invalidate the credential when the provider refuses the replayed refresh token', async () => {
    const credentialId = await spentRefreshToken('takeover@example.com');
    const before = (await sandboxTokenRequests(server.url)).refresh_token;
    const job = await jobTakenOverAfterCrash(credentialId);

    await eventually('the taken-over job to run again', job.ranAgain, 20_000);
    expect((await sandboxTokenRequests(server.url)).refresh_token).toBeGreaterThan(before);
    expect((await credentialRow(server, credentialId)).status).toBe('VALID');
    expect((await credentialEvents(server, credentialId)).map((e) => e.event)).not.toContain('invalidated');
  });

  it('while a first run that meets the same refusal does invalidate it: the grant is dead', async () => {
    const credentialId = await spentRefreshToken('first-run@example.com');
    await server.server.jobs!.send(REFRESH_CREDENTIAL_QUEUE, { credentialId }, { retryLimit: 5, retryDelaySeconds: 30 });
    await eventually('the credential to be invalidated', async () => (await credentialRow(server, credentialId)).status === 'INVALID', 20_000);
    expect((await credentialEvents(server, credentialId)).find((e) => e.event === 'invalidated')?.detail).toMatchObject({ reason: 'invalid_grant' });
  });
});
