/**
 * The sandbox for a workflow `function` step: the user's JavaScript runs in QuickJS (compiled to WebAssembly) inside
 * a worker thread, never in the server's own isolate. QuickJS enforces the memory limit and the deadline; the worker
 * thread contains a fault of QuickJS itself; the server terminates a worker that misses its deadline as the last
 * resort. A few warm workers are kept; each call gets a fresh QuickJS runtime, so calls share nothing.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
// Types only: loading the worker's module here would start QuickJS in the server's isolate.
import type { FunctionErrorCode, WorkerOutcome, WorkerReady, WorkerReply, WorkerRequest } from './function-worker.js';

export type { FunctionErrorCode } from './function-worker.js';

export interface FunctionLimits {
  /** Wall-clock time for the function, its promises included. */
  timeoutMs: number;
  /** Memory for the function's values (heap, strings, objects), on top of QuickJS's own 16 MiB. */
  memoryBytes: number;
}

export type FunctionResult =
  | { ok: true; output: unknown; logs: string[] }
  | { ok: false; error: { code: FunctionErrorCode; message: string }; logs: string[] };

/** The limits a function step runs with unless the caller narrows or widens them (within FUNCTION_LIMITS_MIN and FUNCTION_LIMITS_MAX). */
export const FUNCTION_LIMITS_DEFAULT: Readonly<FunctionLimits> = { timeoutMs: 5_000, memoryBytes: 64 * 1024 * 1024 };
export const FUNCTION_LIMITS_MIN: Readonly<FunctionLimits> = { timeoutMs: 1, memoryBytes: 1024 * 1024 };
export const FUNCTION_LIMITS_MAX: Readonly<FunctionLimits> = { timeoutMs: 60_000, memoryBytes: 256 * 1024 * 1024 };
/** The largest output, as UTF-8 JSON; a step's output is stored with the run. */
export const FUNCTION_OUTPUT_MAX_BYTES = 1024 * 1024;
/** `console` lines kept per call, and characters per line; further lines are counted, not kept. */
export const FUNCTION_LOG_MAX_LINES = 100;
export const FUNCTION_LOG_MAX_LINE_CHARS = 1_000;
/** Warm workers: one per core, at most two (QuickJS runs one call at a time per worker). */
const POOL_SIZE = Math.min(2, availableParallelism());
/** How long past a call's own deadline the server waits before terminating the worker. */
const TERMINATE_GRACE_MS = 1_000;
/** The worker's own V8 heap (QuickJS's memory is WebAssembly memory, bounded by the runtime's limit). */
const WORKER_RESOURCE_LIMITS = { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 16, codeRangeSizeMb: 16, stackSizeMb: 4 };

/** Runs `code`, the source of a function of `input`, in the sandbox; its result is the output. */
export async function runFunction(code: string, input: unknown, limits: Partial<FunctionLimits> = {}): Promise<FunctionResult> {
  const { timeoutMs, memoryBytes } = checkLimits(limits);
  let inputJson: string | undefined;
  try {
    inputJson = JSON.stringify(input);
  } catch (error) {
    return { ok: false, error: { code: 'FUNCTION_ERROR', message: `The input is not JSON: ${(error as Error).message}` }, logs: [] };
  }
  const request: Omit<WorkerRequest, 'id'> = {
    code,
    ...(inputJson === undefined ? {} : { inputJson }),
    timeoutMs,
    memoryBytes,
    maxOutputBytes: FUNCTION_OUTPUT_MAX_BYTES,
    maxLogLines: FUNCTION_LOG_MAX_LINES,
    maxLogLineChars: FUNCTION_LOG_MAX_LINE_CHARS,
  };
  const reply = await pool.run(request);
  if (!reply.ok) return { ok: false, error: reply.error, logs: reply.logs };
  return { ok: true, output: JSON.parse(reply.outputJson) as unknown, logs: reply.logs };
}

/** Stops the warm workers (the server's shutdown); a later call starts new ones. */
export async function closeFunctionSandbox(): Promise<void> {
  await pool.close();
}

function checkLimits(limits: Partial<FunctionLimits>): FunctionLimits {
  const checked = { ...FUNCTION_LIMITS_DEFAULT, ...limits };
  for (const key of ['timeoutMs', 'memoryBytes'] as const) {
    const value = checked[key];
    if (!Number.isInteger(value) || value < FUNCTION_LIMITS_MIN[key] || value > FUNCTION_LIMITS_MAX[key]) {
      throw new RangeError(`${key} must be a whole number from ${FUNCTION_LIMITS_MIN[key]} to ${FUNCTION_LIMITS_MAX[key]}, not ${value}`);
    }
  }
  return checked;
}

type CallOutcome = WorkerOutcome & { logs: string[] };

class WorkerPool {
  private readonly idle: Worker[] = [];
  private readonly waiting: Array<(worker: Promise<Worker>) => void> = [];
  private readonly all = new Set<Worker>();
  private starting = 0;
  private nextId = 1;

  async run(request: Omit<WorkerRequest, 'id'>): Promise<CallOutcome> {
    const worker = await this.acquire();
    const id = this.nextId++;
    worker.ref();
    return new Promise<CallOutcome>((resolve) => {
      const settle = (outcome: CallOutcome, keep: boolean) => {
        clearTimeout(timer);
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        if (keep) this.release(worker);
        else this.retire(worker);
        resolve(outcome);
      };
      const onMessage = (reply: WorkerReply) => {
        if (reply.id !== id) return;
        const { id: _id, spent, ...outcome } = reply;
        settle(outcome, !spent);
      };
      const onError = (error: Error & { code?: string }) => {
        const memory = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
        settle(
          memory
            ? { ok: false, error: { code: 'FUNCTION_MEMORY', message: `The function used more memory than its sandbox allows.` }, logs: [] }
            : { ok: false, error: { code: 'FUNCTION_ERROR', message: 'The sandbox stopped unexpectedly.' }, logs: [] },
          false,
        );
      };
      const onExit = () => settle({ ok: false, error: { code: 'FUNCTION_ERROR', message: 'The sandbox stopped unexpectedly.' }, logs: [] }, false);
      // QuickJS checks its deadline as it runs; this covers a worker that stops answering altogether.
      const timer = setTimeout(
        () => settle({ ok: false, error: { code: 'FUNCTION_TIMEOUT', message: `The function ran longer than ${request.timeoutMs} ms.` }, logs: [] }, false),
        request.timeoutMs + TERMINATE_GRACE_MS,
      );
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.postMessage({ ...request, id } satisfies WorkerRequest);
    });
  }

  async close(): Promise<void> {
    const workers = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private acquire(): Promise<Worker> {
    const worker = this.idle.pop();
    if (worker) return Promise.resolve(worker);
    if (this.all.size + this.starting < POOL_SIZE) return this.start();
    return new Promise<Promise<Worker>>((resolve) => this.waiting.push(resolve)).then((next) => next);
  }

  /** A worker is handed to the next waiting call, or kept warm without holding the process open. */
  private release(worker: Worker): void {
    const next = this.waiting.shift();
    if (next) return next(Promise.resolve(worker));
    worker.unref();
    this.idle.push(worker);
  }

  /** A worker that hit a limit (or failed) is replaced: its QuickJS memory may be grown or its state unknown. */
  private retire(worker: Worker): void {
    this.all.delete(worker);
    void worker.terminate();
    const next = this.waiting.shift();
    if (next) next(this.start());
  }

  private async start(): Promise<Worker> {
    this.starting++;
    try {
      const worker = new Worker(await workerEntry(), {
        resourceLimits: WORKER_RESOURCE_LIMITS,
        // Nothing of the server's environment or flags reaches the sandbox's thread.
        env: {},
        execArgv: [],
        // The worker writes nothing; should QuickJS's runtime print, it does not reach the server's stdout.
        stdout: true,
      });
      worker.stdout.resume();
      await new Promise<void>((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        const onExit = (code: number) => reject(new Error(`The function sandbox's worker exited with ${code} while starting.`));
        worker.once('error', onError).once('exit', onExit).once('message', (message: unknown) => {
          worker.off('error', onError).off('exit', onExit);
          if (message === ('ready' satisfies WorkerReady)) resolve();
          else reject(new Error("The function sandbox's worker did not start."));
        });
      });
      this.all.add(worker);
      // A warm worker that fails while idle (it should not) is dropped, not handed a call, and cannot take the server
      // down with an unheard 'error'.
      worker.on('error', () => {});
      worker.once('exit', () => {
        this.all.delete(worker);
        const index = this.idle.indexOf(worker);
        if (index >= 0) this.idle.splice(index, 1);
      });
      return worker;
    } catch (error) {
      // The next waiting call tries again, so a failure to start reaches every waiting caller rather than hanging.
      const next = this.waiting.shift();
      if (next) queueMicrotask(() => next(this.start()));
      throw error;
    } finally {
      this.starting--;
    }
  }
}

const pool = new WorkerPool();

let entry: Promise<URL> | undefined;

/**
 * The worker's script: function-worker.js beside this file once built (`npm start`). Running from the TypeScript
 * sources (vitest), Node 20 cannot start a .ts worker, so the entry is compiled once with the workspace's TypeScript
 * into node_modules/.cache, where its packages resolve as they do from src/.
 */
function workerEntry(): Promise<URL> {
  entry ??= import.meta.url.endsWith('.ts') ? compileFromSource() : Promise.resolve(new URL('./function-worker.js', import.meta.url));
  return entry;
}

async function compileFromSource(): Promise<URL> {
  const { default: ts } = await import('typescript');
  const source = await readFile(fileURLToPath(new URL('./function-worker.ts', import.meta.url)), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: 'function-worker.ts',
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
  });
  const hash = createHash('sha256').update(outputText).digest('hex').slice(0, 16);
  const file = fileURLToPath(new URL(`../../node_modules/.cache/switchboard/function-worker-${hash}.mjs`, import.meta.url));
  if (!existsSync(file)) {
    await mkdir(fileURLToPath(new URL('../../node_modules/.cache/switchboard/', import.meta.url)), { recursive: true });
    // Test files run in parallel processes: write aside and rename, so none starts a half-written entry.
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, outputText);
    await rename(partial, file);
  }
  return pathToFileURL(file);
}
