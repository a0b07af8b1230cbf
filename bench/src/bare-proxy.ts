/**
 * Target (b) of bench:proxy, the floor for any Node proxy: a node:http server and one keep-alive undici Pool to
 * the upstream, streaming both ways, nothing else (no auth, no lookup, no logging), so (c) − (b) is what
 * Switchboard adds. `--api stream` (the default, target b) uses undici's `stream()`, its fastest way to forward;
 * `--api request` (target b-request) uses `request()` + `pipeline()`; `--api fastify` (target b-fastify) is the
 * `stream()` proxy as one Fastify route with no hooks and no schema, so (b-fastify) − (b) is what Fastify itself
 * costs before Switchboard does anything.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { Pool, type Dispatcher } from 'undici';
import { exitWithParent, send } from './lib/processes.js';

const { values } = parseArgs({
  options: { upstream: { type: 'string' }, connections: { type: 'string', default: '128' }, api: { type: 'string', default: 'stream' } },
});
if (!values.upstream) throw new Error('--upstream <origin> is required');
if (!['stream', 'request', 'fastify'].includes(values.api!)) throw new Error('--api must be stream, request or fastify');
// 128 keep-alive connections: Switchboard's default per upstream origin (SWITCHBOARD_PROXY_CONNECTIONS_PER_ORIGIN).
const pool = new Pool(values.upstream, { connections: Number(values.connections), pipelining: 1 });

// Hop-by-hop headers belong to one connection; undici refuses some of them outright.
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'expect', 'host'];

function upstreamOptions(request: IncomingMessage): Dispatcher.RequestOptions {
  const headers = { ...request.headers };
  for (const name of HOP_BY_HOP) delete headers[name];
  const hasBody = request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined;
  return { path: request.url ?? '/', method: request.method as Dispatcher.HttpMethod, headers, body: hasBody ? request : null };
}

function answerHeaders(headers: Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  const answer: OutgoingHttpHeaders = { ...headers };
  for (const name of HOP_BY_HOP) delete answer[name];
  return answer;
}

function failed(response: ServerResponse): void {
  if (!response.headersSent) response.writeHead(502).end();
  else response.destroy();
}

/** The stream() forwarding of target (b), for a request and response that may belong to Fastify. */
function forward(request: IncomingMessage, response: ServerResponse): Promise<void> {
  return pool
    .stream(upstreamOptions(request), ({ statusCode, headers }) => {
      response.writeHead(statusCode, answerHeaders(headers));
      return response;
    })
    .then(
      () => undefined,
      () => failed(response),
    );
}

/** Target (b-fastify): Fastify's routing, request and reply objects and nothing else; bodies are left unread. */
function fastifyServer() {
  const app = Fastify({ logger: false, keepAliveTimeout: 60_000 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  app.all('/*', (request, reply) => {
    reply.hijack();
    return forward(request.raw, reply.raw);
  });
  return app;
}

async function listening(app: ReturnType<typeof fastifyServer>) {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app.server;
}

/** Targets (b) and (b-request): a node:http server and nothing else. */
function httpServer() {
  const server = createServer(
    values.api === 'stream'
      ? (request, response) => void forward(request, response)
      : // request() + pipeline(), the buffered way (Switchboard's proxy uses it for a replayed call).
        async (request, response) => {
          try {
            const upstream = await pool.request(upstreamOptions(request));
            response.writeHead(upstream.statusCode, answerHeaders(upstream.headers));
            await pipeline(upstream.body, response);
          } catch {
            failed(response);
          }
        },
  );
  server.keepAliveTimeout = 60_000;
  return server;
}

exitWithParent();
// Exit (rather than die of the signal) on SIGTERM, so that a profile started with --cpu-prof is written.
process.once('SIGTERM', () => process.exit(0));
const server = values.api === 'fastify' ? await listening(fastifyServer()) : httpServer().listen(0, '127.0.0.1');
if (!server.listening) await once(server, 'listening');
const address = server.address();
send({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
