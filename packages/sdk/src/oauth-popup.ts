import type { ApiClient } from './api-client.js';
import type { BrowserEnvironment, PopupWindow } from './environment.js';
import { OAuthBlockedError, OAuthTimeoutError, SwitchboardError } from './errors.js';

const POPUP_WIDTH = 600;
const POPUP_HEIGHT = 720;

export interface OAuthTiming {
  /** How long the user may take, in ms. */
  timeoutMs: number;
  /** How often the popup is checked for being closed, in ms. */
  closedCheckMs: number;
  /** How often the server is asked for the result, in ms: the fallback when the popup lost its opener. */
  pollMs: number;
}

export const DEFAULT_OAUTH_TIMING: OAuthTiming = { timeoutMs: 10 * 60_000, closedCheckMs: 400, pollMs: 3000 };

/** Opens an empty popup. Must run synchronously within the user's click, before any await, or browsers block it. */
export function openOAuthPopup(environment: BrowserEnvironment): PopupWindow {
  const popup = environment.openPopup(`switchboard-oauth-${Math.random().toString(36).slice(2)}`, POPUP_WIDTH, POPUP_HEIGHT);
  if (!popup) throw new OAuthBlockedError('The browser blocked the sign-in window: start the install from a click');
  return popup;
}

interface OAuthResult {
  status: 'pending' | 'success' | 'error';
  credentialId?: string;
  error?: { code: string; message: string };
}

/**
 * Runs an OAuth install in an opened popup: asks the server for the authorization URL, sends the popup there, and
 * waits for the result. The result is accepted from the callback page's postMessage only when it comes from the
 * Switchboard server's origin, from this popup, for this flow's state; the server is also polled, for providers
 * whose pages cut the popup's link to its opener. Resolves with the new credential's id.
 */
export async function runOAuth(
  api: ApiClient,
  environment: BrowserEnvironment,
  popup: PopupWindow,
  request: { integrationType: string; installOptions: Record<string, unknown>; serverOrigin: string },
  timing: OAuthTiming,
  signal?: AbortSignal,
): Promise<string> {
  let state: string;
  try {
    const started = await api.json<{ authorizationUrl: string; state: string }>('POST', '/oauth/start', {
      integration: request.integrationType,
      origin: environment.pageOrigin(),
      installOptions: request.installOptions,
    });
    state = started.state;
    if (signal?.aborted) throw signal.reason;
    if (popup.closed) throw new OAuthTimeoutError('The sign-in window was closed before the account was connected');
    popup.location.href = started.authorizationUrl;
  } catch (error) {
    popup.close();
    throw error;
  }

  return new Promise<string>((resolve, reject) => {
    let polling = false;
    let finished = false;
    const finish = (result: OAuthResult | Error) => {
      if (finished) return;
      finished = true;
      stopListening();
      clearInterval(closedCheck);
      clearInterval(poll);
      clearTimeout(deadline);
      signal?.removeEventListener('abort', onAbort);
      if (!popup.closed) popup.close();
      if (result instanceof Error) reject(result);
      else if (result.status === 'success' && result.credentialId) resolve(result.credentialId);
      else reject(new SwitchboardError(result.error?.message ?? 'The account was not connected', result.error?.code ?? 'OAUTH_FAILED'));
    };
    const ask = async (): Promise<OAuthResult | undefined> => {
      const result = await api.json<OAuthResult>('GET', `/oauth/${encodeURIComponent(state)}`).catch((error: Error) => error);
      if (result instanceof Error) {
        // A refused user token ends the wait; a network blip does not.
        if (result.name === 'UserNotAuthenticatedError') finish(result);
        return undefined;
      }
      return result;
    };
    const stopListening = environment.onMessage((event) => {
      const data = event.data as ({ type?: unknown; state?: unknown } & OAuthResult) | null;
      if (event.origin !== request.serverOrigin || event.source !== (popup as unknown)) return;
      if (!data || data.type !== 'switchboard:oauth' || data.state !== state) return;
      finish(data);
    });
    const closedCheck = setInterval(() => {
      if (!popup.closed || polling) return;
      // Closed: the flow may have finished just before (the callback page closes itself), so ask once.
      polling = true;
      void ask().then((result) => {
        if (result && result.status !== 'pending') finish(result);
        else finish(new OAuthTimeoutError('The sign-in window was closed before the account was connected'));
      });
    }, timing.closedCheckMs);
    const poll = setInterval(() => {
      if (polling) return;
      void ask().then((result) => {
        if (result && result.status !== 'pending') finish(result);
      });
    }, timing.pollMs);
    const deadline = setTimeout(
      () => finish(new OAuthTimeoutError(`The account was not connected within ${Math.round(timing.timeoutMs / 1000)} s`)),
      timing.timeoutMs,
    );
    const onAbort = () => finish(signal?.reason instanceof Error ? signal.reason : new SwitchboardError('Install cancelled', 'INSTALL_CANCELLED'));
    signal?.addEventListener('abort', onAbort);
  });
}
