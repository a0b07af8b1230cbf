import type { ConnectedAccount, CredentialStatus, IntegrationState, SwitchboardUser } from '@switchboard/sdk';

/** What a card says about an integration. */
export type IntegrationStatus = 'connected' | 'not-connected' | 'needs-reconnecting' | 'connecting';

export const STATUS_LABELS: Record<IntegrationStatus, string> = {
  connected: 'Connected',
  'not-connected': 'Not connected',
  'needs-reconnecting': 'Needs reconnecting',
  connecting: 'Connecting…',
};

export const ACCOUNT_STATUS_LABELS: Record<CredentialStatus, string> = {
  VALID: 'Active',
  INVALID: 'Needs reconnecting',
  PENDING: 'Pending',
};

/** The user's state for one integration, or undefined before sign-in. */
export function integrationState(user: SwitchboardUser, type: string): IntegrationState | undefined {
  return user.authenticated ? user.integrations[type] : undefined;
}

/** Every connected account of the integration; the first valid one is the default. */
export function accountsOf(state: IntegrationState | undefined): ConnectedAccount[] {
  return state?.allCredentials ?? [];
}

/** Connected when an account works; needs reconnecting when an account was invalidated (a refused refresh). */
export function integrationStatus(state: IntegrationState | undefined, connecting: boolean): IntegrationStatus {
  if (connecting) return 'connecting';
  const accounts = accountsOf(state);
  if (accounts.some((account) => account.status === 'INVALID') || state?.credentialStatus === 'INVALID') {
    return 'needs-reconnecting';
  }
  return state?.enabled || accounts.length > 0 ? 'connected' : 'not-connected';
}

/** A readable name for an account: the provider's name, else its email, else its id. */
export function accountName(account: ConnectedAccount): string {
  const { name, email } = account.providerData;
  if (typeof name === 'string' && name) return name;
  if (typeof email === 'string' && email) return email;
  return account.providerId ?? account.id;
}

export function accountEmail(account: ConnectedAccount): string | undefined {
  const { email, name } = account.providerData;
  return typeof email === 'string' && email && email !== name ? email : undefined;
}
