#!/usr/bin/env node
// Prints the built Connect Portal's JavaScript size, minified and gzipped, and fails over its budget.
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGET_GZIP_BYTES = 80 * 1024;
const assets = new URL('../dist/assets/', import.meta.url);
const kb = (bytes) => `${(bytes / 1024).toFixed(2)} KB`;

let files;
try {
  files = readdirSync(assets).filter((name) => name.endsWith('.js'));
} catch {
  console.error('packages/portal/dist is missing: run npm run build -w @switchboard/portal first');
  process.exit(1);
}
const code = Buffer.concat(files.map((name) => readFileSync(new URL(name, assets))));
const gzipped = gzipSync(code, { level: 9 }).length;
const over = gzipped > BUDGET_GZIP_BYTES;
console.log(`@switchboard/portal JavaScript: ${kb(code.length)} minified, ${kb(gzipped)} gzipped (budget ${kb(BUDGET_GZIP_BYTES)} gzipped${over ? ': OVER' : ''})`);
process.exit(over ? 1 : 0);
