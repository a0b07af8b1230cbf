import { createHmac } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiKeyCustomIntegration, management } from './support/management.js';
import { connectSandbox, expectError, json, newUser, postedResult } from './support/sdk-flows.js';
import { publishWorkflow } from './support/workflows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

type Json = Record<string, any>;

/**
 * The Integration enabled and Webhook triggers against the real server, its job queue and the sandbox (API-key
 * accounts, and the real OAuth flow), and schedules that never fire a time from before the user enabled them.
 */
describe.each(testDatabases)('Integration enabled and Webhook triggers, on %s', (database) => {
  let server: TestServer;
  const api = (method: string, path: string, body?: unknown) => management(server, server.secretKey, method, `/projects/${server.projectId}${path}`, body);

  const publish = (definition: Record<string, unknown>) => publishWorkflow(server, definition);

  /** A user with a sandbox API-key account (its key is returned: the sandbox signs that account's webhooks with it). */
  async function connectApiKey(label: string): Promise<{ sub: string; credentialId: string; apiKey: string }> {
    const sub = newUser(label);
    const apiKey = `sbx_${sub.slice(-12)}`;
    const { id } = await json<{ id: string }>(await server.sdk(sub, '/credentials', { method: 'POST', json: { integrationId: 'sandbox-apikey', payload: { apiKey } } }), 201);
    return { sub, credentialId: id, apiKey };
  }

  const runsOf = async (workflowId: string) => (await json<{ data: Json[] }>(await api('GET', `/workflow-runs?workflowId=${workflowId}`))).data;

  async function finished(runId: string, timeoutMs = 15_000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await json<Json>(await api('GET', `/workflow-runs/${runId}`));
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status)) return run;
      if (Date.now() > deadline) throw new Error(`run ${runId} is still ${run.status}: ${JSON.stringify(run.steps)}`);
      await sleep(100);
    }
  }

  /** PATCH the account's whole config with this workflow's state, as the reference SDK and the Connect Portal do. */
  const saveWorkflowConfig = (sub: string, credentialId: string, workflowId: string, entry: Record<string, unknown>) =>
    server.sdk(sub, `/credentials/${credentialId}`, { method: 'PATCH', json: { config: { configuredWorkflows: { [workflowId]: entry } } } });

  beforeAll(async () => {
    server = await startTestServer(database);
  });
  afterAll(async () => server?.close());

  describe('Integration enabled', () => {
    it('runs once the account has the workflow enabled and its required settings saved; saving again starts nothing', async () => {
      const workflowId = await publish({
        name: 'Welcome',
        trigger: { type: 'integrationEnabled' },
        settings: [{ id: 'label', label: 'Label', type: 'text', required: true }],
        steps: [{ id: 'create', type: 'request', method: 'POST', path: '/contacts', body: { name: 'Welcome ({{settings.label}})', email: 'welcome@example.com' } }],
      });
      const { sub, credentialId } = await connectApiKey('enabled');
      // Connected, then enabled without the required setting: nothing runs yet.
      await json(await saveWorkflowConfig(sub, credentialId, workflowId, { enabled: true, settings: {} }));
      expect(await runsOf(workflowId)).toEqual([]);

      // The setting saved later: the run starts then, for this account, with the setting.
      await json(await saveWorkflowConfig(sub, credentialId, workflowId, { enabled: true, settings: { label: 'vip' } }));
      const [run, ...others] = await runsOf(workflowId);
      expect(others).toEqual([]);
      expect(run).toMatchObject({ userId: sub, credentialId, triggerType: 'integrationEnabled' });
      const detail = await finished(run!.id);
      expect(detail.status).toBe('SUCCEEDED');
      expect(detail.trigger).toMatchObject({ integration: 'sandbox-apikey', credentialId, enabledAt: expect.any(String) });
      expect(detail.steps[0].output.body).toMatchObject({ name: 'Welcome (vip)' });

      // Saving the settings again, or a second connect of the same account, is the same enablement: no second run.
      await json(await saveWorkflowConfig(sub, credentialId, workflowId, { enabled: true, settings: { label: 'gold' } }));
      expect(await runsOf(workflowId)).toHaveLength(1);
    });

    it('disabling and enabling again is a new enablement and runs again; a user who never enabled it gets no run', async () => {
      const workflowId = await publish({ name: 'Hello', trigger: { type: 'integrationEnabled' }, steps: [{ id: 'me', type: 'request', method: 'GET', path: '/me' }] });
      const { sub } = await connectApiKey('reenabled');
      await connectApiKey('bystander');
      await json(await server.sdk(sub, `/workflows/${workflowId}`, { method: 'POST' }));
      expect(await runsOf(workflowId)).toHaveLength(1);
      // Enabling what is enabled changes nothing.
      await json(await server.sdk(sub, `/workflows/${workflowId}`, { method: 'POST' }));
      expect(await runsOf(workflowId)).toHaveLength(1);
      await json(await server.sdk(sub, `/workflows/${workflowId}`, { method: 'DELETE' }));
      await json(await server.sdk(sub, `/workflows/${workflowId}`, { method: 'POST' }));
      const runs = await runsOf(workflowId);
      expect(runs.map((run) => [run.userId, run.triggerType])).toEqual([
        [sub, 'integrationEnabled'],
        [sub, 'integrationEnabled'],
      ]);
      const details = await Promise.all(runs.map((run) => finished(run.id)));
      expect(new Set(details.map((run) => run.trigger.enabledAt)).size).toBe(2);
    });

    it('runs for an account connected through the real OAuth flow once the user enables the workflow', async () => {
      const { id: workflowId } = await json<{ id: string }>(
        await api('POST', '/workflows', { name: 'OAuth welcome', integration: 'sandbox', trigger: { type: 'integrationEnabled' }, steps: [{ id: 'me', type: 'request', method: 'GET', path: '/me' }] }),
        201,
      );
      await json(await api('POST', `/workflows/${workflowId}/publish`));
      const sub = newUser('oauth-enabled');
      const flow = await connectSandbox(server, sub, { login: 'ada@example.com' });
      const result = postedResult(flow.page);
      expect(result).toMatchObject({ status: 'success', credentialId: expect.any(String) });
      expect(await runsOf(workflowId)).toEqual([]);
      await json(await server.sdk(sub, `/workflows/${workflowId}`, { method: 'POST' }));
      const [run] = await runsOf(workflowId);
      const detail = await finished(run!.id);
      expect(detail).toMatchObject({ status: 'SUCCEEDED', credentialId: result.credentialId, trigger: { integration: 'sandbox' } });
      expect(detail.steps[0].output.body).toMatchObject({ id: 'ada@example.com' });
    });

    it('runs when the user connects again an account that was enabled while broken: the connect itself starts it', async () => {
      const { id: workflowId } = await json<{ id: string }>(
        await api('POST', '/workflows', { name: 'On repair', integration: 'sandbox', trigger: { type: 'integrationEnabled' }, steps: [{ id: 'me', type: 'request', method: 'GET', path: '/me' }] }),
        201,
      );
      await json(await api('POST', `/workflows/${workflowId}/publish`));
      const sub = newUser('oauth-repaired');
      const { credentialId } = postedResult((await connectSandbox(server, sub, { login: 'lin@example.com' })).page) as { credentialId: string };
      // The provider stopped accepting the account (as a failed refresh marks it); the user enables the workflow anyway.
      await server.server.context.db.updateTable('credentials').set({ status: 'INVALID' }).where('id', '=', credentialId).execute();
      await json(await saveWorkflowConfig(sub, credentialId, workflowId, { enabled: true, settings: {} }));
      expect(await runsOf(workflowId)).toEqual([]);
      // Connecting the same provider account again repairs it in place, and that connect starts the run.
      expect(postedResult((await connectSandbox(server, sub, { login: 'lin@example.com' })).page)).toMatchObject({ status: 'success', credentialId });
      const [run, ...others] = await runsOf(workflowId);
      expect(others).toEqual([]);
      expect(await finished(run!.id)).toMatchObject({ status: 'SUCCEEDED', credentialId, triggerType: 'integrationEnabled' });
    });
  });

  describe('Webhook', () => {
    const webhookDefinition = {
      name: 'On sandbox event',
      trigger: { type: 'webhook' },
      steps: [{ id: 'create', type: 'request', method: 'POST', path: '/contacts', body: { name: '{{trigger.body.contact.name}}', email: '{{trigger.query.source}}@example.com' } }],
    };

    it("gives each enabled account its own URL; the sandbox's signed delivery starts a run for that account with body, headers and query", async () => {
      const workflowId = await publish(webhookDefinition);
      const workflow = await json<Json>(await api('GET', `/workflows/${workflowId}`));
      expect(workflow.webhookUrl).toBe(`${server.url}/webhooks/workflows/${workflowId}`);
      const { sub, credentialId, apiKey } = await connectApiKey('webhook');
      const other = await connectApiKey('webhook-other');
      for (const user of [sub, other.sub]) await json(await server.sdk(user, `/workflows/${workflowId}`, { method: 'POST' }));

      const { data } = await json<{ data: Json[] }>(await api('GET', `/workflows/${workflowId}/webhook-urls?userId=${encodeURIComponent(sub)}`));
      expect(data).toEqual([{ credentialId, userId: sub, url: expect.stringMatching(new RegExp(`^${workflow.webhookUrl}/[A-Za-z0-9_-]{43}$`)), enabled: true }]);
      const url = data[0]!.url as string;
      // The user's app reads the same URL with the user token; the other user's is another one.
      expect(await json(await server.sdk(sub, `/workflows/${workflowId}/webhook-url`))).toEqual(data[0]);
      const otherUrl = (await json<Json>(await server.sdk(other.sub, `/workflows/${workflowId}/webhook-url`))).url;
      expect(otherUrl).not.toBe(url);
      expect((await json<{ data: Json[] }>(await api('GET', `/workflows/${workflowId}/webhook-urls`))).data).toHaveLength(2);

      // The sandbox posts a signed event, as a provider would, and reports what Switchboard answered.
      const sent = await fetch(`${server.url}/sandbox/api/webhooks/send`, {
        method: 'POST',
        headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${url}?source=sandbox`, event: { type: 'contact.created', contact: { name: 'Ada' } } }),
      });
      const { delivered } = await json<{ delivered: { status: number; body: Json } }>(sent);
      expect(delivered).toEqual({ status: 202, body: { runId: expect.any(String) } });
      const run = await finished(delivered.body.runId);
      expect(run).toMatchObject({ status: 'SUCCEEDED', userId: sub, credentialId, triggerType: 'webhook' });
      expect(run.trigger.body).toEqual({ type: 'contact.created', contact: { name: 'Ada' } });
      expect(run.trigger.query).toEqual({ source: 'sandbox' });
      expect(run.trigger.headers['x-sandbox-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(run.trigger.headers['x-sandbox-event-id']).toEqual(expect.any(String));
      expect(run.steps[0].output.body).toMatchObject({ name: 'Ada', email: 'sandbox@example.com' });
      // The token admits deliveries: request logs show the route without it.
      const token = url.split('/').at(-1)!;
      expect(server.logs.some((line) => line.includes(`/webhooks/workflows/${workflowId}/[token]`))).toBe(true);
      expect(server.logs.join('\n')).not.toContain(token);
    });

    it('refuses a missing or wrong signature with 401 and starts no run; an unknown token is 404, a disabled account 409', async () => {
      const workflowId = await publish(webhookDefinition);
      const { sub, apiKey } = await connectApiKey('webhook-refused');
      const other = await connectApiKey('webhook-refused-other');
      await json(await server.sdk(sub, `/workflows/${workflowId}`, { method: 'POST' }));
      const { url } = await json<Json>(await server.sdk(sub, `/workflows/${workflowId}/webhook-url`));
      const body = JSON.stringify({ contact: { name: 'Mallory' } });
      const post = (headers: Record<string, string>, to: string = url) => fetch(to, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      const signed = (key: string, text = body) => `sha256=${createHmac('sha256', key).update(text).digest('hex')}`;

      await expectError(await post({}), 401, 'WEBHOOK_SIGNATURE_INVALID');
      await expectError(await post({ 'x-sandbox-signature': 'sha256=00' }), 401, 'WEBHOOK_SIGNATURE_INVALID');
      // Signed with another account's key, or over another body.
      await expectError(await post({ 'x-sandbox-signature': signed(other.apiKey) }), 401, 'WEBHOOK_SIGNATURE_INVALID');
      await expectError(await post({ 'x-sandbox-signature': signed(apiKey, `${body} `) }), 401, 'WEBHOOK_SIGNATURE_INVALID');
      expect(await runsOf(workflowId)).toEqual([]);

      // The right signature over the exact bytes is accepted (the key is the account's own, per the catalog).
      const accepted = await json<{ runId: string }>(await post({ 'x-sandbox-signature': signed(apiKey) }), 202);
      expect((await finished(accepted.runId)).trigger.body).toEqual({ contact: { name: 'Mallory' } });

      await expectError(await post({ 'x-sandbox-signature': signed(apiKey) }, `${url.slice(0, -4)}AAAA`), 404, 'WEBHOOK_NOT_FOUND');
      await expectError(await post({ 'x-sandbox-signature': signed(apiKey) }, url.replace(workflowId, 'another-workflow')), 404, 'WEBHOOK_NOT_FOUND');
      await json(await server.sdk(sub, `/workflows/${workflowId}`, { method: 'DELETE' }));
      await expectError(await post({ 'x-sandbox-signature': signed(apiKey) }), 409, 'WORKFLOW_NOT_ENABLED');
      expect(await runsOf(workflowId)).toHaveLength(1);
      // Enabled again, the same URL works again.
      await json(await server.sdk(sub, `/workflows/${workflowId}`, { method: 'POST' }));
      await json(await post({ 'x-sandbox-signature': signed(apiKey) }), 202);
    });

    it("checks an OAuth integration's webhooks against the project's client secret; the sandbox signs through the Proxy API", async () => {
      const { id: workflowId } = await json<{ id: string }>(await api('POST', '/workflows', { ...webhookDefinition, integration: 'sandbox' }), 201);
      await json(await api('POST', `/workflows/${workflowId}/publish`));
      const sub = newUser('webhook-oauth');
      postedResult((await connectSandbox(server, sub, { login: 'grace@example.com' })).page);
      await json(await server.sdk(sub, `/workflows/${workflowId}`, { method: 'POST' }));
      const { url } = await json<Json>(await server.sdk(sub, `/workflows/${workflowId}/webhook-url`));
      // Through the Proxy API the sandbox sees the account's access token, and signs with its client's secret.
      const sent = await server.sdk(sub, '/proxy/sandbox/webhooks/send', { method: 'POST', json: { url: `${url}?source=oauth`, event: { contact: { name: 'Grace' } } } });
      const { delivered } = await json<{ delivered: { status: number; body: Json } }>(sent);
      expect(delivered.status).toBe(202);
      expect(await finished(delivered.body.runId)).toMatchObject({ status: 'SUCCEEDED', userId: sub, trigger: { body: { contact: { name: 'Grace' } } } });
      const forged = `sha256=${createHmac('sha256', 'not-the-client-secret').update('{}').digest('hex')}`;
      await expectError(await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-sandbox-signature': forged }, body: '{}' }), 401, 'WEBHOOK_SIGNATURE_INVALID');
    });

    it('reads a form body as an object and text as text; refuses malformed JSON with 400 INVALID_JSON and starts nothing', async () => {
      // An integration without a signature spec: the URL's token alone admits a delivery.
      await json(await api('POST', '/custom-integrations', apiKeyCustomIntegration('unsigned-hooks', `${server.url}/sandbox/api`, { testEndpointUrl: '/me' })), 201);
      const { id: workflowId } = await json<{ id: string }>(await api('POST', '/workflows', { name: 'Unsigned', integration: 'custom.unsigned-hooks', trigger: { type: 'webhook' }, steps: [{ id: 'me', type: 'request', method: 'GET', url: `${server.url}/health` }] }), 201);
      await json(await api('POST', `/workflows/${workflowId}/publish`));
      const sub = newUser('unsigned');
      await json(await server.sdk(sub, '/credentials', { method: 'POST', json: { integrationId: 'custom.unsigned-hooks', payload: { apiKey: 'sbx_unsigned' } } }), 201);
      await json(await server.sdk(sub, `/workflows/${workflowId}`, { method: 'POST' }));
      const { url } = await json<Json>(await server.sdk(sub, `/workflows/${workflowId}/webhook-url`));
      const post = (contentType: string, body: string) => fetch(url, { method: 'POST', headers: { 'content-type': contentType, cookie: 'session=1', authorization: 'Bearer not-for-the-history' }, body });

      const form = await json<{ runId: string }>(await post('application/x-www-form-urlencoded', 'name=Ada&plan=pro'), 202);
      const text = await json<{ runId: string }>(await post('text/plain', 'hello'), 202);
      const formRun = await json<Json>(await api('GET', `/workflow-runs/${form.runId}`));
      expect(formRun.trigger.body).toEqual({ name: 'Ada', plan: 'pro' });
      // Credentials and cookies of a delivery never reach the run history; its other headers do.
      expect(formRun.trigger.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(formRun.trigger.headers.cookie).toBeUndefined();
      expect(formRun.trigger.headers.authorization).toBeUndefined();
      expect((await json<Json>(await api('GET', `/workflow-runs/${text.runId}`))).trigger.body).toBe('hello');
      await expectError(await post('application/json', '{"name":'), 400, 'INVALID_JSON');
      expect(await runsOf(workflowId)).toHaveLength(2);
    });

    it('the sandbox delivers only to webhook URLs of this server, never to another address', async () => {
      const { apiKey } = await connectApiKey('relay');
      for (const url of ['http://127.0.0.1:9/webhooks/workflows/x/y', `${server.url}/api/v1/projects`, `${server.url}/webhooks-elsewhere`, 'not a url', 42]) {
        const sent = await fetch(`${server.url}/sandbox/api/webhooks/send`, { method: 'POST', headers: { 'x-api-key': apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ url, event: {} }) });
        expect(sent.status, String(url)).toBe(400);
        expect(((await sent.json()) as Json).message).toMatch(/webhook URL of this Switchboard server/);
      }
    });

    it('shows no webhook URL for other triggers, and refuses their URL list', async () => {
      const workflowId = await publish({ name: 'Hello again', trigger: { type: 'integrationEnabled' }, steps: [{ id: 'me', type: 'request', method: 'GET', path: '/me' }] });
      expect((await json<Json>(await api('GET', `/workflows/${workflowId}`))).webhookUrl).toBeNull();
      await expectError(await api('GET', `/workflows/${workflowId}/webhook-urls`), 404, 'WORKFLOW_NOT_FOUND');
    });
  });

  describe('Request triggers', () => {
    // The waiting call is woken by the run's own update when this instance holds the run, else polled. How soon it
    // answers is a latency, for a benchmark to measure; here, with a timeout no loaded machine reaches, each call
    // must get the run's Response, whichever path found it.
    it('answer each call with its run\'s Response, on SQLite and on Postgres', async () => {
      const workflowId = await publish({ name: 'Quick answer', trigger: { type: 'request', timeoutSeconds: 20 }, steps: [{ id: 'answer', type: 'response', body: { ok: true } }] });
      const { sub } = await connectApiKey('quick');
      await json(await server.sdk(sub, `/workflows/${workflowId}`, { method: 'POST' }));
      for (let attempt = 0; attempt < 3; attempt++) {
        expect(await json(await server.sdk(sub, `/triggers/${workflowId}`, { method: 'POST', json: {} }))).toEqual({ ok: true });
      }
    });

    it("answer the call from the Response step while the run goes on: the run's own update wakes the waiting call", async () => {
      // An API of the test's own whose calls wait until the test answers them.
      const waiting = new Map<string, ServerResponse>();
      const upstream = createServer((request, response) => {
        request.resume();
        waiting.set(request.url ?? '', response);
      });
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
      const base = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
      const answer = async (path: string) => {
        await vi.waitFor(() => expect(waiting.has(path)).toBe(true), { timeout: 10_000, interval: 20 });
        waiting.get(path)!.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      };
      try {
        const workflowId = await publish({
          name: 'Answer, then carry on',
          trigger: { type: 'request', timeoutSeconds: 15 },
          steps: [
            { id: 'before', type: 'request', method: 'POST', url: `${base}/before` },
            { id: 'answer', type: 'response', body: { answered: true } },
            { id: 'after', type: 'request', method: 'POST', url: `${base}/after` },
          ],
        });
        const { sub } = await connectApiKey('answer-then-carry-on');
        await json(await server.sdk(sub, `/workflows/${workflowId}`, { method: 'POST' }));
        const call = server.sdk(sub, `/triggers/${workflowId}`, { method: 'POST', json: {} });

        // The run is at `before`, held by this instance's worker. Past the 1-second fallback poll, the call has read
        // it so and waits, without polling, for the run's own update.
        await vi.waitFor(() => expect(waiting.has('/before')).toBe(true), { timeout: 10_000, interval: 20 });
        await sleep(2_500);
        await answer('/before');

        // Answered while `after` is still held, so the run is still going: the Response step's update woke the call.
        // Without that wake-up nothing else would (the run cannot end while `after` is held): a 504 at the timeout.
        expect(await json(await call)).toEqual({ answered: true });
        const [run] = await runsOf(workflowId);
        expect(run!.status).toBe('RUNNING');
        await answer('/after');
        expect((await finished(run!.id)).status).toBe('SUCCEEDED');
      } finally {
        upstream.closeAllConnections();
        await new Promise<void>((resolve) => upstream.close(() => resolve()));
      }
    });
  });

  describe('schedules', () => {
    it('never fires a time that fell between publishing and the user enabling the workflow', async () => {
      const workflowId = await publish({ name: 'Every minute', trigger: { type: 'schedule', cron: '* * * * *' }, steps: [{ id: 'me', type: 'request', method: 'GET', path: '/me' }] });
      // Published four minutes ago (a due time every minute since), enabled by the user only now.
      const fourMinutesAgo = new Date(Date.now() - 4 * 60_000).toISOString();
      await server.server.context.db.updateTable('workflows').set({ updated_at: fourMinutesAgo }).where('id', '=', workflowId).execute();
      const { sub } = await connectApiKey('scheduled-late');
      await json(await server.sdk(sub, `/workflows/${workflowId}`, { method: 'POST' }));
      const { enabled_at: enabledAt } = await server.server.context.db.selectFrom('workflow_enablements').select('enabled_at').where('workflow_id', '=', workflowId).executeTakeFirstOrThrow();

      const { fireSchedules } = await import('../src/workflows/run-triggers.js');
      const at = new Date(Date.now() + 90_000);
      await fireSchedules(server.server.context, server.server.workflows!, at);
      const times = await Promise.all((await runsOf(workflowId)).map(async (run) => (await json<Json>(await api('GET', `/workflow-runs/${run.id}`))).trigger.scheduledAt as string));
      // Exactly the minutes after the enablement, up to `at`: one or two, never the three or four before it.
      const expected: string[] = [];
      for (let minute = Math.floor(Date.parse(enabledAt) / 60_000) + 1; minute * 60_000 <= at.getTime(); minute++) expected.push(new Date(minute * 60_000).toISOString());
      expect(times.sort()).toEqual(expected);
      expect(expected.length).toBeGreaterThanOrEqual(1);
    });
  });
});
