/**
 * bench:instructions — instructions per proxied call of the bare proxy (b) and Switchboard (c), each in turn under
 * valgrind's callgrind, counted over a window of calls after a warm-up. The machine's noise does not move an
 * instruction count, so this settles the CPU ratio c/b, and what a change saves (--compare), where bench:proxy's
 * CPU per request moves by a third from one round to the next on a shared machine. It says nothing about latency.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { exitOnHelp, REPORT_OPTIONS, usageError, wholeNumber } from './lib/args.js';
import { API_KEY, connectBenchAccount, UPSTREAM_PATH } from './lib/bench-account.js';
import { benchDatabase, databaseEnv } from './lib/bench-database.js';
import { CALLGRIND_ENV, callgrindWrapper, dumpCounts, readCounts, setCounting, valgrindVersion, type InstructionCounts } from './lib/callgrind.js';
import { runLoad } from './lib/load.js';
import { describeMachine, machineLine } from './lib/machine.js';
import { BenchRun, runBench, type Child } from './lib/processes.js';
import { int, markdownTable, ratio, table } from './lib/stats.js';
import { startSwitchboard } from './lib/switchboard.js';
import type { LoadSpec } from './load-generator.js';

const HELP = `npm run bench:instructions -- [options]
  --warmup S          seconds of calls before counting starts, under valgrind (default 30): until V8 has
                      compiled the hot code
  --duration S        seconds of calls counted (default 30)
  --concurrency N     connections and requests in flight (default 20)
  --body-bytes N      upstream response body size (default 1024)
  --request-bytes N   POST a body of N bytes instead of a GET (default 0: GET)
  --database D        sqlite (default) or postgres, as for bench:proxy
  --compare DIR       also count (c-compare): the Switchboard built in DIR, and print c/c-compare
  --markdown          also print the table as Markdown
  --json FILE         also write the counts as JSON
  --keep              keep the temp folder with every process's log and the callgrind files
Needs valgrind (Debian's package valgrind). Each party runs under it in turn, about 50 times slower than without.
`;

const { values } = parseArgs({
  options: {
    warmup: { type: 'string', default: '30' },
    duration: { type: 'string', default: '30' },
    concurrency: { type: 'string', default: '20' },
    'body-bytes': { type: 'string', default: '1024' },
    'request-bytes': { type: 'string', default: '0' },
    database: { type: 'string', default: 'sqlite' },
    compare: { type: 'string' },
    ...REPORT_OPTIONS,
  },
});
exitOnHelp(values.help, HELP);
const options = {
  warmupMs: wholeNumber('warmup', values.warmup, HELP, 0) * 1000,
  durationMs: wholeNumber('duration', values.duration, HELP) * 1000,
  concurrency: wholeNumber('concurrency', values.concurrency, HELP),
  bodyBytes: wholeNumber('body-bytes', values['body-bytes'], HELP, 0),
  requestBytes: wholeNumber('request-bytes', values['request-bytes'], HELP, 0),
  database: values.database as 'sqlite' | 'postgres',
  compare: values.compare === undefined ? undefined : resolve(values.compare),
};
if (options.database !== 'sqlite' && options.database !== 'postgres') usageError('--database must be sqlite or postgres', HELP);

type Target = 'b' | 'c' | 'c-compare';
const LABELS: Record<Target, string> = { b: '(b) bare undici proxy', c: '(c) switchboard', 'c-compare': '(c) switchboard from --compare' };

interface Counted {
  target: Target;
  warmupCalls: number;
  calls: number;
  counts: InstructionCounts;
}

async function main(run: BenchRun): Promise<void> {
  const valgrind = await valgrindVersion();
  if (!valgrind) throw new Error('valgrind is not installed: `apt-get install -y valgrind`, then run this again');
  const targets: Target[] = ['b', 'c', ...(options.compare ? (['c-compare'] as const) : [])];
  process.stdout.write(`bench:instructions\n${machineLine(describeMachine())}, ${valgrind}\n`);
  process.stdout.write(
    `${targets.join(', ')} one after another under callgrind: ${options.warmupMs / 1000} s of calls, then ${options.durationMs / 1000} s counted, ` +
      `${options.concurrency} in flight, ${options.requestBytes > 0 ? `POST ${options.requestBytes} B` : 'GET'}, ${options.bodyBytes} B responses, Switchboard on ${options.database}\n\n`,
  );
  const upstream = await run.fork('upstream', 'upstream', ['--body-bytes', String(options.bodyBytes), '--api-key', API_KEY]);
  const upstreamOrigin = `http://127.0.0.1:${upstream.port}`;
  const { child: loader } = await run.fork('load-generator', 'load-generator');
  const base = { method: options.requestBytes > 0 ? 'POST' : 'GET', requestBytes: options.requestBytes, concurrency: options.concurrency } as const;

  const results: Counted[] = [];
  for (const target of targets) {
    const outFile = join(run.dir, `callgrind.${target}`);
    const wrapper = callgrindWrapper(outFile);
    let child: Child;
    let spec: Omit<LoadSpec, 'warmupMs' | 'durationMs'>;
    if (target === 'b') {
      const bare = await run.fork('bare-proxy', 'bare-proxy', ['--upstream', upstreamOrigin, '--api', 'stream'], CALLGRIND_ENV, [], wrapper);
      child = bare.child;
      spec = { ...base, origin: `http://127.0.0.1:${bare.port}`, path: UPSTREAM_PATH, headers: { 'x-api-key': API_KEY } };
    } else {
      const server = await startSwitchboard(run, `switchboard-${target}`, {
        dataDir: join(run.dir, `data-${target}`),
        env: { ...CALLGRIND_ENV, ...databaseEnv(await benchDatabase(run, options.database)) },
        wrapper,
        sandbox: false,
        ...(target === 'c-compare' && { checkout: options.compare }),
      });
      child = server.child;
      spec = { ...base, origin: server.url, ...(await connectBenchAccount(server, upstreamOrigin)) };
    }
    const pid = child.process.pid!;
    const warm = await runLoad(loader, { ...spec, warmupMs: 0, durationMs: options.warmupMs });
    await setCounting(pid, outFile, true);
    const counted = await runLoad(loader, { ...spec, warmupMs: 0, durationMs: options.durationMs });
    await setCounting(pid, outFile, false);
    await dumpCounts(pid, outFile);
    await run.stop(child, 120_000);
    if (counted.requests === 0) throw new Error(`${LABELS[target]}: no call completed in the ${options.durationMs / 1000} s counted; give a longer --duration`);
    if (counted.statuses['200'] !== counted.requests) throw new Error(`${LABELS[target]}: not every counted call answered 200: ${JSON.stringify(counted.statuses)} ${counted.firstFailure ?? ''}`);
    const result = { target, warmupCalls: warm.allRequests, calls: counted.allRequests, counts: readCounts(outFile) };
    results.push(result);
    process.stdout.write(`${LABELS[target].padEnd(32)} ${int(result.warmupCalls).padStart(7)} calls to warm up, ${int(result.calls).padStart(7)} counted: ${int(result.counts.total / result.calls).padStart(9)} instructions per call\n`);
  }

  const perCall = (result: Counted, part: keyof InstructionCounts) => result.counts[part] / result.calls;
  const header = ['target', 'calls counted', 'instructions per call', 'JIT compiler', 'garbage collector', 'the rest'];
  const rows = results.map((result) => [LABELS[result.target], int(result.calls), ...(['total', 'compiler', 'collector', 'rest'] as const).map((part) => int(perCall(result, part)))]);
  const of = (target: Target) => results.find((result) => result.target === target);
  const comparisons: [string, number, number][] = [];
  const b = of('b');
  const c = of('c');
  const compare = of('c-compare');
  if (b && c) comparisons.push(['c/b', perCall(c, 'total') / perCall(b, 'total'), perCall(c, 'rest') / perCall(b, 'rest')]);
  if (compare && c) comparisons.push(['c/c-compare', perCall(c, 'total') / perCall(compare, 'total'), perCall(c, 'rest') / perCall(compare, 'rest')]);
  const comparisonHeader = ['comparison', 'instructions per call', 'the rest (no compiler, no collector)'];
  const comparisonRows = comparisons.map(([name, total, rest]) => [name, ratio(total), ratio(rest)]);
  process.stdout.write(`\n${table(header, rows)}\n\n${table(comparisonHeader, comparisonRows)}\n`);
  process.stdout.write(
    '\nThe compiler share depends on how far V8 got before counting began; the collector share, on when collections fell. ' +
      '"The rest" is the steadiest figure for comparing code.\n',
  );
  if (values.markdown) process.stdout.write(`\n${markdownTable(header, rows)}\n\n${markdownTable(comparisonHeader, comparisonRows)}\n`);
  if (values.json) {
    writeFileSync(values.json, `${JSON.stringify({ options, results }, null, 2)}\n`);
    process.stdout.write(`\nresults written to ${values.json}\n`);
  }
}

const run = new BenchRun('instructions', values.keep);
void runBench(run, () => main(run));
