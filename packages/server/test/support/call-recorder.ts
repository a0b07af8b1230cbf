import { createServer, type ServerResponse } from 'node:http';

/** One call a workflow step made. */
export interface RecordedCall {
  path: string;
  key: string;
}

/** What the recorder does with a call: answer 200, answer `status` (after `delayMs`), or hold it until released. */
export type CallHandling = 'ok' | 'hold' | { status: number; delayMs?: number };

export interface CallRecorder {
  /** Its base URL, for Request steps' `url`. */
  url: string;
  /** Every call, in the order they arrived. */
  calls: RecordedCall[];
  /** Calls held unanswered now. */
  held(): number;
  /** The most calls held at once so far. */
  maxHeld(): number;
  /** Answers every held call with 200 (and each later one, until `handle` says otherwise). */
  releaseAll(): void;
  /** Resolves once `count` calls to `path` (or to any path) have arrived. */
  arrived(count: number, path?: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A local API that records each call a step makes with its Idempotency-Key, answering as `handle` says: what a
 * third-party API looks like to a workflow, with the test deciding when it answers.
 */
export async function startCallRecorder(handle: (call: RecordedCall, index: number) => CallHandling = () => 'ok'): Promise<CallRecorder> {
  const calls: RecordedCall[] = [];
  const holding = new Set<ServerResponse>();
  let maxHeld = 0;
  const waiters: (() => void)[] = [];
  const ok = (response: ServerResponse) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  const server = createServer((request, response) => {
    request.resume();
    const call = { path: (request.url ?? '').split('?')[0]!, key: String(request.headers['idempotency-key']) };
    const index = calls.push(call) - 1;
    for (const wake of waiters.splice(0)) wake();
    const handling = handle(call, index);
    if (handling === 'ok') return ok(response);
    if (handling === 'hold') {
      holding.add(response);
      maxHeld = Math.max(maxHeld, holding.size);
      response.once('close', () => holding.delete(response));
      return;
    }
    const answer = () => response.writeHead(handling.status, { 'content-type': 'application/json' }).end(handling.status < 400 ? '{"ok":true}' : '{"error":"refused"}');
    if (handling.delayMs) setTimeout(answer, handling.delayMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    calls,
    held: () => holding.size,
    maxHeld: () => maxHeld,
    releaseAll() {
      for (const response of holding) ok(response);
      holding.clear();
    },
    async arrived(count, path, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      const seen = () => calls.filter((call) => path === undefined || call.path === path).length >= count;
      while (!seen()) {
        if (Date.now() > deadline) throw new Error(`${count} calls${path ? ` to ${path}` : ''} did not arrive: ${JSON.stringify(calls)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
