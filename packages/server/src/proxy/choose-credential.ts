import type { AppContext } from '../app-context.js';
import type { ProjectIntegration } from '../catalog/integration-store.js';
import { userCredentialRows } from '../credentials/credential-store.js';
import { credentialInvalid } from '../credentials/token-refresh.js';
import { apiError } from '../errors.js';
import type { CredentialRow } from '../storage/schema.js';
import { credentialVisible, requireAllowed, visibleCredentials, type CallKind, type TokenPermissions } from '../users/permissions.js';

export const CREDENTIAL_HEADER = 'x-paragon-credential';

/**
 * The account a proxied request (or a workflow call: `kind`) uses: the one named by `X-Paragon-Credential`, else the
 * user's first valid one (oldest first, like /sdk/me's default). A credential of another user, project or
 * integration, or one the user token's JWT permissions hide, is simply not found; one they show but forbid this
 * kind of call through is 403.
 */
export async function chooseCredential(
  context: AppContext,
  connectedUserId: string,
  permissions: TokenPermissions,
  integration: ProjectIntegration,
  requested: string | string[] | undefined,
  kind: CallKind = 'proxy',
): Promise<CredentialRow> {
  const row = await visibleCredential(context, connectedUserId, permissions, integration, requested);
  requireAllowed(permissions, { integrationType: integration.type, credentialId: row.id }, kind);
  return row;
}

async function visibleCredential(
  context: AppContext,
  connectedUserId: string,
  permissions: TokenPermissions,
  integration: ProjectIntegration,
  requested: string | string[] | undefined,
): Promise<CredentialRow> {
  const rows = (await userCredentialRows(context, { projectId: integration.projectId, connectedUserId })).filter((row) => row.integration_id === integration.id);
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
