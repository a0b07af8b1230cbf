import type { EventEmitter } from 'node:events';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Writable, type Readable } from 'node:stream';
import { setTimeout } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import type { AppContext } from '../app-context.js';
import type { ProjectIntegration } from '../catalog/integration-store.js';
import type { TokenRefresher, UsableCredential } from '../credentials/token-refresh.js';
import { apiError } from '../errors.js';
import { toApiError } from '../providers/provider-errors.js';
import { guarded } from '../providers/provider-fetch.js';
import { ProviderError } from '../providers/index.js';
import { upstreamFailure } from '../providers/upstream-pools.js';
import { dispatchStream, type AnswerSink } from './dispatch-stream.js';
import { clientResponseHeaders } from './forward-headers.js';
import { retryAfterMs } from './retry-after.js';
import { RETRY_HEADER } from './proxy-schema.js';
import { upstreamRequest, type CallerRequest } from './upstream-request.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const NO_BODY_STATUSES = new Set([204, 304]);

/** The integration called and the account it is called with. */
export interface Account {
  integration: ProjectIntegration;
  credential: UsableCredential;
}

export type ProviderHeaders = Record<string, string | string[] | undefined>;

/**
 * Where a proxied call's answer goes: Fastify's reply (proxy-routes.ts), or the bare response of a warm call
 * answered before Fastify (warm-lane-route.ts). Either adds the headers Switchboard set before the call (CORS).
 * Each is a class, made once per call. Not an object literal with a getter: V8 makes such a literal a
 * dictionary-mode object and puts its getter in an AccessorPair in the old generation, and that pair, dead after
 * the call, still holds the call's young objects (response, request, the provider's request) through every young
 * collection until the next full one. That cost the proxy about a sixth of its CPU (docs/performance.md).
 */
export interface ProxyAnswer {
  readonly raw: ServerResponse;
  /** Whether any of the answer went out already. */
  readonly started: boolean;
  /** Writes the provider's status and (filtered) headers; the provider's body is then written into the result. */
  startStreaming(statusCode: number, providerHeaders: ProviderHeaders): Writable;
  /** A whole answer: the provider's status, (filtered) headers and body; no body for HEAD, 204 and 304. */
  send(statusCode: number, providerHeaders: ProviderHeaders, body: Readable | undefined): unknown;
  /** The caller hung up before the provider answered: 499, for the log. */
  callerGone(): unknown;
}

/**
 * Sends the call to the provider and its answer to the caller. The promise rejects with the error to answer when
 * nothing of the answer went out yet (an unreachable provider, a refused refresh); after that it never rejects.
 */
export function forward(context: AppContext, refresher: TokenRefresher, answer: ProxyAnswer, account: Account, caller: CallerRequest): Promise<unknown> {
  const abort = new CallerGone();
  // `on`, not `once`: close comes once per response anyway, and abort() is idempotent.
  answer.raw.on('close', () => {
    if (!answer.raw.writableFinished) abort.abort();
  });
  if (caller.body.replayable && caller.headers[RETRY_HEADER] === undefined) return streamed(context, refresher, answer, account, caller, abort);
  return buffered(context, refresher, answer, account, caller, abort);
}

/**
 * The common case: the provider's answer goes straight into the socket (dispatch-stream.ts: no Readable in between).
 * A 401 that a refresh may cure is set aside, and the refreshed call goes the buffered way.
 */
function streamed(context: AppContext, refresher: TokenRefresher, answer: ProxyAnswer, account: Account, caller: CallerRequest, abort: CallerGone): Promise<unknown> {
  const { integration, credential } = account;
  const renewable = refresher.mayRenewAfterRejection(integration, credential);
  const target = upstreamRequest(context, integration, credential, caller);
  const pool = context.upstreams.pool(target.origin, !guarded(integration, caller.allowPrivate));
  let rejected = false;
  const into: AnswerSink = ({ statusCode, headers }) => {
    if (statusCode === 401 && renewable) {
      rejected = true;
      return discard();
    }
    if (statusCode < 100 || statusCode > 599) {
      throw apiError('UPSTREAM_BAD_RESPONSE', `The provider answered with an invalid HTTP status (${statusCode})`);
    }
    return answer.startStreaming(statusCode, headers);
  };
  const renewAndResend = async () => {
    const renewed = await refresher.afterRejection(integration, credential, caller.allowPrivate).catch(refreshFailure);
    return buffered(context, refresher, answer, { integration, credential: renewed ?? credential }, caller, abort);
  };
  return dispatchStream(pool, target.options, into, abort).then(
    // Not an async callback: a call that went through (nearly all) makes no promise of its own here.
    () => (rejected ? renewAndResend() : undefined),
    (error: unknown) => {
      // Once the answer started, all that is left is to cut the connection (as a failed stream would).
      if (answer.started) return answer.raw.destroy();
      if (abort.aborted) return answer.callerGone();
      throw upstreamFailure(error) ?? error;
    },
  );
}

/**
 * The provider's answer through undici's request(), so the call can be sent again: after a 401 (with a refreshed
 * token, when the body allows it) and on retries the caller asked for.
 */
async function buffered(context: AppContext, refresher: TokenRefresher, answer: ProxyAnswer, account: Account, caller: CallerRequest, abort: CallerGone): Promise<unknown> {
  const { integration } = account;
  let credential = account.credential;
  const send = async (usable: UsableCredential) => {
    const target = upstreamRequest(context, integration, usable, caller, abort.asSignal());
    const pool = context.upstreams.pool(target.origin, !guarded(integration, caller.allowPrivate));
    try {
      return await pool.request(target.options);
    } catch (error) {
      if (abort.aborted) throw new ClientGone();
      throw upstreamFailure(error) ?? error;
    }
  };
  const { method, body } = caller;

  let response: Dispatcher.ResponseData | undefined;
  try {
    response = await send(credential);
    // A 401 may mean the token was revoked or expired early: refresh once and replay, when the body allows it.
    if (response.statusCode === 401) {
      const renewed = await refresher.afterRejection(integration, credential, caller.allowPrivate).catch(refreshFailure);
      if (renewed) {
        credential = renewed;
        if (body.replayable) {
          await response.body.dump();
          response = await send(credential);
        }
      }
    }
    response = await retryWhenAsked(context, caller, response, abort, () => send(credential));
    if (response.statusCode < 100 || response.statusCode > 599) {
      throw apiError('UPSTREAM_BAD_RESPONSE', `The provider answered with an invalid HTTP status (${response.statusCode})`);
    }
  } catch (error) {
    // Whatever went wrong after the provider answered, its connection must not stay held by an unread body.
    // (undici reports the destroy as an 'error' on the body; nobody reads it any more.)
    response?.body.on('error', () => {}).destroy();
    if (error instanceof ClientGone) return answer.callerGone();
    throw error;
  }
  if (method === 'HEAD' || NO_BODY_STATUSES.has(response.statusCode)) {
    await response.body.dump();
    return answer.send(response.statusCode, response.headers, undefined);
  }
  return answer.send(response.statusCode, response.headers, response.body);
}

/**
 * The head of a streamed answer: the provider's headers (filtered) over those Switchboard set already, and
 * `Connection: close` during shutdown (app.ts does the same for Fastify's replies).
 */
export function answerHead(context: AppContext, providerHeaders: ProviderHeaders, preset: Record<string, string | string[]>): OutgoingHttpHeaders {
  const all = clientResponseHeaders(providerHeaders, preset) as OutgoingHttpHeaders;
  if (context.lifecycle.closing) all.connection = 'close';
  return all;
}

/** Where the body of an answer nobody reads goes. */
const discard = () =>
  new Writable({
    write: (_chunk, _encoding, callback) => callback(),
  });

/**
 * Says 'abort' when the caller hangs up before its answer is complete, so undici stops the provider's request.
 * undici takes as its signal anything with `on`; it adds one listener per request with `once` and takes it off
 * with `removeListener` when the request ends (undici's lib/api/abort-signal.js). This holds those listeners and
 * nothing more: an AbortController, or an EventEmitter with its once-wrappers, costs more per call. A real
 * AbortSignal is made only for the waits between retries.
 */
class CallerGone {
  aborted = false;
  /** One per provider request in flight (and per retry wait): a call sends them one after another. */
  private listeners: (() => void)[] = [];

  on(_event: 'abort', listener: () => void): this {
    this.listeners.push(listener);
    return this;
  }

  /** Each listener is called once anyway: abort() happens once. */
  once(event: 'abort', listener: () => void): this {
    return this.on(event, listener);
  }

  removeListener(_event: 'abort', listener: () => void): this {
    const at = this.listeners.indexOf(listener);
    if (at !== -1) this.listeners.splice(at, 1);
    return this;
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }

  /** What undici's types call its signal: it uses only the three methods above. */
  asSignal(): EventEmitter {
    return this as unknown as EventEmitter;
  }

  signal(): AbortSignal {
    const controller = new AbortController();
    if (this.aborted) controller.abort();
    else this.on('abort', () => controller.abort());
    return controller.signal;
  }
}

/** The caller hung up: nothing is left to answer. */
class ClientGone extends Error {}

/** Opt-in retries on 429 and 503 for idempotent requests, after the provider's Retry-After, bounded in count and time. */
async function retryWhenAsked(
  context: AppContext,
  caller: CallerRequest,
  first: Dispatcher.ResponseData,
  gone: CallerGone,
  again: () => Promise<Dispatcher.ResponseData>,
): Promise<Dispatcher.ResponseData> {
  const asked = caller.headers[RETRY_HEADER];
  if (asked === undefined || !IDEMPOTENT.has(caller.method) || !caller.body.replayable) return first;
  const { retryMaxAttempts, retryMaxWaitMs } = context.config.proxy;
  const attempts = asked === 'true' ? retryMaxAttempts : Math.min(retryMaxAttempts, Math.max(0, Number.parseInt(String(asked), 10) || 0));
  let response = first;
  let waited = 0;
  for (let attempt = 0; attempt < attempts && (response.statusCode === 429 || response.statusCode === 503); attempt += 1) {
    const wait = retryAfterMs(response.headers['retry-after'], Date.now()) ?? 250 * 2 ** attempt;
    if (waited + wait > retryMaxWaitMs) break;
    await response.body.dump();
    try {
      await setTimeout(wait, undefined, { signal: gone.signal() });
    } catch {
      throw new ClientGone();
    }
    waited += wait;
    response = await again();
  }
  return response;
}
/** Token refresh failures, as the proxy's caller should see them. */
export function refreshFailure(error: unknown): never {
  if (error instanceof ProviderError) {
    if (error.kind === 'unavailable') {
      throw apiError('TOKEN_REFRESH_UNAVAILABLE', "The provider's token endpoint could not be reached to refresh this account's access; try again shortly", {}, { cause: error });
    }
    if (error.kind === 'rejected') {
      const reason = error.providerMessage ? `: ${error.providerMessage}` : '';
      throw apiError('TOKEN_REFRESH_FAILED', `The provider refused to refresh this account's access token${reason}`, {}, { cause: error });
    }
    throw toApiError(error, 'token refresh');
  }
  throw error;
}

