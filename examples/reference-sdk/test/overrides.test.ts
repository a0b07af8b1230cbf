/**
 * Compatibility suite, overrides form: the reference product's browser SDK (`@useparagon/connect` 2.4.0 from npm,
 * unchanged, bundled by Vite into examples/reference-sdk) runs in Chromium on http://localhost:<port> against a
 * Switchboard server on http://127.0.0.1:<port>, every service URL of `configureGlobal` pointed at the server by
 * name. It covers:
 *   1. authenticate + getUser: the user state's shape;
 *   2. getIntegrationMetadata: the sandbox integrations, and their icons load as images;
 *   3. installIntegration from a real click: the SDK's own OAuth popup, the sandbox consent page, the promise,
 *      onIntegrationInstall once, the new credential in getUser;
 *   4. request: GET and a POST with a JSON body through the Proxy API;
 *   5. setUserMetadata: getUser().meta and the server's GET /sdk/me agree;
 *   6. two sandbox accounts (the second with allowMultipleCredentials), uninstallIntegration of exactly one;
 *   7. event, workflow, enableWorkflow with no workflow: a clear rejection, no hang, no CORS error; with published
 *      workflows: enableWorkflow, workflow() answered by the Response step, event() running a workflow,
 *      disableWorkflow.
 * The one-line form (`configureGlobal({ host })` alone, over HTTPS) is public-host.test.ts.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, freshContextEachTest, launchChromium, screenshot } from '../../../test/support/chromium.js';
import { management } from '../../../packages/server/test/support/management.js';
import { connectSandbox, json } from '../../../packages/server/test/support/sdk-flows.js';
import { startOverridesEnvironment, type ReferenceEnvironment } from './support/reference-environment.js';
import { freshLogin, freshUser, ReferencePage } from './support/reference-page.js';

const SANDBOX_INTEGRATIONS = ['sandbox', 'sandbox-apikey', 'sandbox-client-credentials'];

describe.skipIf(!chromiumPath)('reference SDK against Switchboard, every service URL given', () => {
  let env: ReferenceEnvironment;
  let browser: Browser;
  let context: BrowserContext;
  const open = () => ReferencePage.open(context, env);

  beforeAll(async () => {
    [env, browser] = await Promise.all([startOverridesEnvironment(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });
  freshContextEachTest(() => browser, (fresh) => (context = fresh));

  it('authenticate loads the user state: authenticated, userId, integrations.sandbox with enabled and allCredentials, meta', async () => {
    const reference = await open();
    const sub = freshUser('auth');
    await reference.signIn(sub);

    const user = await reference.user();
    expect(user.authenticated).toBe(true);
    expect(user.userId).toBe(sub);
    expect(user.meta).toBeTypeOf('object');
    expect(user.integrations?.sandbox).toMatchObject({ enabled: false });
    expect(user.integrations?.sandbox?.allCredentials).toEqual([]);
    // The SDK keeps the token out of what getUser answers.
    expect(user).not.toHaveProperty('token');

    // It asked Switchboard, on the overridden host, for the user state and the project's integrations.
    const paths = reference.requests.filter((url) => url.origin === env.services.zeus).map((url) => url.pathname);
    expect(paths).toContain(`/projects/${env.server.projectId}/sdk/me`);
    expect(paths).toContain(`/projects/${env.server.projectId}/sdk/integrations`);
    // Nothing else left the page but the Connect Portal iframe the SDK's singleton starts loading from its vendor's
    // default host when imported, before configureGlobal can run (the suite blocks it; configureGlobal repoints it).
    expect(reference.foreignRequests()).toEqual(['https://connect.useparagon.com/ui']);
    expect(await reference.page.getByTestId('status').textContent()).toContain(`signed in as ${sub}`);
    expect(reference.corsErrors()).toEqual([]);
    await screenshot(reference.page, 'reference-sdk-signed-in');
  });

  it('getIntegrationMetadata lists the sandbox integrations with name, brandColor and an icon that loads as an image', async () => {
    const reference = await open();
    await reference.signIn(freshUser('metadata'));

    const metadata = await reference.page.evaluate(() => window.paragon.getIntegrationMetadata() as { type: string; name: string; brandColor: string; icon: string }[]);
    expect(metadata.map((item) => item.type).sort()).toEqual(expect.arrayContaining(SANDBOX_INTEGRATIONS));
    for (const type of SANDBOX_INTEGRATIONS) {
      const item = metadata.find((entry) => entry.type === type)!;
      expect(item.name.length).toBeGreaterThan(0);
      expect(item.brandColor).toMatch(/^#[0-9a-f]{6}$/i);
      expect(item.icon).toBe(`${env.services.cdn}/integrations/${type}.svg`);
    }

    const widths = await reference.page.evaluate(
      (icons) =>
        Promise.all(
          icons.map(
            (src) =>
              new Promise<number>((resolve) => {
                const image = new Image();
                image.onload = () => resolve(image.naturalWidth);
                image.onerror = () => resolve(0);
                image.src = src;
              }),
          ),
        ),
      metadata.map((item) => item.icon),
    );
    const icons = metadata.map((item) => item.icon);
    expect(Object.fromEntries(icons.map((icon, index) => [icon, widths[index]! > 0]))).toEqual(Object.fromEntries(icons.map((icon) => [icon, true])));
  });

  it('installIntegration from a click opens the SDK popup, the consent page connects the account, onIntegrationInstall fires once', async () => {
    const reference = await open();
    await reference.signIn(freshUser('install'));
    const login = freshLogin('first');

    const outcome = await reference.installThroughPopup(login, { shot: 'reference-sdk-consent' });
    expect(outcome).toMatchObject({ state: 'resolved' });

    const installs = (await reference.events()).filter((event) => event.name === 'onIntegrationInstall');
    expect(installs).toHaveLength(1);
    expect(installs[0]!.integrationType).toBe('sandbox');
    const user = await reference.user();
    expect(user.integrations?.sandbox?.enabled).toBe(true);
    expect(user.integrations?.sandbox?.allCredentials).toHaveLength(1);
    expect(user.integrations?.sandbox?.allCredentials[0]!.providerId).toBe(login);
    // The popup went through Switchboard's set-up page, the sandbox and /oauth/callback.
    const popupPaths = reference.requests.map((url) => url.pathname);
    expect(popupPaths).toContain(`/projects/${env.server.projectId}/sdk/actions/oauth-nonce`);
    expect(popupPaths).toContain('/oauth/callback');
    expect(reference.corsErrors()).toEqual([]);
    await reference.page.getByTestId('integrations').getByText('sandbox: 1 account').waitFor();
    await screenshot(reference.page, 'reference-sdk-installed');
  });

  it('request answers the sandbox API: GET /me is the connected account, POST /echo gets the JSON body', async () => {
    const reference = await open();
    const sub = freshUser('request');
    const login = freshLogin('grace');
    // Connected through Switchboard's own OAuth flow by HTTP: this test is about request alone.
    await connectSandbox(env.server, sub, { login });
    await reference.signIn(sub);

    const me = await reference.page.evaluate(() => window.paragon.request('sandbox', '/me', { method: 'GET' }));
    expect(me).toEqual({ id: login, name: login, email: `${login}@sandbox.example.com` });

    const echoed = (await reference.page.evaluate(() =>
      window.paragon.request('sandbox', '/echo', { method: 'POST', body: { greeting: 'hello', count: 2 } }),
    )) as { method: string; path: string; bodyType: string; body: unknown };
    expect(echoed.method).toBe('POST');
    expect(echoed.path).toMatch(/\/echo$/);
    expect(echoed.bodyType).toBe('json');
    expect(echoed.body).toEqual({ greeting: 'hello', count: 2 });
    expect(reference.requests.some((url) => url.origin === env.services.workerProxy && url.pathname.endsWith('/sdk/proxy/sandbox/echo'))).toBe(true);
    expect(reference.corsErrors()).toEqual([]);
  });

  it('setUserMetadata is what getUser().meta and the server GET /sdk/me both show', async () => {
    const reference = await open();
    const sub = freshUser('meta');
    await reference.signIn(sub);

    await reference.page.evaluate(async () => {
      await window.paragon.setUserMetadata({ Name: 'Ada Lovelace', Email: 'ada@example.com', plan: 'pro' });
    });
    const user = await reference.user();
    expect(user.meta).toMatchObject({ Name: 'Ada Lovelace', Email: 'ada@example.com', plan: 'pro' });
    const me = await json<{ meta: Record<string, unknown> }>(await env.server.sdk(sub, '/me'));
    expect(me.meta).toEqual(user.meta);
  });

  it('with two sandbox accounts, uninstallIntegration with selectedCredentialId removes exactly that one and fires onIntegrationUninstall', async () => {
    const reference = await open();
    const sub = freshUser('two-accounts');
    await reference.signIn(sub);
    const [firstLogin, secondLogin] = [freshLogin('first'), freshLogin('second')];

    expect(await reference.installThroughPopup(firstLogin)).toMatchObject({ state: 'resolved' });
    expect(await reference.installThroughPopup(secondLogin, { install: { allowMultipleCredentials: true } })).toMatchObject({ state: 'resolved' });
    const accounts = (await reference.user()).integrations?.sandbox?.allCredentials ?? [];
    expect(accounts.map((account) => account.providerId).sort()).toEqual([firstLogin, secondLogin].sort());
    const first = accounts.find((account) => account.providerId === firstLogin)!;
    const second = accounts.find((account) => account.providerId === secondLogin)!;

    const uninstalled = await reference.page.evaluate(
      (credentialId) => window.harness.settle(() => window.paragon.uninstallIntegration('sandbox', { selectedCredentialId: credentialId })),
      second.id,
    );
    expect(uninstalled).toEqual({ state: 'resolved' });
    const uninstalls = (await reference.events()).filter((event) => event.name === 'onIntegrationUninstall');
    expect(uninstalls).toHaveLength(1);
    expect(uninstalls[0]!.integrationType).toBe('sandbox');
    const left = (await reference.user()).integrations?.sandbox;
    expect(left?.allCredentials.map((account) => account.id)).toEqual([first.id]);
    expect(left?.enabled).toBe(true);
    // The server agrees: only the first account is left.
    const me = await json<{ integrations: Record<string, { allCredentials: { id: string }[] }> }>(await env.server.sdk(sub, '/me'));
    expect(me.integrations.sandbox!.allCredentials.map((account) => account.id)).toEqual([first.id]);
    expect(reference.corsErrors()).toEqual([]);
  });

  it('event, workflow and enableWorkflow with no such workflow reject with a message, without hanging or a CORS error', async () => {
    const reference = await open();
    await reference.signIn(freshUser('workflows'));
    const eventAnswer = reference.page.waitForResponse((response) => response.url().endsWith(`/v2/projects/${env.server.projectId}/sdk/events/trigger`));
    eventAnswer.catch(() => undefined); // awaited below, after the call

    const event = await reference.page.evaluate(() => window.harness.settle(() => window.paragon.event('x', {})));
    expect(event).toMatchObject({ state: 'rejected' });
    expect(reference.corsErrors()).toEqual([]);
    // App events go to the server, which answers in its error shape; the SDK's error message is that body as JSON.
    const answer = await eventAnswer;
    expect(answer.status()).toBe(404);
    const body = (await answer.json()) as { message: string; code: string };
    expect(body.code).toMatch(/^[A-Z_]+$/);
    expect(body.message.length).toBeGreaterThan(0);
    expect(event.state === 'rejected' && JSON.parse(event.message)).toEqual(body);
    expect(body.code).toBe('APP_EVENT_NOT_FOUND');

    // The SDK refuses these itself, before any request: no workflow is in configs[0].values.workflowMeta.
    for (const settled of [
      await reference.page.evaluate(() => window.harness.settle(() => window.paragon.workflow('id', {}))),
      await reference.page.evaluate(() => window.harness.settle(() => window.paragon.enableWorkflow('id'))),
    ]) {
      expect(['rejected', 'threw']).toContain(settled.state);
      expect('message' in settled && settled.message.length > 0).toBe(true);
    }
    expect(reference.corsErrors()).toEqual([]);
  });

  it('enableWorkflow turns a published workflow on for the account; event and workflow then run it; disableWorkflow turns it off', async () => {
    const api = (method: string, path: string, body?: unknown) => management(env.server, env.server.secretKey, method, `/projects/${env.server.projectId}${path}`, body);
    const publish = async (definition: Record<string, unknown>) => {
      const created = await api('POST', '/workflows', { integration: 'sandbox', ...definition });
      expect(created.status, await created.clone().text()).toBe(201);
      const { id } = (await created.json()) as { id: string };
      expect((await api('POST', `/workflows/${id}/publish`)).status).toBe(200);
      return id;
    };
    expect((await api('PUT', '/app-events/Reference%20Ping', {})).status).toBe(201);
    const greet = await publish({
      name: 'Greet',
      trigger: { type: 'request' },
      steps: [
        { id: 'me', type: 'request', method: 'GET', path: '/me' },
        { id: 'answer', type: 'response', body: { hello: '{{trigger.body.name}}', account: '{{steps.me.output.email}}' } },
      ],
    });
    const onPing = await publish({ name: 'On ping', trigger: { type: 'appEvent', event: 'Reference Ping' }, steps: [{ id: 'me', type: 'request', method: 'GET', path: '/me' }] });

    const reference = await open();
    const sub = freshUser('workflow');
    const login = freshLogin('ada');
    await connectSandbox(env.server, sub, { login });
    await reference.signIn(sub);
    type Account = { configurations?: { workflowSettings: Record<string, { enabled: boolean }> }[] };
    const settings = async () => ((await reference.user()).integrations?.sandbox?.allCredentials[0] as Account | undefined)?.configurations?.[0]?.workflowSettings;
    const onServer = async (id: string) =>
      (await json<{ integrations: Record<string, { configuredWorkflows: Record<string, { enabled: boolean }> }> }>(await env.server.sdk(sub, '/me'))).integrations.sandbox!.configuredWorkflows[id];

    for (const id of [greet, onPing]) {
      expect(await reference.page.evaluate((workflowId) => window.harness.settle(() => window.paragon.enableWorkflow(workflowId)), id)).toEqual({ state: 'resolved' });
      expect((await settings())?.[id]).toMatchObject({ enabled: true });
      expect(await onServer(id)).toEqual({ enabled: true, settings: {} });
    }
    const enableCall = reference.requests.find((url) => url.pathname.endsWith(`/sdk/workflows/${greet}`));
    expect(enableCall?.origin).toBe(env.services.zeus);

    // workflow(): the Request trigger's Response step answers, through the hermes host.
    const answered = await reference.page.evaluate((id) => window.paragon.workflow(id, { body: { name: 'Ada' } }), greet);
    expect(answered).toEqual({ hello: 'Ada', account: `${login}@sandbox.example.com` });
    // event(): the listening workflow runs for this user.
    expect(await reference.page.evaluate(() => window.harness.settle(() => window.paragon.event('Reference Ping', { n: 1 })))).toEqual({ state: 'resolved' });
    const runs = async () => (await json<{ data: { status: string }[] }>(await api('GET', `/workflow-runs?workflowId=${onPing}&userId=${encodeURIComponent(sub)}`))).data;
    await expect.poll(async () => (await runs()).map((run) => run.status), { timeout: 10_000 }).toEqual(['SUCCEEDED']);

    expect(await reference.page.evaluate((workflowId) => window.harness.settle(() => window.paragon.disableWorkflow(workflowId, {})), greet)).toEqual({ state: 'resolved' });
    expect((await settings())?.[greet]).toMatchObject({ enabled: false });
    expect(await onServer(greet)).toEqual({ enabled: false, settings: {} });
    expect(reference.corsErrors()).toEqual([]);
  });
});
