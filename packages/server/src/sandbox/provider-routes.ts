import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { TokenStats } from './stats.js';

export interface ProviderRoutesOptions {
  provider: Provider;
  stats: TokenStats;
  /** Public path of the issuer, e.g. `/sandbox`. */
  issuerPath: string;
  /** Path the routes are registered under on this Fastify app, e.g. `/sandbox`. */
  routePrefix: string;
}

/**
 * Hands every /sandbox/* request the sandbox does not answer itself to oidc-provider (a Koa app).
 *
 * oidc-provider reads its own bodies, so this scope has no body parsers: a catch-all parser leaves the stream
 * untouched and Fastify steps aside with `reply.hijack()`. The prefix is stripped from `req.url` and the full
 * public path put in `req.originalUrl`, which is how oidc-provider learns its mount path (the same contract as
 * `expressApp.use('/sandbox', provider.callback())`), so the URLs it generates stay under the issuer.
 */
export async function providerRoutes(scope: FastifyInstance, options: ProviderRoutesOptions): Promise<void> {
  const { provider, stats, issuerPath, routePrefix } = options;
  const callback = provider.callback();

  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (_request, _payload, done) => done(null));

  scope.get('/_stats', async () => stats.snapshot());
  scope.post('/_stats/reset', async () => {
    stats.reset();
    return stats.snapshot();
  });

  const handOver = (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    const req: IncomingMessage & { originalUrl?: string } = request.raw;
    const url = req.url ?? '/';
    const rest = url.startsWith(routePrefix) ? url.slice(routePrefix.length) || '/' : url;
    req.originalUrl = `${issuerPath}${rest}`;
    req.url = rest;
    void callback(req, reply.raw);
  };
  scope.all('/*', handOver);
}
