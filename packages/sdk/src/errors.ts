import type { ErrorCode } from '@switchboard/wire';

export type { ErrorCode } from '@switchboard/wire';

/** Codes the SDK raises itself, in the browser; the server never answers them (its codes are ErrorCode). */
export type SdkErrorCode =
  | 'USER_NOT_AUTHENTICATED'
  | 'OAUTH_BLOCKED'
  | 'OAUTH_TIMEOUT'
  | 'OAUTH_FAILED'
  | 'NO_ACTIVE_INSTALL_FLOW'
  | 'INSTALL_FLOW_REQUIRED'
  | 'INSTALL_CANCELLED'
  | 'WRONG_INSTALL_STAGE'
  | 'REQUEST_FAILED'
  | 'NETWORK_ERROR'
  | 'UNEXPECTED_RESPONSE'
  | 'INVALID_ARGUMENT'
  | 'INVALID_HOST'
  | 'NO_HOST'
  | 'UNKNOWN_EVENT';

/**
 * `error.code`: one of the server's codes (ErrorCode, from @switchboard/wire's table, documented in docs/api.md),
 * one of the SDK's own, or a code a newer server answers that this SDK does not know yet. `string & {}` keeps such a
 * code assignable without collapsing the union to `string`, so editors still complete the known codes.
 */
export type SwitchboardErrorCode = ErrorCode | SdkErrorCode | (string & {});

/**
 * Typed errors. Each has a stable `name` (as the reference SDK's errors do, so `error.name === 'OAuthTimeoutError'`
 * works with the script-tag build too) and a `code`; errors from the server also carry its `status` and `field`.
 */
export class SwitchboardError extends Error {
  override name = 'SwitchboardError';
  constructor(
    message: string,
    readonly code: SwitchboardErrorCode,
    readonly status?: number,
    readonly field?: string,
  ) {
    super(message);
  }
}

const named = (name: string, code: ErrorCode | SdkErrorCode) =>
  class extends SwitchboardError {
    override name = name;
    constructor(message: string, status?: number) {
      super(message, code, status);
    }
  };

/** No user, an expired user token, or the server refused the token. */
export class UserNotAuthenticatedError extends named('UserNotAuthenticatedError', 'USER_NOT_AUTHENTICATED') {}
/** The project has no active integration of this type. */
export class IntegrationNotFoundError extends named('IntegrationNotFoundError', 'INTEGRATION_NOT_FOUND') {}
/** Nothing to disconnect. (`request()` without an account rejects with a RequestError, code `INTEGRATION_NOT_INSTALLED`.) */
export class IntegrationNotInstalledError extends named('IntegrationNotInstalledError', 'INTEGRATION_NOT_INSTALLED') {}
/** An account is connected already; pass `allowMultipleCredentials` to connect another. */
export class IntegrationAlreadyInstalledError extends named('IntegrationAlreadyInstalledError', 'INTEGRATION_ALREADY_INSTALLED') {}
/** The browser refused to open the OAuth popup: call from a click handler. */
export class OAuthBlockedError extends named('OAuthBlockedError', 'OAUTH_BLOCKED') {}
/** The OAuth popup was closed, or the user did not finish within `oauthTimeout`. */
export class OAuthTimeoutError extends named('OAuthTimeoutError', 'OAUTH_TIMEOUT') {}
/** An `installFlow.set…` call with no flow started (or after it ended). */
export class NoActiveInstallFlowError extends named('NoActiveInstallFlowError', 'NO_ACTIVE_INSTALL_FLOW') {}

/**
 * A proxied call answered with a non-2xx status: `status`, the parsed `body` and `headers` are the answer's. `code`
 * is Switchboard's own error code when Switchboard refused the call (e.g. `CREDENTIAL_INVALID`), else `REQUEST_FAILED`
 * (the provider's answer).
 */
export class RequestError extends SwitchboardError {
  override name = 'RequestError';
  constructor(
    message: string,
    status: number,
    readonly body: unknown,
    readonly headers: Record<string, string>,
    code: SwitchboardErrorCode = 'REQUEST_FAILED',
  ) {
    super(message, code, status);
  }
}
