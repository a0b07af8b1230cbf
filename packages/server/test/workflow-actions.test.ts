import { setTimeout as sleep } from 'node:timers/promises';
import { findBuiltInIntegration } from '@switchboard/catalog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyCustomIntegration, defineCustomIntegration, management } from './support/management.js';
import { startProviderSimulator, type ProviderSimulator, type RecordedRequest } from './support/provider-simulator.js';
import { patchSecrets, sandboxTokenRequests, setTokenExpiry, storedSecrets } from './support/proxy.js';
import { connectSandbox, expectError, json, newUser, postedResult } from './support/sdk-flows.js';
import { publishWorkflow } from './support/workflows.js';
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

  const publish = (integration: string, steps: unknown[]) => publishWorkflow(server, { name: `Actions ${newUser('wf')}`, integration, trigger: { type: 'appEvent', event: 'Go' }, steps });

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

    it('keeps the credential fresh as a Request step does: refreshes a token near expiry, and once more after a 401', async () => {
      const workflowId = await publish('sandbox', [{ id: 'create', type: 'action', action: 'SANDBOX_CREATE_CONTACT', input: { name: '{{trigger.payload.name}}', email: 'fresh@example.com' } }]);
      const sub = newUser('oauth-actions');
      const credentialId = postedResult((await connectSandbox(server, sub, { login: `actions-${sub.slice(-6)}@example.com` })).page).credentialId as string;
      await json(await server.sdk(sub, `/workflows/${workflowId}`, { method: 'POST' }));
      const refreshes = async () => (await sandboxTokenRequests(server.url)).refresh_token;

      const old = await storedSecrets(server, credentialId);
      await setTokenExpiry(server, credentialId, 30);
      let before = await refreshes();
      const nearExpiry = await run(sub, { name: 'Near expiry' });
      expect(nearExpiry.status).toBe('SUCCEEDED');
      expect(stepOf(nearExpiry, 'create').output).toMatchObject({ name: 'Near expiry' });
      expect(await refreshes()).toBe(before + 1);
      expect((await storedSecrets(server, credentialId)).accessToken).not.toBe(old.accessToken);

      await setTokenExpiry(server, credentialId, 3000);
      await patchSecrets(server, credentialId, { accessToken: 'a-token-the-sandbox-never-issued' });
      before = await refreshes();
      const rejected = await run(sub, { name: 'After a 401' });
      expect(rejected.status).toBe('SUCCEEDED');
      expect(stepOf(rejected, 'create').output).toMatchObject({ name: 'After a 401' });
      expect(await refreshes()).toBe(before + 1);
      // The token never reaches the history.
      expect(JSON.stringify(rejected)).not.toContain((await storedSecrets(server, credentialId)).accessToken);
    });

    it("fails the step with the provider's status and words when the API answers an error", async () => {
      const workflowId = await publish('sandbox-apikey', [{ id: 'read', type: 'action', action: 'SANDBOX_GET_CONTACT', input: { contactId: 'ct_nobody' } }]);
      const sub = await userWith('sandbox-apikey', `sbx_${newUser().slice(-8)}`, workflowId);
      const found = await run(sub, {});
      expect(found.status).toBe('FAILED');
      expect(stepOf(found, 'read').error).toEqual({ code: 'REQUEST_FAILED', message: 'SANDBOX_GET_CONTACT: the API answered 404: No such contact' });
    });
  });

  /**
   * Each provider's catalog actions, carried by a custom integration whose API base URL is a loopback server that
   * answers as the provider documents; the test asserts exactly what was sent and what the step gave on.
   */
  describe("each provider's catalog actions, against a server speaking its documented API", () => {
    const token = (prefix: string) => `${prefix}${newUser().slice(-12)}`;
    const authorized = (request: RecordedRequest, key: string) => request.headers.authorization === `Bearer ${key}`;

    it('Slack: lists channels, then sends a message to the first (chat.postMessage, JSON body); ok:false fails the step with its error', async () => {
      const type = await simulated('slack-sim', 'slack', '/slack/api', '/auth.test');
      const key = token('xoxb-');
      sim.route('GET', '/slack/api/auth.test', (req) => (authorized(req, key) ? { body: { ok: true, team_id: 'T0001', team: 'Acme', url: 'https://acme.slack.com/' } } : { body: { ok: false, error: 'invalid_auth' } }));
      sim.route('GET', '/slack/api/conversations.list', () => ({
        body: { ok: true, channels: [{ id: 'C0123', name: 'deals', is_channel: true }, { id: 'C0456', name: 'random', is_channel: true }], response_metadata: { next_cursor: 'dGVhbTpDMDYxRkE1UEI=' } },
      }));
      sim.route('POST', '/slack/api/chat.postMessage', (req) =>
        req.body.channel === 'C_GONE'
          ? { body: { ok: false, error: 'channel_not_found' } }
          : { body: { ok: true, channel: req.body.channel, ts: '1503435956.000247', message: { type: 'message', text: req.body.text, user: 'U012AB3CD', ts: '1503435956.000247' } } },
      );
      const workflowId = await publish(type, [
        { id: 'channels', type: 'action', action: 'SLACK_LIST_CHANNELS', input: { types: 'public_channel,private_channel', limit: 2, excludeArchived: true } },
        { id: 'post', type: 'action', action: 'SLACK_SEND_MESSAGE', input: { channel: '{{trigger.payload.channel}}', text: 'New deal: {{trigger.payload.deal}} in #{{steps.channels.output.channels.0.name}}' } },
      ]);
      const sub = await userWith(type, key, workflowId);
      const found = await run(sub, { channel: 'C0123', deal: 'Acme' });
      expect(found.status).toBe('SUCCEEDED');

      const [list] = sent('/slack/api/conversations.list');
      expect(list).toMatchObject({ method: 'GET', rawBody: '' });
      expect(list!.query).toEqual({ types: 'public_channel,private_channel', exclude_archived: 'true', limit: '2' });
      expect(list!.headers.authorization).toBe(`Bearer ${key}`);
      expect(stepOf(found, 'channels').output).toEqual({
        channels: [{ id: 'C0123', name: 'deals', is_channel: true }, { id: 'C0456', name: 'random', is_channel: true }],
        nextCursor: 'dGVhbTpDMDYxRkE1UEI=',
      });
      const [post] = sent('/slack/api/chat.postMessage');
      expect(post).toMatchObject({ method: 'POST', query: {} });
      expect(post!.headers).toMatchObject({ authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': `${found.id}:post` });
      expect(JSON.parse(post!.rawBody)).toEqual({ channel: 'C0123', text: 'New deal: Acme in #deals' });
      expect(stepOf(found, 'post').output).toEqual({ channel: 'C0123', ts: '1503435956.000247', message: { type: 'message', text: 'New deal: Acme in #deals', user: 'U012AB3CD', ts: '1503435956.000247' } });

      const gone = await run(sub, { channel: 'C_GONE', deal: 'Acme' });
      expect(gone.status).toBe('FAILED');
      expect(stepOf(gone, 'post').error).toEqual({ code: 'ACTION_FAILED', message: 'SLACK_SEND_MESSAGE: the API answered channel_not_found' });
    });

    it('HubSpot: creates a contact (CRM v3 properties) and searches contacts; a 409 fails the step with HubSpot\'s message', async () => {
      const type = await simulated('hubspot-sim', 'hubspot', '/hubapi', '/account-info/v3/details');
      const key = token('CJT');
      sim.route('GET', '/hubapi/account-info/v3/details', (req) => (authorized(req, key) ? { body: { portalId: 62515, accountType: 'STANDARD' } } : { status: 401, body: { status: 'error', message: 'Authentication credentials not found.' } }));
      const contact = { id: '512', properties: { createdate: '2026-12-01T10:00:00.000Z', email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', hs_object_id: '512' }, createdAt: '2026-12-01T10:00:00.000Z', updatedAt: '2026-12-01T10:00:00.000Z', archived: false };
      sim.route('POST', '/hubapi/crm/v3/objects/contacts', (req) =>
        (req.body.properties as Json).email === 'taken@example.com'
          ? { status: 409, body: { status: 'error', message: 'Contact already exists. Existing ID: 512', correlationId: 'aeb5f871-7f07-4993-9211-075dc63e7cbf', category: 'CONFLICT' } }
          : { status: 201, body: contact },
      );
      sim.route('POST', '/hubapi/crm/v3/objects/contacts/search', () => ({ body: { total: 1, results: [contact], paging: { next: { after: '1' } } } }));
      const workflowId = await publish(type, [
        { id: 'create', type: 'action', action: 'HUBSPOT_CREATE_CONTACT', input: { email: '{{trigger.payload.email}}', firstName: 'Ada', lastName: 'Lovelace' } },
        { id: 'search', type: 'action', action: 'HUBSPOT_SEARCH_CONTACTS', input: { query: '{{steps.create.output.properties.email}}', properties: ['email', 'firstname'], limit: 10 } },
      ]);
      const sub = await userWith(type, key, workflowId);
      const found = await run(sub, { email: 'ada@example.com' });
      expect(found.status).toBe('SUCCEEDED');
      const [create] = sent('/hubapi/crm/v3/objects/contacts');
      expect(create).toMatchObject({ method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } });
      expect(JSON.parse(create!.rawBody)).toEqual({ properties: { email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace' } });
      expect(stepOf(found, 'create').output).toEqual({ id: '512', properties: contact.properties, createdAt: '2026-12-01T10:00:00.000Z' });
      const [search] = sent('/hubapi/crm/v3/objects/contacts/search');
      expect(JSON.parse(search!.rawBody)).toEqual({ query: 'ada@example.com', properties: ['email', 'firstname'], limit: 10 });
      expect(stepOf(found, 'search').output).toEqual({ total: 1, results: [contact], nextAfter: '1' });

      const taken = await run(sub, { email: 'taken@example.com' });
      expect(stepOf(taken, 'create').error).toEqual({ code: 'REQUEST_FAILED', message: 'HUBSPOT_CREATE_CONTACT: the API answered 409: Contact already exists. Existing ID: 512' });
    });

    it('Salesforce: creates a record of an object from its fields, then runs a SOQL query (GET /query?q=)', async () => {
      const type = await simulated('salesforce-sim', 'salesforce', '/salesforce-instance/services/data/v60.0', `${sim.url}/salesforce-instance/services/oauth2/userinfo`);
      const key = token('00Dxx0000001gPL!');
      sim.route('GET', '/salesforce-instance/services/oauth2/userinfo', (req) => (authorized(req, key) ? { body: { user_id: '005xx000001Sv6A', organization_id: '00Dxx0000001gPL' } } : { status: 403, body: 'Bad_OAuth_Token' }));
      sim.route('POST', '/salesforce-instance/services/data/v60.0/sobjects/Contact', () => ({ status: 201, body: { id: '003xx000004TmiQAAS', errors: [], success: true } }));
      const records = [{ attributes: { type: 'Contact', url: '/services/data/v60.0/sobjects/Contact/003xx000004TmiQAAS' }, Id: '003xx000004TmiQAAS', Name: 'Ada Lovelace' }];
      sim.route('GET', '/salesforce-instance/services/data/v60.0/query', () => ({ body: { totalSize: 1, done: true, records } }));
      const workflowId = await publish(type, [
        { id: 'create', type: 'action', action: 'SALESFORCE_CREATE_RECORD', input: { objectType: 'Contact', fields: { FirstName: 'Ada', LastName: '{{trigger.payload.lastName}}', Email: 'ada@example.com' } } },
        { id: 'query', type: 'action', action: 'SALESFORCE_SOQL_QUERY', input: { query: "SELECT Id, Name FROM Contact WHERE Id = '{{steps.create.output.id}}'" } },
      ]);
      const sub = await userWith(type, key, workflowId);
      const found = await run(sub, { lastName: 'Lovelace' });
      expect(found.status).toBe('SUCCEEDED');
      const [create] = sent('/salesforce-instance/services/data/v60.0/sobjects/Contact');
      expect(create).toMatchObject({ method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } });
      expect(JSON.parse(create!.rawBody)).toEqual({ FirstName: 'Ada', LastName: 'Lovelace', Email: 'ada@example.com' });
      expect(stepOf(found, 'create').output).toEqual({ id: '003xx000004TmiQAAS', success: true, errors: [] });
      const [query] = sent('/salesforce-instance/services/data/v60.0/query');
      expect(query).toMatchObject({ method: 'GET', rawBody: '' });
      expect(query!.query).toEqual({ q: "SELECT Id, Name FROM Contact WHERE Id = '003xx000004TmiQAAS'" });
      expect(stepOf(found, 'query').output).toEqual({ totalSize: 1, done: true, records });
    });

    it('GitHub: lists the repositories, then opens an issue in one (POST /repos/:owner/:repo/issues)', async () => {
      const type = await simulated('github-sim', 'github', '/github', '/user');
      const key = token('gho_');
      sim.route('GET', '/github/user', (req) => (authorized(req, key) ? { body: { id: 1, login: 'octocat' } } : { status: 401, body: { message: 'Bad credentials' } }));
      sim.route('GET', '/github/user/repos', () => ({ body: [{ id: 1296269, name: 'Hello-World', full_name: 'octocat/Hello-World', owner: { login: 'octocat' }, private: false }] }));
      sim.route('POST', '/github/repos/octocat/Hello-World/issues', (req) => ({
        status: 201,
        body: { id: 1, node_id: 'MDU6SXNzdWUx', number: 1347, title: req.body.title, state: 'open', html_url: 'https://github.com/octocat/Hello-World/issues/1347', labels: [{ name: 'bug' }] },
      }));
      const workflowId = await publish(type, [
        { id: 'repos', type: 'action', action: 'GITHUB_LIST_REPOS', input: { affiliation: 'owner', sort: 'updated', perPage: 50 } },
        {
          id: 'issue',
          type: 'action',
          action: 'GITHUB_CREATE_ISSUE',
          input: { owner: '{{steps.repos.output.0.owner.login}}', repo: '{{steps.repos.output.0.name}}', title: '{{trigger.payload.title}}', body: 'Reported from the app', labels: ['bug'] },
        },
      ]);
      const sub = await userWith(type, key, workflowId);
      const found = await run(sub, { title: 'Found a bug' });
      expect(found.status).toBe('SUCCEEDED');
      const [repos] = sent('/github/user/repos');
      expect(repos).toMatchObject({ method: 'GET', rawBody: '', headers: { authorization: `Bearer ${key}` } });
      expect(repos!.query).toEqual({ affiliation: 'owner', sort: 'updated', per_page: '50' });
      expect(stepOf(found, 'repos').output).toEqual([{ id: 1296269, name: 'Hello-World', full_name: 'octocat/Hello-World', owner: { login: 'octocat' }, private: false }]);
      const [issue] = sent('/github/repos/octocat/Hello-World/issues');
      expect(issue).toMatchObject({ method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } });
      expect(JSON.parse(issue!.rawBody)).toEqual({ title: 'Found a bug', body: 'Reported from the app', labels: ['bug'] });
      expect(stepOf(found, 'issue').output).toEqual({ number: 1347, id: 1, url: 'https://github.com/octocat/Hello-World/issues/1347', state: 'open', title: 'Found a bug' });
    });

    it("Google Drive: searches files (GET /files?q=), then reads the first one's metadata", async () => {
      const type = await simulated('drive-sim', 'googledrive', '/drive/v3', `${sim.url}/google/oauth2/v3/userinfo`);
      const key = token('ya29.');
      sim.route('GET', '/google/oauth2/v3/userinfo', (req) => (authorized(req, key) ? { body: { sub: '1098', email: 'ada@example.com' } } : { status: 401, body: { error: 'invalid_token' } }));
      const file = { kind: 'drive#file', id: '1Bx9_abc-XYZ', name: 'Q4 report.pdf', mimeType: 'application/pdf' };
      sim.route('GET', '/drive/v3/files', () => ({ body: { kind: 'drive#fileList', incompleteSearch: false, files: [file], nextPageToken: '~!!~AI9FV7Q' } }));
      sim.route('GET', `/drive/v3/files/${file.id}`, () => ({ body: { ...file, size: '2048', webViewLink: 'https://drive.google.com/file/d/1Bx9_abc-XYZ/view' } }));
      const workflowId = await publish(type, [
        { id: 'files', type: 'action', action: 'GOOGLE_DRIVE_LIST_FILES', input: { q: "name contains '{{trigger.payload.term}}' and trashed = false", pageSize: 10, orderBy: 'modifiedTime desc' } },
        { id: 'meta', type: 'action', action: 'GOOGLE_DRIVE_GET_FILE', input: { fileId: '{{steps.files.output.files.0.id}}', fields: 'id, name, mimeType, size, webViewLink' } },
      ]);
      const sub = await userWith(type, key, workflowId);
      const found = await run(sub, { term: 'report' });
      expect(found.status).toBe('SUCCEEDED');
      const [list] = sent('/drive/v3/files');
      expect(list).toMatchObject({ method: 'GET', rawBody: '', headers: { authorization: `Bearer ${key}` } });
      expect(list!.query).toEqual({ q: "name contains 'report' and trashed = false", pageSize: '10', orderBy: 'modifiedTime desc' });
      expect(stepOf(found, 'files').output).toEqual({ files: [file], nextPageToken: '~!!~AI9FV7Q' });
      const [meta] = sent(`/drive/v3/files/${file.id}`);
      expect(meta).toMatchObject({ method: 'GET', headers: { authorization: `Bearer ${key}` } });
      expect(meta!.query).toEqual({ fields: 'id, name, mimeType, size, webViewLink' });
      expect(stepOf(found, 'meta').output).toEqual({ ...file, size: '2048', webViewLink: 'https://drive.google.com/file/d/1Bx9_abc-XYZ/view' });
    });

    it('a run whose action the custom integration no longer declares fails the step with ACTION_NOT_FOUND', async () => {
      const definition = apiKeyCustomIntegration('edited-sim', `${sim.url}/edited`, {
        testEndpointUrl: '/ok',
        actions: [{ name: 'EDITED_PING', title: 'Ping', description: 'Pings', method: 'GET', path: '/ping', inputSchema: { type: 'object', properties: {} } }],
      });
      const { id, type } = await defineCustomIntegration(server, definition);
      sim.route('GET', '/edited/ok', () => ({ body: { ok: true } }));
      sim.route('GET', '/edited/ping', () => ({ body: { pong: true } }));
      const workflowId = await publish(type, [{ id: 'ping', type: 'action', action: 'EDITED_PING' }]);
      const sub = await userWith(type, 'edited-key', workflowId);
      expect(stepOf(await run(sub, {}), 'ping').output).toEqual({ pong: true });
      await json(await api('PUT', `/custom-integrations/${id}`, { ...definition, actions: [] }));
      const found = await run(sub, {});
      expect(found.status).toBe('FAILED');
      expect(stepOf(found, 'ping').error).toEqual({ code: 'ACTION_NOT_FOUND', message: `${type} declares no action EDITED_PING` });
    });

    it("keeps a project secret out of the step's error when the provider echoes it back", async () => {
      const { type } = await defineCustomIntegration(
        server,
        apiKeyCustomIntegration('echo-sim', `${sim.url}/echo-sim`, {
          testEndpointUrl: '/ok',
          actions: [
            { name: 'ECHO_SIGN', title: 'Sign', description: 'Signs', method: 'POST', path: '/sign', inputSchema: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] }, body: { key: '{{key}}' } },
            { name: 'ECHO_CHECK', title: 'Check', description: 'Checks', method: 'POST', path: '/check', inputSchema: { type: 'object', properties: { key: { type: 'string' } } }, body: { key: '{{key}}' }, okPath: 'ok', errorPath: 'reason' },
          ],
        }),
      );
      sim.route('GET', '/echo-sim/ok', () => ({ body: {} }));
      sim.route('POST', '/echo-sim/sign', (req) => ({ status: 400, body: { message: `The key ${String(req.body.key)} is not valid` } }));
      sim.route('POST', '/echo-sim/check', (req) => ({ body: { ok: false, reason: `unknown key ${String(req.body.key)}` } }));
      const secret = `sk_echo_${newUser().slice(-12)}`;
      expect((await api('PUT', '/secrets/ECHO_KEY', { value: secret })).status).toBe(204);
      const sign = await publish(type, [{ id: 'sign', type: 'action', action: 'ECHO_SIGN', input: { key: '{{secrets.ECHO_KEY}}' } }]);
      const sub = await userWith(type, 'echo-key', sign);
      const signed = await run(sub, {});
      expect(sent('/echo-sim/sign').at(-1)!.body).toEqual({ key: secret });
      expect(stepOf(signed, 'sign').error).toEqual({ code: 'REQUEST_FAILED', message: 'ECHO_SIGN: the API answered 400: The key [secret] is not valid' });
      await json(await server.sdk(sub, `/workflows/${sign}`, { method: 'DELETE' }));
      const check = await publish(type, [{ id: 'check', type: 'action', action: 'ECHO_CHECK', input: { key: '{{secrets.ECHO_KEY}}' } }]);
      await json(await server.sdk(sub, `/workflows/${check}`, { method: 'POST' }));
      const checked = await run(sub, {});
      expect(stepOf(checked, 'check').error).toEqual({ code: 'ACTION_FAILED', message: 'ECHO_CHECK: the API answered unknown key [secret]' });
      expect(JSON.stringify([signed, checked])).not.toContain(secret);
      // Nor is it in the journal as stored: the history's own redaction is not what hides it.
      const db = server.server.context.db;
      const stored = await Promise.all([signed.id, checked.id].map(async (id: string) => [
        await db.selectFrom('workflow_runs').selectAll().where('id', '=', id).execute(),
        await db.selectFrom('workflow_run_steps').selectAll().where('run_id', '=', id).execute(),
      ]));
      expect(JSON.stringify(stored)).toContain('[secret]');
      expect(JSON.stringify(stored)).not.toContain(secret);
    });

    it('a custom integration may declare actions; one that names no input, or whose schema does not compile, is refused by field', async () => {
      const declare = (actions: unknown[]) => api('POST', '/custom-integrations', apiKeyCustomIntegration(`acts-${newUser().slice(-6)}`, `${sim.url}/x`, { actions }));
      const good = { name: 'THING_MAKE', title: 'Make', description: 'Makes a thing', method: 'POST', path: '/things', inputSchema: { type: 'object', properties: { size: { type: 'integer' } } }, body: { size: '{{size}}' } };
      await json(await declare([good]), 201);
      const unnamed = await expectError(await declare([{ ...good, body: { colour: '{{colour}}' } }]), 400, 'INVALID_ACTION', 'actions.0.body');
      expect(unnamed.message).toBe('action THING_MAKE: {{colour}} names no input property');
      const typo = await expectError(await declare([good, { ...good, name: 'THING_SIZE', inputSchema: { type: 'object', properties: { size: { type: 'integer', minimun: 1 } } } }]), 400, 'INVALID_ACTION', 'actions.1.inputSchema');
      expect(typo.message).toMatch(/^action THING_SIZE: inputSchema is not a valid JSON Schema: .*minimun/);
      const badName = await expectError(await declare([{ ...good, name: 'make' }]), 400, 'VALIDATION_ERROR', 'actions.0.name');
      expect(badName.message).toMatch(/^actions\.0\.name /);
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
      // A fixed input is checked even beside one that holds a variable.
      const beside = await expectError(await refused('sandbox-apikey', { id: 'b', type: 'action', action: 'SANDBOX_CREATE_CONTACT', input: { name: '{{trigger.payload.name}}', email: 42 } }), 400, 'INVALID_WORKFLOW', 'steps[1].input.email');
      expect(beside.message).toBe('steps[1].input.email must be string (SANDBOX_CREATE_CONTACT)');
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

    it("lists, for a user token, the actions of the integrations the user has connected, as tools an agent can call", async () => {
      const sub = newUser('agent');
      const tools = async (query = '') => json<{ actions: Record<string, Json[]> }>(await server.sdk(sub, `/actions${query}`));
      expect(await tools()).toEqual({ actions: {} });
      await json(await server.sdk(sub, '/credentials', { method: 'POST', json: { integrationId: 'sandbox-apikey', payload: { apiKey: `sbx_${sub.slice(-8)}` } } }), 201);
      const listed = await tools();
      expect(Object.keys(listed.actions)).toEqual(['sandbox-apikey']);
      const create = findBuiltInIntegration('sandbox-apikey')!.actions!.find((action) => action.name === 'SANDBOX_CREATE_CONTACT')!;
      expect(listed.actions['sandbox-apikey']).toContainEqual({
        type: 'function',
        function: { name: 'SANDBOX_CREATE_CONTACT', title: 'Create a contact', description: create.description, parameters: create.inputSchema },
      });
      expect(await tools('?integrations=sandbox-apikey,slack')).toEqual(listed);
      expect(await tools('?integrations=slack')).toEqual({ actions: {} });
      const anonymous = await fetch(`${server.url}/projects/${server.projectId}/sdk/actions`);
      expect(anonymous.status).toBe(401);
    });
  });
});
