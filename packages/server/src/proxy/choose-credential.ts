import type { AppContext } from '../app-context.js';
import type { ProjectIntegration } from '../catalog/integration-store.js';
import { apiError } from '../errors.js';
import type { CredentialRow } from '../storage/schema.js';
import { credentialVisible, requireAllowed, visibleCredentials, type CallKind, type TokenPermissions } from '../users/permissions.js';
import { cachedUserCredentialRows, userCredentialRows } from '../credentials/credential-store.js';
import { credentialInvalid } from '../credentials/token-refresh.js';

export const CREDENTIAL_HEADER = 'x-paragon-credential';

/** What a call asks for: whose account, of which integration, under which JWT permissions, for what kind of call. */
export interface CredentialChoice {
  connectedUserId: string;
  permissions: TokenPermissions;
  integration: ProjectIntegration;
  /** The `X-Paragon-Credential` header (or a workflow's credential id), if any. */
  requested: string | string[] | undefined;
  kind?: CallKind;
}

/**
 * The account a proxied request (or a workflow call: `kind`) uses: the one named by `X-Paragon-Credential`, else the
 * user's first valid one (oldest first, like /sdk/me's default). A credential of another user, project or
 * integration, or one the user token's JWT permissions hide, is simply not found; one they show but forbid this
 * kind of call through is 403.
 */
export async function chooseCredential(context: AppContext, choice: CredentialChoice): Promise<CredentialRow> {
  const rows = await userCredentialRows(context, { projectId: choice.integration.projectId, connectedUserId: choice.connectedUserId });
  return credentialAmong(rows, choice);
}

/** chooseCredential when the user's credential rows are in memory (no promise); undefined when they must be read. */
export function chooseCachedCredential(context: AppContext, choice: CredentialChoice): CredentialRow | undefined {
  const rows = cachedUserCredentialRows(context, { projectId: choice.integration.projectId, connectedUserId: choice.connectedUserId });
  return rows && credentialAmong(rows, choice);
}

function credentialAmong(userRows: readonly CredentialRow[], choice: CredentialChoice): CredentialRow {
  const row = visibleCredential(userRows, choice);
  requireAllowed(choice.permissions, { integrationType: choice.integration.type, credentialId: row.id }, choice.kind ?? 'proxy');
  return row;
}

/** A user's rows of each integration, per cached (frozen) list of the user's rows: filtered once, not per call. */
const rowsByIntegration = new WeakMap<readonly CredentialRow[], Map<string, CredentialRow[]>>();

function integrationRows(userRows: readonly CredentialRow[], integrationId: string): CredentialRow[] {
  if (!Object.isFrozen(userRows)) return userRows.filter((row) => row.integration_id === integrationId);
  let byIntegration = rowsByIntegration.get(userRows);
  if (!byIntegration) rowsByIntegration.set(userRows, (byIntegration = new Map()));
  let rows = byIntegration.get(integrationId);
  if (!rows) byIntegration.set(integrationId, (rows = userRows.filter((row) => row.integration_id === integrationId)));
  return rows;
}

function visibleCredential(userRows: readonly CredentialRow[], { permissions, integration, requested }: CredentialChoice): CredentialRow {
  const rows = integrationRows(userRows, integration.id);
  if (requested !== undefined) {
    if (Array.isArray(requested) || requested.trim() === '') {
      throw apiError('INVALID_CREDENTIAL_HEADER', 'X-Paragon-Credential must be one credential id', { field: 'X-Paragon-Credential' });
    }
    const id = requested.trim();
    const row = rows.find((candidate) => candidate.id === id);
    if (!row || !credentialVisible(permissions, { integrationType: integration.type, credentialId: row.id })) {
      throw apiError('CREDENTIAL_NOT_FOUND', `No ${integration.type} account with that id for this user`);
    }
    return row;
  }
  const visible = visibleCredentials(permissions, integration.type, rows);
  const valid = visible.find((row) => row.status === 'VALID');
  if (valid) return valid;
  if (visible.length > 0) throw credentialInvalid();
  throw apiError('INTEGRATION_NOT_INSTALLED', `${integration.type} is not connected for this user`);
}
