import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../src/app.js';
import { PERMISSIONS_CLAIM } from '../src/users/permissions.js';
import { createRun } from '../src/workflows/run-store.js';
import { startCallRecorder } from './support/call-recorder.js';
import { management } from './support/management.js';
import { expectError, json, newUser } from './support/sdk-flows.js';
import { publishWorkflow } from './support/workflows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

type Json = Record<string, any>;

/**
 * Workflow runs against the real server, its job queue and the sandbox API: app events from a backend and from a
 * user token, Request triggers answered by their Response step, failures, cancellation, secrets kept out of the
 * history, and a delay that outlives a restart of the server.
 */
describe.each(testDatabases)('workflow runs, on %s', (database) => {
  let server: TestServer;
  const api = (method: string, path: string, body?: unknown) => management(server, server.secretKey, method, `/projects/${server.projectId}${path}`, body);

  /** Creates and publishes a workflow of the sandbox's API-key integration. */
  const publish = (definition: Record<string, unknown>) => publishWorkflow(server, definition);

  /** A user with a sandbox API-key account that has the workflows enabled. */
  async function userWith(...workflowIds: string[]): Promise<{ sub: string; credentialId: string }> {
    const sub = newUser('runs');
    const { id } = await json<{ id: string }>(await server.sdk(sub, '/credentials', { method: 'POST', json: { integrationId: 'sandbox-apikey', payload: { apiKey: `sbx_${sub.slice(-8)}` } } }), 201);
    for (const workflowId of workflowIds) await json(await server.sdk(sub, `/workflows/${workflowId}`, { method: 'POST' }));
    return { sub, credentialId: id };
  }

  async function finished(runId: string, timeoutMs = 15_000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await json<Json>(await api('GET', `/workflow-runs/${runId}`));
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status)) return run;
      if (Date.now() > deadline) throw new Error(`run ${runId} is still ${run.status}: ${JSON.stringify(run.steps)}`);
      await sleep(100);
    }
  }

  /** The run once it has reached `status` (the job queue may take a moment to start it, pg-boss polls). */
  async function reached(runId: string, status: string, timeoutMs = 15_000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await json<Json>(await api('GET', `/workflow-runs/${runId}`));
      if (run.status === status) return run;
      if (Date.now() > deadline) throw new Error(`run ${runId} is ${run.status}, not ${status}`);
      await sleep(100);
    }
  }

  const sendEvent = async (sub: string, name: string, payload: unknown, claims?: Record<string, unknown>) =>
    fetch(`${server.url}/v2/projects/${server.projectId}/sdk/events/trigger`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await server.userToken(sub, claims)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, payload }),
    });

  beforeAll(async () => {
    server = await startTestServer(database);
    for (const name of ['Contacts Imported', 'Ping']) await api('PUT', `/app-events/${encodeURIComponent(name)}`, {});
  });
  afterAll(async () => server?.close());

  it('an app event from the user token runs the workflow: a condition, a fan-out creating contacts, every step in the history', async () => {
    const workflowId = await publish({
      name: 'Copy imported contacts',
      trigger: { type: 'appEvent', event: 'Contacts Imported' },
      settings: [{ id: 'label', label: 'Label', type: 'text' }],
      steps: [
        {
          id: 'any',
          type: 'conditional',
          if: { left: '{{trigger.payload.contacts.length}}', operator: 'greaterThan', right: 0 },
          then: [
            {
              id: 'each',
              type: 'fanOut',
              items: '{{trigger.payload.contacts}}',
              concurrency: 2,
              steps: [{ id: 'create', type: 'request', method: 'POST', path: '/contacts', body: { name: '{{item.name}} ({{user.meta.plan}})', email: '{{item.email}}' } }],
            },
          ],
        },
        { id: 'list', type: 'request', method: 'GET', path: '/contacts' },
      ],
    });
    const { sub } = await userWith(workflowId);
    await server.sdk(sub, '/me', { method: 'PATCH', json: { meta: { plan: 'pro' } } });
    const contacts = Array.from({ length: 5 }, (_, index) => ({ name: `Contact ${index}`, email: `c${index}@example.com` }));

    const accepted = await json<{ runs: { id: string; workflowId: string }[] }>(await sendEvent(sub, 'Contacts Imported', { contacts }));
    expect(accepted.runs).toEqual([{ id: expect.any(String), workflowId }]);
    const run = await finished(accepted.runs[0]!.id);
    expect(run).toMatchObject({ status: 'SUCCEEDED', workflowId, userId: sub, triggerType: 'appEvent', trigger: { event: 'Contacts Imported', payload: { contacts } } });
    const keys = run.steps.map((step: Json) => step.key);
    expect(keys).toEqual(expect.arrayContaining(['any', 'any.then.each', 'any.then.each[0].create', 'any.then.each[4].create', 'list']));
    expect(run.steps.every((step: Json) => step.status === 'SUCCEEDED' && step.attempts === 1)).toBe(true);
    const listed = run.steps.find((step: Json) => step.key === 'list').output;
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((contact: Json) => contact.name).sort()).toEqual(contacts.map((c) => `${c.name} (pro)`).sort());
  });

  it('an app event from the backend, for a user id, runs the same way; an event nobody listens to starts nothing', async () => {
    const workflowId = await publish({ name: 'On ping', trigger: { type: 'appEvent', event: 'Ping' }, steps: [{ id: 'me', type: 'request', method: 'GET', path: '/me' }] });
    const { sub } = await userWith(workflowId);
    const accepted = await json<{ runs: { id: string }[] }>(await api('POST', '/app-events/Ping/trigger', { userId: sub, payload: { n: 1 } }));
    expect((await finished(accepted.runs[0]!.id)).status).toBe('SUCCEEDED');
    // A user who has not enabled it, and a user the project never saw, start nothing.
    const { sub: other } = await userWith();
    expect(await json(await api('POST', '/app-events/Ping/trigger', { userId: other }))).toEqual({ runs: [] });
    expect(await json(await api('POST', '/app-events/Ping/trigger', { userId: 'never-seen' }))).toEqual({ runs: [] });
    await expectError(await api('POST', '/app-events/Nope/trigger', { userId: sub }), 404, 'APP_EVENT_NOT_FOUND');
  });

  it('a Request trigger answers with its Response step: status, headers and a body built from the request and a step', async () => {
    const workflowId = await publish({
      name: 'Greet',
      trigger: { type: 'request' },
      steps: [
        { id: 'me', type: 'request', method: 'GET', path: '/me' },
        { id: 'answer', type: 'response', status: 201, headers: { 'x-greeting': 'hello' }, body: { greeting: 'Hello {{trigger.body.name}}', account: '{{steps.me.output.id}}', page: '{{trigger.query.page}}' } },
      ],
    });
    const { sub } = await userWith(workflowId);
    const response = await server.sdk(sub, `/triggers/${workflowId}?page=2`, { method: 'POST', json: { name: 'Ada' } });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-greeting')).toBe('hello');
    const body = (await response.json()) as { account: string };
    expect(body).toEqual({ greeting: 'Hello Ada', account: expect.any(String), page: '2' });
    expect(body.account.length).toBeGreaterThan(0);
  });

  it('a Function step computes from earlier outputs in the sandbox; one that throws fails the run with FUNCTION_ERROR', async () => {
    const workflowId = await publish({
      name: 'Count contacts',
      trigger: { type: 'request' },
      steps: [
        { id: 'list', type: 'request', method: 'GET', path: '/contacts' },
        { id: 'count', type: 'function', code: 'async (input) => ({ total: input.contacts.length, label: input.label.toUpperCase() })', input: { contacts: '{{steps.list.output.data}}', label: '{{trigger.body.label}}' } },
        { id: 'answer', type: 'response', body: { total: '{{steps.count.output.total}}', label: '{{steps.count.output.label}}' } },
      ],
    });
    const throwing = await publish({ name: 'Throws', trigger: { type: 'request' }, steps: [{ id: 'boom', type: 'function', code: '() => { throw new Error("no such field") }' }] });
    const { sub } = await userWith(workflowId, throwing);
    expect(await json(await server.sdk(sub, `/triggers/${workflowId}`, { method: 'POST', json: { label: 'contacts' } }))).toEqual({ total: 0, label: 'CONTACTS' });
    const failed = await expectError(await server.sdk(sub, `/triggers/${throwing}`, { method: 'POST', json: {} }), 502, 'WORKFLOW_RUN_FAILED');
    const run = await finished(failed.runId as string);
    expect(run).toMatchObject({ status: 'FAILED', error: { code: 'FUNCTION_ERROR', stepKey: 'boom' } });
    expect(run.steps[0].error.message).toContain('no such field');
  });

  it('a Request trigger without a Response step answers 200 with the run id; one whose step fails answers 502 naming the run', async () => {
    const quiet = await publish({ name: 'Quiet', trigger: { type: 'request' }, steps: [{ id: 'me', type: 'request', method: 'GET', path: '/me' }] });
    const failing = await publish({ name: 'Failing', trigger: { type: 'request' }, steps: [{ id: 'missing', type: 'request', method: 'GET', path: '/no-such-route' }] });
    const { sub } = await userWith(quiet, failing);
    const ok = await json<{ runId: string }>(await server.sdk(sub, `/triggers/${quiet}`, { method: 'POST', json: {} }));
    expect((await finished(ok.runId)).status).toBe('SUCCEEDED');

    const failed = await expectError(await server.sdk(sub, `/triggers/${failing}`, { method: 'POST', json: {} }), 502, 'WORKFLOW_RUN_FAILED');
    const run = await finished(failed.runId as string);
    expect(run).toMatchObject({ status: 'FAILED', error: { code: 'REQUEST_FAILED', stepKey: 'missing' } });
    expect(run.steps[0]).toMatchObject({ key: 'missing', status: 'FAILED', error: { code: 'REQUEST_FAILED', message: 'The API answered 404' } });
  });

  it('refuses a Request trigger for an account that has not enabled the workflow, and app events a token may not send', async () => {
    const workflowId = await publish({ name: 'Gated', trigger: { type: 'request' }, steps: [{ id: 'me', type: 'request', method: 'GET', path: '/me' }] });
    const { sub } = await userWith();
    await expectError(await server.sdk(sub, `/triggers/${workflowId}`, { method: 'POST', json: {} }), 409, 'WORKFLOW_NOT_ENABLED');
    const pinging = await publish({ name: 'Ping listener', trigger: { type: 'appEvent', event: 'Ping' }, steps: [{ id: 'me', type: 'request', method: 'GET', path: '/me' }] });
    const { sub: listener } = await userWith(pinging);
    const noEvents = { [PERMISSIONS_CLAIM]: { 'integration:*': { events: false } } };
    await expectError(await sendEvent(listener, 'Ping', {}, noEvents), 403, 'PERMISSION_DENIED');
  });

  it('keeps project secrets out of the history, while the step used them', async () => {
    const secret = `sec_${Math.random().toString(36).slice(2, 12)}`;
    expect((await api('PUT', '/secrets/ECHO_TOKEN', { value: secret })).status).toBe(204);
    const workflowId = await publish({
      name: 'Echo a secret',
      trigger: { type: 'request' },
      steps: [
        { id: 'echo', type: 'request', method: 'POST', path: '/echo', body: { token: '{{secrets.ECHO_TOKEN}}' } },
        { id: 'answer', type: 'response', body: { sent: '{{steps.echo.output.body.token}}' } },
      ],
    });
    const { sub } = await userWith(workflowId);
    // The step sent the real value (the sandbox echoes it back into the Response step's body)...
    expect(await json(await server.sdk(sub, `/triggers/${workflowId}`, { method: 'POST', json: {} }))).toEqual({ sent: secret });
    const [summary] = (await json<{ data: Json[] }>(await api('GET', `/workflow-runs?workflowId=${workflowId}`))).data;
    const detail = await finished(summary!.id);
    // ...and the history shows neither it nor the API key.
    expect(JSON.stringify(detail)).not.toContain(secret);
    expect(JSON.stringify(detail)).toContain('[secret]');
  });

  it('keeps the journal at rest free of project secrets, even one an API echoed, and shows a large output as its size', async () => {
    const secret = `sec_${Math.random().toString(36).slice(2, 12)}`;
    expect((await api('PUT', '/secrets/JOURNAL_TOKEN', { value: secret })).status).toBe(204);
    const workflowId = await publish({
      name: 'Journal at rest',
      trigger: { type: 'request' },
      steps: [
        { id: 'echo', type: 'request', method: 'POST', path: '/echo', headers: { 'x-note': '{{secrets.JOURNAL_TOKEN}}' }, body: { token: '{{secrets.JOURNAL_TOKEN}}' } },
        { id: 'big', type: 'function', code: '(input) => input.token.length + "x".repeat(100000)', input: { token: '{{steps.echo.output.body.token}}' } },
      ],
    });
    const { sub } = await userWith(workflowId);
    const answer = await server.sdk(sub, `/triggers/${workflowId}`, { method: 'POST', json: {} });
    const runId = ((await answer.json()) as { runId: string }).runId;
    const detail = await finished(runId);
    expect({ status: detail.status, error: detail.error }).toEqual({ status: 'SUCCEEDED', error: null });
    // The later step saw the echoed value whole (its length), while the stored rows never hold it.
    const rows = await server.server.context.db.selectFrom('workflow_run_steps').selectAll().where('run_id', '=', runId).execute();
    expect(rows).toHaveLength(2);
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(secret);
    expect(JSON.parse(rows.find((row) => row.step_key === 'echo')!.output!).body.body.token).toBe('[secret]');
    const big = detail.steps.find((step: Json) => step.key === 'big');
    expect(big.output).toEqual({ truncated: true, size: 100_000 + String(secret.length).length + 2, start: expect.stringMatching(new RegExp(`^"${secret.length}x+$`)) });
    expect(big.output.start).toHaveLength(1024);
  });

  it('replays a failed run from its failed step: the finished steps keep their journal and are not called again', async () => {
    let flakyCalls = 0;
    const recorder = await startCallRecorder((call) => (call.path === '/flaky' && ++flakyCalls === 1 ? { status: 500 } : 'ok'));
    try {
      await api('PUT', '/app-events/Replay%20Me', {});
      const workflowId = await publish({
        name: 'Replayable',
        trigger: { type: 'appEvent', event: 'Replay Me' },
        steps: ['first', 'flaky', 'last'].map((id) => ({ id, type: 'request', method: 'POST', url: `${recorder.url}/${id}` })),
      });
      const { sub } = await userWith(workflowId);
      const [accepted] = (await json<{ runs: { id: string }[] }>(await api('POST', '/app-events/Replay%20Me/trigger', { userId: sub }))).runs;
      const runId = accepted!.id;
      const failed = await finished(runId);
      expect(failed).toMatchObject({ status: 'FAILED', error: { code: 'REQUEST_FAILED', stepKey: 'flaky' } });
      const firstBefore = failed.steps.find((step: Json) => step.key === 'first');

      expect(await json(await api('POST', `/workflow-runs/${runId}/replay`))).toMatchObject({ id: runId, status: 'QUEUED', error: null, dateFinished: null });
      const replayed = await finished(runId);
      expect(replayed).toMatchObject({ status: 'SUCCEEDED', error: null });
      expect(replayed.steps.map((step: Json) => [step.key, step.status, step.attempts])).toEqual([
        ['first', 'SUCCEEDED', 1],
        ['flaky', 'SUCCEEDED', 1],
        ['last', 'SUCCEEDED', 1],
      ]);
      // The finished step's journal is the one from before the replay.
      expect(replayed.steps.find((step: Json) => step.key === 'first')).toEqual(firstBefore);
      // The failed step is a new try: a new key, so an API that stored its failed answer does not answer it again.
      expect(recorder.calls).toEqual([
        { path: '/first', key: `${runId}:first` },
        { path: '/flaky', key: `${runId}:flaky` },
        { path: '/flaky', key: `${runId}:flaky:replay-1` },
        { path: '/last', key: `${runId}:last` },
      ]);

      // Only a FAILED run is replayed, and nothing changes otherwise.
      const refused = await expectError(await api('POST', `/workflow-runs/${runId}/replay`), 409, 'WORKFLOW_RUN_NOT_FAILED');
      expect(refused).toMatchObject({ status: 'SUCCEEDED' });
      expect((await json<Json>(await api('GET', `/workflow-runs/${runId}`))).steps).toEqual(replayed.steps);
      await expectError(await api('POST', '/workflow-runs/no-such-run/replay'), 404, 'WORKFLOW_RUN_NOT_FOUND');
      expect(recorder.calls).toHaveLength(4);
    } finally {
      await recorder.close();
    }
  });

  it('replays a run that failed inside a fan-out: the items that succeeded are not called again, the rest run', async () => {
    let failures = 0;
    const recorder = await startCallRecorder((call) => (call.path === '/item/2' && ++failures === 1 ? { status: 503 } : 'ok'));
    try {
      await api('PUT', '/app-events/Replay%20Each', {});
      const workflowId = await publish({
        name: 'Replayable fan-out',
        trigger: { type: 'appEvent', event: 'Replay Each' },
        steps: [
          { id: 'each', type: 'fanOut', items: '{{trigger.payload.items}}', concurrency: 1, steps: [{ id: 'send', type: 'request', method: 'POST', url: `${recorder.url}/item/{{item}}` }] },
          { id: 'after', type: 'request', method: 'POST', url: `${recorder.url}/after` },
        ],
      });
      const { sub } = await userWith(workflowId);
      const [accepted] = (await json<{ runs: { id: string }[] }>(await api('POST', '/app-events/Replay%20Each/trigger', { userId: sub, payload: { items: [0, 1, 2, 3] } }))).runs;
      const runId = accepted!.id;
      expect(await finished(runId)).toMatchObject({ status: 'FAILED', error: { stepKey: 'each[2].send' } });
      await json(await api('POST', `/workflow-runs/${runId}/replay`));
      const replayed = await finished(runId);
      expect(replayed.status).toBe('SUCCEEDED');
      expect(recorder.calls.map((call) => `${call.path} ${call.key.slice(runId.length)}`)).toEqual([
        '/item/0 :each[0].send',
        '/item/1 :each[1].send',
        '/item/2 :each[2].send',
        '/item/2 :each[2].send:replay-1',
        '/item/3 :each[3].send',
        '/after :after',
      ]);
      expect(replayed.steps.find((step: Json) => step.key === 'each').output).toHaveLength(4);
    } finally {
      await recorder.close();
    }
  });

  it('lists runs newest first with filters and pages; cancels a waiting run, which then never runs its next step', async () => {
    const workflowId = await publish({
      name: 'Slow',
      trigger: { type: 'request', timeoutSeconds: 1 },
      steps: [{ id: 'wait', type: 'delay', seconds: 600 }, { id: 'after', type: 'request', method: 'GET', path: '/me' }],
    });
    const { sub } = await userWith(workflowId);
    const timedOut = await expectError(await server.sdk(sub, `/triggers/${workflowId}`, { method: 'POST', json: {} }), 504, 'WORKFLOW_RESPONSE_TIMEOUT');
    const runId = timedOut.runId as string;
    expect(await reached(runId, 'WAITING')).toMatchObject({ steps: [{ key: 'wait', status: 'WAITING' }] });

    const second = await expectError(await server.sdk(sub, `/triggers/${workflowId}`, { method: 'POST', json: {} }), 504, 'WORKFLOW_RESPONSE_TIMEOUT');
    await reached(second.runId as string, 'WAITING');
    const page = await json<{ data: Json[]; nextCursor: string | null }>(await api('GET', `/workflow-runs?workflowId=${workflowId}&limit=1`));
    expect(page.data.map((run) => run.id)).toEqual([second.runId]);
    const next = await json<{ data: Json[]; nextCursor: string | null }>(await api('GET', `/workflow-runs?workflowId=${workflowId}&limit=1&cursor=${page.nextCursor}`));
    expect(next.data.map((run) => run.id)).toEqual([runId]);
    expect((await json<{ data: Json[] }>(await api('GET', `/workflow-runs?userId=${encodeURIComponent(sub)}&status=WAITING`))).data).toHaveLength(2);

    expect(await json(await api('POST', `/workflow-runs/${runId}/cancel`))).toMatchObject({ id: runId, status: 'CANCELLED' });
    await expectError(await api('POST', `/workflow-runs/${runId}/cancel`), 409, 'WORKFLOW_RUN_FINISHED');
    await expectError(await api('GET', '/workflow-runs/no-such-run'), 404, 'WORKFLOW_RUN_NOT_FOUND');
    await expectError(await api('GET', '/workflow-runs?status=DONE'), 400, 'VALIDATION_ERROR', 'status');
    await expectError(await api('GET', '/workflow-runs?cursor=garbage'), 400, 'INVALID_CURSOR', 'cursor');
  });
});

describe.each(testDatabases)('a delayed run across a restart of the server, on %s', (database) => {
  it('waits, survives the server stopping, and finishes on the next start without running any step twice', async () => {
    // The steps call an API of the test's own, so they do not depend on when the next server starts listening.
    const calls: string[] = [];
    const { createServer } = await import('node:http');
    const recorder = createServer((request, response) => {
      request.resume();
      calls.push(String(request.headers['idempotency-key']));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(recorder.address() as { port: number }).port}`;
    // The test server's data directory and database outlive the first server: a second one is built on them.
    const first = await startTestServer(database);
    const api = (method: string, path: string, body?: unknown) => management(first, first.secretKey, method, `/projects/${first.projectId}${path}`, body);
    const { id: workflowId } = await json<{ id: string }>(
      await api('POST', '/workflows', {
        name: 'Wait, then call',
        integration: 'sandbox-apikey',
        trigger: { type: 'request', timeoutSeconds: 1 },
        steps: [
          { id: 'before', type: 'request', method: 'POST', url: `${base}/before` },
          { id: 'wait', type: 'delay', seconds: 2 },
          { id: 'after', type: 'request', method: 'POST', url: `${base}/after` },
        ],
      }),
      201,
    );
    await api('POST', `/workflows/${workflowId}/publish`);
    const sub = newUser('restart');
    await json(await first.sdk(sub, '/credentials', { method: 'POST', json: { integrationId: 'sandbox-apikey', payload: { apiKey: 'sbx_restart_run' } } }), 201);
    await json(await first.sdk(sub, `/workflows/${workflowId}`, { method: 'POST' }));
    const { runId } = await expectError(await first.sdk(sub, `/triggers/${workflowId}`, { method: 'POST', json: {} }), 504, 'WORKFLOW_RESPONSE_TIMEOUT');
    const { db } = first.server.context;
    for (let waited = 0; (await db.selectFrom('workflow_runs').select('status').where('id', '=', runId as string).executeTakeFirstOrThrow()).status !== 'WAITING'; waited += 1) {
      if (waited > 100) throw new Error('the run never started waiting');
      await sleep(100);
    }

    // Stop the first server (its job queue with it) while the run waits; keep its data.
    await first.server.close();
    const second = await buildServer(first.config);
    try {
      const deadline = Date.now() + 20_000;
      let run: Json | undefined;
      while (Date.now() < deadline) {
        run = await second.context.db.selectFrom('workflow_runs').selectAll().where('id', '=', runId as string).executeTakeFirst();
        if (run?.status === 'SUCCEEDED' || run?.status === 'FAILED') break;
        await sleep(200);
      }
      expect({ status: run?.status, error: run?.error }).toEqual({ status: 'SUCCEEDED', error: null });
      const steps = await second.context.db.selectFrom('workflow_run_steps').selectAll().where('run_id', '=', runId as string).orderBy('started_at').execute();
      expect(steps.map((step) => [step.step_key, step.status, step.attempts])).toEqual([
        ['before', 'SUCCEEDED', 1],
        ['wait', 'SUCCEEDED', 1],
        ['after', 'SUCCEEDED', 1],
      ]);
      expect(calls).toEqual([`${runId}:before`, `${runId}:after`]);
    } finally {
      await second.close();
      await new Promise((resolve) => {
        recorder.close(resolve);
        recorder.closeAllConnections();
      });
      // The TestServer's own cleanup: its database schema and data directory.
      await first.close().catch(() => undefined);
    }
  });
});

describe.each(testDatabases)('a run whose worker died mid-step, on %s', (database) => {
  it('is left alone while its lease holds, then taken over: finished steps are skipped, the cut step runs again with the same Idempotency-Key', async () => {
    const server = await startTestServer(database, { SWITCHBOARD_WORKFLOW_RUN_LEASE_SECONDS: '2' });
    const calls: { path: string; key: string }[] = [];
    const { createServer } = await import('node:http');
    const recorder = createServer((request, response) => {
      request.resume();
      calls.push({ path: request.url ?? '', key: String(request.headers['idempotency-key']) });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(recorder.address() as { port: number }).port}`;
    try {
      const api = (method: string, path: string, body?: unknown) => management(server, server.secretKey, method, `/projects/${server.projectId}${path}`, body);
      const { id: workflowId } = await json<{ id: string }>(
        await api('POST', '/workflows', {
          name: 'Interrupted',
          integration: 'sandbox-apikey',
          trigger: { type: 'request' },
          steps: ['first', 'cut', 'last'].map((id) => ({ id, type: 'request', method: 'POST', url: `${base}/${id}` })),
        }),
        201,
      );
      await api('POST', `/workflows/${workflowId}/publish`);
      const sub = newUser('interrupted');
      const account = await json<{ id: string }>(await server.sdk(sub, '/credentials', { method: 'POST', json: { integrationId: 'sandbox-apikey', payload: { apiKey: 'sbx_interrupted' } } }), 201);
      const { db } = server.server.context;
      const user = await db.selectFrom('connected_users').select('id').where('external_id', '=', sub).executeTakeFirstOrThrow();
      // What a worker killed during `cut` leaves behind: `first` journaled, `cut` started, the run RUNNING under a
      // lease that has lapsed.
      const now = new Date().toISOString();
      const past = new Date(Date.now() - 5000).toISOString();
      const runId = 'interrupted-run';
      await db
        .insertInto('workflow_runs')
        .values({
          id: runId,
          project_id: server.projectId,
          workflow_id: workflowId,
          workflow_version: 1,
          connected_user_id: user.id,
          credential_id: account.id,
          trigger_type: 'request',
          trigger_input: '{}',
          status: 'RUNNING',
          response: null,
          error: null,
          created_at: now,
          started_at: now,
          finished_at: null,
          updated_at: now,
          timeout_at: new Date(Date.now() + 3_600_000).toISOString(),
          lease_until: past,
        })
        .execute();
      const journaled = { run_id: runId, error: null, wake_at: null, started_at: now };
      await db
        .insertInto('workflow_run_steps')
        .values([
          { ...journaled, step_key: 'first', step_id: 'first', status: 'SUCCEEDED', input: '{}', output: '{"status":200,"headers":{},"body":{"ok":true}}', attempts: 1, idempotency_key: `${runId}:first`, finished_at: now },
          { ...journaled, step_key: 'cut', step_id: 'cut', status: 'RUNNING', input: '{}', output: null, attempts: 1, idempotency_key: `${runId}:cut`, finished_at: null },
        ])
        .execute();

      // While the lease holds, the worker may be alive: recovery leaves the run alone.
      await db.updateTable('workflow_runs').set({ lease_until: new Date(Date.now() + 60_000).toISOString() }).where('id', '=', runId).execute();
      await server.server.workflows!.recover();
      await sleep(1500);
      expect(calls).toEqual([]);
      expect((await db.selectFrom('workflow_runs').select('status').where('id', '=', runId).executeTakeFirstOrThrow()).status).toBe('RUNNING');

      // Once it has lapsed, any instance takes the run over.
      await db.updateTable('workflow_runs').set({ lease_until: past }).where('id', '=', runId).execute();
      await server.server.workflows!.recover();
      const deadline = Date.now() + 15_000;
      let run = await db.selectFrom('workflow_runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
      while (run.status !== 'SUCCEEDED' && run.status !== 'FAILED' && Date.now() < deadline) {
        await sleep(100);
        run = await db.selectFrom('workflow_runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
      }
      expect({ status: run.status, error: run.error }).toEqual({ status: 'SUCCEEDED', error: null });
      expect(calls).toEqual([
        { path: '/cut', key: `${runId}:cut` },
        { path: '/last', key: `${runId}:last` },
      ]);
      const steps = await db.selectFrom('workflow_run_steps').select(['step_key', 'status', 'attempts']).where('run_id', '=', runId).orderBy('step_key').execute();
      expect(steps).toEqual([
        { step_key: 'cut', status: 'SUCCEEDED', attempts: 2 },
        { step_key: 'first', status: 'SUCCEEDED', attempts: 1 },
        { step_key: 'last', status: 'SUCCEEDED', attempts: 1 },
      ]);
    } finally {
      await new Promise((resolve) => {
        recorder.close(resolve);
        recorder.closeAllConnections();
      });
      await server.close();
    }
  });

});

describe.each(testDatabases)('runs of a project at its concurrency limit, and runs another worker holds, on %s', (database) => {
  let server: TestServer;
  let recorder: Awaited<ReturnType<typeof startCallRecorder>>;
  let workflowId: string;
  let sub: string;
  const api = (method: string, path: string, body?: unknown) => management(server, server.secretKey, method, `/projects/${server.projectId}${path}`, body);
  const statuses = async (runIds: string[]) => Promise.all(runIds.map(async (id) => (await json<Json>(await api('GET', `/workflow-runs/${id}`))).status as string));
  const count = (list: string[], status: string) => list.filter((item) => item === status).length;

  beforeAll(async () => {
    server = await startTestServer(database, { SWITCHBOARD_WORKFLOW_PROJECT_CONCURRENCY: '2' });
    // Every call is held until the test answers it: a run stays RUNNING as long as the test wants.
    recorder = await startCallRecorder(() => 'hold');
    await api('PUT', '/app-events/Work', {});
    ({ id: workflowId } = await json<{ id: string }>(
      await api('POST', '/workflows', { name: 'Work', integration: 'sandbox-apikey', trigger: { type: 'appEvent', event: 'Work' }, steps: [{ id: 'work', type: 'request', method: 'POST', url: `${recorder.url}/work` }] }),
      201,
    ));
    await api('POST', `/workflows/${workflowId}/publish`);
    sub = newUser('limited');
    await json(await server.sdk(sub, '/credentials', { method: 'POST', json: { integrationId: 'sandbox-apikey', payload: { apiKey: 'sbx_limited' } } }), 201);
    await json(await server.sdk(sub, `/workflows/${workflowId}`, { method: 'POST' }));
  });
  afterAll(async () => {
    recorder?.releaseAll();
    await recorder?.close();
    await server?.close();
  });

  it('keeps runs over the limit QUEUED and starts them as others finish, never more than the limit at once', async () => {
    const runIds: string[] = [];
    for (let i = 0; i < 5; i += 1) runIds.push((await json<{ runs: { id: string }[] }>(await api('POST', '/app-events/Work/trigger', { userId: sub }))).runs[0]!.id);

    await recorder.arrived(2);
    // Time for a third run to start if the limit let it (the queue itself would take four at once).
    await sleep(1500);
    expect(recorder.calls).toHaveLength(2);
    let now = await statuses(runIds);
    expect([count(now, 'RUNNING'), count(now, 'QUEUED')]).toEqual([2, 3]);

    // Two finish: the next two start, the last still waits.
    recorder.releaseAll();
    await recorder.arrived(4);
    await sleep(1500);
    expect(recorder.calls).toHaveLength(4);
    now = await statuses(runIds);
    expect([count(now, 'SUCCEEDED'), count(now, 'RUNNING'), count(now, 'QUEUED')]).toEqual([2, 2, 1]);

    recorder.releaseAll();
    await recorder.arrived(5);
    recorder.releaseAll();
    await expect.poll(async () => statuses(runIds), { timeout: 15_000 }).toEqual(runIds.map(() => 'SUCCEEDED'));
    expect(recorder.maxHeld()).toBe(2);
    // Each run made its one call, with its own key.
    expect(new Set(recorder.calls.map((call) => call.key))).toEqual(new Set(runIds.map((id) => `${id}:work`)));
  });

  it('skips a run another worker holds without failing the job, and the recovery sweep finishes it once that lease lapses', async () => {
    const engine = server.server.workflows!;
    const { db } = server.server.context;
    const user = await db.selectFrom('connected_users').select('id').where('external_id', '=', sub).executeTakeFirstOrThrow();
    const credential = await db.selectFrom('credentials').select('id').where('connected_user_id', '=', user.id).executeTakeFirstOrThrow();
    const { id: runId } = await createRun(db, {
      projectId: server.projectId,
      workflowId,
      workflowVersion: 1,
      connectedUserId: user.id,
      credentialId: credential.id,
      triggerType: 'appEvent',
      triggerInput: { event: 'Work', payload: {} },
      timeoutSeconds: 3600,
    });
    // What another instance's hold looks like: the lease taken, the run not started yet (its worker may be just
    // about to, or have died right after taking it). This instance's job for the run comes meanwhile.
    await db.updateTable('workflow_runs').set({ lease_until: new Date(Date.now() + 60_000).toISOString() }).where('id', '=', runId).execute();
    const logged = server.logs.length;
    const calls = recorder.calls.length;
    await engine.enqueue(runId);
    await expect(engine.execute(runId)).resolves.toBeUndefined();
    await sleep(1500);
    expect(recorder.calls).toHaveLength(calls);
    expect(await statuses([runId])).toEqual(['QUEUED']);
    if (database === 'sqlite') {
      // The job is done with on its first attempt: no retry waits in the queue.
      const jobs = await db.selectFrom('jobs').select(['state', 'attempts']).where('data', 'like', `%${runId}%`).execute();
      expect(jobs).toEqual([{ state: 'completed', attempts: 1 }]);
    }
    // Quiet: nothing logged as a failure or a retry.
    expect(server.logs.slice(logged).filter((line) => /"level":(40|50|60)/.test(line))).toEqual([]);

    // The holder died: once its lease lapses, the sweep resumes the run here.
    await db.updateTable('workflow_runs').set({ lease_until: new Date(Date.now() - 1000).toISOString() }).where('id', '=', runId).execute();
    await engine.recover();
    await recorder.arrived(calls + 1);
    recorder.releaseAll();
    await expect.poll(async () => statuses([runId]), { timeout: 15_000 }).toEqual(['SUCCEEDED']);
    expect(recorder.calls.slice(calls)).toEqual([{ path: '/work', key: `${runId}:work` }]);
  });
});

describe.each(testDatabases)('schedule triggers, on %s', (database) => {
  it('fires each due time once per enabled account, however many ticks or instances look at once', async () => {
    const server = await startTestServer(database);
    try {
      const api = (method: string, path: string, body?: unknown) => management(server, server.secretKey, method, `/projects/${server.projectId}${path}`, body);
      const { id: workflowId } = await json<{ id: string }>(
        await api('POST', '/workflows', {
          name: 'Every minute',
          integration: 'sandbox-apikey',
          trigger: { type: 'schedule', cron: '* * * * *', timeZone: 'Europe/Paris' },
          steps: [{ id: 'me', type: 'request', method: 'GET', path: '/me' }],
        }),
        201,
      );
      await api('POST', `/workflows/${workflowId}/publish`);
      const enabled = newUser('scheduled');
      const notEnabled = newUser('unscheduled');
      for (const sub of [enabled, notEnabled]) {
        await json(await server.sdk(sub, '/credentials', { method: 'POST', json: { integrationId: 'sandbox-apikey', payload: { apiKey: `sbx_${sub.slice(-6)}` } } }), 201);
      }
      await json(await server.sdk(enabled, `/workflows/${workflowId}`, { method: 'POST' }));

      // Two minutes after publishing: two times are due. Three instances' ticks at once start two runs in all.
      const { fireSchedules } = await import('../src/workflows/run-triggers.js');
      const engine = server.server.workflows!;
      const at = new Date(Date.now() + 120_000);
      const started = await Promise.all([1, 2, 3].map(() => fireSchedules(server.server.context, engine, at)));
      expect(started.reduce((sum, count) => sum + count, 0)).toBe(2);
      expect(await fireSchedules(server.server.context, engine, at)).toBe(0);

      const runs = await json<{ data: Json[] }>(await api('GET', `/workflow-runs?workflowId=${workflowId}`));
      expect(runs.data.map((run) => [run.userId, run.triggerType])).toEqual([
        [enabled, 'schedule'],
        [enabled, 'schedule'],
      ]);
      const details = await Promise.all(runs.data.map(async (run) => json<Json>(await api('GET', `/workflow-runs/${run.id}`))));
      const times = details.map((run) => run.trigger.scheduledAt as string).sort();
      expect(new Set(times).size).toBe(2);
      expect(times.every((time) => time.endsWith(':00.000Z'))).toBe(true);
    } finally {
      await server.close();
    }
  });
});
