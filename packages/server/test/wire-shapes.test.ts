/**
 * The API's JSON shapes live in @switchboard/wire, and the server is held to them: every SDK and management route
 * declares its answers with those schemas (so they are in /api/openapi.json and Fastify serializes with them, which
 * also keeps any undeclared field, a secret included, from leaving), and what the server answers validates against
 * the schema the Node client and the browser SDK are typed from.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import {
  ConnectedUsersPage,
  Credential,
  CredentialEvent,
  IntegrationMetadata,
  ManagedIntegration,
  Project,
  SdkIntegration,
  SigningKey,
  UninstallResult,
  UserState,
} from '@switchboard/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { management } from './support/management.js';
import { connectApiKey } from './support/proxy.js';
import { newUser } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

interface Operation {
  tags?: string[];
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

/** Triggers answer only errors until runs exist; the Proxy API answers whatever the provider does. */
const ERROR_ONLY = ['/projects/{projectId}/sdk/triggers/{workflowId}', '/v2/projects/{projectId}/sdk/events/trigger'];
const isProxy = (path: string) => path.includes('/sdk/proxy/');

describe.each(testDatabases)('the wire shapes, on %s', (database) => {
  let server: TestServer;
  let sub: string;
  const key = () => server.secretKey;

  beforeAll(async () => {
    server = await startTestServer(database);
    sub = newUser('wire');
    await connectApiKey(server, sub, 'sandbox-apikey', 'sbx_wire_shapes');
  });
  afterAll(async () => server?.close());

  it('every SDK, management and workflow route declares its success answer and the error shape in /api/openapi.json', async () => {
    const doc = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, Operation>> };
    const undeclared: string[] = [];
    let checked = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      if (isProxy(path) || ERROR_ONLY.includes(path)) continue;
      for (const [method, operation] of Object.entries(operations)) {
        if (!operation.tags?.some((tag) => ['SDK', 'Management', 'Workflows'].includes(tag))) continue;
        checked += 1;
        const responses = operation.responses ?? {};
        const success = Object.entries(responses).filter(([status]) => /^2/.test(status));
        const declared = success.length > 0 && success.every(([status, answer]) => status === '204' || answer.content?.['application/json']?.schema);
        if (!declared) undeclared.push(`${method.toUpperCase()} ${path}: success`);
        if (!responses['4XX']?.content?.['application/json']?.schema) undeclared.push(`${method.toUpperCase()} ${path}: 4xx`);
      }
    }
    expect(checked).toBeGreaterThan(25);
    expect(undeclared).toEqual([]);
  });

  /** A GET's JSON, checked against the wire schema; the error lists each place it differs. */
  async function answerOf(schema: TSchema, response: Response): Promise<unknown> {
    expect(response.status, await response.clone().text()).toBe(200);
    const body = await response.json();
    expect([...Value.Errors(schema, body)].map((error) => `${error.path} ${error.message}`)).toEqual([]);
    return body;
  }

  it("the SDK REST API's answers validate against the schemas the clients are typed from", async () => {
    const me = (await answerOf(UserState, await server.sdk(sub, '/me'))) as UserState;
    expect(me.integrations['sandbox-apikey']?.allCredentials).toHaveLength(1);
    await answerOf(Type.Array(SdkIntegration), await server.sdk(sub, '/integrations'));
    await answerOf(Type.Array(IntegrationMetadata), await server.sdk(sub, '/metadata'));
    const [credential] = (await answerOf(Type.Array(Credential), await server.sdk(sub, '/credentials'))) as Credential[];
    await answerOf(Credential, await server.sdk(sub, `/credentials/${credential!.id}`));
    await answerOf(UserState, await server.sdk(sub, '/me', { method: 'PATCH', json: { meta: { plan: 'pro' } } }));
  });

  it("the management API's answers validate against the schemas the Node client is typed from", async () => {
    const get = (path: string) => management(server, key(), 'GET', `/projects/${server.projectId}${path}`);
    await answerOf(Project, await get(''));
    await answerOf(Type.Array(SigningKey), await get('/signing-keys'));
    await answerOf(Type.Array(ManagedIntegration), await get('/integrations'));
    const page = (await answerOf(ConnectedUsersPage, await get('/connected-users?limit=5'))) as ConnectedUsersPage;
    expect(page.data.length).toBeGreaterThan(0);
    await answerOf(Type.Array(CredentialEvent), await get('/credential-events'));
  });

  it('an account, as every route shows it, carries no field the schema does not declare', async () => {
    const sdkView = ((await (await server.sdk(sub, '/credentials')).json()) as Record<string, unknown>[])[0]!;
    const declared = Object.keys(Credential.properties);
    expect(Object.keys(sdkView).filter((field) => !declared.includes(field))).toEqual([]);
    const removed = await server.sdk(sub, `/integrations/${sdkView.integrationId as string}`, { method: 'DELETE' });
    expect([...Value.Errors(UninstallResult, await removed.json())]).toEqual([]);
  });
});
