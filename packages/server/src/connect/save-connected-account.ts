import type { AppContext } from '../app-context.js';
import type { ProjectIntegration } from '../catalog/integration-store.js';
import { recordCredentialEvent } from '../credentials/audit-log.js';
import { credentialEvent } from '../credentials/credential-events.js';
import {
  credentialsChanged,
  insertCredential,
  listUserCredentials,
  replaceCredentialAccount,
  type ConnectedAccount,
  type Credential,
} from '../credentials/credential-store.js';
import { apiError } from '../errors.js';
import { lockConnectedUser } from '../users/connected-users.js';
import { credentialVisible, hasRestrictions, type TokenPermissions } from '../users/permissions.js';

export interface InstallChoice {
  /** Re-authorize this account in place instead of adding one. */
  selectedCredentialId: string | null;
  allowMultipleCredentials: boolean;
  /**
   * The user's accounts this install sees, by id: those the user token's JWT permissions show. Only these count
   * towards the one-account rule and can be re-authorized; the others are left alone, so a member-level token adds
   * its own account beside the ones it does not see.
   */
  sees: (credentialId: string) => boolean;
}

/** What an install made in a request sees: the accounts the user token's permissions show. */
export const seenByToken =
  (permissions: TokenPermissions, integration: ProjectIntegration) =>
  (credentialId: string): boolean =>
    credentialVisible(permissions, { integrationType: integration.type, credentialId });

/**
 * What an OAuth flow sees at its callback, which has no user token: the ids of the accounts the starting token saw
 * (`checkInstallAllowed`'s answer), or null when that token has no JWT permissions and so sees every account.
 */
export const seenAtStart = (permissions: TokenPermissions, seen: Credential[]): string[] | null =>
  hasRestrictions(permissions) ? seen.map((credential) => credential.id) : null;

/** The callback's view of what its flow saw at the start. */
export const seenIds =
  (ids: string[] | null) =>
  (credentialId: string): boolean =>
    ids === null || ids.includes(credentialId);

/**
 * One account per integration unless the install allows several. An INVALID account does not count: connecting
 * again is how a user repairs it (the same provider account is re-authorized in place).
 */
const blocksAnotherAccount = (existing: Credential[], choice: InstallChoice) =>
  !choice.allowMultipleCredentials && existing.some((credential) => credential.status !== 'INVALID');

/**
 * Refuses an install the user may not start: another account without allowMultipleCredentials, or a foreign (or
 * unseen) credential. Answers the accounts of this integration the install sees.
 */
export async function checkInstallAllowed(
  context: AppContext,
  integration: ProjectIntegration,
  connectedUserId: string,
  choice: InstallChoice,
): Promise<Credential[]> {
  const existing = (await listUserCredentials(context.db, connectedUserId, { integrationId: integration.id })).filter((c) => choice.sees(c.id));
  if (choice.selectedCredentialId) {
    if (!existing.some((c) => c.id === choice.selectedCredentialId)) {
      throw apiError('CREDENTIAL_NOT_FOUND', 'selectedCredentialId is not an account of this user for this integration');
    }
  } else if (blocksAnotherAccount(existing, choice)) {
    throw apiError('INTEGRATION_ALREADY_INSTALLED', `${integration.type} is already installed; pass allowMultipleCredentials to add another account`);
  }
  return existing;
}

/**
 * Stores a connected account: re-authorizes the selected one, or the one with the same provider account id (no
 * duplicate accounts), else adds a new credential. Runs in one transaction with its audit-log entry.
 */
export async function saveConnectedAccount(
  context: AppContext,
  integration: ProjectIntegration,
  connectedUserId: string,
  choice: InstallChoice,
  account: ConnectedAccount,
): Promise<{ credential: Credential; created: boolean }> {
  const saved = await context.db.transaction().execute(async (trx) => {
    // Two callbacks finishing at once must not both see "no account yet" and both insert.
    await lockConnectedUser(trx, context.storage.dialect, connectedUserId);
    const existing = (await listUserCredentials(trx, connectedUserId, { integrationId: integration.id })).filter((c) => choice.sees(c.id));
    const target = choice.selectedCredentialId
      ? existing.find((c) => c.id === choice.selectedCredentialId)
      : account.providerId !== null
        ? existing.find((c) => c.providerId === account.providerId)
        : undefined;
    if (choice.selectedCredentialId && !target) {
      throw apiError('CREDENTIAL_NOT_FOUND', 'The selected account was disconnected meanwhile');
    }
    // Re-authorizing one account while signed in to another would silently swap the account behind a credential.
    if (choice.selectedCredentialId && target?.providerId && account.providerId && target.providerId !== account.providerId) {
      throw apiError('CREDENTIAL_ACCOUNT_MISMATCH', 'You signed in to a different account than the one being re-authorized');
    }
    const owner = { projectId: integration.projectId, connectedUserId, integrationId: integration.id };
    if (target) {
      const credential = await replaceCredentialAccount(trx, context.secrets, target.id, account);
      await credentialsChanged(context, owner, trx);
      await recordCredentialEvent(trx, { ...owner, credentialId: credential.id, event: 'reauthorized', detail: { providerId: account.providerId } });
      return { credential, created: false };
    }
    if (blocksAnotherAccount(existing, choice)) {
      throw apiError('INTEGRATION_ALREADY_INSTALLED', `${integration.type} is already installed; pass allowMultipleCredentials to add another account`);
    }
    const credential = await insertCredential(trx, context.secrets, owner, account);
    await credentialsChanged(context, owner, trx);
    await recordCredentialEvent(trx, { ...owner, credentialId: credential.id, event: 'installed', detail: { providerId: account.providerId } });
    return { credential, created: true };
  });
  // Once committed: workflows may start runs for the account (an Integration enabled trigger).
  await context.accounts.changed({ projectId: integration.projectId, connectedUserId, credentialId: saved.credential.id });
  // After the commit: the customer's backend hears of an account that exists.
  if (saved.created) await context.events.publish(credentialEvent('credential.created', integration, saved.credential));
  return saved;
}
