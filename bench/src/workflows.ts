/**
 * bench:workflows — workflow runs against the bare job queue they run on, measured in the same run and process:
 *   (a) bare queue:  no-op jobs sent to the server's own job queue and handled; jobs per second.
 *   (b) app events:  `POST /v2/projects/:id/sdk/events/trigger` for users who have a three-step workflow enabled
 *                    (a call to the sandbox API through the provider engine, a condition, a Function step in the
 *                    sandbox); events accepted per second, runs completed per second, and the time from a run's
 *                    creation to its first step starting (p50/p99).
 *   (c) fan-out:     one app event sent by the backend for each of many users; time until every run has finished.
 * The server is built in this process (SQLite by default; `--database postgres` on a fresh schema of
 * TEST_DATABASE_URL). It prints ratios against (a); it asserts nothing about time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { exitOnHelp, REPORT_OPTIONS } from './lib/args.js';
import { SignJWT, importPKCS8 } from 'jose';
import { buildServer, loadConfig } from '@switchboard/server';
import { describeMachine, machineLine } from './lib/machine.js';
import { int, ms, percentile, table } from './lib/stats.js';
import { createScratchSchema } from './lib/postgres-schema.js';
import { freePort } from './lib/switchboard.js';

const HELP = `npm run bench:workflows -- [options]
  --jobs N         no-op jobs for the bare queue (default 2000)
  --events N       app events for (b) (default 400)
  --users N        users sharing (b)'s events (default 20)
  --fan-out N      users one backend event each goes to in (c) (default 1000)
  --concurrency N  requests in flight (default 20)
  --database D     sqlite (default) or postgres (TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres)
`;

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '2000' },
    events: { type: 'string', default: '400' },
    users: { type: 'string', default: '20' },
    'fan-out': { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '20' },
    database: { type: 'string', default: 'sqlite' },
    help: REPORT_OPTIONS.help,
  },
});
exitOnHelp(values.help, HELP);
const JOBS = Number(values.jobs);
const EVENTS = Number(values.events);
const USERS = Number(values.users);
const FAN_OUT = Number(values['fan-out']);
const CONCURRENCY = Number(values.concurrency);
const database = values.database;
if (database !== 'sqlite' && database !== 'postgres') throw new Error('--database is sqlite or postgres');

/** Runs `task` for each item, `CONCURRENCY` at a time. */
async function pooled<T>(items: T[], task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, async () => {
    while (next < items.length) await task(items[next++]!);
  }));
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-workflows-'));
  const postgres = database === 'postgres' ? await createScratchSchema(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', 'sb_bench') : undefined;
  const databaseUrl = postgres?.url;
  const port = await freePort();
  const server = await buildServer(
    loadConfig({
      PORT: String(port),
      HOST: '127.0.0.1',
      SWITCHBOARD_PUBLIC_URL: `http://127.0.0.1:${port}`,
      SWITCHBOARD_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      SWITCHBOARD_DEMO: '0',
      SWITCHBOARD_CREDENTIAL_INSTALLS_PER_MINUTE: '0',
      ...(databaseUrl && { DATABASE_URL: databaseUrl }),
    }),
  );
  try {
    await server.app.listen({ port, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${port}`;
    const dev = server.devProject!;
    const key = await importPKCS8(dev.privateKeyPem, 'RS256');
    const tokenFor = (sub: string) => new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: dev.signingKeyId }).setSubject(sub).setIssuedAt().setExpirationTime('2h').sign(key);
    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${url}/api/v1/projects/${dev.projectId}${path}`, {
        method,
        headers: { authorization: `Bearer ${dev.secretKey}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return response.status === 204 ? undefined : ((await response.json()) as Record<string, any>);
    };
    const sdk = async (sub: string, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${url}${path.startsWith('/v2') ? '' : `/projects/${dev.projectId}/sdk`}${path}`, {
        method,
        headers: { authorization: `Bearer ${await tokenFor(sub)}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as Record<string, any>;
    };
    const { db } = server.context;

    // (a) The bare queue: the same job queue the runs use, with handlers that do nothing.
    let handled = 0;
    await server.jobs!.work('bench-noop', async () => {
      handled += 1;
    });
    const queueStart = performance.now();
    await pooled(Array.from({ length: JOBS }, (_, index) => index), async (index) => {
      await server.jobs!.send('bench-noop', { index });
    });
    while (handled < JOBS) await new Promise((resolve) => setTimeout(resolve, 20));
    const queueSeconds = (performance.now() - queueStart) / 1000;
    const jobsPerSecond = JOBS / queueSeconds;

    // The workflow: a call to the sandbox API, a condition on its status, a Function step.
    await api('PUT', '/app-events/Bench', {});
    const workflow = await api('POST', '/workflows', {
      name: 'Bench',
      integration: 'sandbox-apikey',
      trigger: { type: 'appEvent', event: 'Bench' },
      steps: [
        { id: 'me', type: 'request', method: 'GET', path: '/me' },
        { id: 'ok', type: 'conditional', if: { left: '{{steps.me.status}}', operator: 'equals', right: 200 }, then: [{ id: 'double', type: 'function', code: '(input) => input.n * 2', input: { n: '{{trigger.payload.n}}' } }] },
      ],
    });
    await api('POST', `/workflows/${workflow!.id}/publish`);
    const enable = async (sub: string) => {
      await sdk(sub, 'POST', '/credentials', { integrationId: 'sandbox-apikey', payload: { apiKey: `sbx_${sub}` } });
      await sdk(sub, 'POST', `/workflows/${workflow!.id}`);
    };
    const users = Array.from({ length: USERS }, (_, index) => `bench-user-${index}`);
    await pooled(users, enable);

    const finishedCount = async () =>
      Number((await db.selectFrom('workflow_runs').select((eb) => eb.fn.countAll().as('count')).where('status', 'in', ['SUCCEEDED', 'FAILED']).executeTakeFirstOrThrow()).count);
    const waitFor = async (count: number) => {
      while ((await finishedCount()) < count) await new Promise((resolve) => setTimeout(resolve, 50));
    };

    // (b) App events from user tokens.
    const eventsStart = performance.now();
    await pooled(Array.from({ length: EVENTS }, (_, index) => index), async (index) => {
      await sdk(users[index % users.length]!, 'POST', `/v2/projects/${dev.projectId}/sdk/events/trigger`, { name: 'Bench', payload: { n: index } });
    });
    const acceptSeconds = (performance.now() - eventsStart) / 1000;
    await waitFor(EVENTS);
    const runSeconds = (performance.now() - eventsStart) / 1000;
    const firstSteps = await db
      .selectFrom('workflow_runs')
      .innerJoin('workflow_run_steps', 'workflow_run_steps.run_id', 'workflow_runs.id')
      .select(['workflow_runs.created_at as created', 'workflow_run_steps.started_at as started'])
      .where('workflow_run_steps.step_key', '=', 'me')
      .execute();
    const latencies = firstSteps.map((row) => Date.parse(row.started) - Date.parse(row.created)).sort((a, b) => a - b);
    const failed = Number((await db.selectFrom('workflow_runs').select((eb) => eb.fn.countAll().as('count')).where('status', '=', 'FAILED').executeTakeFirstOrThrow()).count);

    // (c) One backend event for each of many users.
    const fanOutUsers = Array.from({ length: FAN_OUT }, (_, index) => `bench-fan-${index}`);
    await pooled(fanOutUsers, enable);
    const fanStart = performance.now();
    await pooled(fanOutUsers, async (userId) => {
      await api('POST', '/app-events/Bench/trigger', { userId, payload: { n: 1 } });
    });
    await waitFor(EVENTS + FAN_OUT);
    const fanSeconds = (performance.now() - fanStart) / 1000;

    const machine = describeMachine();
    process.stdout.write(`bench:workflows on ${database}; ${machineLine(machine)}\n\n`);
    process.stdout.write(
      table(
        ['measure', 'value', 'vs (a) bare queue'],
        [
          ['(a) bare queue: no-op jobs per second', int(jobsPerSecond), '1.00'],
          ['(b) app events accepted per second', int(EVENTS / acceptSeconds), (EVENTS / acceptSeconds / jobsPerSecond).toFixed(2)],
          ['(b) three-step runs completed per second', int(EVENTS / runSeconds), (EVENTS / runSeconds / jobsPerSecond).toFixed(2)],
          ['(b) run created → first step, p50 (ms)', ms(percentile(latencies, 0.5)), ''],
          ['(b) run created → first step, p99 (ms)', ms(percentile(latencies, 0.99)), ''],
          [`(c) one event to each of ${FAN_OUT} users: all runs done`, `${fanSeconds.toFixed(1)} s`, `${int(FAN_OUT / fanSeconds)} runs/s`],
          ['failed runs', String(failed), ''],
        ],
      ),
    );
  } finally {
    await server.close();
    await postgres?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
// The server closed, but idle Function-step workers and keep-alive sockets of this process may still hold the event
// loop for a while: the bench is done, so it exits.
process.exit(0);
