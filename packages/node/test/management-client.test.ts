import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createManagementClient,
  createProject,
  createUserClient,
  generateSigningKeyPair,
  signUserToken,
  type CustomIntegrationInput,
  type ManagementClient,
  type WorkflowDefinition,
} from '@switchboard/node';
import { apiKeyCustomIntegration } from '../../server/test/support/management.js';
import { startTestServer, type TestServer } from '../../server/test/support/test-server.js';
import { startWebhookReceiver } from '../../server/test/support/webhook-receiver.js';
import { Webhook } from 'standardwebhooks';
import { expectApiError, expectLocalError, expectNotLeaked } from './support/helpers.js';

describe('createManagementClient', () => {
  let server: TestServer;
  let management: ManagementClient;

  beforeAll(async () => {
    server = await startTestServer();
    management = createManagementClient({ host: server.url, projectId: server.projectId, secretKey: server.secretKey });
  });
  afterAll(async () => server?.close());

  /** A user client for a fresh end user of the dev project. */
  const userClient = (userId = `user-${randomUUID()}`) =>
    createUserClient({ host: server.url, projectId: server.projectId, userToken: () => signUserToken(server.server.devProject!.privateKeyPem, userId) });

  /** A custom integration body the server accepts (an API-key API; nothing calls it here). */
  const customIntegration = (slug: string, overrides: Record<string, unknown> = {}) =>
    apiKeyCustomIntegration(slug, 'http://127.0.0.1:9/api', overrides) as unknown as CustomIntegrationInput;

  describe('project', () => {
    it('getProject answers the project the secret key belongs to', async () => {
      expect(await management.getProject()).toMatchObject({ id: server.projectId, name: 'Development', isDev: true, allowPrivateUpstreams: true });
    });

    it('updateProject renames and replaces the allowed origins, and getProject shows the change', async () => {
      const before = await management.getProject();
      const updated = await management.updateProject({ name: 'Renamed', allowedOrigins: ['https://app.example.com', 'http://localhost:*'] });
      expect(updated).toMatchObject({ id: server.projectId, name: 'Renamed', allowedOrigins: ['https://app.example.com', 'http://localhost:*'] });
      expect(await management.getProject()).toMatchObject({ name: 'Renamed', allowedOrigins: ['https://app.example.com', 'http://localhost:*'] });
      await management.updateProject({ name: before.name, allowedOrigins: before.allowedOrigins });
      expect(await management.getProject()).toMatchObject({ name: before.name, allowedOrigins: before.allowedOrigins });
    });

    it("updateProject sets the project's Connect Portal look, which the user's integrations then carry", async () => {
      const updated = await management.updateProject({ portal: { accentColor: '#0a7', theme: 'dark', fontFamily: 'Inter, sans-serif' } });
      expect(updated.portal).toEqual({ accentColor: '#0a7', theme: 'dark', fontFamily: 'Inter, sans-serif' });
      expect((await management.getProject()).portal).toEqual(updated.portal);
      const [sandbox] = (await userClient().getIntegrations()).filter((integration) => integration.type === 'sandbox');
      expect(sandbox?.configs[0]?.values).toMatchObject({ accentColor: '#0a7', theme: 'dark', fontFamily: 'Inter, sans-serif' });
      await management.updateProject({ portal: {} });
      expect((await management.getProject()).portal).toEqual({});
    });

    it('a look the server refuses (a font that could leave its CSS value) is SwitchboardApiError naming portal.fontFamily', async () => {
      const error = await expectApiError(management.updateProject({ portal: { fontFamily: 'Inter; color: red' } }), 400, 'VALIDATION_ERROR');
      expect(error.field).toBe('portal.fontFamily');
      expect((await management.getProject()).portal).toEqual({});
    });

    it('a refused update surfaces as SwitchboardApiError with status, code and field', async () => {
      const error = await expectApiError(management.updateProject({ allowedOrigins: ['not an origin'] }), 400, 'INVALID_ORIGIN');
      expect(error.field).toBe('allowedOrigins[0]');
      expect(error.body).toMatchObject({ code: 'INVALID_ORIGIN', field: 'allowedOrigins[0]' });
    });
  });

  describe('signing keys', () => {
    it('lists the dev key, adds a key under an id, and removes it', async () => {
      expect((await management.listSigningKeys()).map((k) => k.id)).toContain(server.server.devProject!.signingKeyId);
      const pair = generateSigningKeyPair();
      const added = await management.addSigningKey({ id: 'added-by-node', publicKeyPem: pair.publicKeyPem });
      expect(added).toMatchObject({ id: 'added-by-node', publicKeyPem: pair.publicKeyPem, dateCreated: expect.any(String) });
      expect((await management.listSigningKeys()).map((k) => k.id)).toContain('added-by-node');

      const token = await signUserToken(pair.privateKeyPem, 'signed-with-added-key', { keyId: 'added-by-node' });
      const user = createUserClient({ host: server.url, projectId: server.projectId, userToken: token });
      expect(await user.getUser()).toMatchObject({ userId: 'signed-with-added-key' });

      await expect(management.removeSigningKey('added-by-node')).resolves.toBeUndefined();
      expect((await management.listSigningKeys()).map((k) => k.id)).not.toContain('added-by-node');
      await expectApiError(user.getUser(), 401, 'USER_TOKEN_UNKNOWN_KEY');
      await expectApiError(management.removeSigningKey('added-by-node'), 404, 'SIGNING_KEY_NOT_FOUND');
    });

    it('a key id in use answers 409 SIGNING_KEY_EXISTS; a 1024-bit key 400 INVALID_PUBLIC_KEY on publicKeyPem', async () => {
      const devKey = (await management.listSigningKeys()).find((k) => k.id === server.server.devProject!.signingKeyId)!;
      await expectApiError(management.addSigningKey({ id: devKey.id, publicKeyPem: generateSigningKeyPair().publicKeyPem }), 409, 'SIGNING_KEY_EXISTS');
      const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
      expect((await expectApiError(management.addSigningKey({ publicKeyPem: weak }), 400, 'INVALID_PUBLIC_KEY')).field).toBe('publicKeyPem');
    });

    it('refuses a private key in addSigningKey before sending it, without quoting it', async () => {
      const { privateKeyPem } = generateSigningKeyPair();
      const before = (await management.listSigningKeys()).length;
      const error = await expectLocalError(() => management.addSigningKey({ id: 'leaked', publicKeyPem: privateKeyPem }), 'INVALID_PUBLIC_KEY');
      expectNotLeaked(error, privateKeyPem.split('\n')[1]!);
      expect(await management.listSigningKeys()).toHaveLength(before);
    });
  });

  describe('integrations', () => {
    it('listIntegrations shows the sandbox integrations with hasClientSecret and never the secret', async () => {
      const integrations = await management.listIntegrations();
      const sandbox = integrations.find((i) => i.type === 'sandbox');
      expect(sandbox).toMatchObject({ isActive: true, clientId: 'sandbox-client', hasClientSecret: true });
      expect(JSON.stringify(integrations)).not.toContain('sandbox-secret');
    });

    it('configureIntegration sets the portal config and scopes, and deactivates and reactivates an integration', async () => {
      const configured = await management.configureIntegration('sandbox-apikey', {
        portal: { description: 'Our CRM', accentColor: '#112233' },
        scopes: ['contacts'],
      });
      expect(configured).toMatchObject({ type: 'sandbox-apikey', isActive: true, scopes: ['contacts'], portal: { description: 'Our CRM', accentColor: '#112233' } });
      expect((await userClient().getIntegrationMetadata()).find((m) => m.type === 'sandbox-apikey')).toMatchObject({ brandColor: '#112233' });

      expect(await management.configureIntegration('sandbox-client-credentials', { isActive: false })).toMatchObject({ isActive: false });
      expect((await userClient().getIntegrations()).map((i) => i.type)).not.toContain('sandbox-client-credentials');
      await management.configureIntegration('sandbox-client-credentials', { isActive: true });
      expect((await userClient().getIntegrations()).map((i) => i.type)).toContain('sandbox-client-credentials');
    });

    it("configureIntegration chooses the account types users are offered, in order, and refuses one the integration lacks", async () => {
      const configured = await management.configureIntegration('sandbox-regions', { clientId: 'sandbox-client', clientSecret: 'sandbox-secret', portal: { accountTypes: ['eu', 'us'] } });
      expect(configured.portal.accountTypes).toEqual(['eu', 'us']);
      const listed = (await userClient().getIntegrations()).find((i) => i.type === 'sandbox-regions');
      expect(listed?.accountTypes.map((type) => type.id)).toEqual(['eu', 'us']);
      await expectApiError(management.configureIntegration('sandbox-regions', { portal: { accountTypes: ['apac'] } }), 400, 'INVALID_ACCOUNT_TYPES');
      expect((await management.listIntegrations()).find((i) => i.type === 'sandbox-regions')?.portal.accountTypes).toEqual(['eu', 'us']);
    });

    it('configureIntegration activates a catalog integration the project did not have, with its OAuth client', async () => {
      const configured = await management.configureIntegration('github', { clientId: 'gh-client', clientSecret: 'gh-secret' });
      expect(configured).toMatchObject({ type: 'github', isActive: true, clientId: 'gh-client', hasClientSecret: true });
      expect(configured).not.toHaveProperty('clientSecret');
      expect((await management.listIntegrations()).map((i) => i.type)).toContain('github');
    });

    it("listIntegrationActions answers a catalog integration's actions; the user client lists a connected account's as tools", async () => {
      const actions = await management.listIntegrationActions('sandbox-apikey');
      expect(actions.map((action) => action.name)).toEqual(['SANDBOX_LIST_CONTACTS', 'SANDBOX_CREATE_CONTACT', 'SANDBOX_GET_CONTACT', 'SANDBOX_UPDATE_CONTACT', 'SANDBOX_DELETE_CONTACT']);
      expect(actions[1]).toMatchObject({ method: 'POST', path: '/contacts', inputSchema: { type: 'object', required: ['name', 'email'] } });
      await expectApiError(management.listIntegrationActions('no-such-provider'), 404, 'INTEGRATION_NOT_FOUND');

      const user = userClient();
      expect(await user.listActions()).toEqual({ actions: {} });
      await user.connectCredential('sandbox-apikey', { apiKey: 'sbx_node_actions' });
      const tools = await user.listActions({ integrations: ['sandbox-apikey'] });
      expect(tools.actions['sandbox-apikey']?.map((tool) => tool.function.name)).toEqual(actions.map((action) => action.name));
      expect(tools.actions['sandbox-apikey']?.[1]).toEqual({ type: 'function', function: { name: 'SANDBOX_CREATE_CONTACT', title: actions[1]!.title, description: actions[1]!.description, parameters: actions[1]!.inputSchema } });
      expect(await user.listActions({ integrations: ['slack'] })).toEqual({ actions: {} });
    });

    it('an integration not in the catalog answers 404 INTEGRATION_NOT_FOUND', async () => {
      await expectApiError(management.configureIntegration('no-such-provider', { isActive: true }), 404, 'INTEGRATION_NOT_FOUND');
    });
  });

  describe('workflows, app events and secrets', () => {
    it('creates, drafts, publishes, rolls back, lists versions, deactivates and removes a workflow', async () => {
      await management.putAppEvent('Order Paid', { samplePayload: { total: 10 } });
      const definition: WorkflowDefinition = {
        name: 'Record orders',
        integration: 'sandbox-apikey',
        trigger: { type: 'appEvent', event: 'Order Paid' },
        steps: [{ id: 'note', type: 'request', method: 'POST', path: '/notes', body: { text: 'Order of {{trigger.payload.total}}' } }],
      };
      const created = await management.createWorkflow(definition);
      expect(created).toMatchObject({ latestVersion: 1, publishedVersion: null, definition });
      expect((await management.updateWorkflow(created.id, definition)).latestVersion).toBe(1);
      expect((await management.updateWorkflow(created.id, { ...definition, name: 'Record paid orders' })).latestVersion).toBe(2);
      expect((await management.publishWorkflow(created.id)).publishedVersion).toBe(2);
      expect((await management.rollbackWorkflow(created.id, 1)).publishedVersion).toBe(1);
      expect((await management.listWorkflowVersions(created.id)).map((version) => [version.version, version.isPublished])).toEqual([
        [2, false],
        [1, true],
      ]);
      expect((await management.setWorkflowActive(created.id, false)).isActive).toBe(false);
      expect((await management.listWorkflows()).map((workflow) => workflow.id)).toContain(created.id);
      await management.removeWorkflow(created.id);
      await expectApiError(management.getWorkflow(created.id), 404, 'WORKFLOW_NOT_FOUND');
      const refused = await expectApiError(management.createWorkflow({ ...definition, steps: [{ id: 'wait', type: 'delay', seconds: 0 }] }), 400, 'INVALID_WORKFLOW');
      expect(refused.field).toBe('steps[0].seconds');
      expect((await management.listAppEvents()).map((event) => event.name)).toContain('Order Paid');
      await management.removeAppEvent('Order Paid');
    });

    it("lists a Webhook trigger's URL per account, and a delivery to it starts that user's run", async () => {
      const created = await management.createWorkflow({
        name: 'Node webhook',
        integration: 'sandbox-apikey',
        trigger: { type: 'webhook' },
        steps: [{ id: 'me', type: 'request', method: 'GET', path: '/me' }],
      });
      expect(created.webhookUrl).toBe(`${server.url}/webhooks/workflows/${created.id}`);
      await management.publishWorkflow(created.id);
      const userId = `node-webhook-${randomUUID()}`;
      const user = createUserClient({ host: server.url, projectId: server.projectId, userToken: () => signUserToken(server.server.devProject!.privateKeyPem, userId) });
      await user.connectCredential('sandbox-apikey', { apiKey: 'sbx_node_webhook' });
      await user.enableWorkflow(created.id);
      const [url, ...more] = await management.listWorkflowWebhookUrls(created.id, userId);
      expect(more).toEqual([]);
      expect(url).toMatchObject({ userId, enabled: true, url: expect.stringContaining(`${created.webhookUrl}/`) });
      expect(await management.listWorkflowWebhookUrls(created.id, 'nobody')).toEqual([]);
      await expectLocalError(() => management.listWorkflowWebhookUrls(created.id, ''), 'INVALID_OPTIONS');
      // The sandbox signs with the account's key, as its catalog entry says.
      const sent = await fetch(`${server.url}/sandbox/api/webhooks/send`, {
        method: 'POST',
        headers: { 'x-api-key': 'sbx_node_webhook', 'content-type': 'application/json' },
        body: JSON.stringify({ url: url!.url, event: { ping: true } }),
      });
      const { delivered } = (await sent.json()) as { delivered: { status: number; body: { runId: string } } };
      expect(delivered.status).toBe(202);
      expect(await management.getWorkflowRun(delivered.body.runId)).toMatchObject({ userId, triggerType: 'webhook', trigger: { body: { ping: true } } });
    });

    it('sends app events for a user, runs a Request-triggered workflow, and reads and cancels runs', async () => {
      await management.putAppEvent('Node Ping');
      const onPing = await management.createWorkflow({
        name: 'Node ping',
        integration: 'sandbox-apikey',
        trigger: { type: 'appEvent', event: 'Node Ping' },
        steps: [{ id: 'wait', type: 'delay', seconds: 600 }],
      });
      const onRequest = await management.createWorkflow({
        name: 'Node answer',
        integration: 'sandbox-apikey',
        trigger: { type: 'request' },
        steps: [{ id: 'answer', type: 'response', body: { doubled: '{{trigger.body.n}}{{trigger.body.n}}' } }],
      });
      await management.publishWorkflow(onPing.id);
      await management.publishWorkflow(onRequest.id);
      const userId = `node-runs-${randomUUID()}`;
      const user = createUserClient({ host: server.url, projectId: server.projectId, userToken: () => signUserToken(server.server.devProject!.privateKeyPem, userId) });
      await user.connectCredential('sandbox-apikey', { apiKey: 'sbx_node_runs' });
      await user.enableWorkflow(onPing.id);
      await user.enableWorkflow(onRequest.id);

      expect(await user.workflow(onRequest.id, { body: { n: 4 } })).toEqual({ doubled: '44' });
      const fromUser = await user.event('Node Ping', { source: 'user' });
      const fromBackend = await management.sendAppEvent('Node Ping', userId, { source: 'backend' });
      expect([fromUser.runs.length, fromBackend.runs.length]).toEqual([1, 1]);
      const run = fromBackend.runs[0]!;
      await expect.poll(async () => (await management.getWorkflowRun(run.id)).status, { timeout: 10_000 }).toBe('WAITING');
      expect((await management.getWorkflowRun(run.id)).trigger).toEqual({ event: 'Node Ping', payload: { source: 'backend' } });
      const page = await management.listWorkflowRuns({ workflowId: onPing.id, userId, limit: 1 });
      expect(page.data).toHaveLength(1);
      expect(page.nextCursor).toEqual(expect.any(String));
      expect((await management.cancelWorkflowRun(run.id)).status).toBe('CANCELLED');
      await expectApiError(management.cancelWorkflowRun(run.id), 409, 'WORKFLOW_RUN_FINISHED');
      // Only a FAILED run is replayed; the server's own suite replays one.
      await expectApiError(management.replayWorkflowRun(run.id), 409, 'WORKFLOW_RUN_NOT_FAILED');
      await management.cancelWorkflowRun(fromUser.runs[0]!.id);
    });

    it('sets, lists by name and removes a project secret; the value never comes back', async () => {
      await management.setSecret('NODE_CLIENT_TOKEN', 'node-secret-value');
      const listed = await management.listSecrets();
      expect(listed.map((secret) => secret.name)).toContain('NODE_CLIENT_TOKEN');
      expect(JSON.stringify(listed)).not.toContain('node-secret-value');
      await management.removeSecret('NODE_CLIENT_TOKEN');
      await expectApiError(management.removeSecret('NODE_CLIENT_TOKEN'), 404, 'SECRET_NOT_FOUND');
      await expectLocalError(() => management.setSecret('EMPTY', ''), 'INVALID_OPTIONS');
    });

    it("enables and disables a published workflow on the user's account through the user client", async () => {
      const workflow = await management.createWorkflow({
        name: 'On request',
        integration: 'sandbox-apikey',
        trigger: { type: 'request' },
        steps: [{ id: 'answer', type: 'response', body: { ok: true } }],
      });
      await management.publishWorkflow(workflow.id);
      const user = userClient();
      const account = await user.connectCredential('sandbox-apikey', { apiKey: 'sbx_node_workflows' });
      const enabled = await user.enableWorkflow(workflow.id, { selectedCredentialId: account.id });
      expect(enabled.config.configuredWorkflows?.[workflow.id]).toEqual({ enabled: true, settings: {} });
      expect((await user.getUser()).integrations['sandbox-apikey']?.configuredWorkflows).toEqual({ [workflow.id]: { enabled: true, settings: {} } });
      expect((await user.disableWorkflow(workflow.id)).config.configuredWorkflows?.[workflow.id]?.enabled).toBe(false);
      await expectApiError(user.enableWorkflow('no-such-workflow'), 404, 'WORKFLOW_NOT_FOUND');
    });
  });

  describe('webhook destinations', () => {
    it('creates a destination, receives a signed event, reads its delivery, replays it, rotates the secret and removes it', async () => {
      const receiver = await startWebhookReceiver();
      try {
        const created = await management.createWebhookDestination({ url: receiver.url('/node-client'), events: ['credential.created'], description: 'From the Node client' });
        expect(created.signingSecret).toMatch(/^whsec_/);
        const { id } = created.destination;
        expect(await management.listWebhookDestinations()).toContainEqual(created.destination);
        expect(await management.getWebhookDestination(id)).toEqual(created.destination);
        expect(await management.updateWebhookDestination(id, { description: 'Renamed' })).toMatchObject({ id, description: 'Renamed' });

        const user = userClient();
        await user.connectCredential('sandbox-apikey', { apiKey: 'sbx_node_hooks' });
        let deliveries: Awaited<ReturnType<ManagementClient['listWebhookDeliveries']>> = [];
        for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 50))) {
          deliveries = await management.listWebhookDeliveries(id, { status: 'SUCCEEDED' });
          if (deliveries.length > 0) break;
        }
        expect(deliveries).toHaveLength(1);
        const [request] = receiver.received('/node-client');
        expect(new Webhook(created.signingSecret).verify(request!.body, request!.headers as Record<string, string>)).toMatchObject({ type: 'credential.created' });

        expect(await management.getWebhookDelivery(deliveries[0]!.id)).toEqual(deliveries[0]);
        expect(await management.replayWebhookDelivery(deliveries[0]!.id)).toMatchObject({ id: deliveries[0]!.id, status: 'PENDING' });
        const rotated = await management.rotateWebhookSecret(id);
        expect(rotated.signingSecret).not.toBe(created.signingSecret);
        await management.removeWebhookDestination(id);
        await expectApiError(management.getWebhookDestination(id), 404, 'WEBHOOK_DESTINATION_NOT_FOUND');
        await expectApiError(management.createWebhookDestination({ url: 'ftp://example.com', events: ['credential.created'] }), 400, 'INVALID_URL');
      } finally {
        await receiver.close();
      }
    });
  });

  describe('custom integrations', () => {
    it('creates, lists, updates and removes a custom integration', async () => {
      const created = await management.createCustomIntegration(customIntegration('node-crm'));
      expect(created).toEqual({ id: expect.any(String), integrationId: expect.any(String), type: 'custom.node-crm' });
      expect((await management.listCustomIntegrations()).find((c) => c.id === created.id)).toMatchObject({ slug: 'node-crm', integrationId: created.integrationId });
      expect((await userClient().getIntegrations()).map((i) => i.type)).toContain('custom.node-crm');

      const updated = await management.updateCustomIntegration(created.id, customIntegration('node-crm', { name: 'Node CRM v2' }));
      expect(updated).toMatchObject({ id: created.id, slug: 'node-crm', definition: expect.objectContaining({ name: 'Node CRM v2' }) });

      await expect(management.removeCustomIntegration(created.id)).resolves.toBeUndefined();
      expect((await management.listCustomIntegrations()).map((c) => c.id)).not.toContain(created.id);
      expect((await userClient().getIntegrations()).map((i) => i.type)).not.toContain('custom.node-crm');
      await expectApiError(management.removeCustomIntegration(created.id), 404, 'CUSTOM_INTEGRATION_NOT_FOUND');
    });

    it('takes post-install inputs, typed from the schema the server validates with, and the user client sees them', async () => {
      // Written out with no cast: a field the server accepts but the client's types lack fails `npm run typecheck`.
      const definition: CustomIntegrationInput = {
        slug: 'node-options',
        name: 'Node Options',
        iconSvg: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="10"/></svg>',
        accentColor: '#123456',
        auth: { type: 'api-key', fields: [{ id: 'apiKey', label: 'API key', type: 'password', required: true, secret: true }] },
        apiBaseUrl: 'http://127.0.0.1:9/api',
        apiAuthorization: 'Authorization: Bearer {{apiKey}}',
        testEndpointUrl: '/me',
        postInstallInputs: [{ id: 'region', label: 'Region', type: 'select', options: [{ value: 'eu', label: 'Europe' }] }],
      };
      const created = await management.createCustomIntegration(definition);
      const seen = (await userClient().getIntegrations()).find((integration) => integration.type === 'custom.node-options');
      expect(seen?.postInstallInputs).toEqual([{ id: 'region', label: 'Region', type: 'select', required: false, options: [{ value: 'eu', label: 'Europe' }] }]);
      await management.removeCustomIntegration(created.id);
    });

    it('a second custom integration with the same slug answers 409; an invalid body 400 with the field', async () => {
      const created = await management.createCustomIntegration(customIntegration('node-dup'));
      await expectApiError(management.createCustomIntegration(customIntegration('node-dup')), 409, 'CUSTOM_INTEGRATION_EXISTS');
      const invalid = await expectApiError(management.createCustomIntegration(customIntegration('node-bad', { apiAuthorization: 'no colon here' })), 400, 'INVALID_API_AUTHORIZATION');
      expect(invalid.field).toBe('apiAuthorization');
      await management.removeCustomIntegration(created.id);
    });
  });

  describe('connected users and the credential audit log', () => {
    it('listConnectedUsers shows a user with their accounts, never the API key', async () => {
      const userId = `audited-${randomUUID()}`;
      const user = userClient(userId);
      await user.setUserMetadata({ plan: 'team' });
      const credential = await user.connectCredential('sandbox-apikey', { apiKey: 'sbx_listed_secret' });
      const users = await management.listConnectedUsers();
      const listed = users.find((u) => u.userId === userId);
      expect(listed).toMatchObject({ userId, meta: { plan: 'team' }, credentials: [expect.objectContaining({ id: credential.id, integrationType: 'sandbox-apikey' })] });
      expect(JSON.stringify(users)).not.toContain('sbx_listed_secret');
    });

    it('listConnectedUsersPage pages with limit and cursor; listConnectedUsers reads every page', async () => {
      const ids = Array.from({ length: 3 }, () => `paged-${randomUUID()}`);
      for (const id of ids) await userClient(id).setUserMetadata({ paged: true });
      const all = await management.listConnectedUsers();
      expect(all.map((u) => u.userId)).toEqual(expect.arrayContaining(ids));

      const seen: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await management.listConnectedUsersPage({ limit: 2, ...(cursor && { cursor }) });
        expect(page.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.data.map((u) => u.userId));
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      expect(seen).toEqual(all.map((u) => u.userId));
      expect((await management.listConnectedUsersPage()).data.length).toBe(Math.min(100, all.length));
      await expect(management.listConnectedUsersPage({ limit: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
      await expectApiError(management.listConnectedUsersPage({ cursor: 'not-a-cursor' }), 400, 'INVALID_CURSOR');
    });

    it('listCredentialEvents answers installed then uninstalled for one credential, and every credential without a filter', async () => {
      const user = userClient();
      const first = await user.connectCredential('sandbox-apikey', { apiKey: 'sbx_audit_one' });
      const second = await user.connectCredential('sandbox-apikey', { apiKey: 'sbx_audit_two' }, { allowMultipleCredentials: true });
      await user.uninstall('sandbox-apikey', { selectedCredentialId: first.id });

      const events = await management.listCredentialEvents({ credentialId: first.id });
      expect(events.map((e) => e.event)).toEqual(['installed', 'uninstalled']);
      expect(events.every((e) => e.credentialId === first.id && e.integrationId === first.integrationId)).toBe(true);
      expect((await management.listCredentialEvents({ credentialId: second.id })).map((e) => e.event)).toEqual(['installed']);

      const all = await management.listCredentialEvents();
      expect(all.map((e) => e.credentialId)).toEqual(expect.arrayContaining([first.id, second.id]));
      expect(await management.listCredentialEvents({ credentialId: randomUUID() })).toEqual([]);
    });
  });

  describe('secret keys', () => {
    it('a wrong secret key is refused with 401 SECRET_KEY_INVALID, the key never in the error', async () => {
      const wrongKey = `sk_wrong_${randomUUID()}`;
      const wrong = createManagementClient({ host: server.url, projectId: server.projectId, secretKey: wrongKey });
      const error = await expectApiError(wrong.getProject(), 401, 'SECRET_KEY_INVALID');
      expectNotLeaked(error, wrongKey);
      await expectApiError(wrong.listSigningKeys(), 401, 'SECRET_KEY_INVALID');
    });

    it('createProject (admin key) answers a new project and its secret key, which manages that project only', async () => {
      const { project, secretKey } = await createProject({ host: server.url, adminKey: server.adminKey, name: 'Created by node', allowedOrigins: ['https://app.example.com'] });
      expect(project).toMatchObject({ name: 'Created by node', allowedOrigins: ['https://app.example.com'], isDev: false });
      const other = createManagementClient({ host: `${server.url}/`, projectId: project.id, secretKey });
      expect(await other.getProject()).toMatchObject({ id: project.id });
      expect(await other.listSigningKeys()).toEqual([]);
      // The new key is not the dev project's key, and the other way round.
      const crossed = createManagementClient({ host: server.url, projectId: server.projectId, secretKey });
      const error = await expectApiError(crossed.getProject(), 403, 'SECRET_KEY_WRONG_PROJECT');
      expectNotLeaked(error, secretKey);
      await expectApiError(createProject({ host: server.url, adminKey: 'not-the-admin-key', name: 'x' }), 401, 'ADMIN_KEY_INVALID');
    });

    it('refuses options it could never use: no projectId, a secret key with spaces, a host that is not http(s)', async () => {
      await expectLocalError(() => createManagementClient({ host: server.url, projectId: '', secretKey: 'k' }), 'INVALID_OPTIONS');
      await expectLocalError(() => createManagementClient({ host: server.url, projectId: 'p', secretKey: 'two words' }), 'INVALID_SECRET_KEY');
      await expectLocalError(() => createManagementClient({ host: 'file:///etc', projectId: 'p', secretKey: 'k' }), 'INVALID_OPTIONS');
    });
  });
});
