import { setTimeout as sleep } from 'node:timers/promises';
import { findBuiltInIntegration } from '@switchboard/catalog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyCustomIntegration, defineCustomIntegration, management } from './support/management.js';
import { startProviderSimulator, type ProviderSimulator, type RecordedRequest } from './support/provider-simulator.js';
import { expectError, json, newUser } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

type Json = Record<string, any>;

/**
 * Action steps against the real server: the sandbox's actions end to end on its real API, each provider's catalog
 * actions against a loopback server speaking that provider's documented API, definitions refused on write, inputs
 * refused at run time, provider error answers, and the actions listed for the management API.
 */
describe.each(testDatabases)('workflow Action steps, on %s', (database) => {
  let server: TestServer;
  let sim: ProviderSimulator;
  const api = (method: string, path: string, body?: unknown) => management(server, server.secretKey, method, `/projects/${server.projectId}${path}`, body);

  async function publish(integration: string, steps: unknown[]): Promise<string> {
    const { id } = await json<{ id: string }>(await api('POST', '/workflows', { name: `Actions ${newUser('wf')}`, integration, trigger: { type: 'appEvent', event: 'Go' }, steps }), 201);
    await json(await api('POST', `/workflows/${id}/publish`));
    return id;
  }

  /** A user with an account of `integration` (an API key) that has the workflow enabled. */
  async function userWith(integration: string, apiKey: string, workflowId: string): Promise<string> {
    const sub = newUser('actions');
    await json(await server.sdk(sub, '/credentials', { method: 'POST', json: { integrationId: integration, payload: { apiKey } } }), 201);
    await json(await server.sdk(sub, `/workflows/${workflowId}`, { method: 'POST' }));
    return sub;
  }

  /** Sends the app event for the user and waits for the one run it starts to end. */
  async function run(sub: string, payload: unknown): Promise<Json> {
    const accepted = await json<{ runs: { id: string }[] }>(await api('POST', '/app-events/Go/trigger', { userId: sub, payload }));
    expect(accepted.runs).toHaveLength(1);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const found = await json<Json>(await api('GET', `/workflow-runs/${accepted.runs[0]!.id}`));
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(found.status)) return found;
      if (Date.now() > deadline) throw new Error(`run is still ${found.status}: ${JSON.stringify(found.steps)}`);
      await sleep(100);
    }
  }
  const stepOf = (found: Json, key: string): Json => found.steps.find((step: Json) => step.key === key);

  /** A custom integration carrying a built-in integration's catalog actions, its API on the simulator at `prefix`. */
  async function simulated(slug: string, builtIn: string, prefix: string, testEndpointUrl: string): Promise<string> {
    const { type } = await defineCustomIntegration(
      server,
      apiKeyCustomIntegration(slug, `${sim.url}${prefix}`, { apiAuthorization: 'Authorization: Bearer {{apiKey}}', testEndpointUrl, actions: findBuiltInIntegration(builtIn)!.actions }),
    );
    return type;
  }
  const sent = (path: string): RecordedRequest[] => sim.requestsTo(path);

  beforeAll(async () => {
    server = await startTestServer(database);
    sim = await startProviderSimulator();
    await api('PUT', '/app-events/Go', {});
  });
  afterAll(async () => {
    await server?.close();
    await sim?.close();
  });

  describe('the sandbox', () => {
    it("creates, reads, updates, lists and deletes a contact through its actions, on the sandbox's real API", async () => {
      const workflowId = await publish('sandbox-apikey', [
        { id: 'create', type: 'action', action: 'SANDBOX_CREATE_CONTACT', input: { name: '{{trigger.payload.name}}', email: '{{trigger.payload.email}}' } },
        { id: 'read', type: 'action', action: 'SANDBOX_GET_CONTACT', input: { contactId: '{{steps.create.output.id}}' } },
        { id: 'rename', type: 'action', action: 'SANDBOX_UPDATE_CONTACT', input: { contactId: '{{steps.create.output.id}}', name: '{{steps.read.output.name}} Lovelace' } },
        { id: 'list', type: 'action', action: 'SANDBOX_LIST_CONTACTS' },
        { id: 'remove', type: 'action', action: 'SANDBOX_DELETE_CONTACT', input: { contactId: '{{steps.create.output.id}}' } },
        { id: 'after', type: 'action', action: 'SANDBOX_LIST_CONTACTS', input: {} },
      ]);
      const sub = await userWith('sandbox-apikey', `sbx_${newUser().slice(-8)}`, workflowId);
      const found = await run(sub, { name: 'Ada', email: 'ada@example.com' });
      expect(found.status).toBe('SUCCEEDED');
      const created = stepOf(found, 'create');
      expect(created.input).toEqual({ action: 'SANDBOX_CREATE_CONTACT', input: { name: 'Ada', email: 'ada@example.com' } });
      expect(created.output).toEqual({ id: expect.stringMatching(/^ct_/), name: 'Ada', email: 'ada@example.com', createdAt: expect.any(String), updatedAt: expect.any(String) });
      expect(stepOf(found, 'read').output).toEqual(created.output);
      expect(stepOf(found, 'rename').output).toMatchObject({ id: created.output.id, name: 'Ada Lovelace', email: 'ada@example.com' });
      // SANDBOX_LIST_CONTACTS answers the `data` of the API's answer: the array itself.
      expect(stepOf(found, 'list').output).toEqual([expect.objectContaining({ id: created.output.id, name: 'Ada Lovelace' })]);
      expect(stepOf(found, 'after').output).toEqual([]);
    });

    it('fails the step with ACTION_INPUT_INVALID naming the input when a variable fills it with a value off the schema, and sends nothing', async () => {
      const workflowId = await publish('sandbox-apikey', [
        { id: 'create', type: 'action', action: 'SANDBOX_CREATE_CONTACT', input: { name: '{{trigger.payload.name}}', email: '{{trigger.payload.email}}' } },
      ]);
      const sub = await userWith('sandbox-apikey', `sbx_${newUser().slice(-8)}`, workflowId);
      const badEmail = await run(sub, { name: 'Ada', email: 'not an email' });
      expect(badEmail.status).toBe('FAILED');
      expect(stepOf(badEmail, 'create').error).toEqual({ code: 'ACTION_INPUT_INVALID', message: 'SANDBOX_CREATE_CONTACT input.email must match pattern "^[^\\s@]+@[^\\s@]+$"' });
      expect(badEmail.error).toMatchObject({ code: 'ACTION_INPUT_INVALID', stepKey: 'create' });
      const missing = await run(sub, { name: 'Ada' });
      expect(stepOf(missing, 'create').error).toEqual({ code: 'ACTION_INPUT_INVALID', message: 'SANDBOX_CREATE_CONTACT input.email is required' });
      const wrongType = await run(sub, { name: 7, email: 'ada@example.com' });
      expect(stepOf(wrongType, 'create').error).toEqual({ code: 'ACTION_INPUT_INVALID', message: 'SANDBOX_CREATE_CONTACT input.name must be string' });
      // No contact reached the account: the step refused before calling the API.
      const check = await publish('sandbox-apikey', [{ id: 'list', type: 'action', action: 'SANDBOX_LIST_CONTACTS' }]);
      await json(await server.sdk(sub, `/workflows/${check}`, { method: 'POST' }));
      const accepted = await json<{ runs: { id: string; workflowId: string }[] }>(await api('POST', '/app-events/Go/trigger', { userId: sub, payload: {} }));
      const listRun = accepted.runs.find((entry) => entry.workflowId === check)!;
      let listed: Json;
      for (;;) {
        listed = await json<Json>(await api('GET', `/workflow-runs/${listRun.id}`));
        if (listed.status === 'SUCCEEDED' || listed.status === 'FAILED') break;
        await sleep(100);
      }
      expect(stepOf(listed, 'list').output).toEqual([]);
    });

    it("fails the step with the provider's status and words when the API answers an error", async () => {
      const workflowId = await publish('sandbox-apikey', [{ id: 'read', type: 'action', action: 'SANDBOX_GET_CONTACT', input: { contactId: 'ct_nobody' } }]);
      const sub = await userWith('sandbox-apikey', `sbx_${newUser().slice(-8)}`, workflowId);
      const found = await run(sub, {});
      expect(found.status).toBe('FAILED');
      expect(stepOf(found, 'read').error).toEqual({ code: 'REQUEST_FAILED', message: 'SANDBOX_GET_CONTACT: the API answered 404: No such contact' });
    });
  });

  describe('definitions are checked on write', () => {
    const refused = async (integration: string, step: Json) => api('POST', '/workflows', { name: 'Refused', integration, trigger: { type: 'appEvent', event: 'Go' }, steps: [{ id: 'a', type: 'request', method: 'GET', path: '/me' }, step] });

    it('refuses an action the integration does not declare, naming the step, and stores nothing', async () => {
      const before = await json<Json[]>(await api('GET', '/workflows'));
      const unknown = await expectError(await refused('sandbox-apikey', { id: 'b', type: 'action', action: 'SANDBOX_FLY' }), 400, 'INVALID_WORKFLOW', 'steps[1].action');
      expect(unknown.message).toBe(
        'steps[1].action SANDBOX_FLY is no action of sandbox-apikey; its actions are SANDBOX_LIST_CONTACTS, SANDBOX_CREATE_CONTACT, SANDBOX_GET_CONTACT, SANDBOX_UPDATE_CONTACT, SANDBOX_DELETE_CONTACT',
      );
      const elsewhere = await expectError(await refused('sandbox-apikey', { id: 'b', type: 'action', action: 'SLACK_SEND_MESSAGE', input: { channel: 'C1', text: 'hi' } }), 400, 'INVALID_WORKFLOW', 'steps[1].action');
      expect(elsewhere.message).toMatch(/SLACK_SEND_MESSAGE is no action of sandbox-apikey \(it is an action of slack\)/);
      expect(await json<Json[]>(await api('GET', '/workflows'))).toHaveLength(before.length);
    });

    it('refuses an input the action does not have, a missing required input, and a fixed value off the schema', async () => {
      const extra = await expectError(await refused('sandbox-apikey', { id: 'b', type: 'action', action: 'SANDBOX_GET_CONTACT', input: { contactId: 'ct_1', id: 'x' } }), 400, 'INVALID_WORKFLOW', 'steps[1].input.id');
      expect(extra.message).toBe('steps[1].input.id is not an input of SANDBOX_GET_CONTACT: its inputs are contactId');
      const missing = await expectError(await refused('sandbox-apikey', { id: 'b', type: 'action', action: 'SANDBOX_CREATE_CONTACT', input: { name: '{{trigger.payload.name}}' } }), 400, 'INVALID_WORKFLOW', 'steps[1].input.email');
      expect(missing.message).toBe('steps[1].input.email is required by SANDBOX_CREATE_CONTACT');
      const fixed = await expectError(await refused('sandbox-apikey', { id: 'b', type: 'action', action: 'SANDBOX_CREATE_CONTACT', input: { name: 'Ada', email: 'nope' } }), 400, 'INVALID_WORKFLOW', 'steps[1].input.email');
      expect(fixed.message).toMatch(/^steps\[1\]\.input\.email must match pattern/);
      // A step inside a branch is named by its place.
      const nested = await refused('sandbox-apikey', { id: 'b', type: 'conditional', if: { left: '1', operator: 'equals', right: 1 }, then: [{ id: 'c', type: 'action', action: 'NOPE_NOPE' }] });
      await expectError(nested, 400, 'INVALID_WORKFLOW', 'steps[1].then[0].action');
    });
  });

  describe('the management API lists actions', () => {
    it("lists a built-in integration's actions with their input schemas, before and after it is in the project", async () => {
      const slack = await json<Json[]>(await api('GET', '/integrations/slack/actions'));
      expect(slack.map((action) => action.name)).toEqual(['SLACK_SEND_MESSAGE', 'SLACK_LIST_CHANNELS']);
      expect(slack[0]).toMatchObject({ title: 'Send a message', method: 'POST', path: '/chat.postMessage', inputSchema: { type: 'object', required: ['channel', 'text'] } });
      expect(slack[0]!.inputSchema.properties.channel).toEqual({ type: 'string', minLength: 1, maxLength: 200, description: expect.any(String) });
      const sandbox = await json<Json[]>(await api('GET', '/integrations/sandbox-apikey/actions'));
      expect(sandbox.map((action) => action.name)).toContain('SANDBOX_CREATE_CONTACT');
      expect(await json(await api('GET', '/integrations/jira/actions'))).toEqual([]);
      await expectError(await api('GET', '/integrations/nope/actions'), 404, 'INTEGRATION_NOT_FOUND', 'type');
      await expectError(await management(server, 'sk_wrong', 'GET', `/projects/${server.projectId}/integrations/slack/actions`), 401, 'SECRET_KEY_INVALID');
    });
  });
});
