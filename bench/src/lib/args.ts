/** What every bench's command line has in common. */

/** Options of the benches that print a report: Markdown tables, a JSON file, keeping the temp folder, --help. */
export const REPORT_OPTIONS = {
  markdown: { type: 'boolean', default: false },
  json: { type: 'string' },
  keep: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

/** --help prints the bench's usage and ends the run. */
export function exitOnHelp(help: boolean | undefined, usage: string): void {
  if (!help) return;
  process.stdout.write(usage);
  process.exit(0);
}

/** A bad option ends the run with what was wrong and the usage. */
export function usageError(message: string, usage: string): never {
  process.stderr.write(`${message}\n${usage}`);
  process.exit(1);
}

/** `--name`'s value as a whole number of at least `min` (1 unless given). */
export function wholeNumber(name: string, value: string | undefined, usage: string, min = 1): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) usageError(`--${name} must be a whole number ≥ ${min}`, usage);
  return parsed;
}
