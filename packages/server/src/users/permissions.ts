import { ApiError, apiError } from '../errors.js';

/**
 * JWT permissions: what one user token may see and do among its connected user's integrations and accounts, read
 * from the token's `urn:useparagon:connect:permissions` claim on every request and never stored. Several people of
 * one customer organisation can share a connected user this way: an org-level token sees every account, a
 * member-level token only the accounts that member connected.
 *
 * The claim maps scopes to permissions. Scopes, least to most specific:
 *   integration:*, integration:<type>, credential:*, credential:<id>, configuration:*, configuration:ext:<externalId>
 * A permission is `true` (visible, every call kind allowed), `false` (hidden) or
 * `{ visible?, proxy?, events?, workflows? }` of booleans. Each key is taken from the most specific scope that sets
 * it; a key no scope sets is `true`. A hidden target is answered as if it did not exist; a call kind set to `false`
 * on a visible target is refused with 403 PERMISSION_DENIED.
 *
 * Every credential has one implicit configuration today (no external id), and a credential is resolved through it:
 * `configuration:*` applies to every credential, after `credential:<id>`; `configuration:ext:<id>` to none yet.
 */
export const PERMISSIONS_CLAIM = 'urn:useparagon:connect:permissions';

/** The kinds of call a permission can refuse: Proxy API calls, app events, workflows (request triggers, turning on or off, settings). */
export const CALL_KINDS = ['proxy', 'events', 'workflows'] as const;
export type CallKind = (typeof CALL_KINDS)[number];

const PERMISSION_KEYS = ['visible', ...CALL_KINDS] as const;
type PermissionKey = (typeof PERMISSION_KEYS)[number];

/** A permission as the claim states it, `true`/`false` expanded; unset keys inherit from less specific scopes. */
export type PermissionRule = Partial<Record<PermissionKey, boolean>>;

/** What a token may do with one target once every scope that applies was read. */
export type Access = Record<PermissionKey, boolean>;

/** A token's validated claim, scope to rule. Empty when the token has no claim: it sees everything its sub owns. */
export type TokenPermissions = ReadonlyMap<string, Readonly<PermissionRule>>;

export const NO_RESTRICTIONS: TokenPermissions = new Map();

/** `true` grants everything at its scope, so it also lifts a call kind a less specific scope refused. */
const GRANT_ALL: PermissionRule = { visible: true, proxy: true, events: true, workflows: true };
/** `false` hides; the call kinds stay inherited, so a more specific `{ visible: true }` restores them as they were. */
const HIDE: PermissionRule = { visible: false };
const FULL_ACCESS: Access = { visible: true, proxy: true, events: true, workflows: true };
const NO_ACCESS: Access = { visible: false, proxy: false, events: false, workflows: false };

const WILDCARD_SCOPES = new Set(['integration:*', 'credential:*', 'configuration:*']);
const NAMED_SCOPE = /^(integration:|credential:|configuration:ext:)(.+)$/;
/** A name in a scope: what integration types, credential ids and external ids are made of; no wildcards in it. */
const SCOPE_NAME = /^[^\s*\u0000-\u001f\u007f]{1,255}$/;
const SCOPE_FORMS = 'integration:*, integration:<type>, credential:*, credential:<id>, configuration:*, configuration:ext:<externalId>';

const quoted = (text: string) => JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);

function invalidClaim(problem: string): ApiError {
  return apiError('USER_TOKEN_INVALID_PERMISSIONS', `The user token's ${PERMISSIONS_CLAIM} claim ${problem}`, { field: PERMISSIONS_CLAIM });
}

function checkScope(scope: string): void {
  if (WILDCARD_SCOPES.has(scope)) return;
  const name = NAMED_SCOPE.exec(scope)?.[2];
  if (name === undefined || !SCOPE_NAME.test(name)) {
    throw invalidClaim(`has an unknown scope ${quoted(scope)}; scopes are ${SCOPE_FORMS}`);
  }
}

function toRule(scope: string, value: unknown): PermissionRule {
  if (value === true) return GRANT_ALL;
  if (value === false) return HIDE;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidClaim(`gives ${quoted(scope)} a permission that is not true, false or an object of ${PERMISSION_KEYS.join(', ')}`);
  }
  const rule: PermissionRule = {};
  for (const [key, flag] of Object.entries(value)) {
    if (!(PERMISSION_KEYS as readonly string[]).includes(key)) {
      throw invalidClaim(`gives ${quoted(scope)} an unknown permission ${quoted(key)}; permissions are ${PERMISSION_KEYS.join(', ')}`);
    }
    if (typeof flag !== 'boolean') throw invalidClaim(`gives ${quoted(scope)} a ${key} that is not true or false`);
    rule[key as PermissionKey] = flag;
  }
  return rule;
}

/**
 * Validates the claim of verified token claims, once per request. Strict: an unknown scope, an unknown permission
 * key or a value of the wrong type refuses the whole token (401 USER_TOKEN_INVALID_PERMISSIONS), because ignoring
 * a rule the customer meant to restrict access would grant more than they signed.
 */
export function parsePermissions(claims: Record<string, unknown>): TokenPermissions {
  if (!Object.hasOwn(claims, PERMISSIONS_CLAIM)) return NO_RESTRICTIONS;
  const claim = claims[PERMISSIONS_CLAIM];
  if (claim === null || typeof claim !== 'object' || Array.isArray(claim)) {
    throw invalidClaim(`must be an object from scope (${SCOPE_FORMS}) to permission`);
  }
  const rules = new Map<string, PermissionRule>();
  for (const [scope, value] of Object.entries(claim)) {
    checkScope(scope);
    rules.set(scope, toRule(scope, value));
  }
  return rules;
}

/** Does the token restrict anything at all? (A token without the claim, or with an empty one, does not.) */
export const hasRestrictions = (permissions: TokenPermissions) => permissions.size > 0;

/** What a permission is asked about: an integration, or one of its credentials (through a configuration). */
export interface PermissionTarget {
  /** The integration's type (`salesforce`, `custom.<slug>`); undefined when the integration is gone from the catalog. */
  integrationType: string | undefined;
  credentialId?: string;
  /** The configuration the credential is used through; its implicit one (no external id) when not given. */
  configurationExternalId?: string | null;
}

/** The scopes that apply to a target, least specific first. */
function scopesOf(target: PermissionTarget): string[] {
  const scopes = ['integration:*'];
  if (target.integrationType !== undefined) scopes.push(`integration:${target.integrationType}`);
  if (target.credentialId === undefined) return scopes;
  scopes.push('credential:*', `credential:${target.credentialId}`, 'configuration:*');
  if (target.configurationExternalId) scopes.push(`configuration:ext:${target.configurationExternalId}`);
  return scopes;
}

/** The one resolution rule: per key, the most specific scope that sets it wins; unset keys are allowed. */
export function resolveAccess(permissions: TokenPermissions, target: PermissionTarget): Access {
  if (permissions.size === 0) return FULL_ACCESS;
  let merged: PermissionRule = {};
  for (const scope of scopesOf(target)) {
    const rule = permissions.get(scope);
    if (rule) merged = { ...merged, ...rule };
  }
  if (merged.visible === false) return NO_ACCESS;
  return { visible: true, proxy: merged.proxy ?? true, events: merged.events ?? true, workflows: merged.workflows ?? true };
}

/** Is the integration offered to this token (listed, installable)? Only integration scopes count. */
export const integrationVisible = (permissions: TokenPermissions, integrationType: string): boolean =>
  resolveAccess(permissions, { integrationType }).visible;

/** A credential, as the permission rules name it. */
export interface CredentialRef {
  integrationType: string | undefined;
  credentialId: string;
}

/** Does the token see this credential? A hidden one is answered like one that does not exist (404). */
export const credentialVisible = (permissions: TokenPermissions, credential: CredentialRef): boolean =>
  resolveAccess(permissions, credential).visible;

/** The credentials of one integration that the token sees, in their order. */
export function visibleCredentials<T extends { id: string }>(permissions: TokenPermissions, integrationType: string | undefined, credentials: T[]): T[] {
  if (permissions.size === 0) return credentials;
  return credentials.filter((credential) => credentialVisible(permissions, { integrationType, credentialId: credential.id }));
}

/** May the token make this kind of call through the credential? False for a hidden credential too. */
export const allows = (permissions: TokenPermissions, credential: CredentialRef, kind: CallKind): boolean =>
  resolveAccess(permissions, credential)[kind];

const CALL_NAMES: Record<CallKind, string> = { proxy: 'Proxy API calls', events: 'app events', workflows: 'workflow triggers or workflow changes' };

/**
 * Refuses, with 403 PERMISSION_DENIED, a call the token's permissions forbid through a credential it sees. Check
 * visibility first: a hidden credential is a 404, never a 403 that would confirm it exists.
 */
export function requireAllowed(permissions: TokenPermissions, credential: CredentialRef, kind: CallKind): void {
  if (!allows(permissions, credential, kind)) {
    throw apiError('PERMISSION_DENIED', `This user token's permissions do not allow ${CALL_NAMES[kind]} through this account`);
  }
}
