import type { AppContext } from '../app-context.js';
import { findIntegration } from '../catalog/integration-store.js';
import { isoIn } from '../clock.js';
import { ProviderError } from '../providers/index.js';
import { ApiError } from '../errors.js';
import type { JobQueue } from '../jobs/job-queue.js';
import { findProject } from '../projects/project-store.js';
import { openCredentialSecrets } from './credential-store.js';
import { canRenew, type TokenRefresher } from './token-refresh.js';

export const REFRESH_SWEEP_QUEUE = 'token-refresh-sweep';
export const REFRESH_CREDENTIAL_QUEUE = 'token-refresh';

const STALE_EXPIRY_SECONDS = 3600;

interface RefreshJob {
  credentialId: string;
}

/**
 * Background refresh: a periodic sweep finds credentials in use whose tokens expire soon and queues one refresh
 * job per credential, so the first request of the morning does not wait for a token endpoint. A transient failure
 * fails the job, and the queue retries it with backoff.
 */
export async function scheduleTokenRefresh(context: AppContext, queue: JobQueue, refresher: TokenRefresher): Promise<void> {
  await queue.work(REFRESH_SWEEP_QUEUE, async () => {
    for (const credentialId of await credentialsNearingExpiry(context)) {
      await queue.send<RefreshJob>(REFRESH_CREDENTIAL_QUEUE, { credentialId }, { singletonKey: credentialId, retryLimit: 5, retryDelaySeconds: 30 });
    }
  });
  await queue.work<RefreshJob>(REFRESH_CREDENTIAL_QUEUE, async ({ credentialId }, run) =>
    refreshInBackground(context, refresher, credentialId, { earlierAttempt: run.attempt > 1 }),
  );
  // 0: no scheduled sweep (tokens are then refreshed on use only, or by a sweep sent by hand).
  if (context.config.tokens.sweepIntervalSeconds > 0) await queue.every(REFRESH_SWEEP_QUEUE, context.config.tokens.sweepIntervalSeconds);
}

/**
 * Valid credentials used through the proxy lately whose access token expires within the look-ahead. Tokens that
 * expired over an hour ago are left out: they cannot be renewed or keep failing, and would crowd out the rest;
 * the proxy still refreshes them on use.
 */
export async function credentialsNearingExpiry(context: AppContext): Promise<string[]> {
  const { sweepLookaheadSeconds, inUseDays } = context.config.tokens;
  const rows = await context.db
    .selectFrom('credentials')
    .select('id')
    .where('status', '=', 'VALID')
    .where('expires_at', 'is not', null)
    .where('expires_at', '<=', isoIn(sweepLookaheadSeconds))
    .where('expires_at', '>=', isoIn(-STALE_EXPIRY_SECONDS))
    .where('last_used_at', '>=', isoIn(-inUseDays * 86_400))
    .orderBy('expires_at')
    .limit(1000)
    .execute();
  return rows.map((row) => row.id);
}

/**
 * `earlierAttempt`: this job ran before (it failed, or its worker died mid-refresh). That run may have reached the
 * token endpoint, and a provider that rotates refresh tokens then rotated the one stored here: an `invalid_grant`
 * now is no proof the grant is dead, so it does not invalidate the credential (as after a lost answer in
 * TokenRefresher; the next refresh on use decides).
 */
export async function refreshInBackground(
  context: AppContext,
  refresher: TokenRefresher,
  credentialId: string,
  options: { earlierAttempt?: boolean } = {},
): Promise<void> {
  const row = await context.db.selectFrom('credentials').selectAll().where('id', '=', credentialId).executeTakeFirst();
  if (!row || row.status !== 'VALID') return;
  const [integration, project] = await Promise.all([
    findIntegration(context.db, row.project_id, { id: row.integration_id }),
    findProject(context.db, row.project_id),
  ]);
  if (!integration || !project || !canRenew(integration, openCredentialSecrets(context.secrets, row))) return;
  try {
    await refresher.refresh(integration, row, 'background', project.allowPrivateUpstreams, { afterLostAnswer: options.earlierAttempt ?? false });
  } catch (error) {
    // Unavailable: let the queue retry later. Anything else (a dead grant, already recorded) is final.
    if (error instanceof ProviderError && error.kind === 'unavailable') throw new Error(`token endpoint unavailable for ${integration.type}`);
    if (!(error instanceof ApiError)) context.log.warn({ err: error, credentialId }, 'background token refresh failed');
  }
}
