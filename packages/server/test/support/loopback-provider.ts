import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiKeyCustomIntegration, defineCustomIntegration } from './management.js';
import { connectApiKey } from './proxy.js';
import { newUser } from './sdk-flows.js';
import type { TestServer } from './test-server.js';

export interface LoopbackProvider {
  /** A new user connected to `custom.<slug>`. */
  user: string;
  close(): Promise<void>;
}

/**
 * A provider whose API the test writes itself (`handle`), on loopback: the custom API-key integration
 * `custom.<slug>` calls it, and a new user is connected to it. `/ping`, its connection test, answers 200.
 */
export async function startLoopbackProvider(server: TestServer, slug: string, handle: RequestListener): Promise<LoopbackProvider> {
  const provider = createServer((req, res) => {
    if (req.url === '/ping') return void res.writeHead(200).end('{}');
    handle(req, res);
  });
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  const { port } = provider.address() as AddressInfo;
  await defineCustomIntegration(server, apiKeyCustomIntegration(slug, `http://127.0.0.1:${port}`, { testEndpointUrl: '/ping' }));
  const user = newUser(slug);
  await connectApiKey(server, user, `custom.${slug}`, 'k');
  return {
    user,
    close: async () => {
      provider.closeAllConnections();
      await new Promise((resolve) => provider.close(resolve));
    },
  };
}
