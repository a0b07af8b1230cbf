import type { AppContext } from '../app-context.js';
import { redirectUri } from '../catalog/provider-settings.js';
import { apiError } from '../errors.js';
import { originAllowed } from '../projects/allowed-origins.js';
import type { Project } from '../projects/project-store.js';

/**
 * The redirect URI of an OAuth flow: Switchboard's own callback, or the customer's page given as `overrideRedirectUrl`
 * (the reference SDK's `redirectUrl`), which forwards the provider's query to the callback. Only a page on one of the
 * project's allowed origins may receive a user's authorization code; the token exchange sends the same URI, as
 * OAuth requires (RFC 6749 §4.1.3).
 */
export function flowRedirectUri(context: AppContext, project: Project, override: string | undefined, field: string): string {
  if (override === undefined) return redirectUri(context);
  let url: URL | undefined;
  try {
    url = new URL(override);
  } catch {
    url = undefined;
  }
  // RFC 6749 §3.1.2: an absolute URI without a fragment.
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.hash !== '' || override.includes('#') || url.username || url.password) {
    throw apiError('REDIRECT_URL_NOT_ALLOWED', `${field} must be an http(s) URL without a fragment or credentials`, { field });
  }
  if (!originAllowed(project.allowedOrigins, url.origin)) {
    throw apiError('REDIRECT_URL_NOT_ALLOWED', `${field} must be on one of the project's allowed origins; ${url.origin} is not`, { field });
  }
  return url.href;
}
