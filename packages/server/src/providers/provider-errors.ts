import { ApiError, apiError } from '../errors.js';
import { ProviderError, TemplateError } from './index.js';

/** How a provider's refusal reaches our client: the provider's reason, never a secret. */
export function toApiError(error: unknown, what: string): unknown {
  if (error instanceof TemplateError) return misconfigured(error);
  if (!(error instanceof ProviderError)) return error;
  const reason = error.providerMessage ? `: ${error.providerMessage}` : '';
  switch (error.kind) {
    case 'rejected':
      return apiError('CREDENTIAL_REJECTED', `The provider rejected the ${what}${reason}`, error.providerMessage ? { providerMessage: error.providerMessage } : {}, { cause: error });
    case 'blocked':
      return apiError('UPSTREAM_ADDRESS_BLOCKED', `${error.message}; a project may allow private addresses (allowPrivateUpstreams)`, {}, { cause: error });
    case 'invalid_grant':
      return apiError('OAUTH_GRANT_REJECTED', `The provider refused the authorization${reason}`, {}, { cause: error });
    default:
      return apiError('PROVIDER_UNAVAILABLE', `The provider could not be reached or failed${reason}`, {}, { cause: error });
  }
}

/**
 * The integration's definition cannot make a request with this account: typically an admin changed a custom
 * integration so that a template needs an input the stored credential lacks. 409, since the credential and the
 * integration disagree; `field` names the placeholder. The message holds names only, never a value.
 */
export function misconfigured(error: TemplateError): ApiError {
  const details = error.placeholder !== undefined ? { field: error.placeholder } : {};
  return apiError('INTEGRATION_MISCONFIGURED', `${error.message}: the integration's definition does not fit this account; reconnect the account or fix the integration`, details, { cause: error });
}
