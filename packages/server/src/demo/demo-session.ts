import { createPrivateKey, type KeyObject } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SignJWT } from 'jose';
import type { AppContext } from '../app-context.js';
import { apiError } from '../errors.js';
import type { DevProjectFile } from '../projects/dev-project.js';

/** Every user the demo signs for is named `demo-…`, so it can never sign a token for another user of the dev project. */
export const DEMO_USER_PREFIX = 'demo-';
export const DEFAULT_DEMO_USER = `${DEMO_USER_PREFIX}user`;
const TOKEN_LIFETIME_SECONDS = 3600;
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * Whether the raw `Host` header names this server: the public URL's host or a loopback name, any port. DNS
 * rebinding points an attacker's name at 127.0.0.1, so a page on that name would be same-origin with the demo; its
 * requests still say the attacker's name in `Host`. (The raw header, not Fastify's request.host, which trusts the
 * X-Forwarded-Host that such a page may set itself.)
 */
function isDemoHost(hostHeader: string | undefined, publicUrl: string): boolean {
  if (!hostHeader) return false;
  let hostname: string;
  try {
    hostname = new URL(`http://${hostHeader}`).hostname;
  } catch {
    return false;
  }
  return hostname === new URL(publicUrl).hostname || LOOPBACK_NAMES.includes(hostname);
}

/**
 * GET /demo/session[?user=<name>]: what the demo app needs to use the SDK as a dev-project user,
 * `{ projectId, userId, userToken, host }`. The token is signed with the dev project's private key (the key a
 * customer's backend would hold) for `demo-<name>` (default `demo-user`), RS256, valid for an hour.
 */
export function demoSessionRoute(context: AppContext, devProject: DevProjectFile): FastifyPluginAsyncTypebox {
  let privateKey: KeyObject | undefined;
  return async (app) => {
    app.get(
      '/demo/session',
      {
        // Before anything else, bad query strings included.
        onRequest: async (request) => {
          if (!isDemoHost(request.headers.host, context.config.publicUrl)) {
            throw apiError('HOST_NOT_ALLOWED', "Demo sessions are handed out only at the server's public host or a loopback name (localhost, 127.0.0.1, [::1])");
          }
        },
        schema: {
          hide: true,
          querystring: Type.Object(
            { user: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })) },
            { additionalProperties: false },
          ),
        },
      },
      async (request, reply) => {
        const userId = request.query.user === undefined ? DEFAULT_DEMO_USER : `${DEMO_USER_PREFIX}${request.query.user}`;
        privateKey ??= createPrivateKey(devProject.privateKeyPem);
        const now = Math.floor(Date.now() / 1000);
        const userToken = await new SignJWT({})
          .setProtectedHeader({ alg: 'RS256', kid: devProject.signingKeyId })
          .setSubject(userId)
          .setAudience(devProject.projectId)
          .setIssuedAt(now)
          .setExpirationTime(now + TOKEN_LIFETIME_SECONDS)
          .sign(privateKey);
        reply.header('cache-control', 'no-store');
        return { projectId: devProject.projectId, userId, userToken, host: context.config.publicUrl };
      },
    );
  };
}
