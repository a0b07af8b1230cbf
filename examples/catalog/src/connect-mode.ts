/** How the demo connects accounts: its own forms over the SDK (headless), or the SDK's Connect Portal. */
export type ConnectMode = 'headless' | 'portal';
export type Theme = 'light' | 'dark';

/** `?mode=portal` opens the demo in Connect Portal mode; headless is the default. */
export const initialMode = (params: URLSearchParams): ConnectMode => (params.get('mode') === 'portal' ? 'portal' : 'headless');

/** `?theme=dark|light`, else the system's setting. */
export function initialTheme(params: URLSearchParams): Theme {
  const asked = params.get('theme');
  if (asked === 'dark' || asked === 'light') return asked;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** Calls `follow` with the system's theme each time it changes; returns the unsubscribe. */
export function followSystemTheme(follow: (theme: Theme) => void): () => void {
  const media = window.matchMedia?.('(prefers-color-scheme: dark)');
  if (!media) return () => {};
  const changed = (event: MediaQueryListEvent) => follow(event.matches ? 'dark' : 'light');
  media.addEventListener('change', changed);
  return () => media.removeEventListener('change', changed);
}

/** Keeps the choice in the address, so a reload (or a shared link) shows the same demo. */
export function rememberInUrl(name: 'mode' | 'theme', value: string): void {
  const url = new URL(window.location.href);
  url.searchParams.set(name, value);
  window.history.replaceState(null, '', url);
}
