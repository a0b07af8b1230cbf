/**
 * Workflow runs started from the reference product's browser SDK (`@useparagon/connect`, unchanged) in headless
 * Chromium on another origin, against a real Switchboard server and its sandbox API: `event()` runs a workflow with
 * a Request step and a Function step, read back step by step from the task history; `workflow()` resolves with the
 * Response step's body; a user token whose JWT permissions refuse app events is answered 403 and starts nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, freshContextEachTest, launchChromium } from '../../../test/support/chromium.js';
import { management } from '../../../packages/server/test/support/management.js';
import { connectSandbox, json } from '../../../packages/server/test/support/sdk-flows.js';
import { startOverridesEnvironment, type ReferenceEnvironment } from './support/reference-environment.js';
import { freshLogin, freshUser, ReferencePage } from './support/reference-page.js';

type Json = Record<string, any>;
const PERMISSIONS_CLAIM = 'urn:useparagon:connect:permissions';

describe.skipIf(!chromiumPath)('workflow runs from the reference SDK against Switchboard', () => {
  let env: ReferenceEnvironment;
  let browser: Browser;
  let context: BrowserContext;
  let onSignup: string;
  let lookup: string;
  const api = (method: string, path: string, body?: unknown) => management(env.server, env.server.secretKey, method, `/projects/${env.server.projectId}${path}`, body);

  async function publish(definition: Record<string, unknown>): Promise<string> {
    const { id } = await json<{ id: string }>(await api('POST', '/workflows', { integration: 'sandbox', ...definition }), 201);
    await json(await api('POST', `/workflows/${id}/publish`));
    return id;
  }

  beforeAll(async () => {
    [env, browser] = await Promise.all([startOverridesEnvironment(), launchChromium()]);
    await json(await api('PUT', '/app-events/Signup%20Completed', {}), 201);
    onSignup = await publish({
      name: 'Add the new signup as a contact',
      trigger: { type: 'appEvent', event: 'Signup Completed' },
      steps: [
        { id: 'create', type: 'request', method: 'POST', path: '/contacts', body: { name: '{{trigger.payload.name}}', email: '{{trigger.payload.email}}' } },
        { id: 'greeting', type: 'function', code: 'async function (input) { return { text: `Welcome, ${input.name.split(" ")[0]}!`, contact: input.id }; }', input: { name: '{{steps.create.output.name}}', id: '{{steps.create.output.id}}' } },
      ],
    });
    lookup = await publish({
      name: 'Look up an account',
      trigger: { type: 'request' },
      steps: [
        { id: 'me', type: 'request', method: 'GET', path: '/me' },
        { id: 'shape', type: 'function', code: 'function (input) { return { email: input.email.toUpperCase(), asked: input.asked }; }', input: { email: '{{steps.me.output.email}}', asked: '{{trigger.body.question}}' } },
        { id: 'answer', type: 'response', body: { result: '{{steps.shape.output}}' } },
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });
  freshContextEachTest(() => browser, (fresh) => (context = fresh));

  /** A user with a sandbox account (connected through the real OAuth flow) and the workflows enabled, signed in. */
  async function signedIn(label: string): Promise<{ reference: ReferencePage; sub: string; login: string }> {
    const sub = freshUser(label);
    const login = freshLogin(label);
    await connectSandbox(env.server, sub, { login });
    const reference = await ReferencePage.open(context, env);
    await reference.signIn(sub);
    for (const id of [onSignup, lookup]) {
      expect(await reference.page.evaluate((workflowId) => window.harness.settle(() => window.paragon.enableWorkflow(workflowId)), id)).toEqual({ state: 'resolved' });
    }
    return { reference, sub, login };
  }

  const runsOf = async (workflowId: string, userId: string) =>
    (await json<{ data: Json[] }>(await api('GET', `/workflow-runs?workflowId=${workflowId}&userId=${encodeURIComponent(userId)}`))).data;

  async function finished(runId: string): Promise<Json> {
    for (let tries = 0; ; tries++) {
      const run = await json<Json>(await api('GET', `/workflow-runs/${runId}`));
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status)) return run;
      if (tries > 150) throw new Error(`run ${runId} is still ${run.status}`);
      await sleep(100);
    }
  }

  it('event() runs the workflow through the hermes host: the sandbox call and the Function step are in the task history', async () => {
    const { reference, sub } = await signedIn('event');
    const sent = reference.page.waitForResponse((response) => response.url().endsWith(`/v2/projects/${env.server.projectId}/sdk/events/trigger`));
    expect(await reference.page.evaluate(() => window.harness.settle(() => window.paragon.event('Signup Completed', { name: 'Grace Hopper', email: 'grace@example.com' })))).toEqual({
      state: 'resolved',
    });
    const answer = await sent;
    expect(new URL(answer.url()).origin).toBe(env.services.hermes);
    const { runs } = (await answer.json()) as { runs: { id: string; workflowId: string }[] };
    expect(runs).toEqual([{ id: expect.any(String), workflowId: onSignup }]);

    const run = await finished(runs[0]!.id);
    expect(run).toMatchObject({ status: 'SUCCEEDED', userId: sub, trigger: { event: 'Signup Completed', payload: { name: 'Grace Hopper' } } });
    expect(run.steps.map((step: Json) => [step.key, step.status, step.attempts])).toEqual([
      ['create', 'SUCCEEDED', 1],
      ['greeting', 'SUCCEEDED', 1],
    ]);
    const contact = run.steps[0].output;
    expect(contact).toMatchObject({ status: 201, body: { name: 'Grace Hopper', email: 'grace@example.com' } });
    expect(run.steps[1]).toMatchObject({ input: { name: 'Grace Hopper', id: contact.body.id }, output: { text: 'Welcome, Grace!', contact: contact.body.id } });
    expect(reference.corsErrors()).toEqual([]);
  });

  it("workflow() resolves with the Response step's body, built by a sandbox call and a Function step", async () => {
    const { reference, sub, login } = await signedIn('request');
    const answered = await reference.page.evaluate((id) => window.paragon.workflow(id, { body: { question: 'who am I?' } }), lookup);
    expect(answered).toEqual({ result: { email: `${login}@sandbox.example.com`.toUpperCase(), asked: 'who am I?' } });
    const [run] = await runsOf(lookup, sub);
    expect((await finished(run!.id)).steps.map((step: Json) => step.key)).toEqual(['me', 'shape', 'answer']);
    expect(reference.corsErrors()).toEqual([]);
  });

  it('a user token whose permissions refuse app events: event() rejects with the 403 PERMISSION_DENIED body, and no run starts', async () => {
    const { reference, sub } = await signedIn('permissions');
    const token = await env.server.userToken(sub, { [PERMISSIONS_CLAIM]: { 'integration:sandbox': { events: false } } });
    await reference.page.evaluate(([projectId, userToken]) => window.paragon.authenticate(projectId, userToken), [env.server.projectId, token] as const);
    const sent = reference.page.waitForResponse((response) => response.url().endsWith('/sdk/events/trigger'));
    const event = await reference.page.evaluate(() => window.harness.settle(() => window.paragon.event('Signup Completed', { name: 'Mallory', email: 'm@example.com' })));
    const answer = await sent;
    expect(answer.status()).toBe(403);
    const body = (await answer.json()) as { code: string; message: string };
    expect(body.code).toBe('PERMISSION_DENIED');
    expect(event).toMatchObject({ state: 'rejected' });
    expect(event.state === 'rejected' && JSON.parse(event.message)).toEqual(body);
    expect(await runsOf(onSignup, sub)).toEqual([]);
    // As the reference SDK does with any 403 outside the proxy (docs/compatibility.md), it signed the user out.
    expect(await reference.user()).toEqual({ authenticated: false });
    // Signed in again with the same token, the Request trigger still runs: workflows is another permission.
    await reference.page.evaluate(([projectId, userToken]) => window.paragon.authenticate(projectId, userToken), [env.server.projectId, token] as const);
    expect(await reference.page.evaluate((id) => window.paragon.workflow(id, { body: { question: 'still?' } }), lookup)).toMatchObject({ result: { asked: 'still?' } });
    expect(reference.corsErrors()).toEqual([]);
  });
});
