import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';

export interface Machine {
  cores: number;
  cpu: string;
  node: string;
  memoryGiB: number;
  loadAverage: string;
}

/** What a result was measured on: cores, CPU model (/proc/cpuinfo), Node version, load before the run. */
export function describeMachine(): Machine {
  let cpu = 'unknown';
  if (existsSync('/proc/cpuinfo')) {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  }
  return {
    cores: availableParallelism(),
    cpu,
    node: process.version,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverage: loadavg()
      .map((value) => value.toFixed(2))
      .join(' '),
  };
}

export const machineLine = (machine: Machine) =>
  `machine: ${machine.cores} cores, ${machine.cpu}, ${machine.memoryGiB} GiB, Node ${machine.node}, load average ${machine.loadAverage}`;
