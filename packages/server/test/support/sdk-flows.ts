/**
 * Helpers for the SDK REST API suites: start and finish sandbox OAuth flows like a browser would, run the
 * callback page's script to see what it posts, and check the `{ message, code }` error shape.
 */
import { randomUUID } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { expect } from 'vitest';
import { approveSandboxConsent, CookieJar } from './sandbox-consent.js';
import type { TestServer } from './test-server.js';

export const APP_ORIGIN = 'http://localhost:5173';

/** A fresh end user per test, so tests sharing a server never see each other's accounts. */
export const newUser = (label = 'user') => `${label}-${randomUUID()}`;

/** Reads a JSON body and asserts the error shape: exactly the status, `{ message, code }`, `field` when given. */
export async function expectError(
  response: Response,
  status: number,
  code: string,
  field?: string,
): Promise<{ message: string; code: string; field?: string } & Record<string, unknown>> {
  const text = await response.text();
  expect({ status: response.status, body: text }).toMatchObject({ status });
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { message: string; code: string; field?: string } & Record<string, unknown>;
  expect(body.code).toBe(code);
  expect(typeof body.message).toBe('string');
  expect(body.message.length).toBeGreaterThan(0);
  if (field === undefined) expect(body).not.toHaveProperty('field');
  else expect(body.field).toBe(field);
  expectNoInternals(text);
  return body;
}

/** No stack trace, file path or internal error class in a body a client receives. */
export function expectNoInternals(text: string): void {
  expect(text).not.toMatch(/\bat \S+ \(|\.ts:\d+|\.js:\d+|node_modules|"stack"|SqliteError|TypeError|SyntaxError: Unexpected/);
}

export interface PostedMessage {
  message: Record<string, unknown>;
  targetOrigin: string;
}

export interface CallbackPage {
  status: number;
  html: string;
  csp: string | null;
  headers: Headers;
  /** What the page's scripts post to `window.opener`, run in a sandbox with a fake opener. */
  posted: PostedMessage[];
  closed: boolean;
}

/**
 * Loads the /oauth/callback page in a browser with these cookies (the one the flow was started in, when it is that
 * flow's jar) and runs its inline scripts against a fake window, recording postMessage.
 */
export async function loadCallbackPage(callbackUrl: string, browser?: CookieJar): Promise<CallbackPage> {
  const cookie = browser?.header(new URL(callbackUrl));
  const response = await fetch(callbackUrl, { redirect: 'manual', ...(cookie && { headers: { cookie } }) });
  const html = await response.text();
  const posted: PostedMessage[] = [];
  let closed = false;
  const window = {
    opener: { postMessage: (message: Record<string, unknown>, targetOrigin: string) => posted.push({ message, targetOrigin }) },
    close: () => {
      closed = true;
    },
  };
  const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/gi)].map((m) => m[1]!);
  for (const script of scripts) {
    runInNewContext(script, { window, setTimeout: (fn: () => void) => fn() });
  }
  return { status: response.status, html, csp: response.headers.get('content-security-policy'), headers: response.headers, posted, closed };
}

export interface StartedFlow {
  state: string;
  authorizationUrl: string;
  popupUrl: string;
  /** The cookies of the browser the flow was opened in: pass them on to the consent and callback pages. */
  browser: CookieJar;
}

/**
 * POST /sdk/oauth/start, then the popup's first request as the customer's page makes it (a form POST of the state
 * with the page's Origin), keeping the binding cookie in the flow's browser.
 */
export async function startOAuth(
  server: TestServer,
  sub: string,
  body: { integration?: string; origin?: string; installOptions?: Record<string, unknown> } = {},
  claims?: Record<string, unknown>,
): Promise<StartedFlow> {
  const response = await server.sdk(sub, '/oauth/start', {
    method: 'POST',
    json: { integration: 'sandbox', origin: APP_ORIGIN, ...body },
    ...(claims && { claims }),
  });
  const text = await response.text();
  expect({ status: response.status, body: text }).toMatchObject({ status: 200 });
  const started = JSON.parse(text) as Omit<StartedFlow, 'browser'>;
  expect(Object.keys(started).sort()).toEqual(['authorizationUrl', 'popupUrl', 'state']);
  const browser = new CookieJar();
  const opened = await openPopup(started.popupUrl, started.state, body.origin ?? APP_ORIGIN, browser);
  expect({ status: opened.status, location: opened.headers.get('location') }).toEqual({ status: 303, location: started.authorizationUrl });
  return { ...started, browser };
}

/** The popup's first request through Switchboard's SDK: a form POST of the state, from `origin`. */
export async function openPopup(popupUrl: string, state: string, origin: string | undefined, browser: CookieJar): Promise<Response> {
  const response = await fetch(popupUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(origin && { origin }) },
    body: new URLSearchParams({ state }),
    redirect: 'manual',
  });
  browser.store(new URL(popupUrl), response.headers.getSetCookie());
  return response;
}

export interface ConnectedFlow extends StartedFlow {
  callbackUrl: string;
  page: CallbackPage;
}

/** Start → consent (approve or deny, as `login`) → callback page. */
export async function connectSandbox(
  server: TestServer,
  sub: string,
  options: {
    integration?: string;
    login?: string;
    decision?: 'approve' | 'deny';
    installOptions?: Record<string, unknown>;
    origin?: string;
    /** Extra claims of the user token that starts the flow (e.g. JWT permissions). */
    claims?: Record<string, unknown>;
  } = {},
): Promise<ConnectedFlow> {
  const started = await startOAuth(
    server,
    sub,
    {
      ...(options.integration && { integration: options.integration }),
      ...(options.installOptions && { installOptions: options.installOptions }),
      ...(options.origin && { origin: options.origin }),
    },
    options.claims,
  );
  const callbackUrl = await approveSandboxConsent(started.authorizationUrl, {
    cookies: started.browser,
    ...(options.login !== undefined && { login: options.login }),
    ...(options.decision && { decision: options.decision }),
  });
  const page = await loadCallbackPage(callbackUrl, started.browser);
  return { ...started, callbackUrl, page };
}

/** The one message a callback page posted, asserting it went to exactly `origin`. */
export function postedResult(page: CallbackPage, origin = APP_ORIGIN): Record<string, unknown> {
  expect(page.posted).toHaveLength(1);
  expect(page.posted[0]!.targetOrigin).toBe(origin);
  return page.posted[0]!.message;
}

export async function json<T = any>(response: Response, status = 200): Promise<T> {
  const text = await response.text();
  expect({ status: response.status, body: text }).toMatchObject({ status });
  return JSON.parse(text) as T;
}

/** The credentials rows of one end user (by `sub`), straight from the database. */
export async function credentialRowsOf(server: TestServer, sub: string) {
  const db = server.server.context.db;
  return db
    .selectFrom('credentials')
    .innerJoin('connected_users', 'connected_users.id', 'credentials.connected_user_id')
    .selectAll('credentials')
    .where('connected_users.external_id', '=', sub)
    .where('connected_users.project_id', '=', server.projectId)
    .execute();
}

export async function integrationIdOf(server: TestServer, type: string): Promise<string> {
  const row = await server.server.context.db
    .selectFrom('integrations')
    .select('id')
    .where('project_id', '=', server.projectId)
    .where('type', '=', type)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** PUT /api/v1/projects/:id/integrations/:type with the project's secret key. */
export async function configureIntegration(server: TestServer, type: string, body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${server.url}/api/v1/projects/${server.projectId}/integrations/${type}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await json(response);
}
