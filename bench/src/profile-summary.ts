/**
 * `node bench/dist/profile-summary.js <file.cpuprofile> [--top N]`: where a `node --cpu-prof` profile spent its
 * time (bench:proxy --profile prints the same for the Switchboard process it profiled).
 */
import { parseArgs } from 'node:util';
import { formatProfileSummary, summariseCpuProfile } from './lib/cpu-profile.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
if (positionals.length === 0) {
  process.stderr.write('usage: node bench/dist/profile-summary.js <file.cpuprofile> [--top N]\n');
  process.exit(1);
}
for (const file of positionals) {
  process.stdout.write(`${file}\n${formatProfileSummary(summariseCpuProfile(file, Number(values.top)))}\n\n`);
}
