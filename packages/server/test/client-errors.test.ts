import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoInternals } from './support/sdk-flows.js';
import { startTestServer, type TestServer } from './support/test-server.js';

interface RawAnswer {
  statusLine: string;
  headers: Record<string, string>;
  body: string;
}

/** Writes `raw` on a fresh TCP connection and reads until the server closes it. */
function rawExchange(server: TestServer, raw: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(raw));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ statusLine, headers, body });
    });
  });
}

/** Requests Node's HTTP parser refuses, so no route or Fastify hook ever sees them. */
describe('requests refused by the HTTP parser', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('sqlite');
  });
  afterAll(async () => server?.close());

  it.each([
    ['headers over the size limit', `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
    ['a Content-Length that is not a number', 'POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400, 'INVALID_CONTENT_LENGTH'],
    ['two Content-Length headers', 'POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 400, 'INVALID_CONTENT_LENGTH'],
    ['a NUL in a header value', 'GET /health HTTP/1.1\r\nHost: x\r\nX-Note: a\0b\r\n\r\n', 400, 'INVALID_HEADER'],
    ['a request line that is not HTTP', 'HELLO\r\n\r\n', 400, 'MALFORMED_REQUEST'],
  ])('answers %s with {message, code} and X-Switchboard-Error, then closes', async (_name, raw, status, code) => {
    const answer = await rawExchange(server, raw);
    expect(answer.statusLine).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.headers['x-switchboard-error']).toBe(code);
    expect(answer.headers['connection']).toBe('close');
    expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
    expect(JSON.parse(answer.body)).toEqual({ message: expect.any(String), code });
    expectNoInternals(answer.body);
  });

  it('still serves the next connection', async () => {
    const answer = await rawExchange(server, 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer.statusLine).toMatch(/^HTTP\/1\.1 200 /);
    expect(JSON.parse(answer.body)).toEqual({ status: 'ok' });
  });
});
