import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyCustomIntegration, defineCustomIntegration } from './support/management.js';
import { startProviderSimulator, type ProviderSimulator } from './support/provider-simulator.js';
import { connectApiKey, proxy, rawRequest } from './support/proxy.js';
import { newUser } from './support/sdk-flows.js';
import { startTestServer, testDatabases, type TestServer } from './support/test-server.js';

interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  schema?: Record<string, unknown>;
}
interface Operation {
  parameters?: Parameter[];
  responses?: Record<string, { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> }>;
}

const PROXIED = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options'];

describe.each(testDatabases)('the Proxy API in the API description, and its control headers, on %s', (database) => {
  let server: TestServer;
  let simulator: ProviderSimulator;
  let sub: string;
  let customId: string;

  beforeAll(async () => {
    server = await startTestServer(database, { SWITCHBOARD_PROXY_RATE_LIMIT_USER: '0' });
    simulator = await startProviderSimulator();
    simulator.route('GET', '/ok', () => ({ body: { ok: true } }));
    customId = (await defineCustomIntegration(server, apiKeyCustomIntegration('desc', simulator.url))).integrationId;
    sub = newUser('proxy-description');
    await connectApiKey(server, sub, 'custom.desc', 'desc-key');
  });
  afterAll(async () => {
    await server?.close();
    await simulator?.close();
  });

  describe('/api/openapi.json', () => {
    let paths: Record<string, Record<string, Operation>>;
    beforeAll(async () => {
      paths = ((await (await fetch(`${server.url}/api/openapi.json`)).json()) as { paths: typeof paths }).paths;
    });

    it.each([
      ['by type', '/projects/{projectId}/sdk/proxy/{integrationType}/{*}', 'integrationType'],
      ['by custom integration id', '/projects/{projectId}/sdk/proxy/custom/{integrationId}/{*}', 'integrationId'],
    ])('documents the proxy %s with its methods, path parameters, control headers and error answers', (_name, path, idParam) => {
      const item = paths[path];
      expect(item, `${path} in ${Object.keys(paths).filter((p) => p.includes('proxy')).join(', ')}`).toBeDefined();
      // Only the proxied methods: TRACE and QUERY answer 405 and are not part of the API.
      expect(Object.keys(item!).filter((key) => key !== 'parameters').sort()).toEqual([...PROXIED].sort());
      for (const method of PROXIED) {
        const operation = item![method]!;
        const parameters = operation.parameters ?? [];
        const named = (where: string) => parameters.filter((p) => p.in === where).map((p) => p.name.toLowerCase()).sort();
        expect(named('path')).toEqual(['*', idParam.toLowerCase(), 'projectid'].sort());
        expect(named('header')).toEqual(expect.arrayContaining(['x-paragon-credential', 'x-switchboard-retry', 'content-type']));
        const retry = parameters.find((p) => p.name.toLowerCase() === 'x-switchboard-retry');
        expect(retry?.schema).toMatchObject({ type: 'string', pattern: expect.any(String) });
        const credential = parameters.find((p) => p.name.toLowerCase() === 'x-paragon-credential');
        expect(credential?.schema).toMatchObject({ type: 'string', maxLength: expect.any(Number) });
        // The provider's answer has whatever media type it has: no content is claimed for it.
        expect(operation.responses?.default).toEqual({ description: expect.any(String) });
        for (const status of ['4XX', '5XX']) {
          const schema = operation.responses?.[status]?.content?.['application/json']?.schema;
          expect(Object.keys(schema?.properties ?? {}), `${method} ${status}`).toEqual(expect.arrayContaining(['message', 'code']));
        }
      }
    });
  });

  describe('control headers', () => {
    it.each(['abc', '-1', '1.5', 'yes'])('X-Switchboard-Retry: %s is 400 VALIDATION_ERROR naming the header, and the provider is not called', async (value) => {
      const before = simulator.requests.length;
      const response = await proxy(server, sub, 'custom.desc/ok', { headers: { 'x-switchboard-retry': value } });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'VALIDATION_ERROR', field: 'x-switchboard-retry', message: expect.any(String) });
      expect(simulator.requests.length).toBe(before);
    });

    it('a too-long X-Paragon-Credential is 400 naming the header, and the provider is not called', async () => {
      const before = simulator.requests.length;
      const response = await proxy(server, sub, 'custom.desc/ok', { headers: { 'x-paragon-credential': 'c'.repeat(101) } });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'VALIDATION_ERROR', field: 'x-paragon-credential', message: expect.any(String) });
      expect(simulator.requests.length).toBe(before);
    });

    it('the same checks hold under /proxy/custom/<integrationId>/', async () => {
      const before = simulator.requests.length;
      const response = await proxy(server, sub, `custom/${customId}/ok`, { headers: { 'x-switchboard-retry': '-1' } });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'VALIDATION_ERROR', field: 'x-switchboard-retry' });
      expect(simulator.requests.length).toBe(before);
    });

    it('valid control headers still reach the provider', async () => {
      const before = simulator.requests.length;
      for (const retry of ['0', '2', 'true']) {
        const response = await proxy(server, sub, 'custom.desc/ok', { headers: { 'x-switchboard-retry': retry } });
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ ok: true });
      }
      expect(simulator.requests.length).toBe(before + 3);
    });

    // (Node 20's HTTP parser refuses QUERY itself; TRACE is the other method Fastify routes.)
    it('TRACE, not proxied and not in the description, is still 405 METHOD_NOT_ALLOWED', async () => {
      const before = simulator.requests.length;
      const answer = await rawRequest(server, `/projects/${server.projectId}/sdk/proxy/custom.desc/ok`, { authorization: `Bearer ${await server.userToken(sub)}` }, 'TRACE');
      expect(answer.status).toBe(405);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
      expect(simulator.requests.length).toBe(before);
    });
  });
});
