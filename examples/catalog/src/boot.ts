import type { SwitchboardSDK } from '@switchboard/sdk';

/** What `GET <host>/demo/session` answers: a short-lived user token for a demo user of the dev project. */
export interface DemoSession {
  projectId: string;
  userId: string;
  userToken: string;
  host: string;
}

export interface Booted {
  sdk: SwitchboardSDK;
  /** The Switchboard server the SDK talks to. */
  host: string;
  /** `script` when the page loaded /switchboard.js by script tag, `module` when the demo bundles the ESM build. */
  build: 'script' | 'module';
  session: DemoSession;
}

declare global {
  interface Window {
    switchboard?: SwitchboardSDK;
  }
}

/** The origin of the script tag that loaded `/switchboard.js`, if the page has one. */
function scriptTagHost(): string | undefined {
  for (const script of document.querySelectorAll<HTMLScriptElement>('script[src]')) {
    const url = new URL(script.src, document.baseURI);
    if (url.pathname.endsWith('/switchboard.js')) return url.origin;
  }
  return undefined;
}

/**
 * The SDK instance: `window.switchboard` when a script tag loaded it (typically from another origin than this
 * page), else the ESM build, which this bundle loads on demand and exposes as `window.switchboard` too (handy in
 * the console).
 */
async function chooseSdk(): Promise<Pick<Booted, 'sdk' | 'host' | 'build'>> {
  if (window.switchboard) {
    return { sdk: window.switchboard, host: scriptTagHost() ?? window.location.origin, build: 'script' };
  }
  const { switchboard } = await import('@switchboard/sdk');
  window.switchboard = switchboard;
  // A bundled SDK has no server of its own: built and served at /demo, the server is this page's origin; under the
  // Vite dev server it is elsewhere.
  const host = import.meta.env.VITE_SWITCHBOARD_HOST ?? window.location.origin;
  switchboard.configureGlobal({ host });
  return { sdk: switchboard, host: new URL(host).origin, build: 'module' };
}

async function fetchSession(host: string, user: string | null): Promise<DemoSession> {
  const url = new URL('/demo/session', host);
  if (user) url.searchParams.set('user', user);
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  if (!response.ok) {
    const body = (await response.json().catch(() => undefined)) as { message?: string } | undefined;
    throw new Error(`${url.href} answered ${response.status}${body?.message ? `: ${body.message}` : ''}`);
  }
  return (await response.json()) as DemoSession;
}

/** Picks the SDK, gets a demo user token (for `?user=<name>` when given) and signs the user in. */
export async function boot(params: URLSearchParams): Promise<Booted> {
  const { sdk, host, build } = await chooseSdk();
  const session = await fetchSession(host, params.get('user'));
  await sdk.authenticate(session.projectId, session.userToken);
  return { sdk, host, build, session };
}
