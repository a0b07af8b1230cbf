/**
 * Counting a process's instructions with valgrind's callgrind: a CPU figure that a shared, noisy machine does not
 * move, where time per call moves by a third from one round to the next. The process runs with instrumentation
 * off; `callgrind_control` turns it on for the measured window only, then dumps what was counted.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * valgrind names the pipe `callgrind_control` talks through after the user and host in its environment; the bench
 * gives the process under it and callgrind_control the same ones (HOST is also the address Switchboard binds).
 */
export const CALLGRIND_ENV = { USER: 'switchboard-bench', LOGNAME: 'switchboard-bench', HOST: '127.0.0.1' };

export async function valgrindVersion(): Promise<string | undefined> {
  return run('valgrind', ['--version']).then(
    ({ stdout }) => stdout.trim(),
    () => undefined,
  );
}

/** The command to run Node under, writing its counts to `outFile` (and `outFile.N` for each dump). */
export function callgrindWrapper(outFile: string): string[] {
  return ['valgrind', '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${outFile}`, `--vgdb-prefix=${join(dirname(outFile), 'vgdb')}`];
}

/** Turns counting on or off in the process `pid` (started with callgrindWrapper(outFile)). */
export async function setCounting(pid: number, outFile: string, on: boolean): Promise<void> {
  await control(pid, outFile, `--instr=${on ? 'on' : 'off'}`);
}

/** Writes what was counted so far to a dump file, and zeroes the counters. */
export async function dumpCounts(pid: number, outFile: string): Promise<void> {
  await control(pid, outFile, '--dump');
}

async function control(pid: number, outFile: string, action: string): Promise<void> {
  const { stdout } = await run('callgrind_control', [`--vgdb-prefix=${join(dirname(outFile), 'vgdb')}`, action, String(pid)], { env: { ...process.env, ...CALLGRIND_ENV } });
  if (!/OK/.test(stdout)) throw new Error(`callgrind_control ${action} ${pid}: ${stdout.trim()}`);
}

/** Instructions counted, split by who ran them. */
export interface InstructionCounts {
  total: number;
  /** V8 compiling JavaScript to machine code (TurboFan, Maglev, Sparkplug): depends on timing, not on the calls. */
  compiler: number;
  /** The garbage collector: scavenges, marking, sweeping, evacuation. */
  collector: number;
  /** Everything else: the code that answers the calls (JavaScript, Node's C++, the kernel entry points). */
  rest: number;
}

const COMPILER = /v8::internal::(compiler|maglev|baseline|turboshaft)::|v8::internal::(Compiler|OptimizingCompileDispatcher|Pipeline)\b/;
const COLLECTOR = /Scaveng|MarkCompact|MinorMarkSweep|Marking|Sweeper|Evacuat|heap::base::|cppgc::/;

/** Sums the self cost of every function in every file callgrind wrote to `outFile` and its dumps. */
export function readCounts(outFile: string): InstructionCounts {
  const counts: InstructionCounts = { total: 0, compiler: 0, collector: 0, rest: 0 };
  const dir = dirname(outFile);
  for (const file of readdirSync(dir).filter((name) => name === basename(outFile) || name.startsWith(`${basename(outFile)}.`))) {
    addSelfCosts(readFileSync(join(dir, file), 'utf8'), counts);
  }
  return counts;
}

/**
 * The callgrind format (valgrind's docs, "Callgrind Format Specification"): `fn=(id) name` names the function the
 * cost lines below it belong to (later just `fn=(id)`; `cfn=` names callees the same way). A `calls=` line is
 * followed by one line with the inclusive cost of that call, which is the callee's, not this function's own.
 */
function addSelfCosts(text: string, counts: InstructionCounts): void {
  const names = new Map<string, string>();
  let kind: keyof InstructionCounts = 'rest';
  let skipNext = false;
  for (const line of text.split('\n')) {
    if (skipNext) {
      skipNext = false;
      continue;
    }
    const first = line.charCodeAt(0);
    const isCost = (first >= 48 && first <= 57) || line.startsWith('+') || line.startsWith('-') || line.startsWith('*');
    if (isCost) {
      const fields = line.split(' ');
      const cost = Number(fields[1] ?? 0);
      counts.total += cost;
      counts[kind] += cost;
    } else if (line.startsWith('fn=')) {
      const match = /^fn=\((\d+)\)(?: (.*))?$/.exec(line);
      const name = match ? (match[2] ?? names.get(match[1]!) ?? '') : line.slice(3);
      if (match?.[2] !== undefined) names.set(match[1]!, match[2]);
      kind = COMPILER.test(name) ? 'compiler' : COLLECTOR.test(name) ? 'collector' : 'rest';
    } else if (line.startsWith('cfn=')) {
      // A callee named here for the first time keeps its id for the `fn=(id)` lines that come later.
      const match = /^cfn=\((\d+)\) (.*)$/.exec(line);
      if (match) names.set(match[1]!, match[2]!);
    } else if (line.startsWith('calls=')) {
      skipNext = true;
    }
  }
}
