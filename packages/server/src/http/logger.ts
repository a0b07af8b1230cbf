import type { FastifyServerOptions } from 'fastify';
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
