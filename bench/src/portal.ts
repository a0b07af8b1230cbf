/**
 * bench:portal — the time from `switchboard.connect()` to the Connect Portal's first paint, in headless Chromium on
 * loopback. A customer's page on its own origin loads /switchboard.js from a `switchboard serve` process and signs a
 * user in; each round opens a fresh page and measures, in the page, from just before `connect('sandbox')` to the
 * first animation frame after the portal told the SDK it is shown (`onOpen`), so that frame has painted it.
 *
 *   warm:     connect() once the hidden portal has loaded (the SDK loads it when `authenticate` resolves)
 *   cold:     connect() as soon as `authenticate` resolves, when the SDK starts loading the portal
 *   baseline: the same page frames the server's `/health` (a few bytes) and waits for its load and a frame: the
 *             floor any iframe from that server has on this machine, measured in the same run
 * Ratios are against the baseline; the target is a warm connect() under 300 ms.
 */
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { exitOnHelp, REPORT_OPTIONS, wholeNumber } from './lib/args.js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { describeMachine, machineLine } from './lib/machine.js';
import { BenchRun, runBench } from './lib/processes.js';
import { markdownTable, median, ms, percentile, ratio, table } from './lib/stats.js';
import { readDevProject, startSwitchboard, userToken } from './lib/switchboard.js';

const HELP = `npm run bench:portal -- [options]
  --rounds N      pages per mode (default 15)
  --markdown      also print the table as Markdown
  --keep          keep the temp folder with the server's log and data dir
Chromium: CHROMIUM_PATH, else /usr/bin/chromium
`;
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    markdown: REPORT_OPTIONS.markdown,
    keep: REPORT_OPTIONS.keep,
    help: REPORT_OPTIONS.help,
  },
});
exitOnHelp(values.help, HELP);
const rounds = wholeNumber('rounds', values.rounds, HELP);

type Mode = 'baseline' | 'cold' | 'warm';

/** The customer's page: the SDK by script tag, and the three measurements as functions the bench calls. */
const customerPage = (server: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bench</title>
<script src="${server}/switchboard.js"></script></head><body><h1>Customer app</h1><script>
const frames = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
window.signIn = (projectId, token) => switchboard.authenticate(projectId, token);
window.timeConnect = () => new Promise((resolve, reject) => {
  const start = performance.now();
  setTimeout(() => reject(new Error('the portal did not open within 10 s')), 10000);
  switchboard.connect('sandbox', { onOpen: () => frames().then(() => resolve(performance.now() - start)) });
});
window.timeBlankFrame = (url) => new Promise((resolve) => {
  const start = performance.now();
  const frame = document.createElement('iframe');
  frame.style.cssText = 'position:fixed;inset:0;width:100vw;height:100vh;border:0';
  frame.onload = () => frames().then(() => resolve(performance.now() - start));
  frame.src = url;
  document.body.append(frame);
});
</script></body></html>`;

async function main(run: BenchRun): Promise<void> {
  const dataDir = join(run.dir, 'data');
  const server = await startSwitchboard(run, 'switchboard', { dataDir });
  const project = readDevProject(dataDir);
  const page = customerPage(server.url);
  const site = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page));
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  run.onCleanup(() => new Promise((resolve) => site.close(() => resolve())));
  const address = site.address();
  // `localhost` while the server is 127.0.0.1: another origin, as a customer's app is.
  const pageUrl = `http://localhost:${typeof address === 'object' && address ? address.port : 0}/`;

  const browser: Browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    chromiumSandbox: false,
    args: ['--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  run.onCleanup(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });

  const samples: Record<Mode, number[]> = { baseline: [], cold: [], warm: [] };
  const fresh = async (): Promise<Page> => {
    const tab = await context.newPage();
    await tab.goto(pageUrl);
    return tab;
  };
  const signIn = async (tab: Page, round: number) =>
    tab.evaluate(([projectId, token]) => (globalThis as unknown as { signIn(p: string, t: string): Promise<void> }).signIn(projectId!, token!), [
      project.projectId,
      await userToken(project, `bench-portal-${round}`),
    ]);

  // One unmeasured round of each first: the server's and the browser's caches start warm, as for a returning user.
  for (let round = 0; round <= rounds; round += 1) {
    for (const mode of ['baseline', 'cold', 'warm'] as const) {
      const tab = await fresh();
      let elapsed: number;
      if (mode === 'baseline') {
        elapsed = await tab.evaluate((url) => (globalThis as unknown as { timeBlankFrame(u: string): Promise<number> }).timeBlankFrame(url), `${server.url}/health`);
      } else {
        await signIn(tab, round);
        if (mode === 'warm') {
          // The hidden portal's document has loaded (an iframe's navigation is a resource entry of its parent), and its app has started.
          await tab.waitForFunction(() => performance.getEntriesByType('resource').some((entry) => entry.name.includes('/ui?')));
          await tab.waitForTimeout(300);
        }
        elapsed = await tab.evaluate(() => (globalThis as unknown as { timeConnect(): Promise<number> }).timeConnect());
      }
      if (round > 0) samples[mode].push(elapsed);
      await tab.close();
    }
  }

  const base = median(samples.baseline);
  const header = ['mode', 'median ms', 'p90 ms', 'ratio to baseline'];
  const rows = (['baseline', 'cold', 'warm'] as const).map((mode) => {
    const sorted = [...samples[mode]].sort((a, b) => a - b);
    return [mode, ms(median(sorted)), ms(percentile(sorted, 0.9)), ratio(median(sorted) / base)];
  });
  process.stdout.write(`bench:portal — connect() to the Connect Portal's first paint, ${rounds} pages per mode\n${machineLine(describeMachine())}\n\n`);
  process.stdout.write(`${table(header, rows)}\n`);
  if (values.markdown) process.stdout.write(`\n${markdownTable(header, rows)}\n`);
  const warm = median(samples.warm);
  process.stdout.write(`\nwarm connect() median ${ms(warm)} ms: ${warm < 300 ? 'within' : 'OVER'} the 300 ms target\n`);
}

const run = new BenchRun('portal', values.keep);
await runBench(run, () => main(run));
