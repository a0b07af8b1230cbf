import { sql } from 'kysely';
import type { AppContext } from '../app-context.js';
import type { ProjectIntegration } from '../catalog/integration-store.js';
import { isoNow } from '../clock.js';
import { oauthAppFor, templateContext } from '../catalog/provider-settings.js';
import { fetchClientCredentialsToken, ProviderError, refreshAccessToken, type CredentialSecrets, type TokenSet } from '../providers/index.js';
import { apiError } from '../errors.js';
import { parseJson } from '../json.js';
import { providerFetchFor } from '../providers/provider-fetch.js';
import type { CredentialRow } from '../storage/schema.js';
import { recordCredentialEvent } from './audit-log.js';
import { credentialEvent } from './credential-events.js';
import { credentialsChanged, openCredentialSecrets, sealCredentialSecrets } from './credential-store.js';

/** A credential as the proxy uses it: its row and its secrets, opened for this request only. */
export interface UsableCredential {
  row: CredentialRow;
  secrets: CredentialSecrets;
}

export type RefreshReason = 'expiring' | 'rejected' | 'background';

/** A 401 right after a refresh is the provider's real answer, not a stale token: do not refresh again so soon. */
const MIN_SECONDS_BETWEEN_FORCED_REFRESHES = 30;
/** Pauses before the second and third attempt at a token endpoint that failed transiently (no lock is held). */
const TRANSIENT_RETRY_DELAYS_MS = [200, 800];
/** After failed refreshes, requests keep using a still-valid token without asking again for a while. */
const FAILURE_BACKOFF_MS = { first: 5_000, max: 300_000 };
/**
 * Postgres: refresh transactions hold a pool connection and a row lock for one token request. At most this many
 * per process, so ordinary queries always find a connection (the pool has 10); and no one waits for the lock
 * longer than LOCK_TIMEOUT (a lock holder that hangs must not hang the fleet).
 */
const MAX_CONCURRENT_LOCKED_REFRESHES = 4;
const LOCK_TIMEOUT = '15s';

export const credentialInvalid = () =>
  apiError('CREDENTIAL_INVALID', 'This account must be connected again: the provider no longer accepts its authorization');

/** Whether Switchboard can get a new access token for this credential without the user. */
export function canRenew(integration: ProjectIntegration, secrets: CredentialSecrets): boolean {
  const auth = integration.definition.auth;
  if (auth.kind === 'oauth2-client-credentials') return true;
  return auth.kind === 'oauth2' && !auth.noRefresh && typeof secrets.refreshToken === 'string';
}

const expiresWithin = (expiresAt: string | null, seconds: number) => expiresAt !== null && Date.parse(expiresAt) <= Date.now() + seconds * 1000;

/**
 * How long before expiry to refresh a token: `marginSeconds`, but never more than half the token's lifetime (from
 * when it was stored to its expiry). A 3-second token under the default 120 s margin would otherwise be
 * refreshed on every single use.
 */
export function earlyRefreshSeconds(row: Pick<CredentialRow, 'expires_at' | 'refreshed_at'>, marginSeconds: number): number {
  if (row.expires_at === null || row.refreshed_at === null) return marginSeconds;
  const lifetimeSeconds = (Date.parse(row.expires_at) - Date.parse(row.refreshed_at)) / 1000;
  if (Number.isNaN(lifetimeSeconds)) return marginSeconds;
  return Math.min(marginSeconds, Math.max(0, lifetimeSeconds / 2));
}

/** Whether the token is due for refresh: it expires within the margin (see earlyRefreshSeconds). */
const dueForRefresh = (row: CredentialRow, marginSeconds: number) => expiresWithin(row.expires_at, earlyRefreshSeconds(row, marginSeconds));

/**
 * Keeps OAuth access tokens fresh: refreshes shortly before expiry and after the provider refused a token.
 * Exactly one refresh per credential at a time: concurrent callers in this process share one attempt
 * (single-flight); on Postgres a row lock makes other instances wait, and whoever gets the lock next re-reads the
 * stored token and uses it instead of refreshing again. A dead grant marks the credential INVALID.
 */
export class TokenRefresher {
  private readonly inFlight = new Map<string, Promise<UsableCredential>>();
  private readonly failures = new Map<string, { count: number; retryAt: number }>();
  private readonly lockedRefreshes = new Semaphore(MAX_CONCURRENT_LOCKED_REFRESHES);

  constructor(private readonly context: AppContext) {}

  /** Opens a credential's secrets, refreshing its token first when it expires within the margin. */
  async usable(integration: ProjectIntegration, row: CredentialRow, allowPrivate: boolean): Promise<UsableCredential> {
    const now = this.usableNow(integration, row);
    if (now) return now;
    try {
      return await this.refresh(integration, row, 'expiring', allowPrivate);
    } catch (error) {
      // Anything but a dead grant, while the current token still works: use it (the next request tries again).
      if (!expiresWithin(row.expires_at, 0) && error instanceof ProviderError) return { row, secrets: openCredentialSecrets(this.context.secrets, row) };
      throw error;
    }
  }

  /** The credential's secrets when they can be used without a refresh first (no promise: the proxy's warm path). */
  usableNow(integration: ProjectIntegration, row: CredentialRow): UsableCredential | undefined {
    if (row.status === 'INVALID') throw credentialInvalid();
    const secrets = openCredentialSecrets(this.context.secrets, row);
    if (!canRenew(integration, secrets) || !dueForRefresh(row, this.context.config.tokens.refreshMarginSeconds)) return { row, secrets };
    // The last attempts failed moments ago: do not make every request wait for a failing token endpoint.
    const stillValid = !expiresWithin(row.expires_at, 0);
    if (stillValid && (this.failures.get(row.id)?.retryAt ?? 0) > Date.now()) return { row, secrets };
    return undefined;
  }

  /**
   * After the provider answered 401 to `used`: a new token, or undefined when refreshing cannot help (nothing to
   * refresh with, or the token was refreshed moments ago, so the 401 is the provider's real answer).
   */
  async afterRejection(integration: ProjectIntegration, used: UsableCredential, allowPrivate: boolean): Promise<UsableCredential | undefined> {
    if (!this.mayRenewAfterRejection(integration, used)) return undefined;
    return this.refresh(integration, used.row, 'rejected', allowPrivate);
  }

  /** Whether a 401 to `used` would be answered with a refresh (afterRejection): before the call, to know what to keep. */
  mayRenewAfterRejection(integration: ProjectIntegration, used: UsableCredential): boolean {
    if (!canRenew(integration, used.secrets)) return false;
    const refreshedAt = used.row.refreshed_at ? Date.parse(used.row.refreshed_at) : 0;
    return Date.now() - refreshedAt >= MIN_SECONDS_BETWEEN_FORCED_REFRESHES * 1000;
  }

  /**
   * Refreshes now unless another caller or instance already did since `seen` was read. `afterLostAnswer`: an
   * earlier attempt (a background job's run that failed or died) may have reached the token endpoint, so a refused
   * refresh token is not taken for a dead grant (see renewUnlessDone).
   */
  refresh(
    integration: ProjectIntegration,
    seen: CredentialRow,
    reason: RefreshReason,
    allowPrivate: boolean,
    options: { afterLostAnswer?: boolean } = {},
  ): Promise<UsableCredential> {
    const running = this.inFlight.get(seen.id);
    if (running) return running;
    const attempt = this.refreshWithRetries(integration, seen, reason, allowPrivate, options.afterLostAnswer ?? false)
      .then(
        (usable) => {
          this.failures.delete(seen.id);
          return usable;
        },
        async (error: unknown) => {
          if (error instanceof ProviderError) {
            this.noteFailure(seen.id);
            await this.countFailure(seen);
          }
          throw error;
        },
      )
      .finally(() => this.inFlight.delete(seen.id));
    this.inFlight.set(seen.id, attempt);
    return attempt;
  }

  /** One more failed refresh on the credential's row, as its views show it (a dead grant counts in invalidate). */
  private async countFailure(row: CredentialRow): Promise<void> {
    try {
      await this.context.db
        .updateTable('credentials')
        .set((eb) => ({ refresh_failure_count: eb('refresh_failure_count', '+', 1) }))
        .where('id', '=', row.id)
        .execute();
      await credentialsChanged(this.context, { projectId: row.project_id, connectedUserId: row.connected_user_id });
    } catch (error) {
      // The count is for people reading the account; the refresh's own error is what the caller must see.
      this.context.log.warn({ credentialId: row.id, error: (error as Error).message }, 'could not count a failed token refresh');
    }
  }

  private noteFailure(credentialId: string): void {
    const count = (this.failures.get(credentialId)?.count ?? 0) + 1;
    const delay = Math.min(FAILURE_BACKOFF_MS.first * 2 ** (count - 1), FAILURE_BACKOFF_MS.max);
    this.failures.set(credentialId, { count, retryAt: Date.now() + delay });
  }

  /** Up to three attempts when the token endpoint fails transiently, pausing between them without holding a lock. */
  private async refreshWithRetries(
    integration: ProjectIntegration,
    seen: CredentialRow,
    reason: RefreshReason,
    allowPrivate: boolean,
    afterLostAnswer: boolean,
  ): Promise<UsableCredential> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.refreshOnce(integration, seen, reason, allowPrivate, afterLostAnswer || attempt > 0);
      } catch (error) {
        const delay = TRANSIENT_RETRY_DELAYS_MS[attempt];
        if (!isUnavailable(error) || delay === undefined) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async refreshOnce(
    integration: ProjectIntegration,
    seen: CredentialRow,
    reason: RefreshReason,
    allowPrivate: boolean,
    afterTransientFailure: boolean,
  ): Promise<UsableCredential> {
    const { db, storage } = this.context;
    const attempt = { integration, seen, reason, allowPrivate, afterTransientFailure };
    if (storage.dialect === 'sqlite') {
      // One process owns a SQLite file, so single-flight is the whole lock; no transaction is held across the
      // provider call (it would block every other query on the one connection). Writes compare-and-set instead.
      const current = await db.selectFrom('credentials').selectAll().where('id', '=', seen.id).executeTakeFirst();
      return this.renewUnlessDone(db, attempt, current);
    }
    await this.lockedRefreshes.acquire();
    try {
      return await db.transaction().execute(async (trx) => {
        await sql`set local lock_timeout = ${sql.lit(LOCK_TIMEOUT)}`.execute(trx);
        // Other instances refreshing the same credential wait here, then see the token stored by the first one.
        const current = await trx
          .selectFrom('credentials')
          .selectAll()
          .where('id', '=', seen.id)
          .forUpdate()
          .executeTakeFirst()
          .catch((error: unknown) => {
            if ((error as { code?: string }).code === '55P03') throw new ProviderError('unavailable', 'Another server is still refreshing this token');
            throw error;
          });
        return this.renewUnlessDone(trx, attempt, current);
      });
    } catch (error) {
      // The invalidation must be written even though the refresh failed, so it was kept out of the rolled-back
      // transaction: write it now, compare-and-set on the secrets that were refused.
      if (error instanceof DeadGrant) {
        await this.invalidate(db, integration, error.row, error.cause);
        throw credentialInvalid();
      }
      throw error;
    } finally {
      this.lockedRefreshes.release();
    }
  }

  private async renewUnlessDone(
    db: AppContext['db'],
    p: { integration: ProjectIntegration; seen: CredentialRow; reason: RefreshReason; allowPrivate: boolean; afterTransientFailure: boolean },
    current: CredentialRow | undefined,
  ): Promise<UsableCredential> {
    const { integration, seen, reason } = p;
    if (!current) throw apiError('CREDENTIAL_NOT_FOUND', 'This account was disconnected');
    if (current.status === 'INVALID') throw credentialInvalid();
    const secrets = openCredentialSecrets(this.context.secrets, current);
    const { refreshMarginSeconds, sweepLookaheadSeconds } = this.context.config.tokens;
    const stillFresh = !dueForRefresh(current, reason === 'background' ? sweepLookaheadSeconds : refreshMarginSeconds);
    const changedMeanwhile = current.secrets_sealed !== seen.secrets_sealed;
    if ((changedMeanwhile || reason === 'background') && stillFresh) return { row: current, secrets };

    let tokens: TokenSet;
    try {
      tokens = await this.requestToken(integration, current, secrets, p.allowPrivate);
    } catch (error) {
      if (error instanceof ProviderError && isDeadGrant(integration, error)) {
        // A provider that rotates refresh tokens may have rotated on the attempt whose answer was lost; reusing
        // the old token then looks like a dead grant. Do not invalidate on that guess: report it as unavailable.
        if (p.afterTransientFailure) throw new ProviderError('unavailable', `${integration.definition.name}: the refresh failed after a lost answer`);
        if (this.context.storage.dialect === 'postgres') throw new DeadGrant(current, error);
        await this.invalidate(db, integration, current, error);
        throw credentialInvalid();
      }
      throw error;
    }
    const renewed: CredentialSecrets = {
      ...secrets,
      accessToken: tokens.accessToken,
      ...(tokens.refreshToken !== undefined && { refreshToken: tokens.refreshToken }),
      ...(Object.keys(tokens.extraSecrets).length > 0 && { extra: { ...secrets.extra, ...tokens.extraSecrets } }),
    };
    const now = isoNow();
    const row: CredentialRow = {
      ...current,
      secrets_sealed: sealCredentialSecrets(this.context.secrets, current.id, renewed),
      provider_data: JSON.stringify({ ...parseJson<Record<string, unknown>>(current.provider_data, {}), ...tokens.providerData }),
      expires_at: tokens.expiresAt,
      refreshed_at: now,
      // A success: the failures before it no longer count.
      refresh_failure_count: 0,
      updated_at: now,
    };
    const saved = await this.store(db, integration, current, row);
    this.context.log.info({ credentialId: current.id, integration: integration.type, reason }, 'access token refreshed');
    return saved;
  }

  private async requestToken(integration: ProjectIntegration, row: CredentialRow, secrets: CredentialSecrets, allowPrivate: boolean): Promise<TokenSet> {
    const definition = integration.definition;
    const inputs = { ...parseJson<Record<string, string>>(row.inputs, {}), ...secrets.fields };
    const context = templateContext(this.context, inputs, parseJson<Record<string, unknown>>(row.provider_data, {}));
    const outbound = providerFetchFor(this.context, integration, allowPrivate);
    if (definition.auth.kind === 'oauth2-client-credentials') return fetchClientCredentialsToken(definition, { context, ...(outbound && { outbound }) });
    const app = oauthAppFor(this.context, integration);
    return refreshAccessToken(definition, { app, refreshToken: secrets.refreshToken!, context, ...(outbound && { outbound }) });
  }

  /**
   * Writes the new token only over the secrets it was refreshed from: a reconnect that landed meanwhile (SQLite
   * has no row lock) wins, and its row is used instead.
   */
  private async store(db: AppContext['db'], integration: ProjectIntegration, from: CredentialRow, row: CredentialRow): Promise<UsableCredential> {
    const result = await db
      .updateTable('credentials')
      .set({
        secrets_sealed: row.secrets_sealed,
        provider_data: row.provider_data,
        expires_at: row.expires_at,
        refreshed_at: row.refreshed_at,
        refresh_failure_count: row.refresh_failure_count,
        updated_at: row.updated_at,
      })
      .where('id', '=', row.id)
      .where('secrets_sealed', '=', from.secrets_sealed)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) {
      const latest = await db.selectFrom('credentials').selectAll().where('id', '=', row.id).executeTakeFirst();
      if (!latest) throw apiError('CREDENTIAL_NOT_FOUND', 'This account was disconnected');
      if (latest.status === 'INVALID') throw credentialInvalid();
      return { row: latest, secrets: openCredentialSecrets(this.context.secrets, latest) };
    }
    await recordCredentialEvent(db, {
      projectId: row.project_id,
      credentialId: row.id,
      connectedUserId: row.connected_user_id,
      integrationId: integration.id,
      event: 'refreshed',
      detail: { expiresAt: row.expires_at },
    });
    // After the row and its audit entry: whoever hears of the change finds both.
    await credentialsChanged(this.context, { projectId: row.project_id, connectedUserId: row.connected_user_id }, db);
    return { row, secrets: openCredentialSecrets(this.context.secrets, row) };
  }

  private async invalidate(db: AppContext['db'], integration: ProjectIntegration, row: CredentialRow, cause: ProviderError): Promise<void> {
    const result = await db
      .updateTable('credentials')
      .set((eb) => ({ status: 'INVALID', refresh_failure_count: eb('refresh_failure_count', '+', 1), updated_at: isoNow() }))
      .where('id', '=', row.id)
      // Only the grant that was refused: a reconnect that stored new secrets meanwhile stays valid.
      .where('secrets_sealed', '=', row.secrets_sealed)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return;
    await recordCredentialEvent(db, {
      projectId: row.project_id,
      credentialId: row.id,
      connectedUserId: row.connected_user_id,
      integrationId: integration.id,
      event: 'invalidated',
      // The provider's own reason (already redacted of secrets), so an admin can tell revocation from expiry.
      detail: { reason: cause.kind, ...(cause.providerMessage && { providerMessage: cause.providerMessage }), ...(cause.status && { status: cause.status }) },
    });
    await credentialsChanged(this.context, { projectId: row.project_id, connectedUserId: row.connected_user_id }, db);
    this.context.log.warn({ credentialId: row.id, integration: integration.type, reason: cause.kind }, 'credential invalidated: the provider refused its grant');
    const credential = { id: row.id, projectId: row.project_id, connectedUserId: row.connected_user_id };
    await this.context.events.publish(credentialEvent('credential.refresh_failed', integration, credential, { reason: cause.kind, status: 'INVALID' }));
  }
}

/** Carries a dead grant out of the Postgres transaction, which rolls back; the invalidation is written after. */
class DeadGrant extends Error {
  constructor(
    readonly row: CredentialRow,
    override readonly cause: ProviderError,
  ) {
    super('dead grant');
  }
}

/** A counter of free slots, with a queue of waiters. */
class Semaphore {
  private readonly waiting: (() => void)[] = [];
  constructor(private free: number) {}

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}

/** The grant itself is gone (revoked, expired refresh token) or, for client credentials, the typed secret is refused. */
function isDeadGrant(integration: ProjectIntegration, error: ProviderError): boolean {
  if (error.kind === 'invalid_grant') return true;
  return error.kind === 'rejected' && integration.definition.auth.kind === 'oauth2-client-credentials';
}

const isUnavailable = (error: unknown) => error instanceof ProviderError && error.kind === 'unavailable';

/** When a credential was last proxied, written at most this often: the background refresh only keeps used ones fresh. */
export const LAST_USED_RESOLUTION_SECONDS = 300;

export function lastUseIsStale(row: CredentialRow): boolean {
  return row.last_used_at === null || Date.parse(row.last_used_at) < Date.now() - LAST_USED_RESOLUTION_SECONDS * 1000;
}
