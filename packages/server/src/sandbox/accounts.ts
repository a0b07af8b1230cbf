import { createHash } from 'node:crypto';

/** What `GET /sandbox/api/me` answers and what the OIDC claims say about a sandbox account. */
export interface SandboxAccount {
  id: string;
  name: string;
  email: string | null;
}

/** The login the consent page suggests; any other login is simply another account. */
export const DEFAULT_SANDBOX_LOGIN = 'sandbox-user';

/** A person who approved the consent page with `login`: the login is the account id, no registration. */
export function userAccount(login: string): SandboxAccount {
  const local = login.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'user';
  return { id: login, name: login, email: login.includes('@') ? login : `${local}@sandbox.example.com` };
}

/** A machine token from the client credentials grant: the account is the client itself. */
export function clientAccount(clientId: string): SandboxAccount {
  return { id: `client:${clientId}`, name: `${clientId} (client credentials)`, email: null };
}

/**
 * An API key `sbx_...`: any key is valid and each distinct key is its own account. The id is a digest so
 * the key itself is never stored or echoed.
 */
export function apiKeyAccount(key: string): SandboxAccount {
  const id = `key_${fingerprint(key)}`;
  return { id, name: `API key ${id}`, email: `${id}@sandbox.example.com` };
}

/** First 12 hex characters of sha256(value): enough to tell credentials apart, useless to replay them. */
export function fingerprint(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 12);
}
