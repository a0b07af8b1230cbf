/**
 * bench:refresh — one expired OAuth token, many concurrent proxied requests, several server processes on one
 * Postgres database: how many token requests reach the provider (the goal is exactly 1: in-process single-flight
 * plus the Postgres row lock across processes), and what the burst's latency is.
 *
 * Two `switchboard serve` processes share a fresh Postgres schema and a data dir (master key, dev project). A custom
 * OAuth integration points at server 1's sandbox provider; the bench user connects through it once. Each round:
 *   1. a baseline burst of N requests with a valid token (same spread, same connections; one more burst before
 *      the first round opens the connections and warms up);
 *   2. the credential's `expires_at` is set in the past (SQL, then a NOTIFY so the servers drop their cached rows),
 *      the sandbox's token stats are reset;
 *   3. the measured burst: N requests at once, alternating between the servers, every one finding the token
 *      expired; then the sandbox's token request count and Switchboard's recorded refreshes are read.
 * The schema is dropped afterwards, also on failure and Ctrl-C.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Pool } from 'undici';
import { exitOnHelp, REPORT_OPTIONS, wholeNumber } from './lib/args.js';
import { describeMachine, machineLine } from './lib/machine.js';
import { createScratchSchema } from './lib/postgres-schema.js';
import { BenchRun, runBench } from './lib/processes.js';
import { connectThroughPopup } from './lib/sandbox-consent.js';
import { int, markdownTable, median, ms, percentile, signedMs, table } from './lib/stats.js';
import {
  BENCH_ICON,
  call,
  createCustomIntegration,
  readDevProject,
  sdkUrl,
  startSwitchboard,
  userToken,
  type DevProject,
  type SwitchboardProcess,
} from './lib/switchboard.js';

const HELP = `npm run bench:refresh -- [options]
  --rounds N      rounds (default 5)
  --requests N    concurrent proxied requests per burst (default 500)
  --servers N     Switchboard processes sharing the database (default 2)
  --jobs          leave the background jobs on (pg-boss; its token sweep may refresh too); default off
  --markdown      also print the table as Markdown
  --json FILE     also write the results as JSON
  --keep          keep the temp folder with every process's log and the data dir
Postgres: DATABASE_URL, else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres
`;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    requests: { type: 'string', default: '500' },
    servers: { type: 'string', default: '2' },
    jobs: { type: 'boolean', default: false },
    ...REPORT_OPTIONS,
  },
});
exitOnHelp(values.help, HELP);
const options = {
  rounds: wholeNumber('rounds', values.rounds, HELP),
  requests: wholeNumber('requests', values.requests, HELP),
  servers: wholeNumber('servers', values.servers, HELP),
  jobs: values.jobs,
};

const APP_ORIGIN = 'http://localhost:5173';
const SLUG = 'benchoauth';
const SUB = 'bench-user';

interface Burst {
  statuses: Record<string, number>;
  /** Up to 5 distinct failures: request, status, body. */
  failures: string[];
  p50: number;
  p99: number;
  max: number;
}

interface RoundResult {
  round: number;
  baseline: Burst;
  burst: Burst;
  /** Token requests the sandbox provider answered during the measured burst. */
  tokenRequests: { refresh_token: number; total: number };
  /** `refreshed` events Switchboard recorded for the credential during the burst. */
  refreshesRecorded: number;
  credentialStatus: string;
}

const base = process.env.DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const shown = (url: string) => {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
};

// Postgres first: without it there is nothing to start, and one clear line says why.
const admin = new pg.Client({ connectionString: base, connectionTimeoutMillis: 5000 });
try {
  await admin.connect();
} catch (error) {
  process.stderr.write(
    `bench:refresh: cannot reach Postgres at ${shown(base)} (${error instanceof Error ? error.message || error.name : String(error)}); set DATABASE_URL or TEST_DATABASE_URL\n`,
  );
  process.exit(1);
}

async function main(run: BenchRun): Promise<void> {
  const machine = describeMachine();
  process.stdout.write(`bench:refresh\n${machineLine(machine)}\n`);

  // A fresh schema for this run; pg-boss (with --jobs) keeps its tables in a schema named after ours.
  const scratch = await createScratchSchema(base, 'sb_bench');
  const { schema } = scratch;
  run.onCleanup(async () => {
    await scratch.drop();
    await admin.end();
  });
  const databaseUrl = new URL(scratch.url);
  const postgresVersion = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?';
  process.stdout.write(
    `Postgres ${postgresVersion} at ${shown(base)}, schema ${schema}; ${options.servers} Switchboard processes (built CLI, shared data dir), LOG_LEVEL=warn, ` +
      `proxy rate limits off, background jobs ${options.jobs ? 'on' : 'off (SWITCHBOARD_JOBS=0)'}\n` +
      `${options.rounds} rounds of ${options.requests} concurrent proxied requests spread over the servers\n\n`,
  );

  // The first server alone (migrations, dev project, master key), then the others on the same database and data dir.
  const dataDir = join(run.dir, 'data');
  const env = { DATABASE_URL: databaseUrl.toString(), SWITCHBOARD_JOBS: options.jobs ? '1' : '0' };
  const servers: SwitchboardProcess[] = [];
  for (let index = 1; index <= options.servers; index += 1) servers.push(await startSwitchboard(run, `switchboard-${index}`, { dataDir, env }));
  const provider = servers[0]!;
  const project = readDevProject(dataDir);
  const token = await userToken(project, SUB);

  const credentialId = await connectOAuthAccount(provider, project, token);
  const path = `/projects/${project.projectId}/sdk/proxy/custom.${SLUG}/me`;
  const pools = servers.map((server) => new Pool(server.url, { connections: Math.ceil(options.requests / servers.length), keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 }));
  run.onCleanup(async () => {
    await Promise.all(pools.map((pool) => pool.destroy()));
  });
  for (const server of servers) {
    await call('GET', `${server.url}${path}`, { bearer: token }).catch((error: Error) => {
      throw new Error(`the first proxied request through ${server.name} failed: ${error.message}`);
    });
  }

  // One unmeasured burst: opens the connections and warms the servers up.
  await burst(pools, path, token);

  const results: RoundResult[] = [];
  for (let round = 1; round <= options.rounds; round += 1) {
    // Same spread and connections with a valid token: what the burst costs without a refresh.
    const baseline = await burst(pools, path, token);
    await admin.query(`UPDATE "${schema}".credentials SET expires_at = $1, refreshed_at = $2 WHERE id = $3`, [
      new Date(Date.now() - 60_000).toISOString(),
      new Date(Date.now() - 3_600_000).toISOString(),
      credentialId,
    ]);
    // Written behind the servers' backs: tell every instance to drop its cached lookups (docs/performance.md).
    await admin.query(`SELECT pg_notify('switchboard_cache', $1)`, [`${schema}\t*\t`]);
    // Notifications arrive asynchronously: give both servers a moment to hear it.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const since = new Date().toISOString();
    await call('POST', `${provider.url}/sandbox/_stats/reset`, { expected: [200, 204] });
    const measured = await burst(pools, path, token);
    const stats = (await call('GET', `${provider.url}/sandbox/_stats`)).json<{ tokenRequests: { refresh_token: number }; total: number }>();
    const events = await admin.query<{ count: string }>(
      `SELECT count(*) AS count FROM "${schema}".credential_events WHERE credential_id = $1 AND event = 'refreshed' AND created_at >= $2`,
      [credentialId, since],
    );
    const status = await admin.query<{ status: string }>(`SELECT status FROM "${schema}".credentials WHERE id = $1`, [credentialId]);
    const result: RoundResult = {
      round,
      baseline,
      burst: measured,
      tokenRequests: { refresh_token: stats.tokenRequests.refresh_token, total: stats.total },
      refreshesRecorded: Number(events.rows[0]?.count ?? 0),
      credentialStatus: status.rows[0]?.status ?? 'missing',
    };
    results.push(result);
    process.stdout.write(
      `round ${round}/${options.rounds}: ${result.tokenRequests.refresh_token} refresh token request(s) (${result.tokenRequests.total} in all), ` +
        `${result.refreshesRecorded} refresh(es) recorded, ${allOk(measured) ? `all ${options.requests} answered 200` : `answers ${JSON.stringify(measured.statuses)}`}, ` +
        `p99 ${ms(measured.p99)} ms (baseline ${ms(baseline.p99)} ms)\n`,
    );
    if (result.credentialStatus !== 'VALID') {
      throw new Error(`after round ${round} the credential is ${result.credentialStatus}: ${measured.failures.join('\n') || 'no failed answers'}`);
    }
  }

  const report = summarise(results);
  process.stdout.write(`\n${report.text}\n`);
  if (values.markdown) process.stdout.write(`\n${report.markdown}\n`);
  if (values.json) {
    writeFileSync(values.json, `${JSON.stringify({ machine, options, postgresVersion, results }, null, 2)}\n`);
    process.stdout.write(`\nresults written to ${values.json}\n`);
  }
  const failed = results.filter((result) => !allOk(result.burst) || !allOk(result.baseline));
  if (failed.length > 0) {
    const detail = failed.map((result) => `round ${result.round}: ${[...result.burst.failures, ...result.baseline.failures].join('\n  ')}`);
    throw new Error(`some answers were not 200:\n${detail.join('\n')}`);
  }
}

/** Custom OAuth integration on server 1's sandbox; the bench user connects through the real consent flow. */
async function connectOAuthAccount(provider: SwitchboardProcess, project: DevProject, token: string): Promise<string> {
  await createCustomIntegration(provider, project, {
    slug: SLUG,
    name: 'Bench OAuth',
    iconSvg: BENCH_ICON,
    accentColor: '#334155',
    auth: {
      type: 'oauth2',
      authorizeUrl: `${provider.url}/sandbox/auth`,
      tokenUrl: `${provider.url}/sandbox/token`,
      clientId: 'sandbox-client',
      clientSecret: 'sandbox-secret',
      scopes: ['openid', 'contacts'],
    },
    apiBaseUrl: `${provider.url}/sandbox/api`,
    apiAuthorization: 'Authorization: Bearer {{accessToken}}',
    testEndpointUrl: '/me',
    providerIdPath: 'id',
  });
  const sdk = sdkUrl(provider, project);
  const started = (await call('POST', `${sdk}/oauth/start`, { bearer: token, json: { integration: `custom.${SLUG}`, origin: APP_ORIGIN } })).json<{
    authorizationUrl: string;
    state: string;
    popupUrl: string;
  }>();
  const redirectUri = new URL(started.authorizationUrl).searchParams.get('redirect_uri')!;
  const callbackStatus = await connectThroughPopup({ ...started, origin: APP_ORIGIN, redirectUri });
  const outcome = (await call('GET', `${sdk}/oauth/${started.state}`, { bearer: token })).json<{ status: string; credentialId?: string; error?: unknown }>();
  if (outcome.status !== 'success' || !outcome.credentialId) {
    throw new Error(`the OAuth flow did not succeed: GET ${sdk}/oauth/${started.state} → ${JSON.stringify(outcome)}; callback page answered ${callbackStatus}`);
  }
  return outcome.credentialId;
}

/** `requests` proxied GETs at once, alternating between the servers; latency from send to the last body byte. */
async function burst(pools: Pool[], path: string, token: string): Promise<Burst> {
  const statuses: Record<string, number> = {};
  const failures: string[] = [];
  const latencies = await Promise.all(
    Array.from({ length: options.requests }, async (_, index) => {
      const pool = pools[index % pools.length]!;
      const sent = performance.now();
      let status = 'error';
      try {
        const answer = await pool.request({ path, method: 'GET', headers: { authorization: `Bearer ${token}` } });
        const body = await answer.body.text();
        status = String(answer.statusCode);
        if (answer.statusCode !== 200 && failures.length < 5) failures.push(`GET server ${(index % pools.length) + 1}${path} → ${answer.statusCode} ${body.slice(0, 500)}`);
      } catch (error) {
        if (failures.length < 5) failures.push(`GET server ${(index % pools.length) + 1}${path} → ${error instanceof Error ? error.message : String(error)}`);
      }
      statuses[status] = (statuses[status] ?? 0) + 1;
      return performance.now() - sent;
    }),
  );
  const sorted = Float64Array.from(latencies).sort();
  return { statuses, failures, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: percentile(sorted, 1) };
}

function allOk(burst: Burst): boolean {
  return Object.keys(burst.statuses).every((status) => status === '200');
}

function summarise(results: RoundResult[]) {
  const header = ['round', 'token requests', 'refreshes recorded', 'all 200', 'p50 ms', 'p99 ms', 'max ms', 'baseline p99 ms', 'p99 added ms'];
  const rows = results.map((result) => [
    String(result.round),
    `${result.tokenRequests.refresh_token}${result.tokenRequests.total !== result.tokenRequests.refresh_token ? ` (${result.tokenRequests.total} in all)` : ''}`,
    String(result.refreshesRecorded),
    allOk(result.burst) ? 'yes' : `no: ${JSON.stringify(result.burst.statuses)}`,
    ms(result.burst.p50),
    ms(result.burst.p99),
    ms(result.burst.max),
    ms(result.baseline.p99),
    signedMs(result.burst.p99 - result.baseline.p99),
  ]);
  const exactlyOne = results.filter((result) => result.tokenRequests.total === 1).length;
  const medianP99 = median(results.map((result) => result.burst.p99));
  const medianBaseline = median(results.map((result) => result.baseline.p99));
  const summary = [
    `rounds with exactly 1 token request: ${exactlyOne}/${results.length} (goal: all)`,
    `median p99 of the ${int(options.requests)} requests: ${ms(medianP99)} ms; with a valid token (baseline): ${ms(medianBaseline)} ms; ` +
      `ratio ${(medianP99 / medianBaseline).toFixed(2)}`,
  ].join('\n');
  return { text: `${table(header, rows)}\n\n${summary}`, markdown: `${markdownTable(header, rows)}\n\n${summary}` };
}

const run = new BenchRun('refresh', values.keep);
await runBench(run, () => main(run));
