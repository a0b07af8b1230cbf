import { management } from './management.js';
import { json } from './sdk-flows.js';
import type { TestServer } from './test-server.js';

/** Creates a workflow through the management API and publishes it; answers its id. The sandbox's API-key integration unless the definition names another. */
export async function publishWorkflow(server: TestServer, definition: Record<string, unknown>): Promise<string> {
  const api = (method: string, path: string, body?: unknown) => management(server, server.secretKey, method, `/projects/${server.projectId}${path}`, body);
  const { id } = await json<{ id: string }>(await api('POST', '/workflows', { integration: 'sandbox-apikey', ...definition }), 201);
  await json(await api('POST', `/workflows/${id}/publish`));
  return id;
}
