import type { Dispatcher } from 'undici';
import type { AppContext } from '../app-context.js';
import type { ProjectIntegration } from '../catalog/integration-store.js';
import { templateContext } from '../catalog/provider-settings.js';
import type { TokenRefresher, UsableCredential } from '../credentials/token-refresh.js';
import { parseJson } from '../json.js';
import { resolveApiRequest } from '../providers/index.js';
import { guarded } from '../providers/provider-fetch.js';
import { upstreamFailure } from '../providers/upstream-pools.js';
import { checkProxyTarget, joinUpstreamUrl } from '../proxy/upstream-url.js';
import type { CredentialRow } from '../storage/schema.js';

/** What a Request step sends, its variables filled in. */
export interface StepRequest {
  method: string;
  path?: string;
  url?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: unknown;
}

/** A Request step's output: the provider's answer, its body parsed when it is JSON. */
export interface StepResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Largest answer a step reads; a larger one fails the step rather than filling the journal and memory. */
const MAX_RESPONSE_BYTES = 5 * 1024 * 1024;
/** Headers of the answer a step's output keeps: the ones later steps plausibly read. */
const KEPT_HEADERS = ['content-type', 'location', 'etag', 'link', 'retry-after', 'x-request-id'];
/** Headers a step may not set: the integration's credential and the transport are Switchboard's. */
const RESERVED_HEADERS = new Set(['authorization', 'host', 'content-length', 'connection', 'transfer-encoding', 'cookie']);

export class StepFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Worth another try (a 5xx, a 429, the provider out of reach), when the step has retries. */
    readonly retryable: boolean,
    /** The provider's error answer, when it gave one: an Action step reads the provider's reason from it. */
    readonly answer?: StepResponse,
  ) {
    super(message);
  }
}

async function readAnswer(response: Dispatcher.ResponseData): Promise<StepResponse> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > MAX_RESPONSE_BYTES) {
      response.body.destroy();
      throw new StepFailure('RESPONSE_TOO_LARGE', `The answer is larger than ${MAX_RESPONSE_BYTES} bytes`, false);
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const type = String(response.headers['content-type'] ?? '');
  const headers = Object.fromEntries(KEPT_HEADERS.flatMap((name) => (response.headers[name] === undefined ? [] : [[name, String(response.headers[name])]])));
  return { status: response.statusCode, headers, body: /json/i.test(type) ? parseJson<unknown>(text, text) : text };
}

function outgoing(request: StepRequest, idempotencyKey: string): { headers: Record<string, string>; body: string | null } {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (!RESERVED_HEADERS.has(name.toLowerCase())) headers[name.toLowerCase()] = String(value);
  }
  // The same key on every try of this step: an API that honours it does the work once.
  headers['idempotency-key'] = idempotencyKey;
  if (request.body === undefined || request.method === 'GET') return { headers, body: null };
  if (typeof request.body === 'string') return { headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body: request.body };
  return { headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(request.body) };
}

function outcomeOf(answer: StepResponse): StepResponse {
  if (answer.status >= 400) {
    const retryable = answer.status === 429 || answer.status >= 500;
    throw new StepFailure('REQUEST_FAILED', `The API answered ${answer.status}`, retryable, answer);
  }
  return answer;
}

function transportFailure(error: unknown): never {
  if (error instanceof StepFailure) throw error;
  const known = upstreamFailure(error);
  if (known) throw new StepFailure(known.code, known.message, known.code !== 'UPSTREAM_ADDRESS_BLOCKED');
  if (error instanceof Error && error.name === 'TimeoutError') throw new StepFailure('STEP_TIMEOUT', 'The API did not answer in time', true);
  throw error;
}

/**
 * A call to the integration's API as the run's account, through the Proxy API's engine: the integration's base URL
 * and credential, the token refreshed ahead of expiry and once more after a 401, the SSRF guard for custom
 * integrations.
 */
export async function callIntegration(
  context: AppContext,
  refresher: TokenRefresher,
  target: { integration: ProjectIntegration; credential: CredentialRow; allowPrivate: boolean },
  request: StepRequest,
  options: { idempotencyKey: string; timeoutMs: number },
): Promise<StepResponse> {
  const { integration, allowPrivate } = target;
  const path = request.path!.startsWith('/') ? request.path! : `/${request.path}`;
  const query = new URLSearchParams(request.query ?? {}).toString();
  try {
    checkProxyTarget(path.slice(1), query);
  } catch (error) {
    throw new StepFailure('INVALID_PATH', (error as Error).message, false);
  }
  const send = async (usable: UsableCredential) => {
    const templates = templateContext(context, parseJson<Record<string, string>>(usable.row.inputs, {}), parseJson<Record<string, unknown>>(usable.row.provider_data, {}));
    const api = resolveApiRequest(integration.definition, { secrets: usable.secrets, context: templates });
    const url = joinUpstreamUrl(api.baseUrl, path.slice(1), query, api.query);
    const { headers, body } = outgoing(request, options.idempotencyKey);
    const pool = context.upstreams.pool(url.origin, !guarded(integration, allowPrivate));
    return pool.request({
      path: url.path,
      method: request.method as Dispatcher.HttpMethod,
      headers: { ...headers, ...api.headers },
      body,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  };
  try {
    let credential = await refresher.usable(integration, target.credential, allowPrivate);
    let response = await send(credential);
    if (response.statusCode === 401) {
      const renewed = await refresher.afterRejection(integration, credential, allowPrivate);
      if (renewed) {
        await response.body.dump();
        credential = renewed;
        response = await send(credential);
      }
    }
    return outcomeOf(await readAnswer(response));
  } catch (error) {
    transportFailure(error);
  }
}

/** A call to any other https API: no credential added, private and local addresses refused unless the project allows them. */
export async function callUrl(
  context: AppContext,
  target: { allowPrivate: boolean },
  request: StepRequest,
  options: { idempotencyKey: string; timeoutMs: number },
): Promise<StepResponse> {
  let url: URL;
  try {
    url = new URL(request.url!);
    if (url.protocol !== 'https:' && !(target.allowPrivate && url.protocol === 'http:')) throw new Error('only https URLs');
  } catch (error) {
    throw new StepFailure('INVALID_URL', `url must be an https URL (${(error as Error).message})`, false);
  }
  for (const [name, value] of Object.entries(request.query ?? {})) url.searchParams.append(name, value);
  const { headers, body } = outgoing(request, options.idempotencyKey);
  try {
    const pool = context.upstreams.pool(url.origin, target.allowPrivate);
    const response = await pool.request({
      path: `${url.pathname}${url.search}`,
      method: request.method as Dispatcher.HttpMethod,
      headers,
      body,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    return outcomeOf(await readAnswer(response));
  } catch (error) {
    transportFailure(error);
  }
}

/** A refused token refresh or a misconfigured integration, as a step's failure. */
export function stepFailureOf(error: unknown): StepFailure {
  if (error instanceof StepFailure) return error;
  const known = error as { code?: unknown; message?: unknown; statusCode?: unknown };
  if (typeof known?.code === 'string' && typeof known.message === 'string') {
    return new StepFailure(known.code, known.message, typeof known.statusCode === 'number' && known.statusCode >= 500);
  }
  return new StepFailure('STEP_FAILED', 'The step failed unexpectedly', false);
}

