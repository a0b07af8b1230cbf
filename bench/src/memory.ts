/**
 * bench:memory — Switchboard's resident memory with many connected users and credentials in the database, while
 * proxied requests spread over a share of them: the lookup caches must stay bounded, so RSS levels off instead of
 * growing with the users served. Defaults are the issue's figure (100,000 users, 200,000 credentials, 1,000,000
 * requests over 10,000 users), which takes a long while on 2 cores; `--users`, `--credentials`, `--requests` and
 * `--active` scale it down. Setup writes the users and credentials straight into the database through the server's
 * own storage modules (lib/seed-accounts.ts: secrets sealed as a connect seals them), or with `--setup api` through
 * the SDK API as a customer's app would (POST /sdk/credentials, two accounts per user with allowMultipleCredentials,
 * about 130 users a second). The proxied requests always go through the API. RSS is read from /proc/<pid>/status
 * (VmRSS) of the Switchboard process. It prints figures; it asserts nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { usageError } from './lib/args.js';
import { API_KEY, defineBenchIntegration } from './lib/bench-account.js';
import { benchDatabase, databaseEnv } from './lib/bench-database.js';
import { describeMachine, machineLine } from './lib/machine.js';
import { BenchRun, runBench } from './lib/processes.js';
import { seedAccounts } from './lib/seed-accounts.js';
import { int, markdownTable, table } from './lib/stats.js';
import { call, readDevProject, sdkUrl, startSwitchboard, userToken } from './lib/switchboard.js';

const HELP = `npm run bench:memory -- [options]
  --users N         connected users created (default 100000)
  --credentials N   credentials created, spread over the users, at most 2 each (default 200000)
  --requests N      proxied requests after set-up (default 1000000)
  --active N        how many users those requests are spread over, round-robin (default 10000)
  --concurrency N   requests in flight (default 32)
  --setup HOW       direct (default): users and credentials written into the database through the server's storage
                    modules, secrets sealed as in production; api: connected through POST /sdk/credentials
  --database D      sqlite (default) or postgres: a fresh schema of DATABASE_URL, else TEST_DATABASE_URL, else
                    postgres://postgres@127.0.0.1:5432/postgres, dropped at the end
  --markdown        also print the table as Markdown
  --keep            keep the temp folder with the logs and the data dir
`;

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    credentials: { type: 'string', default: '200000' },
    requests: { type: 'string', default: '1000000' },
    active: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '32' },
    setup: { type: 'string', default: 'direct' },
    database: { type: 'string', default: 'sqlite' },
    markdown: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const count = (name: keyof typeof values) => {
  const parsed = Number(values[name]);
  if (!Number.isInteger(parsed) || parsed < 1) {
    process.stderr.write(`--${name} must be a positive integer\n${HELP}`);
    process.exit(1);
  }
  return parsed;
};
const options = {
  users: count('users'),
  credentials: Math.min(count('credentials'), 2 * count('users')),
  requests: count('requests'),
  active: Math.min(count('active'), count('users')),
  concurrency: count('concurrency'),
  setup: values.setup as 'direct' | 'api',
  database: values.database as 'sqlite' | 'postgres',
};
if (options.setup !== 'direct' && options.setup !== 'api') usageError('--setup must be direct or api', HELP);
if (options.database !== 'sqlite' && options.database !== 'postgres') usageError('--database must be sqlite or postgres', HELP);

/** Resident memory of a process, MiB. */
function rssMiB(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** Runs `total` tasks, `concurrency` at a time. */
async function inParallel(total: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await task(next++);
    }),
  );
}

async function main(run: BenchRun): Promise<void> {
  const db = await benchDatabase(run, options.database);
  process.stdout.write(`bench:memory\n${machineLine(describeMachine())}\n`);
  process.stdout.write(
    `${int(options.users)} users, ${int(options.credentials)} credentials (set up ${options.setup === 'direct' ? 'in the database' : 'through the API'}), ` +
      `then ${int(options.requests)} proxied requests over ${int(options.active)} of the users, ` +
      `${options.concurrency} in flight; Switchboard: the built CLI, ${db.line}, LOG_LEVEL=warn, rate limits off, background jobs off, no sandbox provider\n\n`,
  );
  const upstream = await run.fork('upstream', 'upstream', ['--body-bytes', '1024', '--api-key', API_KEY]);
  const server = await startSwitchboard(run, 'switchboard', {
    dataDir: join(run.dir, 'data'),
    env: { SWITCHBOARD_CREDENTIAL_INSTALLS_PER_MINUTE: '0', SWITCHBOARD_JOBS: '0', ...databaseEnv(db) },
    sandbox: false,
  });
  const pid = server.child.process.pid;
  const project = readDevProject(server.dataDir);
  await defineBenchIntegration(server, project, `http://127.0.0.1:${upstream.port}`);

  const pool = new Pool(server.url, { connections: options.concurrency, pipelining: 1 });
  const rows: string[][] = [];
  const note = (stage: string, seconds?: number) => {
    const rss = rssMiB(pid);
    rows.push([stage, rss.toFixed(0), seconds === undefined ? '' : seconds.toFixed(0)]);
    process.stdout.write(`${stage.padEnd(48)} RSS ${rss.toFixed(0).padStart(5)} MiB${seconds === undefined ? '' : `  (${seconds.toFixed(0)} s)`}\n`);
  };
  note('started, nothing set up');

  // Tokens of the active users are kept for the proxied phase; with `--setup api` the others are signed, used once and dropped.
  const sub = (index: number) => `memory-user-${index}`;
  const tokens: string[] = [];
  let started = performance.now();
  const quarter = Math.max(1, Math.floor(options.users / 4));
  const sdk = `/projects/${project.projectId}/sdk`;
  if (options.setup === 'direct') {
    const listed = (await call('GET', `${sdkUrl(server, project)}/integrations`, { bearer: await userToken(project, 'memory-admin') })).json<{ id: string; type: string }[]>();
    let noted = 0;
    await seedAccounts({
      dataDir: server.dataDir,
      databaseUrl: db.url,
      projectId: project.projectId,
      integrationId: listed.find((integration) => integration.type === 'custom.bench')!.id,
      users: options.users,
      credentials: options.credentials,
      sub,
      fields: { apiKey: API_KEY },
      progress: (users) => {
        for (; users >= (noted + 1) * quarter; noted += 1) note(`set up ${int((noted + 1) * quarter)} users`, (performance.now() - started) / 1000);
      },
    });
    for (let index = 0; index < options.active; index += 1) tokens[index] = await userToken(project, sub(index));
  } else {
    await inParallel(options.users, options.concurrency, async (index) => {
      const token = await userToken(project, sub(index));
      if (index < options.active) tokens[index] = token;
      const accounts = index < options.credentials - options.users ? 2 : 1;
      for (let account = 0; account < accounts; account += 1) {
        const answer = await pool.request({
          path: `${sdk}/credentials`,
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ integrationId: 'custom.bench', payload: { apiKey: API_KEY }, installOptions: { allowMultipleCredentials: true } }),
        });
        const text = await answer.body.text();
        if (answer.statusCode !== 201) throw new Error(`POST /sdk/credentials answered ${answer.statusCode}: ${text.slice(0, 500)}`);
      }
      if ((index + 1) % quarter === 0) note(`set up ${int(index + 1)} users`, (performance.now() - started) / 1000);
    });
  }
  note('set up done, before any proxied request');

  started = performance.now();
  const marks = new Set([0.1, 0.25, 0.5, 0.75, 1].map((share) => Math.round(share * options.requests)));
  let done = 0;
  let failed = 0;
  await inParallel(options.requests, options.concurrency, async (index) => {
    const answer = await pool.request({ path: `${sdk}/proxy/custom.bench/bench/items`, method: 'GET', headers: { authorization: `Bearer ${tokens[index % options.active]}` } });
    await answer.body.dump();
    if (answer.statusCode !== 200) failed += 1;
    done += 1;
    if (marks.has(done)) note(`after ${int(done)} proxied requests`, (performance.now() - started) / 1000);
  });
  await pool.close();

  const header = ['stage', 'RSS MiB', 'seconds'];
  process.stdout.write(`\n${table(header, rows)}\n`);
  if (values.markdown) process.stdout.write(`\n${markdownTable(header, rows)}\n`);
  if (failed > 0) throw new Error(`${failed} proxied requests did not answer 200`);
}

const run = new BenchRun('memory', values.keep);
await runBench(run, () => main(run));
