import type { Kysely } from 'kysely';
import { isoNow } from '../clock.js';
import type { LimitsConfig } from '../config.js';
import { tooManyRequests } from '../errors.js';
import { RateLimiter } from '../http/rate-limiter.js';
import type { Database } from '../storage/schema.js';

/**
 * Per connected user limits on starting installs. Each costs more than a database read: an OAuth start stores a
 * session (kept a day), and a typed-credential install sends a test request to the provider. One user's script
 * must not fill the sessions table or make Switchboard hammer a provider.
 */
export interface InstallLimiters {
  oauthStarts: RateLimiter;
  credentialInstalls: RateLimiter;
  /** Unconsumed, unexpired OAuth sessions a user may hold; 0: no cap. */
  pendingOAuthSessions: number;
}

/** What the checks read from the app context. */
interface LimitsContext {
  db: Kysely<Database>;
  installLimits: InstallLimiters;
}

export function installLimiters(limits: LimitsConfig): InstallLimiters {
  return {
    oauthStarts: RateLimiter.perMinute(limits.oauthStartsPerMinute),
    credentialInstalls: RateLimiter.perMinute(limits.credentialInstallsPerMinute),
    pendingOAuthSessions: limits.pendingOAuthSessions,
  };
}

/** POST /sdk/oauth/start: 429 RATE_LIMITED past the user's rate, 429 TOO_MANY_PENDING_OAUTH past the cap. */
export async function checkOAuthStartLimits(context: LimitsContext, projectId: string, connectedUserId: string): Promise<void> {
  const { oauthStarts, pendingOAuthSessions } = context.installLimits;
  const outcome = oauthStarts.take(`${projectId}:${connectedUserId}`);
  if (!outcome.ok) {
    throw tooManyRequests('RATE_LIMITED', `Too many OAuth flows started by this user; retry after ${outcome.retryAfterSeconds} s`, outcome.retryAfterSeconds);
  }
  if (pendingOAuthSessions === 0) return;
  const { pending } = await context.db
    .selectFrom('oauth_sessions')
    .select((eb) => eb.fn.countAll().as('pending'))
    .where('connected_user_id', '=', connectedUserId)
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', isoNow())
    .executeTakeFirstOrThrow();
  if (Number(pending) >= pendingOAuthSessions) {
    // Sessions expire after 10 minutes (OAUTH_STATE_TTL_SECONDS); one finished or expired frees a place.
    throw tooManyRequests('TOO_MANY_PENDING_OAUTH', `This user has ${pendingOAuthSessions} OAuth flows still open; finish one or wait for them to expire`, 60);
  }
}

/** POST /sdk/credentials: 429 RATE_LIMITED past the user's rate of installs (each tests the credential upstream). */
export function checkCredentialInstallLimit(context: LimitsContext, projectId: string, connectedUserId: string): void {
  const outcome = context.installLimits.credentialInstalls.take(`${projectId}:${connectedUserId}`);
  if (!outcome.ok) {
    throw tooManyRequests('RATE_LIMITED', `Too many accounts connected by this user; retry after ${outcome.retryAfterSeconds} s`, outcome.retryAfterSeconds);
  }
}
