import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './test-server.js';

const run = promisify(execFile);

/** Debian's Postgres 15 (what the machines have); POSTGRES_BIN overrides. */
const BIN = process.env.POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A throwaway Postgres cluster of the test's own, on its own port and socket folder, for tests that stop and start
 * the database (the shared one on 5432 stays untouched). Postgres refuses to run as root: as root, its commands run
 * as the `postgres` OS user.
 */
export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth, loopback only). */
  url: string;
  /** `pg_ctl stop -m fast`: open sessions are terminated, as in a real restart. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it at once if running and deletes its files; safe to call twice. */
  destroy(): Promise<void>;
}

function command(program: string, args: string[]): [string, string[]] {
  const path = join(BIN, program);
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-pg-'));
  const dataDir = join(dir, 'data');
  const port = await freePort();
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const pgCtl = (...args: string[]) => run(...command('pg_ctl', ['-D', dataDir, ...args]));
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;

  let destroyed = false;
  // The last resort if the test process exits without afterAll (a crash): no cluster is left running.
  const onExit = () => {
    try {
      execFileSync(...command('pg_ctl', ['-D', dataDir, '-m', 'immediate', 'stop']), { stdio: 'ignore' });
    } catch {
      // not running
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    process.off('exit', onExit);
    await pgCtl('-m', 'immediate', '-w', 'stop').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);

  try {
    await run(...command('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']));
    const start = async () => {
      await pgCtl('-l', join(dir, 'postgres.log'), '-o', options, '-w', 'start');
    };
    await start();
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      stop: async () => {
        await pgCtl('-m', 'fast', '-w', 'stop');
      },
      start,
      destroy,
    };
  } catch (error) {
    await destroy();
    throw error;
  }
}
