import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'fastify/types/logger.js';
import type { ServerConfig } from '../config.js';

/** A Webhook trigger's URL ends in the token that admits deliveries: logs show the route, never the token. */
const WEBHOOK_TOKEN_PATH = /^(\/webhooks\/workflows\/[^/]+\/)[^/]+/;

/** The path of a request URL as logs show it: no query (OAuth callbacks carry codes there), no webhook token. */
export const loggedPath = (url: string): string => url.split('?')[0]!.replace(WEBHOOK_TOKEN_PATH, '$1[token]');

/**
 * pino, with secrets kept out: request lines carry the path only (OAuth callbacks carry codes in the query), and
 * credentials headers are redacted wherever a header object is logged.
 */
export function loggerOptions(config: ServerConfig, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    ...(stream && { stream }),
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'headers.authorization', '*.clientSecret', '*.accessToken', '*.refreshToken'],
      censor: '[redacted]',
    },
    serializers: {
      req: (request: { method: string; url: string; id: string }) => ({
        id: request.id,
        method: request.method,
        path: loggedPath(request.url),
      }),
    },
  };
}

type LogMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * The per-request logger (Fastify's `request.log`, bound to the request id), made on the first line it writes:
 * pino's child() costs about a microsecond, and at the default levels most requests write no line at all.
 */
export function lazyRequestLogger(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyRequestLogger(parent, bindings, options) as unknown as FastifyBaseLogger;
}

class LazyRequestLogger {
  #child: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  get level(): string {
    return this.#child?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.#real().level = level;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }

  fatal(...args: unknown[]): void {
    this.#write('fatal', args);
  }

  error(...args: unknown[]): void {
    this.#write('error', args);
  }

  warn(...args: unknown[]): void {
    this.#write('warn', args);
  }

  info(...args: unknown[]): void {
    this.#write('info', args);
  }

  debug(...args: unknown[]): void {
    this.#write('debug', args);
  }

  trace(...args: unknown[]): void {
    this.#write('trace', args);
  }

  silent(): void {}

  #write(level: LogMethod, args: unknown[]): void {
    // Below the level nothing is written, so the child is not needed yet.
    if (this.#child === undefined && !(this.parent as unknown as { isLevelEnabled(level: string): boolean }).isLevelEnabled(level)) return;
    (this.#real()[level] as (...args: unknown[]) => void)(...args);
  }

  #real(): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.bindings, this.options);
    return this.#child;
  }
}
