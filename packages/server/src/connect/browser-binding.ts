import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app-context.js';
import { publicHostOf } from '../http/service-hosts.js';
import type { OAuthSessionRow } from '../storage/schema.js';
import { OAUTH_STATE_TTL_SECONDS } from './oauth-sessions.js';

/**
 * An OAuth flow completes only in the browser the customer's page opened it in (RFC 9700 §4.7: no login CSRF, no
 * session fixation). The popup's first request to Switchboard comes from the customer's page with its user token
 * or flow state, from one of the project's allowed origins; its answer sets an HttpOnly, SameSite=Lax cookie that
 * names the project and connected user, sealed with the master key. The callback refuses a flow whose browser has
 * no such cookie, so an authorization link sent to someone else's browser connects nothing.
 *
 * The cookie names a user rather than one flow because the reference SDK's popup loads its first page before the
 * flow exists (it asks for the authorization URL in parallel); one cookie per user keeps both SDKs on one rule.
 */
interface Binding {
  projectId: string;
  connectedUserId: string;
  expiresAt: number;
}

const COOKIE_PREFIX = 'sb_oauth_';
const COOKIE_PATH = '/oauth/callback';

/** One cookie per (project, connected user), so two users of one browser do not evict each other. */
export function bindingCookieName(projectId: string, connectedUserId: string): string {
  return COOKIE_PREFIX + createHash('sha256').update(`${projectId}\0${connectedUserId}`).digest('base64url').slice(0, 22);
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

/**
 * Sets the binding cookie on the popup's first answer. Served on a service subdomain (`zeus.sb.example.com`), the
 * cookie is scoped to the public host so the callback on `sb.example.com` receives it.
 */
export function bindBrowser(context: AppContext, request: FastifyRequest, reply: FastifyReply, user: { projectId: string; connectedUserId: string }): void {
  const name = bindingCookieName(user.projectId, user.connectedUserId);
  const binding: Binding = { ...user, expiresAt: Date.now() + OAUTH_STATE_TTL_SECONDS * 1000 };
  const value = context.secrets.seal(JSON.stringify(binding), name);
  const publicUrl = new URL(context.config.publicUrl);
  const host = publicHostOf(context.config.publicUrl, request.headers.host);
  const attributes = [
    `${name}=${value}`,
    `Path=${COOKIE_PATH}`,
    `Max-Age=${OAUTH_STATE_TTL_SECONDS}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(publicUrl.protocol === 'https:' ? ['Secure'] : []),
    ...(host?.service ? [`Domain=${host.hostname}`] : []),
  ];
  reply.header('set-cookie', attributes.join('; '));
}

/** Whether the request carries a live binding cookie for the flow's project and connected user. */
export function browserIsBound(context: AppContext, request: FastifyRequest, session: Pick<OAuthSessionRow, 'project_id' | 'connected_user_id'>): boolean {
  const name = bindingCookieName(session.project_id, session.connected_user_id);
  const value = readCookie(request.headers.cookie, name);
  if (!value) return false;
  try {
    const binding = JSON.parse(context.secrets.open(value, name)) as Binding;
    return binding.projectId === session.project_id && binding.connectedUserId === session.connected_user_id && binding.expiresAt > Date.now();
  } catch {
    return false;
  }
}
