import { buildServer, type SwitchboardServer } from './app.js';
import type { ServerConfig } from './config.js';

/** Builds and listens; prints where things are. */
export async function startServer(config: ServerConfig): Promise<SwitchboardServer & { url: string }> {
  const server = await buildServer(config);
  await server.app.listen({ port: config.port, host: config.host });
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return { ...server, url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}` };
}

/**
 * SIGTERM and SIGINT: stop accepting, let in-flight requests finish, close the database, exit. A second signal
 * exits at once.
 */
export function closeOnSignals(server: SwitchboardServer): void {
  let closing = false;
  const stop = (signal: string) => {
    if (closing) process.exit(1);
    closing = true;
    server.app.log.info({ signal }, 'shutting down');
    server
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        server.app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
