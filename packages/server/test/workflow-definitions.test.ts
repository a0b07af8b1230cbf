import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { management } from './support/management.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

/** A small workflow of the sandbox: on an app event, read the contacts and post a note per contact. */
const definition = (overrides: Record<string, unknown> = {}) => ({
  name: 'Sync contacts',
  description: 'Copies new contacts into notes',
  integration: 'sandbox',
  trigger: { type: 'appEvent', event: 'Contact Created' },
  settings: [{ id: 'label', label: 'Label', type: 'text' }],
  steps: [
    { id: 'contacts', type: 'request', method: 'GET', path: '/contacts' },
    {
      id: 'some',
      type: 'conditional',
      if: { left: '{{steps.contacts.output.length}}', operator: 'greaterThan', right: 0 },
      then: [
        {
          id: 'each',
          type: 'fanOut',
          items: '{{steps.contacts.output}}',
          concurrency: 5,
          steps: [{ id: 'note', type: 'request', method: 'POST', path: '/notes', body: { text: '{{settings.label}}: {{item.name}}' } }],
        },
      ],
    },
  ],
  ...overrides,
});

describe.each(testDatabases)('workflow definitions in the management API, on %s', (database) => {
  let server: TestServer;
  const api = (method: string, path: string, json?: unknown) => management(server, server.secretKey, method, `/projects/${server.projectId}${path}`, json);
  const create = async (body: unknown) => api('POST', '/workflows', body);

  beforeAll(async () => {
    server = await startTestServer(database);
    expect((await api('PUT', '/app-events/Contact%20Created', { schema: { type: 'object' }, samplePayload: { name: 'Ada' } })).status).toBe(201);
  });
  afterAll(async () => server?.close());

  it('creates version 1 unpublished; the same definition again changes nothing; a change is version 2', async () => {
    const created = await create(definition());
    expect(created.status, await created.clone().text()).toBe(201);
    const workflow = (await created.json()) as { id: string; latestVersion: number; publishedVersion: number | null; isActive: boolean; definition: unknown; dateUpdated: string };
    expect(workflow).toMatchObject({ latestVersion: 1, publishedVersion: null, isActive: true, definition: definition() });

    const same = await api('PUT', `/workflows/${workflow.id}`, definition());
    expect(await same.json()).toMatchObject({ latestVersion: 1, dateUpdated: workflow.dateUpdated });
    const changed = await api('PUT', `/workflows/${workflow.id}`, definition({ name: 'Sync contacts v2' }));
    expect(await changed.json()).toMatchObject({ latestVersion: 2, publishedVersion: null, definition: { name: 'Sync contacts v2' } });
  });

  it('publishes the latest version, rolls back to an earlier one, and lists the history newest first', async () => {
    const { id } = (await (await create(definition({ name: 'History' }))).json()) as { id: string };
    await api('PUT', `/workflows/${id}`, definition({ name: 'History v2' }));
    expect(await (await api('POST', `/workflows/${id}/publish`)).json()).toMatchObject({ publishedVersion: 2, latestVersion: 2 });
    await api('PUT', `/workflows/${id}`, definition({ name: 'History v3' }));
    const rolledBack = await api('POST', `/workflows/${id}/rollback`, { version: 1 });
    expect(await rolledBack.json()).toMatchObject({ publishedVersion: 1, latestVersion: 3, definition: { name: 'History v3' } });

    const versions = (await (await api('GET', `/workflows/${id}/versions`)).json()) as { version: number; isPublished: boolean; datePublished: string | null; definition: { name: string } }[];
    expect(versions.map((v) => [v.version, v.definition.name, v.isPublished])).toEqual([
      [3, 'History v3', false],
      [2, 'History v2', false],
      [1, 'History', true],
    ]);
    expect(versions.find((v) => v.version === 2)!.datePublished).toEqual(expect.any(String));
    expect(versions.find((v) => v.version === 3)!.datePublished).toBeNull();

    const missing = await api('POST', `/workflows/${id}/rollback`, { version: 9 });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ code: 'WORKFLOW_VERSION_NOT_FOUND', field: 'version' });
  });

  it('deactivates and reactivates a workflow, lists the project\'s workflows, and removes one with its history', async () => {
    const { id } = (await (await create(definition({ name: 'Toggle' }))).json()) as { id: string };
    expect(await (await api('PATCH', `/workflows/${id}`, { isActive: false })).json()).toMatchObject({ isActive: false });
    expect(await (await api('PATCH', `/workflows/${id}`, { isActive: true })).json()).toMatchObject({ isActive: true });
    expect(((await (await api('GET', '/workflows')).json()) as { id: string }[]).map((w) => w.id)).toContain(id);
    expect((await api('DELETE', `/workflows/${id}`)).status).toBe(204);
    for (const path of [`/workflows/${id}`, `/workflows/${id}/versions`]) {
      const gone = await api('GET', path);
      expect(gone.status).toBe(404);
      expect(await gone.json()).toMatchObject({ code: 'WORKFLOW_NOT_FOUND' });
    }
    expect((await api('DELETE', `/workflows/${id}`)).status).toBe(404);
  });

  const refusals: [string, Record<string, unknown>, string, string, RegExp][] = [
    ['an unknown step type', { steps: [{ id: 'a', type: 'teleport' }] }, 'INVALID_WORKFLOW', 'steps[0].type', /must be one of request, action, function, conditional, fanOut, delay, response/],
    [
      'a bad method deep in a branch',
      { steps: [{ id: 'a', type: 'conditional', if: { left: '1', operator: 'equals', right: 1 }, then: [{ id: 'b', type: 'request', method: 'FETCH', path: '/x' }] }] },
      'INVALID_WORKFLOW',
      'steps[0].then[0].method',
      /must be one of GET, POST, PUT, PATCH, DELETE/,
    ],
    ['a property a step does not have', { steps: [{ id: 'a', type: 'delay', seconds: 5, colour: 'red' }] }, 'INVALID_WORKFLOW', 'steps[0].colour', /./],
    ['a delay over 30 days', { steps: [{ id: 'a', type: 'delay', seconds: 31 * 86_400 }] }, 'INVALID_WORKFLOW', 'steps[0].seconds', /./],
    ['a step id used twice', { steps: [{ id: 'a', type: 'delay', seconds: 1 }, { id: 'a', type: 'delay', seconds: 2 }] }, 'INVALID_WORKFLOW', 'steps[1].id', /repeats/],
    [
      'a variable naming a later step',
      { steps: [{ id: 'a', type: 'request', method: 'GET', path: '/x/{{steps.b.output.id}}' }, { id: 'b', type: 'delay', seconds: 1 }] },
      'INVALID_WORKFLOW',
      'steps[0].path',
      /names no earlier step/,
    ],
    ['a variable naming no setting', { steps: [{ id: 'a', type: 'request', method: 'GET', path: '/x/{{settings.nope}}' }] }, 'INVALID_WORKFLOW', 'steps[0].path', /names no setting/],
    ['an unknown variable root', { steps: [{ id: 'a', type: 'request', method: 'GET', path: '/{{env.HOME}}' }] }, 'INVALID_WORKFLOW', 'steps[0].path', /is no variable/],
    ['a request with both path and url', { steps: [{ id: 'a', type: 'request', method: 'GET', path: '/x', url: 'https://example.com' }] }, 'INVALID_WORKFLOW', 'steps[0].path', /exactly one/],
    ['a response step without a Request trigger', { steps: [{ id: 'a', type: 'response', status: 200 }] }, 'INVALID_WORKFLOW', 'steps[0].type', /answers a Request trigger/],
    ['no steps', { steps: [] }, 'INVALID_WORKFLOW', 'steps', /at least one/],
    ['an unknown trigger', { trigger: { type: 'email' } }, 'INVALID_WORKFLOW', 'trigger.type', /must be one of appEvent, request, schedule/],
    ['a cron with six fields', { trigger: { type: 'schedule', cron: '0 0 * * * *' } }, 'INVALID_WORKFLOW', 'trigger.cron', /five fields/],
    ['a cron minute of 61', { trigger: { type: 'schedule', cron: '61 * * * *' } }, 'INVALID_WORKFLOW', 'trigger.cron', /minute/],
    ['a time zone that does not exist', { trigger: { type: 'schedule', cron: '0 9 * * 1', timeZone: 'Mars/Olympus' } }, 'INVALID_WORKFLOW', 'trigger.timeZone', /IANA/],
    ['a setting pattern that is no regular expression', { settings: [{ id: 'label', label: 'Label', type: 'text', pattern: '(' }] }, 'INVALID_WORKFLOW', 'settings[0].pattern', /regular expression/],
    ['no name', { name: '' }, 'INVALID_WORKFLOW', 'name', /./],
    ['an integration not in the project', { integration: 'nowhere' }, 'INVALID_WORKFLOW', 'integration', /not in this project/],
    ['an app event not defined', { trigger: { type: 'appEvent', event: 'Never Defined' } }, 'INVALID_WORKFLOW', 'trigger.event', /define "Never Defined" first/],
    ['an action the integration does not declare', { steps: [{ id: 'a', type: 'action', action: 'sendMessage' }] }, 'INVALID_WORKFLOW', 'steps[0].action', /sendMessage is no action of sandbox(-apikey)?; its actions are SANDBOX_LIST_CONTACTS/],
  ];

  it.each(refusals)('refuses %s with 400, naming the field, and stores nothing', async (_case, overrides, code, field, message) => {
    const before = ((await (await api('GET', '/workflows')).json()) as unknown[]).length;
    const refused = await create(definition(overrides));
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { code: string; field: string; message: string };
    expect(body).toMatchObject({ code, field });
    expect(body.message).toMatch(message);
    expect(((await (await api('GET', '/workflows')).json()) as unknown[]).length).toBe(before);
  });

  it('refuses a bad draft with the same error and keeps the latest version as it was', async () => {
    const { id } = (await (await create(definition({ name: 'Kept' }))).json()) as { id: string };
    const refused = await api('PUT', `/workflows/${id}`, definition({ steps: [{ id: 'x', type: 'delay' }] }));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: 'INVALID_WORKFLOW', field: 'steps[0].seconds' });
    expect(await (await api('GET', `/workflows/${id}`)).json()).toMatchObject({ latestVersion: 1, definition: { name: 'Kept' } });
  });

  it('a body that is not a definition at all is a 400, not a crash', async () => {
    for (const body of [[], 'text', { name: 'x' }]) {
      const refused = await create(body);
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ code: expect.stringMatching(/INVALID_WORKFLOW|VALIDATION_ERROR/) });
    }
  });

  it('defines, replaces, lists and removes app events; the same body twice changes nothing', async () => {
    const put = (body: unknown) => api('PUT', '/app-events/Deal%20Won', body);
    const created = await put({ schema: { type: 'object', properties: { amount: { type: 'number' } } }, samplePayload: { amount: 10 } });
    expect(created.status).toBe(201);
    const first = (await created.json()) as { name: string; dateUpdated: string };
    expect(first).toMatchObject({ name: 'Deal Won', samplePayload: { amount: 10 } });
    const again = await put({ schema: { type: 'object', properties: { amount: { type: 'number' } } }, samplePayload: { amount: 10 } });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ dateUpdated: first.dateUpdated });
    expect(((await (await api('GET', '/app-events')).json()) as { name: string }[]).map((e) => e.name)).toEqual(expect.arrayContaining(['Contact Created', 'Deal Won']));
    expect((await api('DELETE', '/app-events/Deal%20Won')).status).toBe(204);
    const gone = await api('DELETE', '/app-events/Deal%20Won');
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ code: 'APP_EVENT_NOT_FOUND' });
    const unknownField = await put({ payloadSchema: {} });
    expect(unknownField.status).toBe(400);
    expect(await unknownField.json()).toMatchObject({ code: 'VALIDATION_ERROR', field: 'payloadSchema' });
  });

  it('keeps environment secrets sealed: listed by name only, never in plain text in the database', async () => {
    const value = `sk_live_${Math.random().toString(36).slice(2)}`;
    expect((await api('PUT', '/secrets/STRIPE_KEY', { value })).status).toBe(204);
    expect((await api('PUT', '/secrets/STRIPE_KEY', { value: `${value}_2` })).status).toBe(204);
    const listed = await api('GET', '/secrets');
    const text = await listed.text();
    expect(JSON.parse(text)).toEqual([{ name: 'STRIPE_KEY', dateCreated: expect.any(String), dateUpdated: expect.any(String) }]);
    expect(text).not.toContain(value);
    const rows = await server.server.context.db.selectFrom('project_secrets').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(value);
    const badName = await api('PUT', '/secrets/not-a-name', { value });
    expect(badName.status).toBe(400);
    expect(await badName.json()).toMatchObject({ code: 'VALIDATION_ERROR', field: 'name' });
    expect((await api('DELETE', '/secrets/STRIPE_KEY')).status).toBe(204);
    expect(await (await api('DELETE', '/secrets/STRIPE_KEY')).json()).toMatchObject({ code: 'SECRET_NOT_FOUND' });
  });

  it("refuses another project's secret key and a missing one on every workflow route", async () => {
    for (const path of ['/workflows', '/app-events', '/secrets']) {
      expect((await management(server, undefined, 'GET', `/projects/${server.projectId}${path}`)).status).toBe(401);
      expect((await management(server, 'sk_wrong', 'GET', `/projects/${server.projectId}${path}`)).status).toBe(401);
    }
  });

  it("accepts docs/workflows.md's example as it is written there", async () => {
    const doc = readFileSync(new URL('../../../docs/workflows.md', import.meta.url), 'utf8');
    const example = JSON.parse(/```json\n([\s\S]*?)\n```/.exec(doc)![1]!) as { trigger: { event: string } };
    expect((await api('PUT', `/app-events/${encodeURIComponent(example.trigger.event)}`, {})).status).toBe(201);
    const created = await create(example);
    expect(created.status, await created.clone().text()).toBe(201);
  });
});
