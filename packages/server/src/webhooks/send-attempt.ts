import type { Dispatcher } from 'undici';
import type { AppContext } from '../app-context.js';
import { ApiError } from '../errors.js';
import { upstreamFailure } from '../providers/upstream-pools.js';
import { retryAfterMs } from '../proxy/retry-after.js';
import { EXCERPT_CHARACTERS } from './delivery-store.js';

/** What one try of a delivery came to. */
export interface AttemptOutcome {
  statusCode: number | null;
  /** Why no answer came: an error code of docs/api.md (`UPSTREAM_TIMEOUT`, `UPSTREAM_UNREACHABLE`...). */
  error: string | null;
  responseExcerpt: string | null;
  durationMs: number;
  /** The receiver's `Retry-After`, in ms. */
  retryAfterMs: number | undefined;
}

/** Bytes of an answer read for its excerpt; the rest is discarded unread. */
const MAX_READ_BYTES = 4 * 1024;

/** POSTs the signed body once, through the SSRF guard (lifted only where the project allows private upstreams). */
export async function sendAttempt(
  context: Pick<AppContext, 'upstreams'>,
  target: { url: string; allowPrivate: boolean },
  request: { headers: Record<string, string>; body: string; timeoutMs: number },
): Promise<AttemptOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const url = new URL(target.url);
    const pool = context.upstreams.pool(url.origin, target.allowPrivate);
    const response = await pool.request({
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Switchboard-Webhooks/1', ...request.headers },
      body: request.body,
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    const excerpt = await readExcerpt(response);
    return {
      statusCode: response.statusCode,
      error: null,
      responseExcerpt: excerpt,
      durationMs: elapsed(),
      retryAfterMs: retryAfterMs(response.headers['retry-after'], Date.now()),
    };
  } catch (error) {
    return { statusCode: null, error: failureCode(error), responseExcerpt: null, durationMs: elapsed(), retryAfterMs: undefined };
  }
}

async function readExcerpt(response: Dispatcher.ResponseData): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size >= MAX_READ_BYTES) {
      response.body.destroy();
      break;
    }
  }
  const text = Buffer.concat(chunks).toString('utf8').slice(0, EXCERPT_CHARACTERS);
  return text === '' ? null : text;
}

function failureCode(error: unknown): string {
  if (error instanceof ApiError) return error.code;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'UPSTREAM_TIMEOUT';
  return upstreamFailure(error)?.code ?? 'UPSTREAM_UNREACHABLE';
}
