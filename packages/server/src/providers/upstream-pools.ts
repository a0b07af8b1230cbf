import { isIP } from 'node:net';
import { Agent, Pool, buildConnector, errors } from 'undici';
import { ApiError, apiError } from '../errors.js';
import { addressBlocked, checkLiteralHost, guardedLookup, isPrivateAddress, UpstreamAddressBlockedError, type Resolver } from './network-policy.js';

/** undici checks the three timeouts on a coarse clock: each may fire up to about a second late. */
export interface UpstreamPoolSettings {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  connectionsPerOrigin: number;
}

/** How long close() lets in-flight requests finish before cutting their sockets. */
const CLOSE_GRACE_MS = 2_000;

/**
 * The HTTP clients Switchboard calls providers with: one keep-alive undici Pool per provider origin (Proxy API),
 * and an Agent for undici's `fetch` (custom integrations' OAuth token requests). All connect through the SSRF
 * guard of network-policy.ts, so a private address is refused whether it comes from DNS, an IP literal or a
 * redirect. `allowPrivate` lifts the guard; pools are kept apart by it so one setting never reuses the other's.
 */
export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();
  /** The same pools by the origin text callers pass (with the guard setting): a call finds its pool without parsing. */
  readonly #byCallerOrigin = new Map<string, Pool>();
  readonly #agents = new Map<boolean, Agent>();
  readonly #connectors = new Map<boolean, buildConnector.connector>();
  #closed = false;

  constructor(
    private readonly settings: UpstreamPoolSettings,
    private readonly resolve?: Resolver,
  ) {}

  /** The pool for a provider origin (`https://api.hubapi.com`); throws the 403 for a private IP literal. */
  pool(origin: string, allowPrivate: boolean): Pool {
    const callerKey = `${allowPrivate ? 'private' : 'public'} ${origin}`;
    const known = this.#byCallerOrigin.get(callerKey);
    if (known) return known;
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw apiError('INVALID_UPSTREAM_URL', 'The integration API base URL must use http or https');
    }
    checkLiteralHost(url.hostname, allowPrivate);
    const key = `${allowPrivate ? 'private' : 'public'} ${url.origin}`;
    let pool = this.#pools.get(key);
    if (!pool) {
      this.#assertOpen();
      pool = new Pool(url.origin, { ...this.#dispatcherOptions(allowPrivate), pipelining: 1 });
      this.#pools.set(key, pool);
    }
    // Bounded by the pools themselves: a caller's origin text is the origin of a base URL (parsed, normalised).
    if (origin === url.origin) this.#byCallerOrigin.set(callerKey, pool);
    return pool;
  }

  /** A dispatcher for `fetch(url, { dispatcher })` from undici, guarded the same way. */
  agent(allowPrivate: boolean): Agent {
    let agent = this.#agents.get(allowPrivate);
    if (!agent) {
      this.#assertOpen();
      agent = new Agent({ ...this.#dispatcherOptions(allowPrivate), pipelining: 1 });
      this.#agents.set(allowPrivate, agent);
    }
    return agent;
  }

  /** Closes every pool and agent, waiting a moment for in-flight requests, then destroying what is left. */
  async close(): Promise<void> {
    this.#closed = true;
    const dispatchers = [...this.#pools.values(), ...this.#agents.values()];
    this.#pools.clear();
    this.#byCallerOrigin.clear();
    this.#agents.clear();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_GRACE_MS);
    });
    await Promise.race([Promise.all(dispatchers.map((dispatcher) => dispatcher.close())), grace]);
    clearTimeout(timer);
    await Promise.all(dispatchers.map((dispatcher) => dispatcher.destroy()));
  }

  #dispatcherOptions(allowPrivate: boolean) {
    const { headersTimeoutMs, bodyTimeoutMs, connectionsPerOrigin } = this.settings;
    return { connect: this.#connector(allowPrivate), headersTimeout: headersTimeoutMs, bodyTimeout: bodyTimeoutMs, connections: connectionsPerOrigin };
  }

  /**
   * undici's own connector with the guarded lookup, plus the IP-literal check: an Agent meets new origins (e.g.
   * a redirect to `http://169.254.169.254/`) without pool() seeing them, and node:net skips the lookup for them.
   */
  #connector(allowPrivate: boolean): buildConnector.connector {
    let connector = this.#connectors.get(allowPrivate);
    if (!connector) {
      const connect = buildConnector({ timeout: this.settings.connectTimeoutMs, lookup: guardedLookup(allowPrivate, this.resolve) });
      connector = (options, callback) => {
        // undici hands IPv6 literals over without their brackets.
        if (!allowPrivate && isIP(options.hostname) && isPrivateAddress(options.hostname)) {
          callback(new UpstreamAddressBlockedError(options.hostname), null);
          return;
        }
        connect(options, callback);
      };
      this.#connectors.set(allowPrivate, connector);
    }
    return connector;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('The upstream pools are closed');
  }
}

const TIMEOUT = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT', 'ERR_SOCKET_CONNECTION_TIMEOUT']);
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NODATA',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
]);
// Certificate verification failures (OpenSSL's names) and handshake failures.
const TLS = /^(ERR_SSL_|ERR_TLS_|EPROTO$|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$)/;
const BAD_RESPONSE = /^(HPE_|UND_ERR_RES_CONTENT_LENGTH_MISMATCH$|UND_ERR_HEADERS_OVERFLOW$|UND_ERR_RES_EXCEEDED_MAX_SIZE$)/;

const badResponse = (cause: unknown) => apiError('UPSTREAM_BAD_RESPONSE', 'The provider sent a response Switchboard could not read', {}, { cause });

/**
 * The client-facing error for a failed call to a provider, or undefined when the error is not about the
 * provider or the network (the caller rethrows it: a 500). Messages are fixed sentences: undici's name the
 * addresses it tried, which map Switchboard's network. `fetch` wraps the cause in a TypeError; it is looked
 * through.
 */
export function upstreamFailure(error: unknown): ApiError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    // undici 7's HTTPParserError means to carry `HPE_<reason>` as its code but leaves it undefined.
    if (current instanceof errors.HTTPParserError) return badResponse(error);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (TIMEOUT.has(code)) return apiError('UPSTREAM_TIMEOUT', 'The provider did not answer in time', {}, { cause: error });
      if (code === 'UPSTREAM_ADDRESS_BLOCKED') return addressBlocked();
      if (UNREACHABLE.has(code)) return apiError('UPSTREAM_UNREACHABLE', 'Switchboard could not reach the provider', {}, { cause: error });
      if (TLS.test(code)) return apiError('UPSTREAM_TLS_FAILED', 'Switchboard could not make a secure connection to the provider', {}, { cause: error });
      if (BAD_RESPONSE.test(code)) return badResponse(error);
    }
    // Node 20 fails a connection that tried several addresses with an AggregateError (its code is the first's).
    current = current.cause ?? (current instanceof AggregateError ? current.errors[0] : undefined);
  }
  return undefined;
}
