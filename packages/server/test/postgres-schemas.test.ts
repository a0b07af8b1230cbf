import { describe, expect, it } from 'vitest';
import { startTestServer } from './support/test-server.js';

// Regression: Kysely's migrator looked for its tables in every schema, so a second Switchboard schema in the same
// Postgres database skipped creating them and failed to start ("switchboard_migrations_lock" does not exist).
describe.skipIf(!process.env.TEST_DATABASE_URL)('Postgres schemas', () => {
  it('starts a server in a fresh schema while another schema of the same database is already migrated', async () => {
    const first = await startTestServer('postgres');
    try {
      const second = await startTestServer('postgres');
      try {
        expect(await (await fetch(`${second.url}/health`)).json()).toEqual({ status: 'ok' });
        expect((await second.sdk('someone', '/me')).status).toBe(200);
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
    }
  });
});
