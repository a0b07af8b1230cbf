/**
 * bench:proxy — throughput and latency of Switchboard's Proxy API against baselines measured in the same run:
 *   (a) direct: the load generator straight to the upstream;
 *   (b) bare:   a node:http server + one undici Pool to the upstream, streaming with undici's stream()
 *               (bench/src/bare-proxy.ts); (b-request) the same with request() + pipeline(); (b-fastify) the
 *               stream() proxy as one bare Fastify route: what Fastify costs before Switchboard does anything;
 *   (c) switchboard: `switchboard serve` with user-token check, credential lookup, decryption and injection.
 * Optional (c-info): a second Switchboard with LOG_LEVEL=info, to price the per-request log line; (c-compare):
 * another built checkout of Switchboard (--compare DIR), in the same rounds, so a change is measured against the
 * code before it under the same noise.
 * Each party is its own process. Rounds alternate the targets, each round starting one further along (a, b, c;
 * b, c, a; …) so that none always runs first or last, and the report takes medians, so machine noise hits all
 * alike. It prints ratios and CPU per request; it asserts nothing about time.
 */
import * as http from 'node:http';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { LoadResult, LoadSpec } from './load-generator.js';
import { exitOnHelp, REPORT_OPTIONS, usageError } from './lib/args.js';
import { formatProfileDifference, formatProfileSummary, summariseCpuProfile, topRows, type ProfileSummary } from './lib/cpu-profile.js';
import { describeMachine, machineLine } from './lib/machine.js';
import { processCpuMs } from './lib/process-cpu.js';
import { API_KEY, connectBenchAccount, UPSTREAM_PATH } from './lib/bench-account.js';
import { benchDatabase, databaseEnv } from './lib/bench-database.js';
import { runLoad } from './lib/load.js';
import { BenchRun, repoRoot, runBench, type Child } from './lib/processes.js';
import { int, markdownTable, median, ms, percentile, ratio, signedMs, table } from './lib/stats.js';
import { call, createCustomIntegration, readDevProject, sdkUrl, startSwitchboard, userToken, type SwitchboardProcess } from './lib/switchboard.js';

const HELP = `npm run bench:proxy -- [options]
  --rounds N          rounds of (a, b, b-request, c) (default 5)
  --duration S        measured seconds per target per round (default 4)
  --warmup S          warm-up seconds before each measurement (default 1)
  --concurrency N     connections and requests in flight (default 50)
  --body-bytes N      upstream response body size (default 1024)
  --request-bytes N   POST a body of N bytes instead of a GET (default 0: GET)
  --targets LIST      comma-separated, from a,b,b-request,b-fastify,c,c-info (default a,b,b-request,c); b-request = the
                      bare proxy with undici request() + pipeline() instead of stream(); b-fastify = the bare proxy
                      as one Fastify route, no hooks; c-info = Switchboard with LOG_LEVEL=info
  --open-loop-share F after the closed-loop rounds, (b) and (c) at a fixed offered load of F × (b)'s median
                      throughput, latency from each request's scheduled time (default 0.5; 0: skip)
  --database D        sqlite (default) or postgres: Switchboard on a fresh schema of DATABASE_URL, else
                      TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres
  --integrations N    then define N custom integrations (icons included) in the project and time the SDK routes
                      /sdk/integrations, /sdk/metadata and /sdk/me (serial p50, before and after, asking for
                      compression as Chromium does; each read as sent and decoded, the listing also revalidated
                      with its ETag), and the proxy addressed by type, by integration id and by
                      custom-integration id
  --compare DIR       also run (c-compare): the Switchboard built in DIR (a checkout of another commit, after
                      \`npm ci && npm run build\` there), in the same rounds and with the same settings as (c), and
                      print c/c-compare per round: what a change saves, measured under the same noise
  --node-args=FLAGS   Node flags for (c), (c-info) and (c-compare), space-separated, e.g.
                      --node-args="--max-semi-space-size=64" or "--trace-gc" (its output goes to the process log
                      kept with --keep)
  --profile           run (c) and (b) under node --cpu-prof; print where (c)'s time went and what (c) spends
                      per request beyond (b), by function and module (slows both a little)
  --markdown          also print the tables as Markdown
  --json FILE         also write the results as JSON
  --keep              keep the temp folder with every process's log and the data dirs
`;

const TARGETS = ['a', 'b', 'b-request', 'b-fastify', 'c', 'c-info', 'c-compare'] as const;
type Target = (typeof TARGETS)[number];
const LABELS: Record<Target, string> = {
  a: '(a) direct',
  b: '(b) bare undici proxy',
  'b-request': '(b) bare proxy, request()+pipeline()',
  'b-fastify': '(b) bare proxy in one Fastify route',
  c: '(c) switchboard',
  'c-info': '(c) switchboard, LOG_LEVEL=info',
  'c-compare': '(c) switchboard from --compare',
};

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '50' },
    'body-bytes': { type: 'string', default: '1024' },
    'request-bytes': { type: 'string', default: '0' },
    targets: { type: 'string', default: 'a,b,b-request,c' },
    profile: { type: 'boolean', default: false },
    'open-loop-share': { type: 'string', default: '0.5' },
    database: { type: 'string', default: 'sqlite' },
    integrations: { type: 'string', default: '0' },
    'node-args': { type: 'string', default: '' },
    compare: { type: 'string' },
    ...REPORT_OPTIONS,
  },
});
exitOnHelp(values.help, HELP);

function positive(name: string, value: string, allowZero = false): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || (!allowZero && parsed === 0)) usageError(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`, HELP);
  return parsed;
}

const options = {
  rounds: Math.round(positive('rounds', values.rounds)),
  durationMs: positive('duration', values.duration) * 1000,
  warmupMs: positive('warmup', values.warmup, true) * 1000,
  concurrency: Math.round(positive('concurrency', values.concurrency)),
  bodyBytes: Math.round(positive('body-bytes', values['body-bytes'], true)),
  requestBytes: Math.round(positive('request-bytes', values['request-bytes'], true)),
  targets: values.targets.split(',').map((name) => name.trim()) as Target[],
  profile: values.profile,
  openLoopShare: positive('open-loop-share', values['open-loop-share'], true),
  database: values.database as 'sqlite' | 'postgres',
  integrations: Math.round(positive('integrations', values.integrations, true)),
  nodeArgs: values['node-args'].split(' ').filter((flag) => flag !== ''),
  compare: values.compare === undefined ? undefined : resolve(values.compare),
};
if (options.compare !== undefined && !options.targets.includes('c-compare')) options.targets.push('c-compare');
if (options.targets.includes('c-compare') && options.compare === undefined) usageError('the target c-compare needs --compare DIR', HELP);
if (options.database !== 'sqlite' && options.database !== 'postgres') {
  process.stderr.write(`--database must be sqlite or postgres\n${HELP}`);
  process.exit(1);
}
for (const target of options.targets) {
  if (!TARGETS.includes(target)) {
    process.stderr.write(`unknown target ${target}\n${HELP}`);
    process.exit(1);
  }
}

interface RoundResult extends LoadResult {
  round: number;
  /** Closed loop (fixed concurrency) or open loop (fixed offered load). */
  loop: 'closed' | 'open';
  target: Target;
  /** CPU used during the run (warm-up included), ms, by the process under test, the upstream and the load generator. */
  cpuMs: { server?: number; upstream?: number; loader?: number };
  wallMs: number;
}

async function main(run: BenchRun): Promise<void> {
  const machine = describeMachine();
  const database = await benchDatabase(run, options.database);
  process.stdout.write(`bench:proxy\n${machineLine(machine)}\n`);
  process.stdout.write(
    `${options.rounds} rounds × (${options.targets.join(', ')}), ${options.warmupMs / 1000} s warm-up + ${options.durationMs / 1000} s measured each, ` +
      `${options.concurrency} connections / requests in flight, ${options.requestBytes > 0 ? `POST ${options.requestBytes} B` : 'GET'}, ${options.bodyBytes} B responses\n` +
      `Switchboard: the built CLI${options.nodeArgs.length > 0 ? ` under node ${options.nodeArgs.join(' ')}` : ''}, ${database.line}, LOG_LEVEL=warn,` +
      ' proxy rate limits off (SWITCHBOARD_PROXY_RATE_LIMIT_USER=0, _PROJECT=0),\n' +
      'no sandbox provider (SWITCHBOARD_SANDBOX=0, as deployed), other settings default\n\n',
  );

  const profileDir = join(run.dir, 'cpu-profile');
  const upstream = await run.fork('upstream', 'upstream', ['--body-bytes', String(options.bodyBytes), '--api-key', API_KEY]);
  const upstreamOrigin = `http://127.0.0.1:${upstream.port}`;
  const bares = new Map<Target, Awaited<ReturnType<BenchRun['fork']>>>();
  for (const [target, api] of [['b', 'stream'], ['b-request', 'request'], ['b-fastify', 'fastify']] as const) {
    if (!options.targets.includes(target)) continue;
    const profiled = target === 'b' && options.profile;
    const nodeArgs = profiled ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, 'b')}`] : [];
    bares.set(target, await run.fork(`bare-proxy-${api}`, 'bare-proxy', ['--upstream', upstreamOrigin, '--api', api], {}, nodeArgs));
  }
  const { child: loader } = await run.fork('load-generator', 'load-generator');

  const specs = new Map<Target, LoadSpec>();
  const base = { method: options.requestBytes > 0 ? 'POST' : 'GET', requestBytes: options.requestBytes, concurrency: options.concurrency, warmupMs: options.warmupMs, durationMs: options.durationMs } as const;
  specs.set('a', { ...base, origin: upstreamOrigin, path: UPSTREAM_PATH, headers: { 'x-api-key': API_KEY } });
  for (const [target, bare] of bares) specs.set(target, { ...base, origin: `http://127.0.0.1:${bare.port}`, path: UPSTREAM_PATH, headers: { 'x-api-key': API_KEY } });

  const servers = new Map<Target, SwitchboardProcess>();
  for (const target of ['c', 'c-info', 'c-compare'] as const) {
    if (!options.targets.includes(target)) continue;
    const profiled = target === 'c' && options.profile;
    // The other checkout gets a database of its own: its migrations may differ.
    const env = databaseEnv(target === 'c-compare' ? await benchDatabase(run, options.database) : database);
    const server = await startSwitchboard(run, `switchboard-${target}`, {
      dataDir: join(run.dir, `data-${target}`),
      env: { ...env, LOG_LEVEL: target === 'c-info' ? 'info' : 'warn' },
      nodeArgs: [...options.nodeArgs, ...(profiled ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, 'c')}`] : [])],
      sandbox: false,
      ...(target === 'c-compare' && { checkout: options.compare }),
    });
    servers.set(target, server);
    specs.set(target, { ...base, origin: server.url, ...(await connectBenchAccount(server, upstreamOrigin)) });
  }

  // One request per target first: each must answer 200 with the upstream's body.
  for (const target of options.targets) {
    const check = await runLoad(loader, { ...specs.get(target)!, concurrency: 1, warmupMs: 0, durationMs: 3000 });
    if (check.statuses['200'] === undefined || check.firstFailure !== undefined) {
      throw new Error(`${LABELS[target]}: the check request failed: ${check.firstFailure ?? JSON.stringify(check.statuses)}`);
    }
    if (check.responseBytes !== options.bodyBytes) {
      throw new Error(`${LABELS[target]}: the check request read ${check.responseBytes} body bytes, the upstream sends ${options.bodyBytes}`);
    }
  }

  // The process each target measures: the upstream itself for (a), the proxy for the others.
  const serverPid = (target: Target) => (target === 'a' ? upstream.child : (bares.get(target)?.child ?? servers.get(target)!.child)).process.pid;
  const cpuNow = (target: Target) => ({ server: processCpuMs(serverPid(target)), upstream: processCpuMs(upstream.child.process.pid), loader: processCpuMs(loader.process.pid) });
  const used = (after: number | undefined, before: number | undefined) => (after !== undefined && before !== undefined ? after - before : undefined);

  const results: RoundResult[] = [];
  for (let round = 1; round <= options.rounds; round += 1) {
    for (const target of inTurn(options.targets, round)) {
      const before = cpuNow(target);
      const startedAt = performance.now();
      const result = await runLoad(loader, specs.get(target)!);
      const wallMs = performance.now() - startedAt;
      const after = cpuNow(target);
      const cpuMs = { server: used(after.server, before.server), upstream: used(after.upstream, before.upstream), loader: used(after.loader, before.loader) };
      results.push({ ...result, round, loop: 'closed', target, cpuMs, wallMs });
      process.stdout.write(
        `round ${round}/${options.rounds} ${LABELS[target].padEnd(36)} ${int(result.rps).padStart(7)} req/s  p50 ${ms(result.p50)} ms  p99 ${ms(result.p99)} ms${failures(result) ? `  NON-200: ${JSON.stringify(result.statuses)}` : ''}\n`,
      );
    }
  }

  // Open loop: a fixed offered load at a share of the bare proxy's capacity, so queueing cannot hide latency.
  const openTargets = options.targets.filter((target) => target === 'b' || target === 'c');
  let offered: number | undefined;
  if (options.openLoopShare > 0 && openTargets.includes('b')) {
    offered = Math.round(options.openLoopShare * median(results.filter((r) => r.target === 'b').map((r) => r.rps)));
    process.stdout.write(`\nopen loop: ${int(offered)} req/s offered (${options.openLoopShare} × (b)'s median throughput)\n`);
    for (let round = 1; round <= options.rounds; round += 1) {
      for (const target of inTurn(openTargets, round)) {
        const before = cpuNow(target);
        const startedAt = performance.now();
        const result = await runLoad(loader, { ...specs.get(target)!, rate: offered });
        const wallMs = performance.now() - startedAt;
        const after = cpuNow(target);
        const cpuMs = { server: used(after.server, before.server), upstream: used(after.upstream, before.upstream), loader: used(after.loader, before.loader) };
        results.push({ ...result, round, loop: 'open', target, cpuMs, wallMs });
        process.stdout.write(
          `round ${round}/${options.rounds} open ${LABELS[target].padEnd(31)} ${int(result.rps).padStart(7)} req/s  p50 ${ms(result.p50)} ms  p99 ${ms(result.p99)} ms${failures(result) ? `  NON-200: ${JSON.stringify(result.statuses)}` : ''}\n`,
        );
      }
    }
  }

  const catalog = options.integrations > 0 && servers.has('c') ? await catalogPhase(run, servers.get('c')!, loader, upstreamOrigin) : undefined;
  if (catalog) process.stdout.write(`\n${catalog.text}\n${values.markdown ? `\n${catalog.markdown}\n` : ''}`);
  const report = summarise(results.filter((result) => result.loop === 'closed'), results.filter((result) => result.loop === 'open'), offered);
  process.stdout.write(`\n${report.text}\n`);
  if (values.markdown) process.stdout.write(`\n${report.markdown}\n`);
  if (values.json) {
    writeFileSync(values.json, `${JSON.stringify({ machine, options, results, medians: report.medians, comparisons: report.comparisons, catalog: catalog && { routes: catalog.routes, proxy: catalog.proxy } }, null, 2)}\n`);
    process.stdout.write(`\nresults written to ${values.json}\n`);
  }

  if (options.profile) {
    // Each profile is written when its process exits: Switchboard exits 0 on SIGTERM after closing, and so does (b).
    const profiles = new Map<'b' | 'c', { summary: ProfileSummary; requests: number }>();
    for (const target of ['c', 'b'] as const) {
      const child = target === 'c' ? servers.get('c')?.child : bares.get('b')?.child;
      if (!child) continue;
      const how = await run.stop(child, 30_000);
      const dir = join(profileDir, target);
      const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
      if (!file) throw new Error(`no .cpuprofile in ${dir} (${LABELS[target]} exited: ${how})`);
      const kept = join(repoRoot, 'bench/dist/profiles', `${target === 'c' ? 'switchboard' : 'bare-proxy'}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
      mkdirSync(join(repoRoot, 'bench/dist/profiles'), { recursive: true });
      copyFileSync(join(dir, file), kept);
      // Only the target's measured windows: no start-up, set-up or warm-up.
      const measured = results.filter((result) => result.target === target);
      const requests = measured.reduce((sum, result) => sum + result.requests, 0);
      profiles.set(target, { summary: summariseCpuProfile(kept, Number.POSITIVE_INFINITY, measured.map((result) => result.windowUs)), requests });
      process.stdout.write(`\nCPU profile of ${LABELS[target]}, kept at ${kept} (open it in Chrome DevTools → Performance)\n`);
    }
    process.stdout.write(`note: the profiled targets ran under the profiler in this run; their figures above include its overhead\n\n`);
    const c = profiles.get('c');
    const b = profiles.get('b');
    if (c) process.stdout.write(`${formatProfileSummary(topRows(c.summary, 15), c.requests)}\n`);
    if (c && b) process.stdout.write(`\n${formatProfileDifference(c, b, 15)}\n`);
  }

  const failed = results.filter(failures);
  if (failed.length > 0) {
    const detail = failed.map((result) => `round ${result.round} ${LABELS[result.target]}: ${JSON.stringify(result.statuses)}; first failure: ${result.firstFailure ?? '-'}`);
    throw new Error(`some answers were not 200:\n${detail.join('\n')}`);
  }
}

/** A custom integration's icon of a realistic size (about 2 KB of path data). */
const CATALOG_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="${Array.from({ length: 160 }, (_, i) => `M${i % 24} ${(i * 7) % 24}h1`).join('')}"/></svg>`;

/** What Chromium sends (packages/server/test/sdk-listing-encodings.test.ts): the SDK routes are timed as a browser gets them. */
const BROWSER_ACCEPT_ENCODING = 'gzip, deflate, br, zstd';

/** What one route's answer weighed on the wire the last time it was timed: coding and bytes sent, bytes decoded. */
const wireSizes = new Map<string, { coding: string; sent: number; decoded: number }>();

/**
 * How a serial timing reads the answer. `decoded`: fetch decodes it, as a browser does, so the time includes the
 * client's decoding. `as sent`: the bytes the server sent, read off the socket undecoded (node:http does not
 * decode), so the time is the server's and the wire's alone. `revalidated`: each request carries the answer's ETag
 * in If-None-Match, as Chromium does when it asks again (Cache-Control: no-cache), and must get 304.
 */
type Reading = 'decoded' | 'as sent' | 'revalidated';

/** Serial p50 of GET `url`, ms, over `count` requests after a few unmeasured ones, asking for compression as a browser does. */
async function serialP50(url: string, token: string, reading: Reading, count = 100): Promise<number> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'accept-encoding': BROWSER_ACCEPT_ENCODING };
  if (reading === 'revalidated') headers['if-none-match'] = (await fetch(url, { headers })).headers.get('etag') ?? '';
  const expected = reading === 'revalidated' ? 304 : 200;
  const times: number[] = [];
  for (let i = 0; i < count + 10; i += 1) {
    const started = performance.now();
    const answer = reading === 'as sent' ? await getUndecoded(url, headers) : await fetchDecoded(url, headers);
    if (answer.status !== expected) throw new Error(`GET ${url} answered ${answer.status}, not ${expected}`);
    if (i >= 10) times.push(performance.now() - started);
    if (i === 0 && reading === 'decoded') wireSizes.set(url, { coding: answer.coding, sent: answer.sent, decoded: answer.bytes });
  }
  return median(times);
}

interface Answer {
  status: number;
  coding: string;
  /** Bytes on the wire (Content-Length when the server gave one) and bytes read. */
  sent: number;
  bytes: number;
}

async function fetchDecoded(url: string, headers: Record<string, string>): Promise<Answer> {
  const answer = await fetch(url, { headers });
  const body = await answer.arrayBuffer();
  return { status: answer.status, coding: answer.headers.get('content-encoding') ?? 'identity', sent: Number(answer.headers.get('content-length') ?? body.byteLength), bytes: body.byteLength };
}

/** Kept-alive connections, as fetch keeps them, so the readings differ only in the decoding. */
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });

function getUndecoded(url: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolveAnswer, reject) => {
    http
      .get(url, { headers, agent: keepAlive }, (answer) => {
        let bytes = 0;
        answer.on('data', (chunk: Buffer) => (bytes += chunk.length));
        answer.on('end', () => resolveAnswer({ status: answer.statusCode ?? 0, coding: String(answer.headers['content-encoding'] ?? 'identity'), sent: bytes, bytes }));
        answer.on('error', reject);
      })
      .on('error', reject);
  });
}

/**
 * --integrations N: the SDK routes and the proxy's two addressings, before and after the project gets N more
 * custom integrations (each with a 2 KB icon). The SDK routes are timed serially (p50); the proxy closed-loop.
 */
async function catalogPhase(run: BenchRun, server: SwitchboardProcess, loader: Child, upstreamOrigin: string) {
  void run;
  const project = readDevProject(server.dataDir);
  const token = await userToken(project, 'bench-user');
  const sdk = sdkUrl(server, project);
  const listed = (await call('GET', `${sdk}/integrations`, { bearer: token })).json<{ id: string; type: string }[]>();
  const integrationId = listed.find((integration) => integration.type === 'custom.bench')!.id;
  const customs = (await call('GET', `${server.url}/api/v1/projects/${project.projectId}/custom-integrations`, { bearer: project.secretKey })).json<{ id: string; slug: string }[]>();
  const customIntegrationId = customs.find((custom) => custom.slug === 'bench')!.id;
  const routes = ['/integrations', '/metadata', '/me'];
  // Each route as sent (the server's and the wire's share, which the goal is about) and decoded (what a browser
  // pays besides: its decoding grows with the catalog however the server answers), then the listing revalidated
  // (what a browser pays each time after the first while the catalog is unchanged).
  const timings: { label: string; url: string; reading: Reading; goal: boolean }[] = [
    ...routes.flatMap((route) => [
      { label: `GET /sdk${route}, as sent`, url: `${sdk}${route}`, reading: 'as sent' as const, goal: true },
      { label: `GET /sdk${route}, decoded as a browser does`, url: `${sdk}${route}`, reading: 'decoded' as const, goal: false },
    ]),
    { label: 'GET /sdk/integrations, revalidated (304)', url: `${sdk}/integrations`, reading: 'revalidated', goal: true },
  ];
  const sizes: string[] = [];
  const timeRoutes = async (integrations: number) => {
    const figures: number[] = [];
    for (const timing of timings) figures.push(await serialP50(timing.url, token, timing.reading));
    for (const route of routes) {
      const size = wireSizes.get(`${sdk}${route}`)!;
      sizes.push(`GET /sdk${route} at ${integrations} integrations: ${int(size.sent)} B sent (${size.coding}), ${int(size.decoded)} B decoded`);
    }
    return figures;
  };
  const proxyPaths = {
    'by type (custom.bench)': `/projects/${project.projectId}/sdk/proxy/custom.bench${UPSTREAM_PATH}`,
    'by integration id': `/projects/${project.projectId}/sdk/proxy/custom/${integrationId}${UPSTREAM_PATH}`,
    'by custom-integration id': `/projects/${project.projectId}/sdk/proxy/custom/${customIntegrationId}${UPSTREAM_PATH}`,
  };
  // Three rounds alternating the addressings, medians: machine noise hits all three alike.
  const timeProxy = async () => {
    const byPath = Object.values(proxyPaths).map(() => [] as number[]);
    for (let round = 0; round < 3; round += 1) {
      for (const [index, path] of Object.values(proxyPaths).entries()) {
        const result = await runLoad(loader, { method: 'GET', requestBytes: 0, concurrency: options.concurrency, warmupMs: 500, durationMs: 1500, origin: server.url, path, headers: { authorization: `Bearer ${token}` } });
        if (failures(result)) throw new Error(`proxy ${path}: ${JSON.stringify(result.statuses)} ${result.firstFailure ?? ''}`);
        byPath[index]!.push(result.rps);
      }
    }
    return byPath.map(median);
  };
  const before = listed.length;
  const routesBefore = await timeRoutes(before);
  const proxyBefore = await timeProxy();
  process.stdout.write(`\ndefining ${options.integrations} custom integrations…\n`);
  for (let i = 0; i < options.integrations; i += 1) {
    await createCustomIntegration(server, project, {
      slug: `catalog-${i}`,
      name: `Catalog API ${i}`,
      iconSvg: CATALOG_ICON,
      accentColor: '#334155',
      auth: { type: 'api-key', fields: [{ id: 'apiKey', label: 'API key', type: 'password', required: true, secret: true }] },
      apiBaseUrl: upstreamOrigin,
      apiAuthorization: 'X-Api-Key: {{apiKey}}',
      testEndpointUrl: '/ping',
    });
  }
  const after = before + options.integrations;
  const routesAfter = await timeRoutes(after);
  const proxyAfter = await timeProxy();
  keepAlive.destroy();
  const routeRows = timings.map((timing, i) => {
    const grown = routesAfter[i]! / routesBefore[i]!;
    return [timing.label, ms(routesBefore[i]!), ms(routesAfter[i]!), ratio(grown), timing.goal ? `≤ 1.50 ${grown <= 1.5 ? 'met' : 'MISSED'}` : ''];
  });
  const proxyRows = Object.keys(proxyPaths).map((name, i) => [`proxy ${name}`, int(proxyBefore[i]!), int(proxyAfter[i]!), ratio(proxyAfter[i]! / proxyBefore[i]!), '']);
  const byCustom = proxyAfter[2]! / proxyAfter[1]!;
  const header = ['', `${before} integrations`, `${after} integrations`, 'after/before', 'goal'];
  const rows = [...routeRows, ...proxyRows, ['proxy by custom-integration id / by integration id', '', ratio(byCustom), '', `≥ 0.90 ${byCustom >= 0.9 ? 'met' : 'MISSED'}`]];
  return {
    text: [`SDK routes (serial p50, ms; Accept-Encoding: ${BROWSER_ACCEPT_ENCODING}) and the proxy (req/s) as the catalog grows:`, table(header, rows), '', ...sizes].join('\n'),
    markdown: [markdownTable(header, rows), '', ...sizes.map((line) => `- ${line}`)].join('\n'),
    routes: Object.fromEntries(timings.map((timing, i) => [timing.label, { before: routesBefore[i], after: routesAfter[i] }])),
    proxy: Object.fromEntries(Object.keys(proxyPaths).map((name, i) => [name, { before: proxyBefore[i], after: proxyAfter[i] }])),
  };
}

/** The targets in the order round `round` runs them: each round starts one further along. */
function inTurn<T>(targets: readonly T[], round: number): T[] {
  const start = (round - 1) % targets.length;
  return [...targets.slice(start), ...targets.slice(0, start)];
}

function failures(result: LoadResult): boolean {
  return Object.keys(result.statuses).some((status) => status !== '200');
}

interface Medians {
  rps: number;
  p50: number;
  p99: number;
  max: number;
  /** CPU of the process under test per request, µs, and its share of one core during the run, %. */
  serverCpuUsPerRequest: number;
  serverCpuPercent: number;
  upstreamCpuPercent: number;
  loaderCpuPercent: number;
}

const cpuPerRequest = (result: RoundResult) => (result.cpuMs.server === undefined ? Number.NaN : (result.cpuMs.server * 1000) / result.allRequests);
const cpuPercent = (result: RoundResult, of: keyof RoundResult['cpuMs']) => {
  const value = result.cpuMs[of];
  return value === undefined ? Number.NaN : (value / result.wallMs) * 100;
};

function summarise(results: RoundResult[], openResults: RoundResult[] = [], offered?: number) {
  const targets = options.targets;
  const of = (target: Target) => results.filter((result) => result.target === target);
  const medians = new Map<Target, Medians>();
  for (const target of targets) {
    const rows = of(target);
    medians.set(target, {
      rps: median(rows.map((row) => row.rps)),
      p50: median(rows.map((row) => row.p50)),
      p99: median(rows.map((row) => row.p99)),
      max: median(rows.map((row) => row.max)),
      serverCpuUsPerRequest: median(rows.map(cpuPerRequest)),
      serverCpuPercent: median(rows.map((row) => cpuPercent(row, 'server'))),
      upstreamCpuPercent: median(rows.map((row) => cpuPercent(row, 'upstream'))),
      loaderCpuPercent: median(rows.map((row) => cpuPercent(row, 'loader'))),
    });
  }

  const header = ['target', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'non-200', 'CPU µs/req', 'CPU %', 'upstream CPU %', 'load gen CPU %'];
  const rows = targets.map((target) => {
    const m = medians.get(target)!;
    const bad = of(target).reduce((sum, row) => sum + row.requests - (row.statuses['200'] ?? 0), 0);
    return [LABELS[target], int(m.rps), ms(m.p50), ms(m.p99), ms(m.max), String(bad), int(m.serverCpuUsPerRequest), int(m.serverCpuPercent), int(m.upstreamCpuPercent), int(m.loaderCpuPercent)];
  });

  // Each comparison both ways: from the medians, and the median of the per-round comparisons.
  const comparisons: { name: string; ofMedians: number; perRoundMedian: number; format: (value: number) => string; goal?: string; met?: boolean }[] = [];
  const compare = (x: Target, y: Target) => {
    if (!targets.includes(x) || !targets.includes(y)) return;
    const mx = medians.get(x)!;
    const my = medians.get(y)!;
    const paired = (pick: (left: RoundResult, right: RoundResult) => number) =>
      median(
        of(x)
          .map((left) => {
            const right = of(y).find((candidate) => candidate.round === left.round);
            return right ? pick(left, right) : Number.NaN;
          })
          .filter(Number.isFinite),
      );
    // The goals are judged on the per-round comparisons: each pairs (b) and (c) measured seconds apart, while the
    // medians of each may come from rounds minutes apart, when the neighbours took another share of the machine.
    const goals = x === 'c' && y === 'b';
    const throughput = paired((l, r) => l.rps / r.rps);
    comparisons.push(
      { name: `${x}/${y} throughput`, ofMedians: mx.rps / my.rps, perRoundMedian: throughput, format: ratio, ...(goals && { goal: '≥ 0.80', met: throughput >= 0.8 }) },
      { name: `${x}−${y} p50, ms`, ofMedians: mx.p50 - my.p50, perRoundMedian: paired((l, r) => l.p50 - r.p50), format: signedMs },
      { name: `${x}−${y} p99, ms`, ofMedians: mx.p99 - my.p99, perRoundMedian: paired((l, r) => l.p99 - r.p99), format: signedMs },
    );
    if (x !== 'c' || y !== 'a') {
      const cpu = paired((l, r) => cpuPerRequest(l) / cpuPerRequest(r));
      comparisons.push({
        name: `${x}/${y} CPU per request`,
        ofMedians: mx.serverCpuUsPerRequest / my.serverCpuUsPerRequest,
        perRoundMedian: cpu,
        format: ratio,
        ...(goals && { goal: '≤ 1.30', met: cpu <= 1.3 }),
      });
    }
  };
  compare('c', 'b');
  compare('c', 'b-request');
  compare('b', 'a');
  compare('b-request', 'b');
  compare('b-fastify', 'b');
  compare('c', 'b-fastify');
  compare('c', 'a');
  compare('c-info', 'c');
  compare('c', 'c-compare');

  // Open loop: what (c) adds to (b)'s latency at the same offered load.
  const openOf = (target: Target) => openResults.filter((result) => result.target === target);
  const openHeader = ['open loop', 'offered req/s', 'answered req/s', 'p50 ms', 'p99 ms', 'max ms', 'non-200', 'CPU µs/req'];
  const openRows = (['b', 'c'] as const)
    .filter((target) => openOf(target).length > 0)
    .map((target) => {
      const rows = openOf(target);
      const bad = rows.reduce((sum, row) => sum + row.requests - (row.statuses['200'] ?? 0), 0);
      return [LABELS[target], int(offered ?? Number.NaN), int(median(rows.map((r) => r.rps))), ms(median(rows.map((r) => r.p50))), ms(median(rows.map((r) => r.p99))), ms(median(rows.map((r) => r.max))), String(bad), int(median(rows.map(cpuPerRequest)))];
    });
  if (openOf('b').length > 0 && openOf('c').length > 0) {
    const pairedOpen = (pick: (c: RoundResult, b: RoundResult) => number) =>
      median(openOf('c').map((c) => { const b = openOf('b').find((candidate) => candidate.round === c.round); return b ? pick(c, b) : Number.NaN; }).filter(Number.isFinite));
    const ofMedians = (pick: (result: RoundResult) => number) => median(openOf('c').map(pick)) - median(openOf('b').map(pick));
    const p50 = pairedOpen((c, b) => c.p50 - b.p50);
    const p99 = pairedOpen((c, b) => c.p99 - b.p99);
    comparisons.push(
      { name: 'open loop: c−b p50, ms', ofMedians: ofMedians((r) => r.p50), perRoundMedian: p50, format: signedMs, goal: '≤ +0.50', met: p50 <= 0.5 },
      { name: 'open loop: c−b p99, ms', ofMedians: ofMedians((r) => r.p99), perRoundMedian: p99, format: signedMs, goal: '≤ +1.50', met: p99 <= 1.5 },
    );
  }

  // How much the machine itself moves: the bare proxy's figures from round to round, which no change to
  // Switchboard affects. Read a goal's per-round figure against them: a 1.5 ms p99 goal means little on a machine
  // whose bare proxy moves by tens of milliseconds from round to round.
  const noise: string[] = [];
  const spread = (values: number[]) => {
    const sorted = [...values].sort((l, r) => l - r);
    return { low: sorted[0]!, high: sorted[sorted.length - 1]!, q1: percentile(sorted, 0.25), q3: percentile(sorted, 0.75) };
  };
  const closedB = results.filter((result) => result.target === 'b');
  if (closedB.length > 1) {
    const { low, high, q1, q3 } = spread(closedB.map((result) => result.rps));
    noise.push(`the machine: (b)'s closed-loop throughput ran from ${int(low)} to ${int(high)} req/s per round (middle half ${int(q1)} to ${int(q3)})`);
  }
  if (openOf('b').length > 1) {
    const { low, high, q1, q3 } = spread(openOf('b').map((result) => result.p99));
    noise.push(`the machine: (b)'s open-loop p99 ran from ${ms(low)} to ${ms(high)} ms per round (middle half ${ms(q1)} to ${ms(q3)})`);
  }

  const comparisonHeader = ['comparison', 'of medians', 'median per round', 'goal'];
  const comparisonRows = comparisons.map((c) => [c.name, c.format(c.ofMedians), c.format(c.perRoundMedian), c.goal ? `${c.goal} ${c.met ? 'met' : 'MISSED'}` : '']);

  const roundHeader = ['round', ...targets.flatMap((target) => [`${target} req/s`, `${target} p50`, `${target} p99`])];
  const roundRows = [...new Set(results.map((result) => result.round))].map((round) => [
    String(round),
    ...targets.flatMap((target) => {
      const result = results.find((candidate) => candidate.round === round && candidate.target === target);
      return result ? [int(result.rps), ms(result.p50), ms(result.p99)] : ['-', '-', '-'];
    }),
  ]);

  const text = [
    'medians over rounds (closed loop):',
    table(header, rows),
    '',
    ...(openRows.length > 0 ? ['medians over rounds (open loop):', table(openHeader, openRows), ''] : []),
    table(comparisonHeader, comparisonRows),
    ...noise,
    '',
    'per round (ms):',
    table(roundHeader, roundRows),
  ].join('\n');
  const markdown = [markdownTable(header, rows), '', ...(openRows.length > 0 ? [markdownTable(openHeader, openRows), ''] : []), markdownTable(comparisonHeader, comparisonRows), '', ...noise.map((line) => `- ${line}`), ...(noise.length > 0 ? [''] : []), markdownTable(roundHeader, roundRows)].join('\n');
  return {
    text,
    markdown,
    medians: Object.fromEntries(medians),
    comparisons: comparisons.map(({ format: _format, ...rest }) => rest),
  };
}

const run = new BenchRun('proxy', values.keep);
await runBench(run, () => main(run));
