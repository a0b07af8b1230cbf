/**
 * Test helpers for the sandbox OAuth provider: drive its consent page like a browser, and start a bare
 * server with only the sandbox on a random loopback port.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerSandbox, sandboxIssuer, SANDBOX_CLIENT_ID, type SandboxOptions } from '../../src/sandbox/index.js';

export interface SandboxConsentOptions {
  /** Sandbox login to approve as; each login is its own account. Default: the page's default (sandbox-user). */
  login?: string;
  decision?: 'approve' | 'deny';
  /** Share cookies across calls, like one browser would (the default is a fresh jar per call). */
  cookies?: CookieJar;
  /** Sees every response on the way (status and headers), e.g. to check what the popup's pages send. */
  onResponse?: (url: URL, response: Response) => void;
}

const MAX_HOPS = 20;

/**
 * Follows the sandbox's redirects from an authorization URL, submits the consent form like a browser, and
 * returns the final redirect Location pointing at the client's redirect URI (with `code` and `state`, or
 * `error`). Throws if the sandbox answers anything else, with what it answered.
 */
export async function approveSandboxConsent(authorizationUrl: string, options: SandboxConsentOptions = {}): Promise<string> {
  const redirectUri = new URL(authorizationUrl).searchParams.get('redirect_uri');
  const jar = options.cookies ?? new CookieJar();
  let next: { url: URL; init: RequestInit } = { url: new URL(authorizationUrl), init: { method: 'GET' } };
  let submitted = false;

  for (let hop = 0; hop < MAX_HOPS; hop += 1) {
    const { url, init } = next;
    const headers = new Headers(init.headers);
    headers.set('accept', 'text/html');
    const cookie = jar.header(url);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    options.onResponse?.(url, response);
    jar.store(url, response.headers.getSetCookie());

    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      const target = new URL(location, url);
      if (isRedirectUri(target, redirectUri)) return target.href;
      next = { url: target, init: { method: 'GET' } };
      continue;
    }

    const text = await response.text();
    const form = response.status === 200 && !submitted ? parseConsentForm(text) : undefined;
    if (!form) {
      throw new Error(`sandbox consent: unexpected ${response.status} from ${url.pathname}: ${text.slice(0, 500)}`);
    }
    const body = new URLSearchParams({
      login: options.login ?? form.login,
      decision: options.decision ?? 'approve',
    });
    next = {
      url: new URL(form.action, url),
      init: { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    };
    submitted = true;
  }
  throw new Error(`sandbox consent: more than ${MAX_HOPS} redirects`);
}

function isRedirectUri(target: URL, redirectUri: string | null): boolean {
  if (!redirectUri) return false;
  const expected = new URL(redirectUri);
  return target.origin === expected.origin && target.pathname === expected.pathname;
}

function decodeHtml(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function parseConsentForm(html: string): { action: string; login: string } | undefined {
  const action = /<form[^>]*\baction="([^"]*)"/i.exec(html)?.[1];
  if (action === undefined) return undefined;
  const input = /<input[^>]*\bname="login"[^>]*>/i.exec(html)?.[0] ?? '';
  const login = /\bvalue="([^"]*)"/i.exec(input)?.[1] ?? '';
  return { action: decodeHtml(action), login: decodeHtml(login) };
}

/** Just enough of a browser cookie jar: name, value, path and expiry; one host per jar. */
export class CookieJar {
  private readonly cookies = new Map<string, { value: string; path: string }>();

  store(url: URL, setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = defaultPath(url);
      let expired = false;
      for (const attribute of attributes) {
        const [key = '', val = ''] = attribute.split('=', 2);
        const lower = key.toLowerCase();
        if (lower === 'path' && val.startsWith('/')) path = val;
        if (lower === 'max-age' && Number(val) <= 0) expired = true;
        if (lower === 'expires' && Date.parse(val) <= Date.now()) expired = true;
      }
      const key = `${name};${path}`;
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { value, path });
    }
  }

  header(url: URL): string {
    const matching: string[] = [];
    for (const [key, { value, path }] of this.cookies) {
      const name = key.slice(0, key.lastIndexOf(';'));
      if (url.pathname === path || url.pathname.startsWith(path.endsWith('/') ? path : `${path}/`)) {
        matching.push(`${name}=${value}`);
      }
    }
    return matching.join('; ');
  }
}

function defaultPath(url: URL): string {
  const slash = url.pathname.lastIndexOf('/');
  return slash > 0 ? url.pathname.slice(0, slash) : '/';
}

export interface SandboxServer {
  app: FastifyInstance;
  serverUrl: string;
  issuer: string;
  redirectUri: string;
  close(): Promise<void>;
}

/**
 * A bare Fastify app with only the sandbox, listening on 127.0.0.1. The issuer must name the real port before
 * the sandbox is registered, so a free port is picked first and then listened on.
 */
export async function startSandboxServer(
  options: Partial<Omit<SandboxOptions, 'serverUrl'>> & { configure?: (app: FastifyInstance) => void | Promise<void> } = {},
): Promise<SandboxServer> {
  const port = await freePort();
  const serverUrl = `http://127.0.0.1:${port}`;
  const redirectUri = `${serverUrl}/oauth/callback`;
  const app = Fastify();
  await options.configure?.(app);
  await registerSandbox(app, {
    serverUrl,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
    redirectUris: options.redirectUris ?? [redirectUri],
  });
  await app.listen({ host: '127.0.0.1', port });
  return { app, serverUrl, issuer: sandboxIssuer(serverUrl), redirectUri, close: () => app.close() };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A PKCE verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** An authorization URL for the sandbox client, code flow with PKCE. */
export function sandboxAuthorizationUrl(
  server: Pick<SandboxServer, 'issuer' | 'redirectUri'>,
  params: { codeChallenge: string; state?: string; scope?: string },
): string {
  const url = new URL(`${server.issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: SANDBOX_CLIENT_ID,
    response_type: 'code',
    redirect_uri: server.redirectUri,
    scope: params.scope ?? 'openid offline_access contacts',
    state: params.state ?? randomBytes(8).toString('hex'),
    code_challenge: params.codeChallenge,
    code_challenge_method: 'S256',
  }).toString();
  return url.href;
}
