import { SwitchboardError } from './errors.js';

/**
 * JWT permissions: what a user token may see and do among its connected user's accounts, carried in the
 * `urn:useparagon:connect:permissions` claim and checked by the server on every request (docs/security.md has the
 * rules). With Multiple Account Authorizations, several people of one organisation share one connected user: sign
 * the organisation's admins a token without permissions (it sees every account) and each member a token from
 * {@link memberPermissions} (it sees the accounts that member connected).
 */

/** The claim that carries a user's multi-account permissions (wire-compatible with the reference product). */
export const PERMISSIONS_CLAIM = 'urn:useparagon:connect:permissions';

/**
 * A scope, from least to most specific: every integration, one integration by type (`salesforce`,
 * `custom.<slug>`), every credential, one credential by id, every configuration, configurations by external id.
 * The most specific scope that sets a key of the permission wins.
 */
export type PermissionScope =
  | 'integration:*'
  | `integration:${string}`
  | 'credential:*'
  | `credential:${string}`
  | 'configuration:*'
  | `configuration:ext:${string}`;

/** The kinds of call a permission can refuse: Proxy API calls, app events, workflow (request) triggers. */
export type CallKind = 'proxy' | 'events' | 'workflows';

/**
 * A permission spelled out. `visible: false` makes the target not exist for the token; a call kind set to `false`
 * refuses that kind of call through a visible credential (403 PERMISSION_DENIED). Unset keys inherit from less
 * specific scopes, and are allowed when no scope sets them.
 */
export interface PermissionRule {
  visible?: boolean;
  proxy?: boolean;
  events?: boolean;
  workflows?: boolean;
}

/** `true`: visible with every call kind allowed. `false`: hidden. Or a {@link PermissionRule}. */
export type Permission = boolean | PermissionRule;

/** The claim's value: scope to permission, e.g. `{ 'credential:*': false, 'credential:<id>': true }`. */
export type Permissions = { [Scope in PermissionScope]?: Permission };

const RULE_KEYS: readonly string[] = ['visible', 'proxy', 'events', 'workflows'];
const WILDCARD_SCOPES = new Set(['integration:*', 'credential:*', 'configuration:*']);
const NAMED_SCOPE = /^(integration:|credential:|configuration:ext:)(.+)$/;
/** What the server accepts as a name inside a scope: 1 to 255 characters, no whitespace, control characters or `*`. */
const SCOPE_NAME = /^[^\s*\u0000-\u001f\u007f]{1,255}$/;

const invalid = (message: string) => new SwitchboardError('INVALID_PERMISSIONS', message);
const quoted = (text: string) => JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);

/**
 * Checks a permissions object the way the server does, so a token the server would refuse (401
 * USER_TOKEN_INVALID_PERMISSIONS) is never signed. Throws SwitchboardError `INVALID_PERMISSIONS` naming the scope
 * or key at fault.
 */
export function checkPermissions(permissions: unknown): asserts permissions is Permissions {
  if (permissions === null || typeof permissions !== 'object' || Array.isArray(permissions)) {
    throw invalid('permissions must be an object from scope to permission, e.g. { "credential:*": false, "credential:<id>": true }');
  }
  for (const [scope, permission] of Object.entries(permissions)) {
    const name = WILDCARD_SCOPES.has(scope) ? '*' : NAMED_SCOPE.exec(scope)?.[2];
    if (name !== '*' && (name === undefined || !SCOPE_NAME.test(name))) {
      throw invalid(
        `permissions has an unknown scope ${quoted(scope)}; scopes are integration:*, integration:<type>, credential:*, credential:<id>, configuration:*, configuration:ext:<externalId>`,
      );
    }
    if (typeof permission === 'boolean') continue;
    if (permission === null || typeof permission !== 'object' || Array.isArray(permission)) {
      throw invalid(`permissions[${quoted(scope)}] must be true, false or an object of ${RULE_KEYS.join(', ')}`);
    }
    for (const [key, flag] of Object.entries(permission)) {
      if (!RULE_KEYS.includes(key)) throw invalid(`permissions[${quoted(scope)}] has an unknown key ${quoted(key)}; keys are ${RULE_KEYS.join(', ')}`);
      if (typeof flag !== 'boolean') throw invalid(`permissions[${quoted(scope)}].${key} must be true or false`);
    }
  }
}

/**
 * Permissions for one member of an organisation that shares a connected user: the member sees only the credentials
 * named (the accounts they connected), with `rule` applied to each (default: every call kind allowed), and can still
 * install. A new account that member connects is not visible to this token: the install answers its id, so record it
 * and sign the member's next token with it included.
 *
 * @example signUserToken(key, org.id, { permissions: memberPermissions(member.credentialIds) })
 */
export function memberPermissions(credentialIds: readonly string[], rule: PermissionRule = {}): Permissions {
  if (!Array.isArray(credentialIds) || credentialIds.some((id) => typeof id !== 'string' || !SCOPE_NAME.test(id))) {
    throw invalid('credentialIds must be a list of credential ids (1 to 255 characters, no whitespace or *)');
  }
  const permission: Permission = Object.keys(rule).length === 0 ? true : { ...rule, visible: true };
  const permissions: Permissions = { 'credential:*': false };
  for (const id of credentialIds) permissions[`credential:${id}`] = permission;
  checkPermissions(permissions);
  return permissions;
}
