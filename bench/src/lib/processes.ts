/**
 * The child processes of a bench run: each party (upstream, bare proxy, Switchboard, load generator) runs in a
 * process of its own, writes its output to a log file in the run's temp folder, and is stopped when the run
 * ends, fails or is interrupted (Ctrl-C).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root (bench/dist/lib/ → ../../..). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** A compiled bench script, by name (`upstream` → bench/dist/upstream.js). */
export const benchScript = (name: string) => fileURLToPath(new URL(`../${name}.js`, import.meta.url));

/** Messages a forked bench child sends its parent. */
export type ChildMessage = { type: 'ready'; port: number } | { type: 'result'; result: unknown } | { type: 'error'; message: string };

export interface Child {
  name: string;
  process: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (or signal name) once the process ended. */
  exited: Promise<string>;
}

const STOP_GRACE_MS = 10_000;

/** One bench run: a temp folder for logs and data, the children started, and their clean-up on every exit path. */
export class BenchRun {
  readonly dir: string;
  readonly #children: Child[] = [];
  readonly #cleanups: (() => Promise<void>)[] = [];
  #finishing: Promise<void> | undefined;
  /** Set by Ctrl-C (or SIGTERM): failures that follow are the interruption's, not the bench's. */
  interrupted = false;

  /** `keep`: leave the temp folder (logs, data dirs) in place even when the run succeeds. */
  constructor(
    label: string,
    private readonly keep = false,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `switchboard-bench-${label}-`));
    // A synchronous last resort: whatever is still running when this process exits is killed.
    process.on('exit', () => {
      for (const child of this.#children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    });
    const interrupted = (signal: NodeJS.Signals) => {
      this.interrupted = true;
      process.stderr.write(`\n${signal}: stopping the bench's processes…\n`);
      void this.finish(true).finally(() => process.exit(130));
    };
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
  }

  /** Runs after the children are stopped (e.g. dropping a Postgres schema); also on failure and Ctrl-C. */
  onCleanup(cleanup: () => Promise<void>): void {
    this.#cleanups.push(cleanup);
  }

  /**
   * Forks a compiled bench script with an IPC channel and waits for its `ready` message; `nodeArgs` e.g.
   * `--cpu-prof`; `wrapper`, a command that runs Node under it (valgrind and its flags), with the IPC channel kept.
   */
  async fork(name: string, script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = [], wrapper: string[] = []): Promise<{ child: Child; port: number }> {
    const logFile = join(this.dir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    const [execPath, ...wrapperArgs] = wrapper.length > 0 ? [...wrapper, process.execPath] : [process.execPath];
    const execArgv = [...wrapperArgs, ...process.execArgv, ...nodeArgs];
    const proc = fork(benchScript(script), args, { stdio: ['ignore', fd, fd, 'ipc'], env: { ...process.env, ...env }, execPath, execArgv });
    closeSync(fd);
    const child = this.#track(name, proc, logFile);
    const port = await new Promise<number>((resolve, reject) => {
      const onMessage = (message: ChildMessage) => {
        if (message.type === 'ready') resolve(message.port);
        if (message.type === 'error') reject(new Error(`${name}: ${message.message}`));
      };
      proc.on('message', onMessage);
      void child.exited.then((how) => reject(new Error(`${name} exited (${how}) before it was ready`)));
    });
    return { child, port };
  }

  /**
   * Starts a Node program (e.g. the Switchboard CLI) with its output to a log file, and an IPC channel it never
   * uses except to notice, through the preloaded exit-with-parent.js, that the bench died. `wrapper` as for fork().
   */
  spawnNode(name: string, nodeArgs: string[], env: NodeJS.ProcessEnv, wrapper: string[] = []): Child {
    const logFile = join(this.dir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    const [command, ...args] = [...wrapper, process.execPath, '--import', pathToFileURL(benchScript('lib/exit-with-parent')).href, ...nodeArgs];
    const proc = spawn(command!, args, { cwd: repoRoot, stdio: ['ignore', fd, fd, 'ipc'], env: { ...process.env, ...env } });
    closeSync(fd);
    return this.#track(name, proc, logFile);
  }

  #track(name: string, proc: ChildProcess, logFile: string): Child {
    const exited = new Promise<string>((resolve) => {
      proc.once('exit', (code, signal) => resolve(signal ?? `code ${code}`));
      proc.once('error', (error) => resolve(`spawn error: ${error.message}`));
    });
    const child: Child = { name, process: proc, logFile, exited };
    this.#children.push(child);
    return child;
  }

  /** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
  async stop(child: Child, graceMs = STOP_GRACE_MS): Promise<string> {
    if (child.process.exitCode === null && child.process.signalCode === null) {
      child.process.kill('SIGTERM');
      const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
      const how = await child.exited;
      clearTimeout(timer);
      return how;
    }
    return child.exited;
  }

  /** The last lines of every child's log, to show on failure. */
  logTails(lines = 40): string {
    return this.#children
      .map((child) => {
        const text = existsSync(child.logFile) ? readFileSync(child.logFile, 'utf8') : '';
        const tail = text.trimEnd().split('\n').slice(-lines).join('\n');
        const { exitCode, signalCode } = child.process;
        const state = exitCode === null && signalCode === null ? 'running' : `exited: ${signalCode ?? `code ${exitCode}`}`;
        return `--- ${child.name} (pid ${child.process.pid}, ${state}; ${child.logFile}), last ${lines} lines ---\n${tail || '(empty)'}`;
      })
      .join('\n');
  }

  /**
   * Stops every child (in reverse start order), runs the clean-ups, and removes the temp folder when the run
   * succeeded; on failure the folder stays so its logs can be read.
   */
  finish(succeeded: boolean): Promise<void> {
    this.#finishing ??= (async () => {
      for (const child of [...this.#children].reverse()) await this.stop(child).catch(() => undefined);
      for (const cleanup of this.#cleanups) {
        await cleanup().catch((error: unknown) => process.stderr.write(`clean-up failed: ${error instanceof Error ? error.message : String(error)}\n`));
      }
      if (succeeded && !this.keep) rmSync(this.dir, { recursive: true, force: true });
      else process.stderr.write(`Logs and data kept in ${this.dir}\n`);
    })();
    return this.#finishing;
  }
}

/** Runs `main`; on failure prints the error and the children's logs, and exits 1. Always cleans up. */
export async function runBench(run: BenchRun, main: () => Promise<void>): Promise<void> {
  try {
    await main();
    await run.finish(true);
    process.exit(0);
  } catch (error) {
    if (run.interrupted) return; // the signal handler finishes and exits
    process.stderr.write(`\nbench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n\n`);
    process.stderr.write(`${run.logTails()}\n`);
    await run.finish(false);
    process.exit(1);
  }
}

/** In a forked child: exit when the parent goes away, so nothing outlives a killed bench. */
export function exitWithParent(): void {
  process.on('disconnect', () => process.exit(0));
}

export function send(message: ChildMessage): void {
  process.send?.(message);
}
