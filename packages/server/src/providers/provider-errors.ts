import { ApiError } from '../errors.js';
import { ProviderError, TemplateError } from './index.js';

/** How a provider's refusal reaches our client: the provider's reason, never a secret. */
export function toApiError(error: unknown, what: string): unknown {
  if (error instanceof TemplateError) return misconfigured(error);
  if (!(error instanceof ProviderError)) return error;
  const reason = error.providerMessage ? `: ${error.providerMessage}` : '';
  switch (error.kind) {
    case 'rejected':
      return new ApiError(400, 'CREDENTIAL_REJECTED', `The provider rejected the ${what}${reason}`, error.providerMessage ? { providerMessage: error.providerMessage } : {});
    case 'blocked':
      return new ApiError(403, 'UPSTREAM_ADDRESS_BLOCKED', `${error.message}; a project may allow private addresses (allowPrivateUpstreams)`);
    case 'invalid_grant':
      return new ApiError(400, 'OAUTH_GRANT_REJECTED', `The provider refused the authorization${reason}`);
    default:
      return new ApiError(502, 'PROVIDER_UNAVAILABLE', `The provider could not be reached or failed${reason}`);
  }
}

/**
 * The integration's definition cannot make a request with this account: typically an admin changed a custom
 * integration so that a template needs an input the stored credential lacks. 409, since the credential and the
 * integration disagree; `field` names the placeholder. The message holds names only, never a value.
 */
export function misconfigured(error: TemplateError): ApiError {
  const details = error.placeholder !== undefined ? { field: error.placeholder } : {};
  return new ApiError(409, 'INTEGRATION_MISCONFIGURED', `${error.message}: the integration's definition does not fit this account; reconnect the account or fix the integration`, details);
}
