/**
 * docs/workflows.md's first workflow, as a new user follows it: the doc's own curl commands, run by a shell against
 * a real server (the app event, the workflow from its JSON file, publishing it), then in Chromium the demo page on
 * another origin: connect the sandbox, enable the workflow from the workflows panel, send the app event from the
 * panel, and read the run with every step through the doc's curl for the task history. Also the panel's errors,
 * keyboard use, axe-core, and screenshots in light, dark and at 360 px.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SwitchboardSDK } from '@switchboard/sdk';
import { seriousAccessibilityViolations } from '../../../test/support/accessibility.js';
import { chromiumPath, freshContextEachTest, launchChromium, screenshot } from '../../../test/support/chromium.js';
import { CatalogPage, freshUser } from './support/catalog-page.js';
import { startDemoEnvironment, type DemoEnvironment } from './support/demo-environment.js';

type Json = Record<string, any>;
const run = promisify(execFile);

/** The code blocks of the walkthrough section, in order. */
function walkthroughBlocks(): { lang: string; code: string }[] {
  const doc = readFileSync(new URL('../../../docs/workflows.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## A first workflow, with curl'), doc.indexOf('## The definition'));
  return [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((match) => ({ lang: match[1]!, code: match[2]! }));
}

describe.skipIf(!chromiumPath)('docs/workflows.md walkthrough, then the demo page fires the event', () => {
  let env: DemoEnvironment;
  let browser: Browser;
  let context: BrowserContext;
  let workdir: string;
  let workflowId: string;
  const blocks = walkthroughBlocks();
  const block = (lang: string, includes: string) => {
    const found = blocks.find((candidate) => candidate.lang === lang && candidate.code.includes(includes));
    if (!found) throw new Error(`docs/workflows.md's walkthrough has no ${lang} block with ${includes}`);
    return found.code;
  };

  /** Runs one of the doc's shell blocks as it is, with the variables the doc names, and parses its JSON answer. */
  async function shell(code: string, vars: Record<string, string> = {}): Promise<Json> {
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', code], {
      cwd: workdir,
      env: {
        PATH: process.env.PATH,
        SWITCHBOARD: env.serverOrigin,
        PROJECT: env.server.projectId,
        SWITCHBOARD_SECRET_KEY: env.server.secretKey,
        ...vars,
      },
    });
    return JSON.parse(stdout) as Json;
  }

  beforeAll(async () => {
    [env, browser] = await Promise.all([startDemoEnvironment('cross-origin'), launchChromium()]);
    workdir = mkdtempSync(join(tmpdir(), 'switchboard-walkthrough-'));
    // The doc's commands, in its order: the app event, the workflow from copy-contacts.workflow.json, publish.
    const event = await shell(block('sh', 'curl -X PUT'));
    expect(event).toMatchObject({ name: 'Contacts Imported', samplePayload: { contacts: [{ name: 'Ada' }] } });
    writeFileSync(join(workdir, 'copy-contacts.workflow.json'), block('json', '"Copy imported contacts"'));
    const created = await shell(block('sh', '-d @copy-contacts.workflow.json'));
    expect(created).toMatchObject({ definition: { name: 'Copy imported contacts' }, latestVersion: 1, publishedVersion: null });
    workflowId = created.id;
    const published = await shell(block('sh', '/publish'), { WORKFLOW: workflowId });
    expect(published).toMatchObject({ id: workflowId, publishedVersion: 1 });
  });
  afterAll(async () => {
    await browser?.close();
    await env?.close();
    if (workdir) rmSync(workdir, { recursive: true, force: true });
  });
  freshContextEachTest(() => browser, (fresh) => (context = fresh), { viewport: { width: 1280, height: 900 } });

  /** A fresh demo user with a sandbox account, on the integration's details with the workflows panel. */
  async function connectedUser(label: string): Promise<{ catalog: CatalogPage; credentialId: string }> {
    const catalog = await CatalogPage.open(context, env, { user: freshUser(label) });
    await catalog.connectSandbox(`${label}-account`);
    await catalog.openDetails('sandbox');
    const credentialId = (await catalog.accounts.first().getAttribute('data-credential-id'))!;
    await panel(catalog.page).waitFor();
    return { catalog, credentialId };
  }

  const panel = (page: Page) => page.getByTestId('workflows-panel');
  const row = (page: Page) => panel(page).locator(`[data-testid="workflow"][data-workflow-id="${workflowId}"]`);

  /** The run as the doc's task-history curl shows it, once it has finished. */
  async function finishedRun(runId: string): Promise<Json> {
    const read = block('sh', 'workflow-runs/$RUN');
    for (let tries = 0; ; tries++) {
      const answer = await shell(read, { RUN: runId });
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(answer.status)) return answer;
      if (tries > 100) throw new Error(`run ${runId} is still ${answer.status}`);
      await sleep(150);
    }
  }

  it('a new user enables the workflow from the panel, sends the event from the page, and reads the run with every step', async () => {
    const { catalog, credentialId } = await connectedUser('walkthrough');
    const { page } = catalog;
    expect(await row(page).getByTestId('workflow-name').textContent()).toBe('Copy imported contacts');
    expect(await row(page).getAttribute('data-enabled')).toBe('false');
    expect(await row(page).textContent()).toContain('App event trigger');

    // The workflow's required setting is not saved yet: Enable asks for it in a form, whose first field takes the focus.
    await row(page).getByRole('button', { name: /^Enable/ }).click();
    const settingsForm = row(page).getByTestId('workflow-settings-form');
    await settingsForm.waitFor();
    expect(await settingsForm.getByRole('heading').textContent()).toBe('Settings for Copy imported contacts');
    const label = settingsForm.getByLabel('Label for imported contacts');
    expect(await label.evaluate((element) => element === document.activeElement)).toBe(true);
    expect(await row(page).getAttribute('data-enabled')).toBe('false');

    // Keyboard alone from here. Sent empty, the form names the field and says what to do; nothing is saved.
    const patches: string[] = [];
    page.on('request', (request) => request.method() === 'PATCH' && patches.push(request.url()));
    await page.keyboard.press('Enter');
    const settingsError = settingsForm.getByTestId('workflow-settings-error');
    await settingsError.waitFor();
    expect(await settingsError.textContent()).toBe('Enter Label for imported contacts: Copy imported contacts needs it to run. Then save again.');
    expect(await label.getAttribute('aria-invalid')).toBe('true');
    expect(await label.getAttribute('aria-describedby')).toBe(await settingsError.getAttribute('id'));
    expect(await label.evaluate((element) => element === document.activeElement)).toBe(true);
    expect(patches).toEqual([]);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'workflows-setting-required');
    await page.emulateMedia({ colorScheme: 'dark' });
    // The demo follows the system's theme as it changes, until the user picks one.
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'workflows-setting-required-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 360, height: 800 });
    await screenshot(page, 'workflows-setting-required-360');
    await page.setViewportSize({ width: 1280, height: 900 });
    await label.focus();

    // Typed and saved with Enter: the setting is on the account and the workflow is on, the focus back on its button.
    await page.keyboard.type('From the demo');
    await page.keyboard.press('Enter');
    await page.locator(`[data-testid="workflow"][data-workflow-id="${workflowId}"][data-enabled="true"]`).waitFor();
    expect(await row(page).getByTestId('workflow-state').textContent()).toContain('On');
    expect(await row(page).getByTestId('workflow-error').count()).toBe(0);
    expect(await row(page).getByTestId('workflow-settings-form').count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toMatch(/^Disable/);
    const account = (await (await env.server.sdk(catalog.userId, `/credentials/${credentialId}`)).json()) as Json;
    expect(account.config.configuredWorkflows[workflowId]).toEqual({ enabled: true, settings: { label: 'From the demo' } });

    const form = page.getByTestId('app-event-form');
    await form.getByLabel('Event name').focus();
    await page.keyboard.type('Contacts Imported');
    await page.keyboard.press('Tab');
    const payload = { contacts: [{ name: 'Ada', email: 'ada@example.com' }, { name: 'Grace', email: 'grace@example.com' }] };
    await page.keyboard.type(JSON.stringify(payload));
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('event-payload');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Send event');
    await page.keyboard.press('Enter');

    const result = form.getByTestId('app-event-result');
    await result.waitFor();
    expect(await result.textContent()).toContain('Started 1 run');
    const runId = (await result.getAttribute('data-runs'))!;
    expect(runId).toMatch(/^\S+$/);
    expect(await form.getByTestId('app-event-run').textContent()).toContain('Copy imported contacts');

    const history = await finishedRun(runId);
    expect(history).toMatchObject({ id: runId, status: 'SUCCEEDED', workflowId, userId: catalog.userId, triggerType: 'appEvent', trigger: { event: 'Contacts Imported', payload } });
    const steps = new Map<string, Json>(history.steps.map((step: Json) => [step.key, step]));
    expect([...steps.keys()].sort()).toEqual(['any', 'any.then.each', 'any.then.each[0].create', 'any.then.each[1].create']);
    for (const step of steps.values()) expect(step).toMatchObject({ status: 'SUCCEEDED', attempts: 1, dateStarted: expect.any(String), dateFinished: expect.any(String) });
    expect(steps.get('any.then.each[0].create')!.output).toMatchObject({ status: 201, body: { name: 'Ada (From the demo)', email: 'ada@example.com' } });
    expect(steps.get('any.then.each[1].create')!.output).toMatchObject({ status: 201, body: { name: 'Grace (From the demo)', email: 'grace@example.com' } });

    // The contacts are in the user's sandbox account: the page's own test request through the proxy sees them.
    const contacts = (await page.evaluate(() => (window as unknown as { switchboard: SwitchboardSDK }).switchboard.request('sandbox', '/contacts'))) as { data: { name: string }[] };
    expect(contacts.data.map((contact) => contact.name).sort()).toEqual(['Ada (From the demo)', 'Grace (From the demo)']);

    // The doc's backend form of the same event, for this user, starts a second run.
    const fromBackend = await shell(block('sh', '/app-events/Contacts%20Imported/trigger').replace('user-42', catalog.userId));
    expect(fromBackend).toEqual({ runs: [{ id: expect.any(String), workflowId }] });
    expect((await finishedRun(fromBackend.runs[0].id)).status).toBe('SUCCEEDED');

    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'workflows-light');
    // The page's background is the root element's (the body has none).
    const lightBackground = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    expect(lightBackground).toBe('rgb(245, 246, 248)');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    await page.waitForFunction(() => getComputedStyle(document.documentElement).backgroundColor === 'rgb(15, 19, 24)');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'workflows-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 360, height: 800 });
    await screenshot(page, 'workflows-360');
    // Nothing runs off the side of a phone's screen.
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll('body *')].filter((element) => element.getBoundingClientRect().right > 361).map((element) => `${element.tagName}.${element.className}`),
    );
    expect(wide).toEqual([]);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);

    // Disable from the panel: the next event starts nothing, and the panel says why.
    await row(page).getByRole('button', { name: /^Disable/ }).click();
    await page.locator(`[data-testid="workflow"][data-workflow-id="${workflowId}"][data-enabled="false"]`).waitFor();
    await form.getByRole('button', { name: 'Send event' }).click();
    await form.locator('[data-testid="app-event-result"][data-runs=""]').waitFor();
    expect(await form.getByTestId('app-event-result').textContent()).toContain('No workflow ran');
  }, 90_000);

  it('the event form says what is wrong and what to do: no name, a payload that is not JSON or not an object, an event the project does not define', async () => {
    const { catalog } = await connectedUser('form-errors');
    const { page } = catalog;
    const form = page.getByTestId('app-event-form');
    const error = form.getByTestId('app-event-error');
    const send = () => form.getByRole('button', { name: 'Send event' }).click();
    const requests: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/sdk/events/trigger')) requests.push(request.url());
    });

    await send();
    expect(await error.getAttribute('data-field')).toBe('name');
    expect(await error.textContent()).toContain('Enter the app event’s name');
    expect(await form.getByLabel('Event name').getAttribute('aria-invalid')).toBe('true');

    await form.getByLabel('Event name').fill('Contacts Imported');
    await form.getByLabel(/^Payload/).fill('{ "contacts": [ }');
    await send();
    expect(await error.getAttribute('data-field')).toBe('payload');
    expect(await error.textContent()).toMatch(/^The payload is not valid JSON \(.+\)\. Fix it, or leave it empty to send \{\}\.$/);
    await form.getByLabel(/^Payload/).fill('[1, 2]');
    await send();
    expect(await error.textContent()).toBe('The payload must be a JSON object, like { "contacts": [] }.');
    // None of these reached the server.
    expect(requests).toEqual([]);
    await screenshot(page, 'workflows-payload-error');

    await form.getByLabel('Event name').fill('Contacts Exported');
    await form.getByLabel(/^Payload/).fill('');
    await send();
    await error.filter({ hasText: 'no app event named' }).waitFor();
    expect(await error.getAttribute('data-field')).toBe('form');
    expect(await error.textContent()).toBe(
      'This project has no app event named “Contacts Exported”. Define it first with PUT /api/v1/projects/:projectId/app-events/:name (docs/workflows.md), or check the spelling.',
    );
    expect(requests).toHaveLength(1);

    // A defined event that no enabled workflow listens to starts nothing, and the page says so.
    await form.getByLabel('Event name').fill('Contacts Imported');
    await send();
    await form.getByTestId('app-event-result').waitFor();
    expect(await form.getByTestId('app-event-result').textContent()).toContain('No workflow ran: none that listens to “Contacts Imported” is enabled for this user.');
    expect(await form.getByTestId('app-event-error').count()).toBe(0);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
  });
});
