import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** Takes a request and says true, or says false and leaves it untouched. */
export type FrontHandler = (request: IncomingMessage, response: ServerResponse) => boolean;

/**
 * Fastify's `serverFactory`: the HTTP server Fastify would make, except that each request is offered to `front()`
 * first (the Proxy API's warm lane, proxy/warm-lane-route.ts) and reaches Fastify only when that declines it.
 */
export function serverWithFront(front: () => FrontHandler | undefined) {
  // `options` are Fastify's, with its defaults filled in.
  return (fastify: (request: IncomingMessage, response: ServerResponse) => void, options: Record<string, unknown>): Server => {
    const server = createServer((options.http as object | undefined) ?? {}, (request, response) => {
      if (front()?.(request, response) !== true) fastify(request, response);
    });
    // What Fastify sets on a server of its own making (fastify/lib/server.js), which it leaves to a factory.
    server.keepAliveTimeout = options.keepAliveTimeout as number;
    server.requestTimeout = options.requestTimeout as number;
    server.setTimeout(options.connectionTimeout as number);
    if ((options.maxRequestsPerSocket as number) > 0) server.maxRequestsPerSocket = options.maxRequestsPerSocket as number;
    return server;
  };
}
