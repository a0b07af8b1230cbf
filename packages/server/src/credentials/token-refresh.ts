import type { AppContext } from '../app-context.js';
import type { ProjectIntegration } from '../catalog/integration-store.js';
import { isoNow } from '../clock.js';
import { oauthAppFor, templateContext } from '../connect/oauth-app.js';
import {
  fetchClientCredentialsToken,
  ProviderError,
  refreshAccessToken,
  type CredentialSecrets,
  type TokenSet,
} from '../connect/provider/index.js';
import { ApiError } from '../errors.js';
import { providerFetchFor } from '../proxy/provider-fetch.js';
import { parseJson } from '../json.js';
import type { CredentialRow } from '../storage/schema.js';
import { recordCredentialEvent } from './audit-log.js';
import { openCredentialSecrets, sealCredentialSecrets } from './credential-store.js';

/** A credential as the proxy uses it: its row and its secrets, opened for this request only. */
export interface UsableCredential {
  row: CredentialRow;
  secrets: CredentialSecrets;
}

export type RefreshReason = 'expiring' | 'rejected' | 'background';

/** A 401 right after a refresh is the provider's real answer, not a stale token: do not refresh again so soon. */
const MIN_SECONDS_BETWEEN_FORCED_REFRESHES = 30;
/** In-request attempts at the token endpoint when it fails transiently, and the pause before each retry. */
const TRANSIENT_RETRY_DELAYS_MS = [200, 800];

export const credentialInvalid = () =>
  new ApiError(401, 'CREDENTIAL_INVALID', 'This account must be connected again: the provider no longer accepts its authorization');

/** Whether Switchboard can get a new access token for this credential without the user. */
export function canRenew(integration: ProjectIntegration, secrets: CredentialSecrets): boolean {
  const auth = integration.definition.auth;
  if (auth.kind === 'oauth2-client-credentials') return true;
  return auth.kind === 'oauth2' && !auth.noRefresh && typeof secrets.refreshToken === 'string';
}

const expiresWithin = (expiresAt: string | null, seconds: number) => expiresAt !== null && Date.parse(expiresAt) <= Date.now() + seconds * 1000;

/**
 * Keeps OAuth access tokens fresh: refreshes shortly before expiry and after the provider refused a token.
 * Exactly one refresh per credential at a time: concurrent callers in this process share one attempt
 * (single-flight); on Postgres a row lock makes other instances wait, and whoever gets the lock next re-reads the
 * stored token and uses it instead of refreshing again. A dead grant marks the credential INVALID.
 */
export class TokenRefresher {
  private readonly inFlight = new Map<string, Promise<UsableCredential>>();

  constructor(private readonly context: AppContext) {}

  /** Opens a credential's secrets, refreshing its token first when it expires within the margin. */
  async usable(integration: ProjectIntegration, row: CredentialRow, allowPrivate: boolean): Promise<UsableCredential> {
    if (row.status === 'INVALID') throw credentialInvalid();
    const secrets = openCredentialSecrets(this.context.secrets, row);
    if (!canRenew(integration, secrets) || !expiresWithin(row.expires_at, this.context.config.tokens.refreshMarginSeconds)) {
      return { row, secrets };
    }
    try {
      return await this.refresh(integration, row, 'expiring', allowPrivate);
    } catch (error) {
      // The provider's token endpoint is down but the current token still works for a while: use it.
      if (isUnavailable(error) && !expiresWithin(row.expires_at, 0)) return { row, secrets };
      throw error;
    }
  }

  /**
   * After the provider answered 401 to `used`: a new token, or undefined when refreshing cannot help (nothing to
   * refresh with, or the token was refreshed moments ago, so the 401 is the provider's real answer).
   */
  async afterRejection(integration: ProjectIntegration, used: UsableCredential, allowPrivate: boolean): Promise<UsableCredential | undefined> {
    if (!canRenew(integration, used.secrets)) return undefined;
    const refreshedAt = used.row.refreshed_at ? Date.parse(used.row.refreshed_at) : 0;
    if (Date.now() - refreshedAt < MIN_SECONDS_BETWEEN_FORCED_REFRESHES * 1000) return undefined;
    return this.refresh(integration, used.row, 'rejected', allowPrivate);
  }

  /** Refreshes now unless another caller or instance already did since `seen` was read. */
  refresh(integration: ProjectIntegration, seen: CredentialRow, reason: RefreshReason, allowPrivate: boolean): Promise<UsableCredential> {
    const running = this.inFlight.get(seen.id);
    if (running) return running;
    const attempt = this.refreshOnce(integration, seen, reason, allowPrivate).finally(() => this.inFlight.delete(seen.id));
    this.inFlight.set(seen.id, attempt);
    return attempt;
  }

  private async refreshOnce(integration: ProjectIntegration, seen: CredentialRow, reason: RefreshReason, allowPrivate: boolean): Promise<UsableCredential> {
    const { db, storage } = this.context;
    if (storage.dialect === 'sqlite') {
      // One process owns a SQLite file, so single-flight is the whole lock; no transaction is held across the
      // provider call (it would block every other query on the one connection).
      const current = await db.selectFrom('credentials').selectAll().where('id', '=', seen.id).executeTakeFirst();
      return this.renewUnlessDone(integration, seen, current, reason, allowPrivate, (row) => this.store(db, integration, row));
    }
    const outcome = await db.transaction().execute(async (trx) => {
      // Other instances refreshing the same credential wait here, then see the token stored by the first one.
      const current = await trx.selectFrom('credentials').selectAll().where('id', '=', seen.id).forUpdate().executeTakeFirst();
      try {
        return { ok: await this.renewUnlessDone(integration, seen, current, reason, allowPrivate, (row) => this.store(trx, integration, row)) };
      } catch (error) {
        // The invalidation must be written even though the refresh failed: keep it in this transaction.
        if (error instanceof DeadGrant) {
          await this.invalidate(trx, integration, error.row, error.cause);
          return { invalid: true as const };
        }
        throw error;
      }
    });
    if ('invalid' in outcome) throw credentialInvalid();
    return outcome.ok;
  }

  private async renewUnlessDone(
    integration: ProjectIntegration,
    seen: CredentialRow,
    current: CredentialRow | undefined,
    reason: RefreshReason,
    allowPrivate: boolean,
    save: (row: CredentialRow) => Promise<UsableCredential>,
  ): Promise<UsableCredential> {
    if (!current) throw new ApiError(404, 'CREDENTIAL_NOT_FOUND', 'This account was disconnected');
    if (current.status === 'INVALID') throw credentialInvalid();
    const secrets = openCredentialSecrets(this.context.secrets, current);
    const changedMeanwhile = current.secrets_sealed !== seen.secrets_sealed;
    const stillFresh = !expiresWithin(current.expires_at, reason === 'background' ? this.context.config.tokens.sweepLookaheadSeconds : this.context.config.tokens.refreshMarginSeconds);
    if (changedMeanwhile && stillFresh) return { row: current, secrets };
    if (reason === 'background' && stillFresh) return { row: current, secrets };

    let tokens: TokenSet;
    try {
      tokens = await this.requestToken(integration, current, secrets, allowPrivate);
    } catch (error) {
      if (error instanceof ProviderError && isDeadGrant(integration, error)) {
        if (this.context.storage.dialect === 'postgres') throw new DeadGrant(current, error);
        await this.invalidate(this.context.db, integration, current, error);
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
      updated_at: now,
    };
    const saved = await save(row);
    this.context.log.info({ credentialId: current.id, integration: integration.type, reason }, 'access token refreshed');
    return saved;
  }

  /** One token request, retried after short pauses when the provider fails transiently. */
  private async requestToken(integration: ProjectIntegration, row: CredentialRow, secrets: CredentialSecrets, allowPrivate: boolean): Promise<TokenSet> {
    const definition = integration.definition;
    const inputs = { ...parseJson<Record<string, string>>(row.inputs, {}), ...secrets.fields };
    const context = templateContext(this.context, inputs, parseJson<Record<string, unknown>>(row.provider_data, {}));
    const outbound = providerFetchFor(this.context, integration, allowPrivate);
    const send = () =>
      definition.auth.kind === 'oauth2-client-credentials'
        ? fetchClientCredentialsToken(definition, { context, ...(outbound && { outbound }) })
        : refreshAccessToken(definition, { app: oauthAppFor(this.context, integration), refreshToken: secrets.refreshToken!, context, ...(outbound && { outbound }) });
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await send();
      } catch (error) {
        const delay = TRANSIENT_RETRY_DELAYS_MS[attempt];
        if (!isUnavailable(error) || delay === undefined) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async store(db: AppContext['db'], integration: ProjectIntegration, row: CredentialRow): Promise<UsableCredential> {
    await db
      .updateTable('credentials')
      .set({ secrets_sealed: row.secrets_sealed, provider_data: row.provider_data, expires_at: row.expires_at, refreshed_at: row.refreshed_at, updated_at: row.updated_at })
      .where('id', '=', row.id)
      .execute();
    await recordCredentialEvent(db, {
      projectId: row.project_id,
      credentialId: row.id,
      connectedUserId: row.connected_user_id,
      integrationId: integration.id,
      event: 'refreshed',
      detail: { expiresAt: row.expires_at },
    });
    return { row, secrets: openCredentialSecrets(this.context.secrets, row) };
  }

  private async invalidate(db: AppContext['db'], integration: ProjectIntegration, row: CredentialRow, cause: ProviderError): Promise<void> {
    await db.updateTable('credentials').set({ status: 'INVALID', updated_at: isoNow() }).where('id', '=', row.id).execute();
    await recordCredentialEvent(db, {
      projectId: row.project_id,
      credentialId: row.id,
      connectedUserId: row.connected_user_id,
      integrationId: integration.id,
      event: 'invalidated',
      // The provider's own reason (already redacted of secrets), so an admin can tell revocation from expiry.
      detail: { reason: cause.kind, ...(cause.providerMessage && { providerMessage: cause.providerMessage }), ...(cause.status && { status: cause.status }) },
    });
    this.context.log.warn({ credentialId: row.id, integration: integration.type, reason: cause.kind }, 'credential invalidated: the provider refused its grant');
  }
}

/** Carries a dead grant out of the renewal so the Postgres transaction can record it before committing. */
class DeadGrant extends Error {
  constructor(
    readonly row: CredentialRow,
    override readonly cause: ProviderError,
  ) {
    super('dead grant');
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
