import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeOldRuns } from '../src/workflows/run-retention.js';
import { management } from './support/management.js';
import { expectError, json, newUser } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

type Json = Record<string, any>;
const DAY = 86_400_000;

/** Starts runs of a published sandbox workflow for a new user and waits until each has finished. */
async function finishedRuns(server: TestServer, count: number): Promise<string[]> {
  const api = (method: string, path: string, body?: unknown) => management(server, server.secretKey, method, `/projects/${server.projectId}${path}`, body);
  await api('PUT', '/app-events/Retention%20Ping', {});
  const { id: workflowId } = await json<{ id: string }>(
    await api('POST', '/workflows', {
      name: `Retention ${newUser('wf')}`,
      integration: 'sandbox-apikey',
      trigger: { type: 'appEvent', event: 'Retention Ping' },
      steps: [
        { id: 'me', type: 'request', method: 'GET', path: '/me' },
        { id: 'count', type: 'function', code: 'function (input) { return { n: input.n }; }', input: { n: '{{trigger.payload.n}}' } },
      ],
    }),
    201,
  );
  await json(await api('POST', `/workflows/${workflowId}/publish`));
  const sub = newUser('retention');
  await json(await server.sdk(sub, '/credentials', { method: 'POST', json: { integrationId: 'sandbox-apikey', payload: { apiKey: `sbx_${sub.slice(-8)}` } } }), 201);
  await json(await server.sdk(sub, `/workflows/${workflowId}`, { method: 'POST' }));
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    const { runs } = await json<{ runs: { id: string }[] }>(await api('POST', '/app-events/Retention%20Ping/trigger', { userId: sub, payload: { n } }));
    ids.push(runs[0]!.id);
  }
  for (const id of ids) {
    for (let tries = 0; ; tries++) {
      const run = await json<Json>(await api('GET', `/workflow-runs/${id}`));
      if (run.status === 'SUCCEEDED') break;
      if (tries > 150) throw new Error(`run ${id} is still ${run.status}`);
      await sleep(100);
    }
  }
  return ids;
}

/** Moves a run (and its steps) `days` into the past, as if it had run then. */
async function age(server: TestServer, runId: string, days: number): Promise<void> {
  const then = new Date(Date.now() - days * DAY).toISOString();
  const { db } = server.server.context;
  await db.updateTable('workflow_runs').set({ created_at: then, started_at: then, finished_at: then, updated_at: then }).where('id', '=', runId).execute();
  await db.updateTable('workflow_run_steps').set({ started_at: then, finished_at: then }).where('run_id', '=', runId).execute();
}

const stepCount = async (server: TestServer, runId: string) =>
  Number((await server.server.context.db.selectFrom('workflow_run_steps').select((eb) => eb.fn.countAll().as('n')).where('run_id', '=', runId).executeTakeFirstOrThrow()).n);

describe.each(testDatabases)('workflow run retention, on %s', (database) => {
  let server: TestServer;
  const getRun = (id: string) => management(server, server.secretKey, 'GET', `/projects/${server.projectId}/workflow-runs/${id}`);

  beforeAll(async () => {
    // The periodic sweep is off here (retention 0 days): the tests call it with a clock of their own.
    server = await startTestServer(database, { SWITCHBOARD_WORKFLOW_RUN_RETENTION_DAYS: '0' });
  });
  afterAll(async () => server?.close());

  it('removes finished runs older than the retention with their step journal, and keeps younger ones', async () => {
    const [old, young] = await finishedRuns(server, 2);
    expect(await stepCount(server, old!)).toBe(2);
    const now = new Date();
    // 90 days after they ran, neither is past a 90-day retention yet (created at, not finished at, counts).
    expect(await removeOldRuns(server.server.context.db, 90, new Date(now.getTime() + 89 * DAY))).toBe(0);
    await age(server, old!, 91);

    expect(await removeOldRuns(server.server.context.db, 90, now)).toBe(1);
    await expectError(await getRun(old!), 404, 'WORKFLOW_RUN_NOT_FOUND');
    expect(await stepCount(server, old!)).toBe(0);
    const kept = await json<Json>(await getRun(young!));
    expect(kept.status).toBe('SUCCEEDED');
    expect(kept.steps.map((step: Json) => step.key)).toEqual(['me', 'count']);
    // The same sweep again has nothing left to do.
    expect(await removeOldRuns(server.server.context.db, 90, now)).toBe(0);
  });

  it('keeps an old run that has not finished (waiting on a long delay), and a retention of 0 days removes nothing', async () => {
    const [waiting, ended] = await finishedRuns(server, 2);
    await age(server, waiting!, 200);
    await age(server, ended!, 200);
    await server.server.context.db.updateTable('workflow_runs').set({ status: 'WAITING', finished_at: null }).where('id', '=', waiting!).execute();

    expect(await removeOldRuns(server.server.context.db, 0)).toBe(0);
    expect((await getRun(ended!)).status).toBe(200);
    expect(await removeOldRuns(server.server.context.db, 90)).toBe(1);
    expect((await json<Json>(await getRun(waiting!))).status).toBe('WAITING');
    await expectError(await getRun(ended!), 404, 'WORKFLOW_RUN_NOT_FOUND');
  });

  it('removes more old runs than one batch holds', async () => {
    const ids = await finishedRuns(server, 3);
    const { db } = server.server.context;
    // 1,200 more old runs (past one batch of 500), as copies of a finished one.
    const template = await db.selectFrom('workflow_runs').selectAll().where('id', '=', ids[0]!).executeTakeFirstOrThrow();
    const then = new Date(Date.now() - 120 * DAY).toISOString();
    const copies = Array.from({ length: 1200 }, (_, n) => ({ ...template, id: `old-${database}-${n}`, created_at: then, schedule_key: null }));
    for (let start = 0; start < copies.length; start += 100) await db.insertInto('workflow_runs').values(copies.slice(start, start + 100)).execute();
    for (const id of ids) await age(server, id, 120);

    expect(await removeOldRuns(db, 90)).toBe(1203);
    const left = await db.selectFrom('workflow_runs').select('id').where('created_at', '<', new Date(Date.now() - 90 * DAY).toISOString()).execute();
    expect(left.map((row) => row.id)).toEqual(expect.not.arrayContaining(ids));
    expect(left.filter((row) => row.id.startsWith('old-'))).toEqual([]);
  });
});

// The sweep on its schedule (the embedded queue runs `every` at the interval given; pg-boss rounds it to minutes).
describe('workflow run retention sweep on its schedule', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('sqlite', { SWITCHBOARD_WORKFLOW_RUN_RETENTION_DAYS: '30', SWITCHBOARD_WORKFLOW_RETENTION_SWEEP_SECONDS: '1' });
  });
  afterAll(async () => server?.close());

  it('removes a run past SWITCHBOARD_WORKFLOW_RUN_RETENTION_DAYS without being asked, and leaves a recent one', async () => {
    const [old, recent] = await finishedRuns(server, 2);
    await age(server, old!, 31);
    await age(server, recent!, 29);
    const getRun = (id: string) => management(server, server.secretKey, 'GET', `/projects/${server.projectId}/workflow-runs/${id}`);
    await expect.poll(async () => (await getRun(old!)).status, { timeout: 10_000, interval: 200 }).toBe(404);
    expect(await stepCount(server, old!)).toBe(0);
    expect((await getRun(recent!)).status).toBe(200);
    expect(server.logs.some((line) => line.includes('removed old workflow runs'))).toBe(true);
  });
});
