import { ApiError } from '../errors.js';
import { ProviderError } from './provider/index.js';

/** How a provider's refusal reaches our client: the provider's reason, never a secret. */
export function toApiError(error: unknown, what: string): unknown {
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
