/**
 * Workflow runs started from Switchboard's browser SDK in headless Chromium, on a page of another origin that loads
 * /switchboard.js by script tag, against a real server and its sandbox API: an app event (`event()`) runs a workflow
 * with a Request step and a Function step, and the run with every step is read back from the task history; a
 * Request trigger (`workflow()`) answers with its Response step; a user token whose JWT permissions refuse app
 * events or workflow triggers gets 403 and starts nothing; a fan-out over 100 items ends with 100 outputs.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SwitchboardSDK } from '@switchboard/sdk';
import { chromiumPath, freshContextEachTest, launchChromium } from '../../../test/support/chromium.js';
import { management } from '../../../packages/server/test/support/management.js';
import { json } from '../../../packages/server/test/support/sdk-flows.js';
import { CatalogPage, freshUser } from './support/catalog-page.js';
import { startDemoEnvironment, type DemoEnvironment } from './support/demo-environment.js';

type Json = Record<string, any>;
const PERMISSIONS_CLAIM = 'urn:useparagon:connect:permissions';

/** How an SDK call in the page ended: its value, or the error's name, code, status and message. */
type Outcome = { ok: true; value: any } | { ok: false; name: string; code?: string; status?: number; message: string };

describe.skipIf(!chromiumPath)("workflow runs from Switchboard's browser SDK, on another origin", () => {
  let env: DemoEnvironment;
  let browser: Browser;
  let context: BrowserContext;
  const ids: Record<'order' | 'quote' | 'fanOut', string> = { order: '', quote: '', fanOut: '' };
  const api = (method: string, path: string, body?: unknown) => management(env.server, env.server.secretKey, method, `/projects/${env.server.projectId}${path}`, body);

  async function publish(definition: Record<string, unknown>): Promise<string> {
    const { id } = await json<{ id: string }>(await api('POST', '/workflows', { integration: 'sandbox-apikey', ...definition }), 201);
    await json(await api('POST', `/workflows/${id}/publish`));
    return id;
  }

  beforeAll(async () => {
    [env, browser] = await Promise.all([startDemoEnvironment('cross-origin'), launchChromium()]);
    for (const name of ['Order Placed', 'Batch Imported']) await json(await api('PUT', `/app-events/${encodeURIComponent(name)}`, {}), 201);
    ids.order = await publish({
      name: 'Record an order',
      trigger: { type: 'appEvent', event: 'Order Placed' },
      steps: [
        { id: 'create', type: 'request', method: 'POST', path: '/contacts', body: { name: '{{trigger.payload.customer}}', email: '{{trigger.payload.email}}' } },
        {
          id: 'summary',
          type: 'function',
          code: 'function (input) { return { contactId: input.contact.id, total: input.lines.reduce((sum, line) => sum + line.qty * line.price, 0) }; }',
          input: { contact: '{{steps.create.output}}', lines: '{{trigger.payload.lines}}' },
        },
      ],
    });
    ids.quote = await publish({
      name: 'Quote',
      trigger: { type: 'request' },
      steps: [
        { id: 'me', type: 'request', method: 'GET', path: '/me' },
        { id: 'price', type: 'function', code: 'function (input) { return { amount: input.qty * 12.5 }; }', input: { qty: '{{trigger.body.qty}}' } },
        { id: 'answer', type: 'response', status: 201, body: { amount: '{{steps.price.output.amount}}', account: '{{steps.me.output.id}}', currency: '{{trigger.query.currency}}' } },
      ],
    });
    ids.fanOut = await publish({
      name: 'Double each',
      trigger: { type: 'appEvent', event: 'Batch Imported' },
      steps: [
        {
          id: 'each',
          type: 'fanOut',
          items: '{{trigger.payload.items}}',
          concurrency: 20,
          steps: [{ id: 'double', type: 'function', code: 'function (input) { return { n: input.n, doubled: input.n * 2, at: input.index }; }', input: { n: '{{item.n}}', index: '{{index}}' } }],
        },
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });
  freshContextEachTest(() => browser, (fresh) => (context = fresh));

  /** A fresh demo user with a sandbox API-key account, signed in on the page (the demo's own session). */
  async function signedIn(label: string): Promise<{ page: Page; userId: string; credentialId: string }> {
    const user = freshUser(label);
    const userId = `demo-${user}`;
    const { id: credentialId } = await json<{ id: string }>(
      await env.server.sdk(userId, '/credentials', { method: 'POST', json: { integrationId: 'sandbox-apikey', payload: { apiKey: `sbx_${randomBytes(6).toString('hex')}` } } }),
      201,
    );
    const catalog = await CatalogPage.open(context, env, { user });
    return { page: catalog.page, userId, credentialId };
  }

  /**
   * Runs `call(window.switchboard, arg)` in the page and says how it ended. Sent as source text through the DevTools
   * protocol, so `call` may only use its arguments.
   */
  const inPage = <A,>(page: Page, call: (sdk: SwitchboardSDK, arg: A) => Promise<unknown>, arg: A): Promise<Outcome> =>
    page.evaluate(`(async () => {
      const sdk = window.switchboard;
      try {
        return { ok: true, value: await (${call.toString()})(sdk, ${JSON.stringify(arg ?? null)}) };
      } catch (error) {
        return { ok: false, name: error.name, code: error.code, status: error.status, message: error.message };
      }
    })()`);

  async function finished(runId: string, timeoutMs = 20_000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await json<Json>(await api('GET', `/workflow-runs/${runId}`));
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status)) return run;
      if (Date.now() > deadline) throw new Error(`run ${runId} is still ${run.status}`);
      await sleep(100);
    }
  }

  const runsOf = async (workflowId: string, userId: string) =>
    (await json<{ data: Json[] }>(await api('GET', `/workflow-runs?workflowId=${workflowId}&userId=${encodeURIComponent(userId)}`))).data;

  it('event() runs the workflow: a sandbox API call and a Function step, each step read back from the task history', async () => {
    const { page, userId, credentialId } = await signedIn('event');
    expect(await inPage(page, (sdk, id) => sdk.enableWorkflow(id), ids.order)).toMatchObject({ ok: true, value: { workflowId: ids.order, workflowStateChange: { enabled: true } } });
    const payload = { customer: 'Ada Lovelace', email: 'ada@example.com', lines: [{ qty: 2, price: 10 }, { qty: 1, price: 5.5 }] };
    const sent = await inPage(page, (sdk, payload) => sdk.event('Order Placed', payload), payload);
    expect(sent).toEqual({ ok: true, value: { runs: [{ id: expect.any(String), workflowId: ids.order }] } });
    const runId = (sent as { value: { runs: { id: string }[] } }).value.runs[0]!.id;

    const run = await finished(runId);
    expect(run).toMatchObject({ id: runId, status: 'SUCCEEDED', workflowId: ids.order, userId, credentialId, triggerType: 'appEvent', trigger: { event: 'Order Placed', payload } });
    expect(run.steps.map((step: Json) => step.key)).toEqual(['create', 'summary']);
    const [create, summary] = run.steps as Json[];
    expect(create).toMatchObject({ status: 'SUCCEEDED', attempts: 1, input: { method: 'POST', path: '/contacts' }, output: { status: 201, body: { name: 'Ada Lovelace', email: 'ada@example.com' } } });
    const contactId = create!.output.body.id;
    expect(contactId).toEqual(expect.any(String));
    expect(summary).toMatchObject({ status: 'SUCCEEDED', attempts: 1, input: { lines: payload.lines }, output: { contactId, total: 25.5 } });
    for (const step of run.steps as Json[]) expect(Date.parse(step.dateFinished)).toBeGreaterThanOrEqual(Date.parse(step.dateStarted));
    // The contact exists in the user's sandbox account, as the page's proxy call sees it.
    const contacts = await inPage(page, (sdk) => sdk.request('sandbox-apikey', '/contacts'), undefined);
    expect(contacts).toMatchObject({ ok: true, value: { data: [{ id: contactId, name: 'Ada Lovelace' }] } });
  });

  it("workflow() answers with the Response step's status and body, computed by a sandbox call and a Function step", async () => {
    const { page, userId } = await signedIn('request');
    expect(await inPage(page, (sdk, id) => sdk.enableWorkflow(id), ids.quote)).toMatchObject({ ok: true });
    const answer = page.waitForResponse((response) => response.url().includes(`/sdk/triggers/${ids.quote}`));
    const answered = await inPage(page, (sdk, id) => sdk.workflow(id, { body: { qty: 4 }, query: { currency: 'EUR' } }), ids.quote);
    expect(answered).toEqual({ ok: true, value: { amount: 50, account: expect.any(String), currency: 'EUR' } });
    // The Response step's status reached the browser too, across origins.
    expect((await answer).status()).toBe(201);
    const runs = await runsOf(ids.quote, userId);
    expect(runs).toHaveLength(1);
    const run = await finished(runs[0]!.id);
    expect(run.steps.map((step: Json) => [step.key, step.status])).toEqual([
      ['me', 'SUCCEEDED'],
      ['price', 'SUCCEEDED'],
      ['answer', 'SUCCEEDED'],
    ]);
    expect(run.steps[2].output).toMatchObject({ status: 201, body: { amount: 50, currency: 'EUR' } });
  });

  it('a user token whose permissions refuse app events gets 403 PERMISSION_DENIED from event(), and one refusing workflows from workflow(); nothing runs', async () => {
    const { page, userId } = await signedIn('permissions');
    for (const id of [ids.order, ids.quote]) expect(await inPage(page, (sdk, id) => sdk.enableWorkflow(id), id)).toMatchObject({ ok: true });
    const answers: { url: string; status: number }[] = [];
    page.on('response', (response) => {
      if (/\/sdk\/(events\/trigger|triggers\/)/.test(response.url())) answers.push({ url: new URL(response.url()).pathname, status: response.status() });
    });

    const signIn = async (permissions: Record<string, unknown>) => {
      const token = await env.server.userToken(userId, { [PERMISSIONS_CLAIM]: permissions });
      expect(await inPage(page, (sdk, [projectId, token]) => sdk.authenticate(projectId!, token!), [env.server.projectId, token])).toEqual({ ok: true });
    };
    await signIn({ 'integration:*': { events: false } });
    const event = await inPage(page, (sdk) => sdk.event('Order Placed', { customer: 'Nobody', email: 'nobody@example.com', lines: [] }), undefined);
    expect(event).toMatchObject({ ok: false, code: 'PERMISSION_DENIED', status: 403, message: expect.stringContaining('app events') });
    // Workflow triggers are another call kind: this token may still run the Request trigger.
    expect(await inPage(page, (sdk, id) => sdk.workflow(id, { body: { qty: 1 } }), ids.quote)).toMatchObject({ ok: true, value: { amount: 12.5 } });

    await signIn({ 'credential:*': { workflows: false } });
    const triggered = await inPage(page, (sdk, id) => sdk.workflow(id, { body: { qty: 1 } }), ids.quote);
    expect(triggered).toMatchObject({ ok: false, code: 'PERMISSION_DENIED', status: 403 });

    expect(answers.map((answer) => answer.status)).toEqual([403, 201, 403]);
    expect(await runsOf(ids.order, userId)).toEqual([]);
    expect(await runsOf(ids.quote, userId)).toHaveLength(1);
  });

  it('a fan-out over 100 items from one event() completes with 100 outputs, in item order', async () => {
    const { page } = await signedIn('fanout');
    expect(await inPage(page, (sdk, id) => sdk.enableWorkflow(id), ids.fanOut)).toMatchObject({ ok: true });
    const items = Array.from({ length: 100 }, (_, index) => ({ n: index + 1 }));
    const sent = await inPage(page, (sdk, items) => sdk.event('Batch Imported', { items }), items);
    expect(sent).toMatchObject({ ok: true, value: { runs: [{ workflowId: ids.fanOut }] } });
    const run = await finished((sent as { value: { runs: { id: string }[] } }).value.runs[0]!.id, 60_000);
    expect(run.status).toBe('SUCCEEDED');
    const each = run.steps.find((step: Json) => step.key === 'each');
    expect(each.output).toHaveLength(100);
    expect(each.output).toEqual(items.map(({ n }, index) => ({ double: { n, doubled: n * 2, at: index } })));
    const branches = run.steps.filter((step: Json) => /^each\[\d+\]\.double$/.test(step.key));
    expect(branches).toHaveLength(100);
    expect(branches.every((step: Json) => step.status === 'SUCCEEDED')).toBe(true);
  }, 90_000);
});
