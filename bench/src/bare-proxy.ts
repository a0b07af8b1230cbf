/**
 * Target (b) of bench:proxy, the floor for any Node proxy: a node:http server and one keep-alive undici Pool to
 * the upstream, streaming both ways, nothing else (no auth, no lookup, no logging), so (c) − (b) is what
 * Switchboard adds. `--api stream` (the default, target b) uses undici's `stream()`, its fastest way to forward;
 * `--api request` (target b-request) uses `request()` + `pipeline()`, the calls Switchboard's proxy makes.
 */
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { Pool, type Dispatcher } from 'undici';
import { exitWithParent, send } from './lib/processes.js';

const { values } = parseArgs({
  options: { upstream: { type: 'string' }, connections: { type: 'string', default: '128' }, api: { type: 'string', default: 'stream' } },
});
if (!values.upstream) throw new Error('--upstream <origin> is required');
if (values.api !== 'stream' && values.api !== 'request') throw new Error('--api must be stream or request');
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

const server = createServer(
  values.api === 'stream'
    ? // undici's stream(): the answer's body is written straight into our response, no Readable in between.
      (request, response) => {
        pool
          .stream(upstreamOptions(request), ({ statusCode, headers }) => {
            response.writeHead(statusCode, answerHeaders(headers));
            return response;
          })
          .catch(() => failed(response));
      }
    : // request() + pipeline, as Switchboard's proxy does (request() then reply.send(body)).
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

exitWithParent();
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  send({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
});
