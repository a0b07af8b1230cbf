/**
 * The load generator of bench:proxy, in a process of its own. On each `run` message from the parent it opens an
 * undici Pool with `concurrency` connections to the target, keeps exactly `concurrency` requests in flight (each
 * worker sends its next request when its last answer's body has been read), warms up, then measures a window:
 * every request that completes inside it counts, with its latency (send → last body byte). The pool is closed
 * after each run, so every run starts from new connections and warms them up itself.
 */
import { performance } from 'node:perf_hooks';
import { Pool, type Dispatcher } from 'undici';
import { exitWithParent, send } from './lib/processes.js';
import { percentile } from './lib/stats.js';

export interface LoadSpec {
  origin: string;
  path: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** Request body size in bytes (POST); 0 for none. */
  requestBytes: number;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /**
   * Open loop: send this many requests per second on a fixed schedule, whether or not answers came back (at most
   * `concurrency` connections; a request waits for a free one). Latency then runs from the request's scheduled
   * time, so queueing shows in it instead of slowing the offered load (no coordinated omission).
   */
  rate?: number;
}

export interface LoadResult {
  /** Requests completed in the measured window (any status). */
  requests: number;
  /** Requests completed in the whole run, warm-up included (for CPU per request). */
  allRequests: number;
  seconds: number;
  rps: number;
  /** Open loop: the offered load, requests per second. */
  offeredRps?: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** Answers by status code in the window, plus `error` for requests that failed without one. */
  statuses: Record<string, number>;
  /** The first answer that was not a 200, for the report. */
  firstFailure?: string;
  /** Response body bytes read per 200 answer (the last seen). */
  responseBytes: number;
  /** The measured window on the system's monotonic clock, µs: the clock V8 stamps CPU profile samples with. */
  windowUs: [number, number];
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const pool = new Pool(spec.origin, { connections: spec.concurrency, pipelining: 1 });
  const body = spec.requestBytes > 0 ? Buffer.alloc(spec.requestBytes, 'y') : null;
  const headers = { ...spec.headers, ...(body && { 'content-type': 'application/octet-stream' }) };
  const latencies = new Float64Array(4_000_000);
  let count = 0;
  let allRequests = 0;
  let firstFailure: string | undefined;
  let responseBytes = 0;
  const statuses: Record<string, number> = {};

  const start = performance.now();
  const startUs = Number(process.hrtime.bigint() / 1000n);
  const measureFrom = start + spec.warmupMs;
  const measureUntil = measureFrom + spec.durationMs;

  /** Sends one request and reads its answer: its status, body bytes, and what went wrong if it did. */
  const exchange = async (): Promise<{ status: string; bytes: number; failure?: string }> => {
    try {
      const answer = await pool.request({ path: spec.path, method: spec.method, headers, body } satisfies Dispatcher.RequestOptions);
      if (answer.statusCode !== 200) {
        return { status: String(answer.statusCode), bytes: 0, failure: `${spec.method} ${spec.origin}${spec.path} → ${answer.statusCode} ${await answer.body.text()}` };
      }
      let bytes = 0;
      for await (const chunk of answer.body) bytes += (chunk as Buffer).length;
      return { status: '200', bytes };
    } catch (error) {
      return { status: 'error', bytes: 0, failure: `${spec.method} ${spec.origin}${spec.path} → ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}` };
    }
  };

  /** Counts an answer in the window (`from` is when it was sent or, open loop, when it was due); false outside it. */
  const record = (from: number, done: number, answer: { status: string; bytes: number; failure?: string }, inWindow: boolean): boolean => {
    allRequests += 1;
    if (!inWindow) {
      if (answer.failure !== undefined) firstFailure ??= answer.failure;
      return false;
    }
    if (count < latencies.length) latencies[count] = done - from;
    count += 1;
    statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    if (answer.failure !== undefined) firstFailure ??= answer.failure;
    else responseBytes = answer.bytes;
    return true;
  };

  const worker = async () => {
    while (performance.now() < measureUntil) {
      const sent = performance.now();
      const answer = await exchange();
      const done = performance.now();
      const counted = record(sent, done, answer, done >= measureFrom && done < measureUntil);
      // Requests fail fast when the target is down: do not spin through the warm-up.
      if (!counted && answer.failure !== undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  const openLoop = async () => {
    const interval = 1000 / spec.rate!;
    const inFlight = new Set<Promise<void>>();
    let next = start;
    const one = async (scheduled: number) => {
      const answer = await exchange();
      // Counted by when it was due, so a slow answer at the end of the window still counts.
      record(scheduled, performance.now(), answer, scheduled >= measureFrom && scheduled < measureUntil);
    };
    while (next < measureUntil) {
      const now = performance.now();
      while (next <= now && next < measureUntil) {
        const request = one(next);
        inFlight.add(request);
        void request.finally(() => inFlight.delete(request));
        next += interval;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(next - performance.now(), 5))));
    }
    await Promise.all(inFlight);
  };

  if (spec.rate !== undefined) await openLoop();
  else await Promise.all(Array.from({ length: spec.concurrency }, worker));
  await pool.close();
  const sorted = latencies.subarray(0, Math.min(count, latencies.length)).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  const seconds = spec.durationMs / 1000;
  return {
    requests: count,
    allRequests,
    seconds,
    rps: count / seconds,
    ...(spec.rate !== undefined && { offeredRps: spec.rate }),
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: percentile(sorted, 1),
    mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
    statuses,
    ...(firstFailure !== undefined && { firstFailure: firstFailure.slice(0, 1000) }),
    responseBytes,
    windowUs: [startUs + spec.warmupMs * 1000, startUs + (spec.warmupMs + spec.durationMs) * 1000],
  };
}

exitWithParent();
process.on('message', (message: { type: 'run'; spec: LoadSpec }) => {
  if (message.type !== 'run') return;
  run(message.spec).then(
    (result) => send({ type: 'result', result }),
    (error: unknown) => send({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
});
send({ type: 'ready', port: 0 });
