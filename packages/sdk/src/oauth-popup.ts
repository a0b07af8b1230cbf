import type { OAuthResult, OAuthStart, OAuthStarted } from '@switchboard/wire';
import { typedError, type ApiClient } from './api-client.js';
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

/** The server keeps an OAuth flow's state for 10 minutes: no wait can usefully be longer. */
export const MAX_OAUTH_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_OAUTH_TIMING: OAuthTiming = { timeoutMs: MAX_OAUTH_TIMEOUT_MS, closedCheckMs: 400, pollMs: 3000 };

/** `oauthTimeout` as given by the app, kept within (0, 10 min]. */
export const clampOAuthTimeout = (ms: unknown, fallback: number) =>
  typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_OAUTH_TIMEOUT_MS) : fallback;

/** Opens an empty popup. Must run synchronously within the user's click, before any await, or browsers block it. */
export function openOAuthPopup(environment: BrowserEnvironment): PopupWindow {
  const popup = environment.openPopup(`switchboard-oauth-${Math.random().toString(36).slice(2)}`, POPUP_WIDTH, POPUP_HEIGHT);
  if (!popup) throw new OAuthBlockedError('The browser blocked the sign-in window: start the install from a click');
  return popup;
}

/**
 * Runs an OAuth install in an opened popup: starts the flow on the server, sends the popup on its way to the
 * provider (through Switchboard, which binds the flow to this browser), and waits for the result. The result is accepted from the callback page's postMessage only when it comes from the
 * callback page's origin, from this popup, for this flow's state; the server is also polled, for providers whose
 * pages cut the popup's link to its opener. Resolves with the new credential's id.
 *
 * A popup that looks closed may only have lost its opener (a provider page with Cross-Origin-Opener-Policy reads as
 * closed): the wait then ends with OAuthTimeoutError, but the server is still polled until the flow expires, and an
 * account connected after all is reported to `onLateSuccess`.
 */
export async function runOAuth(
  api: ApiClient,
  environment: BrowserEnvironment,
  popup: PopupWindow,
  request: { integrationType: string; installOptions: Record<string, unknown> },
  timing: OAuthTiming,
  options: { signal?: AbortSignal; onLateSuccess?: (credentialId: string) => void } = {},
): Promise<string> {
  const { signal } = options;
  let state: string;
  let serverOrigin: string;
  try {
    const start: OAuthStart = { integration: request.integrationType, origin: environment.pageOrigin(), installOptions: request.installOptions };
    const started = await api.json<OAuthStarted>('POST', '/oauth/start', start);
    state = started.state;
    // The callback page is served where the popup starts (the server's public URL), also when the provider returns
    // the user through a page of the customer's (overrideRedirectUrl) that forwards to it.
    serverOrigin = new URL(started.popupUrl).origin;
    if (signal?.aborted) throw signal.reason;
    if (popup.closed) throw new OAuthTimeoutError('The sign-in window was closed before the account was connected');
    // The popup's first stop is Switchboard, which binds this browser to the flow, then sends it to the provider.
    environment.postToPopup(popup, started.popupUrl, { state });
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
      else reject(typedError(result.error?.code ?? 'OAUTH_FAILED', result.error?.message ?? 'The account was not connected'));
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
      if (event.origin !== serverOrigin || event.source !== (popup as unknown)) return;
      if (!data || data.type !== 'switchboard:oauth' || data.state !== state) return;
      finish(data);
    });
    const closedCheck = setInterval(() => {
      if (!popup.closed || polling) return;
      // Closed: the flow may have finished just before (the callback page closes itself), so ask once.
      polling = true;
      void ask().then((result) => {
        if (result && result.status !== 'pending') return finish(result);
        finish(new OAuthTimeoutError('The sign-in window was closed before the account was connected'));
        if (options.onLateSuccess) watchLate(options.onLateSuccess);
      });
    }, timing.closedCheckMs);
    /** After a "closed" popup: keep asking until the flow's deadline, in case it only lost its opener. */
    const watchLate = (onLateSuccess: (credentialId: string) => void) => {
      const stop = () => {
        clearInterval(late);
        clearTimeout(lateDeadline);
      };
      const late = setInterval(() => {
        if (signal?.aborted) return stop();
        void ask().then((result) => {
          if (!result || result.status === 'pending') return;
          stop();
          if (result.status === 'success' && result.credentialId) onLateSuccess(result.credentialId);
        });
      }, timing.pollMs);
      const lateDeadline = setTimeout(stop, Math.max(0, startedAt + timing.timeoutMs - Date.now()));
    };
    const startedAt = Date.now();
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
