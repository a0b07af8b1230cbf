import { matchesInputPattern, type AccountType, type InputField } from '@switchboard/catalog';
import { declaredAccountTypes, offeredAccountTypes } from '../catalog/account-types.js';
import type { ProjectIntegration } from '../catalog/integration-store.js';
import { apiError } from '../errors.js';
import { isPlainObject } from '../json.js';

const MAX_VALUE_LENGTH = 4096;

/**
 * Checks what a user typed against an integration's fields: only known fields, strings, required ones present,
 * patterns and select options honoured. Errors name the field (`<prefix>.<id>`). Returns the values split into
 * secret (stored encrypted) and public (stored as inputs, usable in templates and shown to admins).
 */
export function validateInputs(
  fields: readonly InputField[],
  values: unknown,
  prefix: string,
): { publicValues: Record<string, string>; secretValues: Record<string, string> } {
  if (values === undefined || values === null) values = {};
  if (!isPlainObject(values)) throw apiError('INVALID_INPUT', `${prefix} must be an object`, { field: prefix });
  const known = new Map(fields.map((field) => [field.id, field]));
  for (const key of Object.keys(values)) {
    if (!known.has(key)) throw apiError('UNKNOWN_FIELD', `${prefix}.${key} is not a field of this integration`, { field: `${prefix}.${key}` });
  }
  const publicValues: Record<string, string> = {};
  const secretValues: Record<string, string> = {};
  for (const field of fields) {
    const name = `${prefix}.${field.id}`;
    const raw = values[field.id];
    if (raw === undefined || raw === '') {
      if (field.required) throw apiError('MISSING_FIELD', `${name} is required`, { field: name });
      continue;
    }
    (field.secret || field.type === 'password' ? secretValues : publicValues)[field.id] = checkInputValue(field, raw, name);
  }
  return { publicValues, secretValues };
}

/**
 * One present value of a field: a single-line string of bounded length, matching the field's pattern and, for a
 * select, one of its options. `name` is how errors refer to it (`payload.apiKey`).
 */
export function checkInputValue(field: InputField, raw: unknown, name: string): string {
  if (typeof raw !== 'string') throw apiError('INVALID_FIELD', `${name} must be a string`, { field: name });
  if (raw.length > MAX_VALUE_LENGTH) throw apiError('INVALID_FIELD', `${name} is too long`, { field: name });
  if (/[\r\n\0]/.test(raw)) throw apiError('INVALID_FIELD', `${name} must be a single line`, { field: name });
  if (field.pattern && !matchesInputPattern(field.pattern, raw)) {
    throw apiError('INVALID_FIELD', `${name} is not in the expected format`, { field: name });
  }
  if (field.type === 'select' && field.options && !field.options.some((o) => o.value === raw)) {
    throw apiError('INVALID_FIELD', `${name} must be one of ${field.options.map((o) => o.value).join(', ')}`, { field: name });
  }
  return raw;
}

/**
 * An integration's post-install inputs inside a credential's `sharedSettings`: each declared field that is present
 * (not undefined or '') is checked as an install input would be. `required` is not enforced, since a config may be
 * saved in parts, and keys the integration does not declare are the app's own settings, left alone.
 */
export function checkPostInstallSettings(fields: readonly InputField[], sharedSettings: Record<string, unknown> | undefined, prefix: string): void {
  for (const field of fields) {
    const raw = sharedSettings?.[field.id];
    if (raw === undefined || raw === '') continue;
    checkInputValue(field, raw, `${prefix}.${field.id}`);
  }
}

/**
 * The account type asked for, else the first the project offers; undefined when the integration has none. A type
 * the integration declares but the project does not offer (`portal.accountTypes`) is refused like an unknown one.
 */
export function resolveAccountType(integration: Pick<ProjectIntegration, 'type' | 'definition' | 'portal'>, requested: unknown): AccountType | undefined {
  const types = offeredAccountTypes(integration);
  const field = 'installOptions.accountType';
  // The reference lets accountType be a string or a list of allowed types; a list means "one of these".
  const wanted = Array.isArray(requested) ? requested : requested === undefined || requested === null ? [] : [requested];
  if (wanted.some((value) => typeof value !== 'string')) throw apiError('INVALID_ACCOUNT_TYPE', `${field} must be a string or a list of strings`, { field });
  if (types.length === 0) {
    if (wanted.length > 0 && !wanted.includes('default')) throw apiError('INVALID_ACCOUNT_TYPE', `${field}: this integration has no account types`, { field });
    return undefined;
  }
  if (wanted.length === 0) return types[0];
  const match = types.find((type) => wanted.includes(type.id));
  if (!match) {
    const declared = declaredAccountTypes(integration.definition).some((type) => wanted.includes(type.id));
    const why = declared ? `${integration.type} does not offer ${wanted.join(', ')} in this app` : 'unknown account type';
    throw apiError('INVALID_ACCOUNT_TYPE', `${field} must be one of ${types.map((t) => t.id).join(', ')} (${why})`, { field });
  }
  return match;
}
