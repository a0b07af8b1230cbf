import { afterAll, describe, expect, it } from 'vitest';
import { closeFunctionSandbox, FUNCTION_LOG_MAX_LINES, FUNCTION_OUTPUT_MAX_BYTES, runFunction } from './function-sandbox.js';

afterAll(closeFunctionSandbox);

describe('the function step sandbox', () => {
  it('returns a value computed from the input', async () => {
    const result = await runFunction('(input) => ({ total: input.items.reduce((sum, item) => sum + item.price, 0), who: input.who })', {
      items: [{ price: 3 }, { price: 4.5 }],
      who: 'ada',
    });
    expect(result).toEqual({ ok: true, output: { total: 7.5, who: 'ada' }, logs: [] });
  });

  it('gives the function a copy of its input', async () => {
    const input = { list: [1, 2] };
    const result = await runFunction('(input) => { input.list.push(3); return input.list; }', input);
    expect(result).toMatchObject({ ok: true, output: [1, 2, 3] });
    expect(input).toEqual({ list: [1, 2] });
  });

  it('awaits an async function and the promises it chains', async () => {
    const code = `async function (input) {
      const double = async (n) => { await null; return n * 2; };
      const values = await Promise.all(input.numbers.map(double));
      return await new Promise((resolve) => resolve({ values }));
    }`;
    expect(await runFunction(code, { numbers: [1, 2, 3] })).toEqual({ ok: true, output: { values: [2, 4, 6] }, logs: [] });
  });

  it('reports a thrown error as FUNCTION_ERROR with its message and no host stack', async () => {
    const result = await runFunction('(input) => { throw new Error("no order " + input.id); }', { id: 42 });
    expect(result).toEqual({ ok: false, error: { code: 'FUNCTION_ERROR', message: 'Error: no order 42' }, logs: [] });

    const rejected = await runFunction('async () => { await null; null.boom; }', {});
    expect(rejected.ok).toBe(false);
    if (rejected.ok) return;
    expect(rejected.error.code).toBe('FUNCTION_ERROR');
    expect(rejected.error.message).toMatch(/^TypeError: /);
    expect(rejected.error.message).not.toMatch(/\bat |node:|\.ts|\.js/);
  });

  it('reports code that does not compile, or is not a function, as FUNCTION_ERROR', async () => {
    const broken = await runFunction('(input) => {', {});
    expect(broken).toMatchObject({ ok: false, error: { code: 'FUNCTION_ERROR' } });
    if (!broken.ok) expect(broken.error.message).toMatch(/^SyntaxError: /);
    expect(await runFunction('42', {})).toMatchObject({ ok: false, error: { code: 'FUNCTION_ERROR', message: expect.stringContaining('not a function') } });
  });

  it('stops an endless loop with FUNCTION_TIMEOUT, and the next call still works', async () => {
    const result = await runFunction('() => { while (true) {} }', {}, { timeoutMs: 300 });
    expect(result).toEqual({ ok: false, error: { code: 'FUNCTION_TIMEOUT', message: 'The function ran longer than 300 ms.' }, logs: [] });
    expect(await runFunction('(input) => input + 1', 1)).toEqual({ ok: true, output: 2, logs: [] });
  });

  it('stops a function whose time goes to built-ins QuickJS cannot interrupt, by terminating its worker', async () => {
    // A thousand fills of three million elements run in C, too few steps of JavaScript for QuickJS to check its
    // deadline: only the server's own deadline (a second later) stops it.
    const code = '() => { const values = new Array(3e6).fill(0); for (let i = 0; i < 1000; i++) values.fill(i); return values[0]; }';
    expect(await runFunction(code, {}, { timeoutMs: 200 })).toEqual({
      ok: false,
      error: { code: 'FUNCTION_TIMEOUT', message: 'The function ran longer than 200 ms.' },
      logs: [],
    });
    expect(await runFunction('() => "next"', {})).toMatchObject({ ok: true, output: 'next' });
  });

  it('stops a promise loop that never yields with FUNCTION_TIMEOUT', async () => {
    const result = await runFunction('async () => { for (;;) await null; }', {}, { timeoutMs: 300 });
    expect(result).toMatchObject({ ok: false, error: { code: 'FUNCTION_TIMEOUT' } });
  });

  it('stops a function allocating about 1 GB with FUNCTION_MEMORY, and the server does not grow', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const growing = await runFunction('() => { const chunks = []; for (let i = 0; i < 1024; i++) chunks.push(new Array(1024 * 128).fill(i)); return chunks.length; }', {});
    expect(growing).toEqual({ ok: false, error: { code: 'FUNCTION_MEMORY', message: `The function used more than ${64 * 1024 * 1024} bytes of memory.` }, logs: [] });
    const string = await runFunction('() => "x".repeat(1000 * 1000 * 1000).length', {});
    expect(string).toMatchObject({ ok: false, error: { code: 'FUNCTION_MEMORY' } });
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(100 * 1024 * 1024);
    expect(await runFunction('() => "still here"', {})).toEqual({ ok: true, output: 'still here', logs: [] });
  });

  it('reports runaway recursion as FUNCTION_ERROR', async () => {
    const result = await runFunction('() => { const deeper = (n) => deeper(n + 1) + 1; return deeper(0); }', {});
    expect(result).toMatchObject({ ok: false, error: { code: 'FUNCTION_ERROR', message: "InternalError: stack overflow" } });
  });

  it('offers no require, process, fetch, timers or module loading', async () => {
    const code = `async () => {
      let imported;
      try { await import('node:fs'); imported = 'loaded'; } catch (error) { imported = 'refused'; }
      return {
        require: typeof require, process: typeof process, fetch: typeof fetch, setTimeout: typeof setTimeout,
        Buffer: typeof Buffer, globalThisProcess: typeof globalThis.process, imported,
      };
    }`;
    expect(await runFunction(code, {})).toEqual({
      ok: true,
      output: { require: 'undefined', process: 'undefined', fetch: 'undefined', setTimeout: 'undefined', Buffer: 'undefined', globalThisProcess: 'undefined', imported: 'refused' },
      logs: [],
    });
  });

  it('collects console output in logs, bounded in count and length', async () => {
    const result = await runFunction('(input) => { console.log("hello", input.name, { n: 1 }); console.error("bad", 2); return null; }', { name: 'ada' });
    expect(result).toEqual({ ok: true, output: null, logs: ['hello ada {"n":1}', 'error: bad 2'] });

    const flood = await runFunction('() => { for (let i = 0; i < 500; i++) console.log("x".repeat(5000)); return 1; }', {});
    expect(flood.ok).toBe(true);
    expect(flood.logs).toHaveLength(FUNCTION_LOG_MAX_LINES + 1);
    expect(flood.logs[0]).toHaveLength(1_000);
    expect(flood.logs.at(-1)).toBe(`… ${500 - FUNCTION_LOG_MAX_LINES} more log lines dropped`);
  });

  it('refuses a result that is not JSON with FUNCTION_OUTPUT_INVALID', async () => {
    for (const code of [
      '() => () => 1',
      '() => { const a = {}; a.self = a; return a; }',
      '() => ({ when: new Date(0) })',
      '() => ({ nested: { f() {} } })',
      '() => [1, undefined]',
      '() => NaN',
      '() => undefined',
      '() => new Map()',
    ]) {
      const result = await runFunction(code, {});
      expect(result, code).toMatchObject({ ok: false, error: { code: 'FUNCTION_OUTPUT_INVALID' } });
    }
  });

  it('refuses an output larger than the limit', async () => {
    const fits = await runFunction('(input) => "x".repeat(input.n)', { n: FUNCTION_OUTPUT_MAX_BYTES - 2 });
    expect(fits.ok).toBe(true);
    const tooLarge = await runFunction('(input) => "x".repeat(input.n)', { n: FUNCTION_OUTPUT_MAX_BYTES });
    expect(tooLarge).toEqual({
      ok: false,
      error: { code: 'FUNCTION_OUTPUT_INVALID', message: `The result is larger than ${FUNCTION_OUTPUT_MAX_BYTES} bytes as JSON.` },
      logs: [],
    });
  });

  it('keeps calls apart: nothing one function leaves on globalThis is seen by the next', async () => {
    await runFunction('() => { globalThis.leftover = "secret"; Array.prototype.sneaky = 1; return 1; }', {});
    expect(await runFunction('() => [typeof leftover, typeof [].sneaky]', {})).toMatchObject({ ok: true, output: ['undefined', 'undefined'] });
  });

  it('finishes many calls made at once, a timeout among them', async () => {
    const calls = Array.from({ length: 24 }, (_, i) => runFunction('async (input) => { await null; return input.i * input.i; }', { i }));
    calls.push(runFunction('() => { for (;;) {} }', {}, { timeoutMs: 200 }));
    const results = await Promise.all(calls);
    expect(results.slice(0, 24)).toEqual(Array.from({ length: 24 }, (_, i) => ({ ok: true, output: i * i, logs: [] })));
    expect(results[24]).toMatchObject({ ok: false, error: { code: 'FUNCTION_TIMEOUT' } });
  });

  it('refuses limits outside the documented range', async () => {
    await expect(runFunction('() => 1', {}, { timeoutMs: 0 })).rejects.toThrow(RangeError);
    await expect(runFunction('() => 1', {}, { memoryBytes: 10 * 1024 * 1024 * 1024 })).rejects.toThrow(/memoryBytes/);
  });
});
