import type { AccountType, IntegrationDefinition } from '@switchboard/catalog';
import { apiError } from '../errors.js';
import type { PortalConfig } from '@switchboard/wire';

const FIELD = 'portal.accountTypes';

/** The account types the integration's catalog definition declares (only OAuth integrations have them). */
export const declaredAccountTypes = (definition: IntegrationDefinition): readonly AccountType[] =>
  definition.auth.kind === 'oauth2' ? (definition.auth.accountTypes ?? []) : [];

/**
 * The account types a project's users are offered, in the project's order: `portal.accountTypes` when the project
 * chose, else every declared one in the definition's order.
 */
export function offeredAccountTypes(integration: { definition: IntegrationDefinition; portal: PortalConfig }): readonly AccountType[] {
  const declared = declaredAccountTypes(integration.definition);
  const chosen = integration.portal.accountTypes;
  if (!chosen) return declared;
  // A type a later catalog release dropped is skipped rather than failing every connect.
  return chosen.flatMap((id) => declared.filter((type) => type.id === id));
}

/** Refuses a `portal.accountTypes` that names no declared type, repeats one, is empty, or is set where there are none. */
export function checkPortalAccountTypes(type: string, definition: IntegrationDefinition, ids: readonly string[] | undefined): void {
  if (ids === undefined) return;
  const declared = declaredAccountTypes(definition);
  if (declared.length === 0) throw apiError('INVALID_ACCOUNT_TYPES', `${FIELD}: ${type} has no account types to choose from`, { field: FIELD });
  if (ids.length === 0) throw apiError('INVALID_ACCOUNT_TYPES', `${FIELD} must list at least one account type (omit it to offer all)`, { field: FIELD });
  ids.forEach((id, index) => {
    const field = `${FIELD}[${index}]`;
    if (!declared.some((candidate) => candidate.id === id)) {
      throw apiError('INVALID_ACCOUNT_TYPES', `${field}: ${JSON.stringify(id)} is not an account type of ${type} (${declared.map((t) => t.id).join(', ')})`, { field });
    }
    if (ids.indexOf(id) !== index) throw apiError('INVALID_ACCOUNT_TYPES', `${field}: ${id} is listed twice`, { field });
  });
}
