/**
 * The worker thread behind a workflow `function` step (see function-sandbox.ts): it compiles QuickJS's WebAssembly
 * once and runs each request in a fresh QuickJS runtime with its own deadline, inside a WebAssembly instance whose
 * memory cannot grow past the request's limit. The user's code sees only QuickJS's standard built-ins, `console` and
 * its `input`; nothing of Node.
 *
 * This file imports no value from the repository (only packages and `node:`), so that the sandbox can compile it
 * on its own when it runs from the TypeScript sources.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { parentPort } from 'node:worker_threads';
import variantExport from '@jitl/quickjs-wasmfile-release-sync';
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';

export type FunctionErrorCode = 'FUNCTION_TIMEOUT' | 'FUNCTION_MEMORY' | 'FUNCTION_ERROR' | 'FUNCTION_OUTPUT_INVALID';

export interface WorkerRequest {
  id: number;
  code: string;
  /** The input as JSON, so that the function gets a copy; absent for `undefined`. */
  inputJson?: string;
  timeoutMs: number;
  memoryBytes: number;
  maxOutputBytes: number;
  maxLogLines: number;
  maxLogLineChars: number;
}

/** Posted once QuickJS is loaded, before any request is taken. */
export type WorkerReady = 'ready';

export type WorkerOutcome = { ok: true; outputJson: string } | { ok: false; error: { code: FunctionErrorCode; message: string } };

/** `spent`: the worker hit a limit or failed, and is replaced rather than given another call. */
export type WorkerReply = { id: number; spent: boolean; logs: string[] } & WorkerOutcome;

/** QuickJS's own call-stack limit, well inside the WebAssembly stack, so deep recursion is a RangeError. */
const MAX_STACK_BYTES = 512 * 1024;
const MAX_ERROR_CHARS = 1_000;
/** What QuickJS throws when an allocation would pass the runtime's memory limit. */
const OUT_OF_MEMORY = 'InternalError: out of memory';

/**
 * Runs inside QuickJS before the user's code: installs `console` (writing through the host's `emit`) and returns a
 * strict JSON serialiser, captured now so that the user's code cannot replace what it relies on.
 */
const PRELUDE = `(function (emit, maxChars) {
  const stringify = JSON.stringify, getPrototypeOf = Object.getPrototypeOf, isArray = Array.isArray;
  const ObjectPrototype = Object.prototype, StringCtor = String, isFinite = Number.isFinite;
  const format = (value) => {
    if (typeof value === 'string') return value;
    try { const json = stringify(value); return json === undefined ? StringCtor(value) : json; } catch { return StringCtor(value); }
  };
  const writer = (level) => (...args) => { emit(level, args.map(format).join(' ').slice(0, maxChars)); };
  globalThis.console = { log: writer('log'), info: writer('info'), debug: writer('debug'), warn: writer('warn'), error: writer('error') };
  return (result) => stringify(result, function (key, value) {
    const raw = this[key];
    const where = key === '' ? 'the result' : 'the value at "' + key + '"';
    if (raw === null || typeof raw === 'string' || typeof raw === 'boolean') return value;
    if (typeof raw === 'number') { if (isFinite(raw)) return value; throw new TypeError(where + ' is ' + raw + ', not a JSON number'); }
    if (typeof raw !== 'object') throw new TypeError(where + ' is ' + (typeof raw === 'undefined' ? 'undefined' : 'a ' + typeof raw) + ', not JSON');
    const prototype = getPrototypeOf(raw);
    if (isArray(raw) || prototype === ObjectPrototype || prototype === null) return value;
    throw new TypeError(where + ' is an instance of ' + ((prototype.constructor && prototype.constructor.name) || 'a class') + ', not a plain object');
  });
})`;

// Node loads the package's ES module, whose default export is the variant; its type declarations are the CommonJS
// ones, under which TypeScript sees the whole module as the default.
const variant = variantExport as unknown as QuickJSSyncVariant;
// The WebAssembly global, as far as this file uses it (the project's type libraries do not declare it).
declare const WebAssembly: {
  compile(bytes: Uint8Array): Promise<object>;
  Memory: new (descriptor: { initial: number; maximum: number }) => object;
};

const wasmModule = await WebAssembly.compile(await readFile(createRequire(import.meta.url).resolve('@jitl/quickjs-wasmfile-release-sync/wasm')));

const WASM_PAGE_BYTES = 64 * 1024;
/** QuickJS's own data and stack before any JavaScript runs: the instance starts with this, and the limit comes on top. */
const BASE_MEMORY_BYTES = 16 * 1024 * 1024;
let instance: { memoryBytes: number; quickjs: QuickJSWASMModule } | undefined;

/**
 * QuickJS's malloc limit cannot see the size of what it allocates in this build (it only refuses a single block
 * over the limit), so the memory limit is the WebAssembly memory's maximum: past it, every allocation fails. An
 * instance serves further requests with the same limit until one of them hits a limit.
 */
async function quickjsWithin(memoryBytes: number): Promise<QuickJSWASMModule> {
  if (instance?.memoryBytes === memoryBytes) return instance.quickjs;
  const wasmMemory = new WebAssembly.Memory({
    initial: BASE_MEMORY_BYTES / WASM_PAGE_BYTES,
    maximum: Math.ceil((BASE_MEMORY_BYTES + memoryBytes) / WASM_PAGE_BYTES),
  });
  // Typed through the variant's own option: the DOM and Node typings of WebAssembly.Memory differ (tsconfig.browser.json).
  const memory = wasmMemory as unknown as NonNullable<Parameters<typeof newVariant>[1]>['wasmMemory'];
  instance = { memoryBytes, quickjs: await newQuickJSWASMModuleFromVariant(newVariant(variant, { wasmModule, wasmMemory: memory })) };
  return instance.quickjs;
}

parentPort?.on('message', (request: WorkerRequest) => {
  void quickjsWithin(request.memoryBytes).then(
    (quickjs) => parentPort?.postMessage(run(quickjs, request)),
    (error: unknown) =>
      parentPort?.postMessage({ id: request.id, spent: true, logs: [], ok: false, error: { code: 'FUNCTION_ERROR', message: `The sandbox failed to start: ${String(error).slice(0, MAX_ERROR_CHARS)}` } } satisfies WorkerReply),
  );
});
parentPort?.postMessage('ready' satisfies WorkerReady);

function run(quickjs: QuickJSWASMModule, request: WorkerRequest): WorkerReply {
  const logs: string[] = [];
  let droppedLogs = 0;
  let interrupted = false;
  const deadline = Date.now() + request.timeoutMs;
  const runtime = quickjs.newRuntime();
  runtime.setMemoryLimit(request.memoryBytes);
  runtime.setMaxStackSize(MAX_STACK_BYTES);
  runtime.setInterruptHandler(() => (interrupted ||= Date.now() > deadline));
  const vm = runtime.newContext();
  const handles: QuickJSHandle[] = [];
  const keep = (handle: QuickJSHandle) => (handles.push(handle), handle);
  const finish = (outcome: WorkerOutcome, spent = false): WorkerReply => {
    if (droppedLogs > 0) logs.push(`… ${droppedLogs} more log lines dropped`);
    // A worker that hit a limit is retired whole: a runtime stopped mid-way may not free cleanly, so it is not tried.
    if (!spent) {
      try {
        for (const handle of handles.reverse()) if (handle.alive) handle.dispose();
        vm.dispose();
        runtime.dispose();
      } catch {
        spent = true;
      }
    }
    if (spent) instance = undefined;
    return { id: request.id, spent, logs, ...outcome };
  };
  const outOfMemory = () =>
    finish({ ok: false, error: { code: 'FUNCTION_MEMORY', message: `The function used more than ${request.memoryBytes} bytes of memory.` } }, true);
  const timedOut = () => finish({ ok: false, error: { code: 'FUNCTION_TIMEOUT', message: `The function ran longer than ${request.timeoutMs} ms.` } }, true);
  const failure = (error: QuickJSHandle) => {
    if (interrupted) return timedOut();
    const message = describeError(vm, error);
    error.dispose();
    return message === OUT_OF_MEMORY ? outOfMemory() : finish({ ok: false, error: { code: 'FUNCTION_ERROR', message } });
  };

  try {
    const emit = keep(
      vm.newFunction('emit', (level, line) => {
        if (logs.length >= request.maxLogLines) droppedLogs++;
        else logs.push(((vm.getString(level) === 'log' ? '' : `${vm.getString(level)}: `) + vm.getString(line)).slice(0, request.maxLogLineChars));
      }),
    );
    const prelude = vm.evalCode(PRELUDE, 'prelude.js');
    if (prelude.error) return failure(prelude.error);
    const serialiser = vm.callFunction(keep(prelude.value), vm.undefined, emit, keep(vm.newNumber(request.maxLogLineChars)));
    if (serialiser.error) return failure(serialiser.error);
    keep(serialiser.value);

    const compiled = vm.evalCode(`(\n${request.code}\n)`, 'function.js');
    if (compiled.error) return failure(compiled.error);
    const fn = keep(compiled.value);
    if (vm.typeof(fn) !== 'function') return finish({ ok: false, error: { code: 'FUNCTION_ERROR', message: 'The code is not a function: it must be the source of a function of input.' } });

    let input = vm.undefined;
    if (request.inputJson !== undefined) {
      const parsed = vm.evalCode(`JSON.parse(${JSON.stringify(request.inputJson)})`, 'input.js');
      if (parsed.error) return failure(parsed.error);
      input = keep(parsed.value);
    }
    const called = vm.callFunction(fn, vm.undefined, input);
    if (called.error) return failure(called.error);
    const returned = keep(called.value);

    // Async functions settle through QuickJS's job queue; nothing outside can resolve them, so run it dry.
    for (;;) {
      const jobs = runtime.executePendingJobs();
      if (jobs.error) return failure(jobs.error);
      if (jobs.value === 0 || interrupted) break;
    }
    // An interrupted job may leave the promise pending or rejected; either way the deadline passed.
    if (interrupted) return timedOut();
    const state = vm.getPromiseState(returned);
    if (state.type === 'pending') {
      return finish({ ok: false, error: { code: 'FUNCTION_ERROR', message: 'The function returned a promise that never settles.' } });
    }
    if (state.type === 'rejected') return failure(state.error);
    const value = state.notAPromise ? returned : keep(state.value);

    const serialised = vm.callFunction(serialiser.value, vm.undefined, value);
    if (serialised.error) {
      if (interrupted) return failure(serialised.error);
      const message = describeError(vm, serialised.error);
      serialised.error.dispose();
      if (message === OUT_OF_MEMORY) return outOfMemory();
      return finish({ ok: false, error: { code: 'FUNCTION_OUTPUT_INVALID', message: `The result is not JSON: ${message.replace(/^TypeError: /, '')}` } });
    }
    const json = keep(serialised.value);
    if (vm.typeof(json) !== 'string') return finish({ ok: false, error: { code: 'FUNCTION_OUTPUT_INVALID', message: 'The result is not JSON.' } });
    const tooLarge = () => finish({ ok: false, error: { code: 'FUNCTION_OUTPUT_INVALID', message: `The result is larger than ${request.maxOutputBytes} bytes as JSON.` } });
    // Up to three UTF-8 bytes per UTF-16 unit: refuse before copying a string that cannot fit.
    if (vm.getNumber(keep(vm.getProp(json, 'length'))) > request.maxOutputBytes) return tooLarge();
    const outputJson = vm.getString(json);
    if (Buffer.byteLength(outputJson) > request.maxOutputBytes) return tooLarge();
    return finish({ ok: true, outputJson });
  } catch (error) {
    // A fault of QuickJS itself (not of the user's code): report it plainly and retire this worker.
    return finish({ ok: false, error: { code: interrupted ? 'FUNCTION_TIMEOUT' : 'FUNCTION_ERROR', message: `The sandbox failed: ${String(error).slice(0, MAX_ERROR_CHARS)}` } }, true);
  }
}

/** `Name: message` of what the code threw, without any stack. */
function describeError(vm: QuickJSContext, error: QuickJSHandle): string {
  let text: string;
  try {
    const dumped: unknown = vm.dump(error);
    if (dumped !== null && typeof dumped === 'object' && 'message' in dumped) {
      const { name, message } = dumped as { name?: unknown; message?: unknown };
      text = `${typeof name === 'string' && name !== '' ? name : 'Error'}: ${String(message)}`;
    } else {
      text = typeof dumped === 'string' ? dumped : JSON.stringify(dumped) ?? String(dumped);
    }
  } catch {
    text = 'The function threw a value that cannot be shown.';
  }
  return text.slice(0, MAX_ERROR_CHARS);
}
