/**
 * The upstream API of bench:proxy, in a process of its own: a node:http server on 127.0.0.1 that answers every
 * request with a fixed JSON body of `--body-bytes` bytes, and 401 unless `X-Api-Key` carries the expected key, so
 * a run proves Switchboard injected the credential. Reads and discards request bodies.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { exitWithParent, send } from './lib/processes.js';

const { values } = parseArgs({ options: { 'body-bytes': { type: 'string', default: '1024' }, 'api-key': { type: 'string', default: 'k' } } });
const bodyBytes = Number(values['body-bytes']);
const apiKey = values['api-key'];

/** `{"data":"xxx…"}` padded to exactly `bytes` (at least the 11 bytes of the frame). */
function jsonBody(bytes: number): Buffer {
  const frame = '{"data":""}';
  return Buffer.from(`{"data":"${'x'.repeat(Math.max(0, bytes - frame.length))}"}`);
}

const ok = jsonBody(bodyBytes);
const okHeaders = { 'content-type': 'application/json', 'content-length': String(ok.length) };
const rejected = Buffer.from('{"message":"missing or wrong X-Api-Key","code":"UNAUTHORIZED"}');
const rejectedHeaders = { 'content-type': 'application/json', 'content-length': String(rejected.length) };

const server = createServer((request, response) => {
  request.resume();
  request.once('end', () => {
    if (request.headers['x-api-key'] !== apiKey) response.writeHead(401, rejectedHeaders).end(rejected);
    else response.writeHead(200, okHeaders).end(ok);
  });
});
// Longer than any pause between a bench's rounds, so idle keep-alive connections are not cut mid-run.
server.keepAliveTimeout = 60_000;

exitWithParent();
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  send({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
});
