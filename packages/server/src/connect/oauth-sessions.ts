import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ErrorCode } from '../errors.js';
import { isoIn, isoNow } from '../clock.js';
import { parseJson } from '../json.js';
import { sealedAad, type SecretBox } from '../secrets/envelope.js';
import type { Database, OAuthSessionRow } from '../storage/schema.js';

/** An OAuth state lives this long; after that, and after one use, it is refused. */
export const OAUTH_STATE_TTL_SECONDS = 10 * 60;

export interface OAuthResult {
  status: 'success' | 'error';
  integration: string;
  credentialId?: string;
  /** A code of ERROR_CODES, or OAUTH_STATE_EXPIRED (REPORTED_ERROR_CODES) for a flow nobody finished. */
  error?: { code: ErrorCode; message: string };
}

export interface NewOAuthSession {
  /** From newOAuthState(). */
  state: string;
  projectId: string;
  connectedUserId: string;
  integrationId: string;
  origin: string;
  redirectUri: string;
  codeVerifier: string | undefined;
  /** Non-secret inputs, stored as they are. */
  inputs: Record<string, string>;
  /** Inputs marked secret, stored sealed. */
  secretInputs: Record<string, string>;
  accountType: string | null;
  selectedCredentialId: string | null;
  allowMultiple: boolean;
  authorizationUrl: string;
  clientKey: string | null;
  /** The accounts the starting user token saw, or null when it saw every account (see save-connected-account.ts). */
  visibleCredentialIds: string[] | null;
}

/** A random, unguessable OAuth state (256 bits). */
export const newOAuthState = () => randomBytes(32).toString('base64url');

export async function createOAuthSession(db: Kysely<Database>, box: SecretBox, session: NewOAuthSession): Promise<void> {
  const state = session.state;
  await db
    .insertInto('oauth_sessions')
    .values({
      state,
      project_id: session.projectId,
      connected_user_id: session.connectedUserId,
      integration_id: session.integrationId,
      origin: session.origin,
      redirect_uri: session.redirectUri,
      code_verifier_sealed: session.codeVerifier ? box.seal(session.codeVerifier, sealedAad('oauth_sessions', 'code_verifier_sealed', state)) : null,
      inputs: JSON.stringify(session.inputs),
      secret_inputs_sealed:
        Object.keys(session.secretInputs).length > 0
          ? box.seal(JSON.stringify(session.secretInputs), sealedAad('oauth_sessions', 'secret_inputs_sealed', state))
          : null,
      account_type: session.accountType,
      selected_credential_id: session.selectedCredentialId,
      allow_multiple: session.allowMultiple ? 1 : 0,
      visible_credential_ids: session.visibleCredentialIds && JSON.stringify(session.visibleCredentialIds),
      expires_at: isoIn(OAUTH_STATE_TTL_SECONDS),
      consumed_at: null,
      result: null,
      created_at: isoNow(),
      authorization_url: session.authorizationUrl,
      client_key: session.clientKey,
    })
    .execute();
}

/** The accounts the flow's starting token saw; a row that cannot be read sees none (never more than it was given). */
export const visibleCredentialIds = (session: OAuthSessionRow): string[] | null =>
  session.visible_credential_ids === null ? null : parseJson<string[]>(session.visible_credential_ids, []);

export const openCodeVerifier = (box: SecretBox, session: OAuthSessionRow) =>
  session.code_verifier_sealed ? box.open(session.code_verifier_sealed, sealedAad('oauth_sessions', 'code_verifier_sealed', session.state)) : undefined;

export const openSecretInputs = (box: SecretBox, session: OAuthSessionRow): Record<string, string> =>
  session.secret_inputs_sealed
    ? (JSON.parse(box.open(session.secret_inputs_sealed, sealedAad('oauth_sessions', 'secret_inputs_sealed', session.state))) as Record<string, string>)
    : {};

export async function findOAuthSession(db: Kysely<Database>, state: string): Promise<OAuthSessionRow | undefined> {
  return db.selectFrom('oauth_sessions').selectAll().where('state', '=', state).executeTakeFirst();
}

/**
 * Marks the state used. Exactly one caller wins, on any number of server instances: the conditional update is
 * atomic in the database. Expired or already used states lose.
 */
/** The newest flow a connected user started under the reference SDK's key for it. */
export async function findOAuthSessionByClientKey(db: Kysely<Database>, connectedUserId: string, clientKey: string): Promise<OAuthSessionRow | undefined> {
  return db
    .selectFrom('oauth_sessions')
    .selectAll()
    .where('connected_user_id', '=', connectedUserId)
    .where('client_key', '=', clientKey)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
}

/** Whether a flow can still be completed: not used, not expired. */
export const sessionOpen = (session: OAuthSessionRow) => session.consumed_at === null && session.expires_at > isoNow();

export async function consumeOAuthSession(db: Kysely<Database>, state: string): Promise<boolean> {
  const now = isoNow();
  const result = await db
    .updateTable('oauth_sessions')
    .set({ consumed_at: now })
    .where('state', '=', state)
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function saveOAuthResult(db: Kysely<Database>, state: string, result: OAuthResult): Promise<void> {
  // The code verifier and secret inputs are no longer needed once the code was exchanged (or refused).
  await db
    .updateTable('oauth_sessions')
    .set({ result: JSON.stringify(result), code_verifier_sealed: null, secret_inputs_sealed: null })
    .where('state', '=', state)
    .execute();
}

export const sessionResult = (session: OAuthSessionRow) => parseJson<OAuthResult | null>(session.result, null);

export async function deleteOAuthSession(db: Kysely<Database>, state: string): Promise<void> {
  await db.deleteFrom('oauth_sessions').where('state', '=', state).execute();
}

/** Drops sessions well past their expiry; they are kept a day so a polling SDK can still read its result. */
export async function pruneOAuthSessions(db: Kysely<Database>): Promise<void> {
  await db.deleteFrom('oauth_sessions').where('expires_at', '<', isoIn(-24 * 3600)).execute();
}
