#!/usr/bin/env node
// Prints the built SDK's minified and gzipped sizes and fails when the ESM build is over its budget.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGET_GZIP_BYTES = 10 * 1024; // the ESM build with every function of the headless SDK
const builds = [
  { file: 'switchboard.js', label: 'ESM build', budget: BUDGET_GZIP_BYTES },
  { file: 'switchboard.global.js', label: 'script-tag build (/switchboard.js)' },
];
const kb = (bytes) => `${(bytes / 1024).toFixed(2)} KB`;

let over = false;
for (const build of builds) {
  const url = new URL(`../dist/${build.file}`, import.meta.url);
  let code;
  try {
    code = readFileSync(url);
  } catch {
    console.error(`${build.file} is missing: run npm run build -w @switchboard/sdk first`);
    process.exit(1);
  }
  const gzipped = gzipSync(code, { level: 9 }).length;
  const budget = build.budget ? ` (budget ${kb(build.budget)} gzipped${gzipped > build.budget ? ': OVER' : ''})` : '';
  console.log(`@switchboard/sdk ${build.label}: ${kb(code.length)} minified, ${kb(gzipped)} gzipped${budget}`);
  if (build.budget && gzipped > build.budget) over = true;
}
console.log('For comparison: the reference SDK is 194 KB minified, 53 KB gzipped.');
process.exit(over ? 1 : 0);
