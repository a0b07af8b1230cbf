import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterEach, beforeEach } from 'vitest';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium the browser suites drive, or undefined (the suites then skip, loudly). */
export const chromiumPath = CANDIDATES.find((path): path is string => Boolean(path) && existsSync(path!));

if (!chromiumPath && process.env.SWITCHBOARD_REQUIRE_BROWSER === '1') {
  // CI installs Chromium and sets this: there, a missing browser is a failure, not a skip.
  throw new Error('No Chromium found and SWITCHBOARD_REQUIRE_BROWSER=1: install chromium or set CHROMIUM_PATH');
}
if (!chromiumPath) {
  console.warn(
    [
      '',
      '!'.repeat(78),
      '!! No Chromium found: the browser suites (catalog demo, reference SDK) are SKIPPED.',
      '!! Install Debian\'s chromium (apt-get install chromium) or set CHROMIUM_PATH.',
      '!'.repeat(78),
      '',
    ].join('\n'),
  );
}

export interface ChromiumOptions {
  /** More command-line switches, e.g. `--host-resolver-rules` for a suite that serves made-up host names. */
  args?: string[];
}

/**
 * One headless Chromium with the real popup blocker: Playwright passes `--disable-popup-blocking` by default, which
 * would hide the OAuthBlockedError path. `launch` gives the browser a fresh temporary profile (user data dir) and
 * removes it on close.
 */
export function launchChromium(options: ChromiumOptions = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath!,
    headless: true,
    chromiumSandbox: false,
    args: [
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      ...(options.args ?? []),
    ],
    ignoreDefaultArgs: ['--disable-popup-blocking'],
  });
}

const SCREENSHOTS = fileURLToPath(new URL('../../test-artifacts/screenshots/', import.meta.url));

export interface ScreenshotOptions {
  /**
   * The whole page (the default), or only what the viewport shows: a full-page capture lays the page out again at its
   * full height, under the Connect Portal's fixed iframe, so a view of the portal is taken at the viewport's size.
   */
  fullPage?: boolean;
}

/** Saves a screenshot under test-artifacts/screenshots/ (gitignored), for a human to look at. */
export async function screenshot(page: Page, name: string, options: ScreenshotOptions = {}): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: options.fullPage ?? true, animations: 'disabled' });
}

export interface FreshContextOptions {
  /** The page size; 1024×760 when not given. */
  viewport?: { width: number; height: number };
}

/**
 * A fresh browser context for each test of the suite, handed to `use`: a 1024×760 viewport unless told otherwise, and
 * waits that time out at 10 s, below the test timeout, so a wait that fails says what it waited for.
 */
export function freshContextEachTest(browser: () => Browser, use: (context: BrowserContext) => void, options: FreshContextOptions = {}): void {
  let context: BrowserContext | undefined;
  beforeEach(async () => {
    context = await browser().newContext({ viewport: options.viewport ?? { width: 1024, height: 760 } });
    context.setDefaultTimeout(10_000);
    use(context);
  });
  afterEach(async () => {
    await context?.close();
  });
}
