import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCounts } from '../../bench/src/lib/callgrind.js';

/** A dump in callgrind's format with name compression, as `valgrind --tool=callgrind` writes it for Node. */
const DUMP = `# callgrind format
version: 1
creator: callgrind-3.19.0
positions: line
events: Ir
summary: 0

ob=(1) /usr/bin/node
fl=(1) ???
fn=(1) Builtins_LoadIC
0 100
+2 50
cfl=(1)
cfn=(2) v8::internal::Scavenger::ScavengeObject(v8::internal::HeapObject)
calls=3 0
0 7000
fn=(3) v8::internal::compiler::GraphReducer::ReduceTop()
0 300
fn=(2)
0 40
-1 2
fn=(1)
* 8
fn=(4) 0x00001aa16e384040
0 1000

totals: 1500
`;

describe("the instruction counts read from callgrind's files", () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-callgrind-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sums each function its own cost, never a call line, and splits compiler, collector and the rest', () => {
    writeFileSync(join(dir, 'callgrind.c'), DUMP);
    // The dump made on request and the one written at exit both count.
    writeFileSync(join(dir, 'callgrind.c.1'), DUMP.replace('0 1000', '0 500'));
    writeFileSync(join(dir, 'callgrind.b'), DUMP);
    const once = { compiler: 300, collector: 42, rest: 100 + 50 + 8 + 1000 };
    expect(readCounts(join(dir, 'callgrind.c'))).toEqual({
      compiler: 2 * once.compiler,
      collector: 2 * once.collector,
      rest: 2 * once.rest - 500,
      total: 2 * (once.compiler + once.collector + once.rest) - 500,
    });
  });
});
