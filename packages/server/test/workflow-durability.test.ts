import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startCallRecorder, type CallRecorder } from './support/call-recorder.js';
import { json, newUser } from './support/sdk-flows.js';
import { Deployment, type ServerProcess } from './support/server-process.js';
import { testDatabases } from './support/test-server.js';

type Json = Record<string, any>;

/** A short lease, so a killed server's runs are free to take over within the test. */
const LEASE_SECONDS = 2;

/*
 * Workflow runs against real `switchboard serve` processes that are killed with SIGKILL (no shutdown, no lease
 * given back, a call left unanswered), then replaced by a new process on the same database and data directory. The
 * project is the one the first process creates in its data directory, set up through its own management API.
 */

/** An app event and a published workflow listening to it, enabled on a new user's sandbox API-key account. */
async function workflowFor(deployment: Deployment, server: ServerProcess, event: string, steps: unknown[]): Promise<{ workflowId: string; sub: string }> {
  await json(await deployment.api(server, 'PUT', `/app-events/${event}`, {}), 201);
  const { id: workflowId } = await json<{ id: string }>(
    await deployment.api(server, 'POST', '/workflows', { name: event, integration: 'sandbox-apikey', trigger: { type: 'appEvent', event }, steps }),
    201,
  );
  await json(await deployment.api(server, 'POST', `/workflows/${workflowId}/publish`));
  const sub = newUser('durable');
  await json(await deployment.sdk(server, sub, 'POST', '/credentials', { integrationId: 'sandbox-apikey', payload: { apiKey: `sbx_${sub.slice(-8)}` } }), 201);
  await json(await deployment.sdk(server, sub, 'POST', `/workflows/${workflowId}`));
  return { workflowId, sub };
}

async function trigger(deployment: Deployment, server: ServerProcess, event: string, sub: string): Promise<string> {
  return (await json<{ runs: { id: string }[] }>(await deployment.api(server, 'POST', `/app-events/${event}/trigger`, { userId: sub }))).runs[0]!.id;
}

/** Polls the run through `server` until `done` says so. */
async function until(deployment: Deployment, server: ServerProcess, runId: string, what: string, done: (run: Json) => boolean, timeoutMs = 60_000): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await json<Json>(await deployment.api(server, 'GET', `/workflow-runs/${runId}`));
    if (done(run)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} never reached ${what}: ${JSON.stringify(run)}\n${server.output().slice(-3000)}`);
    await sleep(100);
  }
}

describe.each(testDatabases)('workflow runs through kill -9 of their server, on %s', (database) => {
  let deployment: Deployment | undefined;
  let recorder: CallRecorder | undefined;
  afterEach(async () => {
    await deployment?.close();
    await recorder?.close();
  });

  it('resumes at the first unfinished step after a kill mid-call, mid-step and mid-delay: every step once, the cut call once more with its key', async () => {
    // The first call of `cut` is never answered: the server is killed while it waits for it.
    recorder = await startCallRecorder((call) => (call.path === '/cut' && recorder!.calls.filter((c) => c.path === '/cut').length === 1 ? 'hold' : 'ok'));
    deployment = await Deployment.create(database, {
      SWITCHBOARD_WORKFLOW_RUN_LEASE_SECONDS: String(LEASE_SECONDS),
      SWITCHBOARD_WORKFLOW_RECOVERY_SECONDS: '1',
    });
    const call = (id: string) => ({ id, type: 'request', method: 'POST', url: `${recorder!.url}/${id}` });
    let server = await deployment.start();
    const { sub } = await workflowFor(deployment, server, 'Durable', [
      call('first'),
      call('cut'),
      // Busy for a while without calling anything: the run is between its calls.
      { id: 'spin', type: 'function', code: '() => { const end = Date.now() + 2500; while (Date.now() < end) {} return { spun: true }; }' },
      { id: 'wait', type: 'delay', seconds: 3 },
      call('last'),
    ]);
    const runId = await trigger(deployment, server, 'Durable', sub);

    // 1. Killed while `cut`'s call is in flight.
    await recorder.arrived(1, '/cut');
    await server.kill();
    // The next server takes the run over once the dead one's lease has lapsed (it looks at start).
    await sleep(LEASE_SECONDS * 1000 + 200);
    server = await deployment.start();

    // 2. Killed between calls, while the Function step runs.
    await until(deployment, server, runId, 'spin RUNNING', (run) => run.steps.some((step: Json) => step.key === 'spin' && step.status === 'RUNNING'));
    await server.kill();
    await sleep(LEASE_SECONDS * 1000 + 200);
    server = await deployment.start();

    // 3. Killed while the run waits on its Delay step.
    await until(deployment, server, runId, 'WAITING', (run) => run.status === 'WAITING');
    await server.kill();
    server = await deployment.start();

    const run = await until(deployment, server, runId, 'its end', (current) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(current.status));
    expect({ status: run.status, error: run.error }).toEqual({ status: 'SUCCEEDED', error: null });
    expect(run.steps.map((step: Json) => [step.key, step.status, step.attempts])).toEqual([
      ['first', 'SUCCEEDED', 1],
      ['cut', 'SUCCEEDED', 2],
      ['spin', 'SUCCEEDED', 2],
      ['wait', 'SUCCEEDED', 1],
      ['last', 'SUCCEEDED', 1],
    ]);
    // Each call once, but the one cut off, which came again with the same key.
    expect(recorder.calls).toEqual([
      { path: '/first', key: `${runId}:first` },
      { path: '/cut', key: `${runId}:cut` },
      { path: '/cut', key: `${runId}:cut` },
      { path: '/last', key: `${runId}:last` },
    ]);
    // The delay was served in full, across the kill.
    const wait = run.steps.find((step: Json) => step.key === 'wait');
    expect(Date.parse(wait.dateFinished) - Date.parse(wait.dateStarted)).toBeGreaterThanOrEqual(3000);
    expect(deployment.processes).toHaveLength(4);
  }, 180_000);
});

describe.runIf(process.env.TEST_DATABASE_URL)('two server processes on one Postgres sharing workflow runs', () => {
  let deployment: Deployment | undefined;
  let recorder: CallRecorder | undefined;
  afterEach(async () => {
    await deployment?.close();
    await recorder?.close();
  });

  it('executes each run on one instance or the other, both taking some, and each step exactly once', async () => {
    // Each call takes a moment, as a real API's would, so the work spreads over both instances' workers.
    recorder = await startCallRecorder(() => ({ status: 200, delayMs: 25 }));
    // Both instances share the database and the data directory's master key, as a fleet shares SWITCHBOARD_MASTER_KEY.
    deployment = await Deployment.create('postgres', { LOG_LEVEL: 'debug' });
    const a = await deployment.start();
    const b = await deployment.start();
    const call = (id: string) => ({ id, type: 'request', method: 'POST', url: `${recorder!.url}/${id}` });
    const { workflowId, sub } = await workflowFor(deployment, a, 'Shared', [call('one'), call('two'), call('three')]);

    const runIds: string[] = [];
    for (let i = 0; i < 40; i += 1) runIds.push(await trigger(deployment, i % 2 === 0 ? a : b, 'Shared', sub));
    const deadline = Date.now() + 90_000;
    let succeeded: Json[] = [];
    while (succeeded.length < runIds.length) {
      if (Date.now() > deadline) throw new Error(`${succeeded.length} of ${runIds.length} runs succeeded`);
      await sleep(250);
      succeeded = (await json<{ data: Json[] }>(await deployment.api(b, 'GET', `/workflow-runs?workflowId=${workflowId}&status=SUCCEEDED&limit=500`))).data;
    }

    // Every step of every run called once, and nothing else.
    const expected = runIds.flatMap((id) => ['one', 'two', 'three'].map((step) => `${id}:${step}`)).sort();
    expect(recorder.calls.map((c) => c.key).sort()).toEqual(expected);
    // Which instance executed each run: its own log says so (LOG_LEVEL=debug).
    const executed = (server: ServerProcess) =>
      new Set(
        server
          .output()
          .split('\n')
          .filter((line) => line.includes('"executing a workflow run"'))
          .map((line) => (JSON.parse(line) as { runId: string }).runId),
      );
    const [onA, onB] = [executed(a), executed(b)];
    expect(onA.size).toBeGreaterThan(0);
    expect(onB.size).toBeGreaterThan(0);
    expect(new Set([...onA, ...onB])).toEqual(new Set(runIds));
    expect([...onA].filter((id) => onB.has(id))).toEqual([]);
    for (const server of [a, b]) expect(server.output()).not.toMatch(/"level":(50|60)/);
  }, 180_000);
});
