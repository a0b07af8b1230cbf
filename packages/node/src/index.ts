/**
 * @switchboard/node: Switchboard for a customer's backend.
 *
 * - {@link signUserToken}: sign the RS256 user token the browser SDK (or {@link createUserClient}) authenticates with;
 *   {@link memberPermissions} for the JWT permissions of one member of an organisation.
 * - {@link createUserClient}: the SDK REST API and the Proxy API, acting as one connected user.
 * - {@link createManagementClient}: the management API with the project's secret key.
 * - {@link SwitchboardError} / {@link SwitchboardApiError}: every failure, with a stable `code`.
 *
 * @packageDocumentation
 */
export { SwitchboardApiError, SwitchboardError, GENERIC_HTTP_ERROR_CODE, type ClientErrorCode, type SwitchboardErrorCode } from './errors.js';
export type { ErrorCode } from '@switchboard/wire';
export { generateSigningKeyPair, signUserToken, type SigningKeyPair, type SignUserTokenOptions } from './user-token.js';
export {
  checkPermissions,
  memberPermissions,
  PERMISSIONS_CLAIM,
  type CallKind,
  type Permission,
  type PermissionRule,
  type Permissions,
  type PermissionScope,
} from './permissions.js';
export { createUserClient, type ProxyRequestOptions, type UserClient, type UserClientOptions } from './user-client.js';
export {
  createManagementClient,
  createProject,
  type CreateProjectOptions,
  type ManagementClient,
  type ManagementClientOptions,
  type WorkflowRunFilter,
} from './management-client.js';
export { DEFAULT_TIMEOUT_MS, type CredentialSource } from './http-client.js';
export type { ProxyBody } from './request-body.js';
export type * from './types.js';
