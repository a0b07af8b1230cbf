import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgresCluster, type PostgresCluster } from './support/postgres-cluster.js';
import { connectApiKey, eventually } from './support/proxy.js';
import { expectError, newUser } from './support/sdk-flows.js';
import { startTestServer, type TestServer } from './support/test-server.js';

interface Answer {
  status: number;
  code: string | null;
}

/**
 * Postgres restarting under traffic: a cluster of the test's own (the shared one is never stopped), a server and its
 * pg-boss job queue on it.
 */
describe.runIf(process.env.TEST_DATABASE_URL)('a Postgres restart during traffic', () => {
  let cluster: PostgresCluster | undefined;
  let server: TestServer | undefined;

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    server = await startTestServer('postgres', { DATABASE_URL: cluster.url });
  }, 120_000);
  afterAll(async () => {
    try {
      await server?.close();
    } finally {
      await cluster?.destroy();
    }
  });

  it('answers 503 DATABASE_UNAVAILABLE while Postgres is down and serves again once it is back; the job queue too', async () => {
    const live = server!;
    const sub = newUser('restart');
    await connectApiKey(live, sub, 'sandbox-apikey', 'sbx_restart');

    const answers: Answer[] = [];
    let running = true;
    const traffic = (async () => {
      while (running) {
        try {
          const response = await live.sdk(sub, '/me');
          await response.arrayBuffer();
          answers.push({ status: response.status, code: response.headers.get('x-switchboard-error') });
        } catch {
          // The connection itself failed: the server did not answer.
          answers.push({ status: 0, code: null });
        }
      }
    })();

    try {
      await eventually('traffic to be served', () => answers.some((a) => a.status === 200));
      await cluster!.stop();
      await eventually('a request to meet the database down', () => answers.slice(-1)[0]?.status === 503, 20_000);
      const down = await live.sdk(sub, '/me');
      expect(down.headers.get('retry-after')).toBe('5');
      await expectError(down, 503, 'DATABASE_UNAVAILABLE');

      await cluster!.start();
      const servedAgain = answers.length;
      await eventually('traffic to be served again', () => answers.slice(servedAgain).some((a) => a.status === 200), 30_000);
    } finally {
      running = false;
      await traffic;
    }

    // Every answer was a 200 or that 503: no 500, no connection the server dropped.
    const others = answers.filter((a) => a.status !== 200 && !(a.status === 503 && a.code === 'DATABASE_UNAVAILABLE'));
    expect(others).toEqual([]);
    expect((await live.sdk(sub, '/me')).status).toBe(200);
    expect(live.logs.join('')).toContain('database connection lost');

    // pg-boss rode it out as well: a job sent now is handled.
    let handled = 0;
    await live.server.jobs!.work('restart-probe', async () => {
      handled += 1;
    });
    await live.server.jobs!.send('restart-probe', {});
    await eventually('the job queue to handle a job', () => handled === 1, 30_000);
  });
});
