import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { readDevProject, type DevProjectFile } from '../src/projects/dev-project.js';
import { startCallRecorder, type CallRecorder } from './support/call-recorder.js';
import { json, newUser } from './support/sdk-flows.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';
import { freshPostgresSchema, testDatabases } from './support/test-server.js';

type Json = Record<string, any>;

/** A short lease, so a killed server's runs are free to take over within the test. */
const LEASE_SECONDS = 2;

/**
 * Workflow runs against real `switchboard serve` processes that are killed with SIGKILL (no shutdown, no lease
 * given back, a call left unanswered), then replaced by a new process on the same database and data directory. The
 * project is the one the first process creates in its data directory, set up through its own management API.
 */
class Deployment {
  readonly processes: ServerProcess[] = [];
  project!: DevProjectFile;

  constructor(readonly env: Record<string, string>) {}

  async start(extra: Record<string, string> = {}): Promise<ServerProcess> {
    const server = await startServerProcess({ ...this.env, ...extra });
    this.processes.push(server);
    this.project ??= readDevProject(this.env.SWITCHBOARD_DATA_DIR!)!;
    return server;
  }

  /** SIGKILL: the process gets no chance to finish a step, release its lease or close the database. */
  async kill(server: ServerProcess): Promise<void> {
    if (server.child.exitCode !== null || server.child.signalCode !== null) return;
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGKILL');
    await exited;
  }

  api(server: ServerProcess, method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${server.url}/api/v1/projects/${this.project.projectId}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.project.secretKey}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  }

  async sdk(server: ServerProcess, sub: string, method: string, path: string, body?: unknown): Promise<Response> {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: this.project.signingKeyId })
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(createPrivateKey(this.project.privateKeyPem));
    return fetch(`${server.url}/projects/${this.project.projectId}/sdk${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  }

  /** An app event and a published workflow listening to it, enabled on a new user's sandbox API-key account. */
  async workflowFor(server: ServerProcess, event: string, steps: unknown[]): Promise<{ workflowId: string; sub: string }> {
    await json(await this.api(server, 'PUT', `/app-events/${event}`, {}), 201);
    const { id: workflowId } = await json<{ id: string }>(
      await this.api(server, 'POST', '/workflows', { name: event, integration: 'sandbox-apikey', trigger: { type: 'appEvent', event }, steps }),
      201,
    );
    await json(await this.api(server, 'POST', `/workflows/${workflowId}/publish`));
    const sub = newUser('durable');
    await json(await this.sdk(server, sub, 'POST', '/credentials', { integrationId: 'sandbox-apikey', payload: { apiKey: `sbx_${sub.slice(-8)}` } }), 201);
    await json(await this.sdk(server, sub, 'POST', `/workflows/${workflowId}`));
    return { workflowId, sub };
  }

  async trigger(server: ServerProcess, event: string, sub: string): Promise<string> {
    return (await json<{ runs: { id: string }[] }>(await this.api(server, 'POST', `/app-events/${event}/trigger`, { userId: sub }))).runs[0]!.id;
  }

  async run(server: ServerProcess, runId: string): Promise<Json> {
    return json<Json>(await this.api(server, 'GET', `/workflow-runs/${runId}`));
  }

  /** Polls the run through `server` until `done` says so. */
  async until(server: ServerProcess, runId: string, what: string, done: (run: Json) => boolean, timeoutMs = 60_000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await this.run(server, runId);
      if (done(run)) return run;
      if (Date.now() > deadline) throw new Error(`run ${runId} never reached ${what}: ${JSON.stringify(run)}\n${server.output().slice(-3000)}`);
      await sleep(100);
    }
  }

  async close(): Promise<void> {
    for (const server of this.processes) await server.stop();
  }
}

describe.each(testDatabases)('workflow runs through kill -9 of their server, on %s', (database) => {
  let deployment: Deployment | undefined;
  let recorder: CallRecorder | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await deployment?.close();
    await recorder?.close();
    await cleanup?.();
  });

  it('resumes at the first unfinished step after a kill mid-call, mid-step and mid-delay: every step once, the cut call once more with its key', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-durable-'));
    const postgres = database === 'postgres' ? await freshPostgresSchema() : undefined;
    cleanup = async () => {
      await postgres?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    };
    // The first call of `cut` is never answered: the server is killed while it waits for it.
    recorder = await startCallRecorder((call) => (call.path === '/cut' && recorder!.calls.filter((c) => c.path === '/cut').length === 1 ? 'hold' : 'ok'));
    deployment = new Deployment({
      SWITCHBOARD_DATA_DIR: dataDir,
      SWITCHBOARD_WORKFLOW_RUN_LEASE_SECONDS: String(LEASE_SECONDS),
      SWITCHBOARD_WORKFLOW_RECOVERY_SECONDS: '1',
      ...(postgres && { DATABASE_URL: postgres.url }),
    });
    const call = (id: string) => ({ id, type: 'request', method: 'POST', url: `${recorder!.url}/${id}` });
    let server = await deployment.start();
    const { sub } = await deployment.workflowFor(server, 'Durable', [
      call('first'),
      call('cut'),
      // Busy for a while without calling anything: the run is between its calls.
      { id: 'spin', type: 'function', code: '() => { const end = Date.now() + 2500; while (Date.now() < end) {} return { spun: true }; }' },
      { id: 'wait', type: 'delay', seconds: 3 },
      call('last'),
    ]);
    const runId = await deployment.trigger(server, 'Durable', sub);

    // 1. Killed while `cut`'s call is in flight.
    await recorder.arrived(1, '/cut');
    await deployment.kill(server);
    // The next server takes the run over once the dead one's lease has lapsed (it looks at start).
    await sleep(LEASE_SECONDS * 1000 + 200);
    server = await deployment.start();

    // 2. Killed between calls, while the Function step runs.
    await deployment.until(server, runId, 'spin RUNNING', (run) => run.steps.some((step: Json) => step.key === 'spin' && step.status === 'RUNNING'));
    await deployment.kill(server);
    await sleep(LEASE_SECONDS * 1000 + 200);
    server = await deployment.start();

    // 3. Killed while the run waits on its Delay step.
    await deployment.until(server, runId, 'WAITING', (run) => run.status === 'WAITING');
    await deployment.kill(server);
    server = await deployment.start();

    const run = await deployment.until(server, runId, 'its end', (current) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(current.status));
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
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await deployment?.close();
    await recorder?.close();
    await cleanup?.();
  });

  it('executes each run on one instance or the other, both taking some, and each step exactly once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-fleet-'));
    const postgres = await freshPostgresSchema();
    cleanup = async () => {
      await postgres.drop();
      rmSync(dataDir, { recursive: true, force: true });
    };
    // Each call takes a moment, as a real API's would, so the work spreads over both instances' workers.
    recorder = await startCallRecorder(() => ({ status: 200, delayMs: 25 }));
    // Both instances share the database and the data directory's master key, as a fleet shares SWITCHBOARD_MASTER_KEY.
    deployment = new Deployment({ SWITCHBOARD_DATA_DIR: dataDir, DATABASE_URL: postgres.url, LOG_LEVEL: 'debug' });
    const a = await deployment.start();
    const b = await deployment.start();
    const call = (id: string) => ({ id, type: 'request', method: 'POST', url: `${recorder!.url}/${id}` });
    const { workflowId, sub } = await deployment.workflowFor(a, 'Shared', [call('one'), call('two'), call('three')]);

    const runIds: string[] = [];
    for (let i = 0; i < 40; i += 1) runIds.push(await deployment.trigger(i % 2 === 0 ? a : b, 'Shared', sub));
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
