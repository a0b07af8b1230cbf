#!/usr/bin/env node
// One version for the four published packages (@switchboard/wire, sdk, react, node): on them, on every workspace that
// depends on them, and on the version strings their code sends.
//   node scripts/set-version.js 0.2.0    sets it (then run npm install to update package-lock.json)
//   node scripts/set-version.js --check  exits 1, naming the files, when anything is out of step
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The published packages, in publishing order: each after the ones it depends on. */
const PUBLISHED = [
  { name: '@switchboard/wire', dir: 'packages/wire' },
  { name: '@switchboard/sdk', dir: 'packages/sdk' },
  { name: '@switchboard/node', dir: 'packages/node' },
  { name: '@switchboard/react', dir: 'packages/react' },
];

/** Version strings the packages' code sends: the SDK's version header, the Node client's User-Agent. */
const VERSION_IN_CODE = [
  { file: 'packages/sdk/src/api-client.ts', pattern: /(export const SDK_VERSION = ')([^']+)(';)/ },
  { file: 'packages/node/src/http-client.ts', pattern: /(const USER_AGENT = 'switchboard-node\/)([^']+)(';)/ },
];

const read = (file) => readFileSync(join(ROOT, file), 'utf8');
const json = (value) => `${JSON.stringify(value, null, 2)}\n`;

/** Every file as it must read for `version`: `{ file, text }` for those that differ from what is on disk. */
function changesFor(version) {
  const names = new Set(PUBLISHED.map((pkg) => pkg.name));
  const changes = [];
  const workspaces = JSON.parse(read('package.json')).workspaces;
  for (const workspace of workspaces) {
    const file = `${workspace}/package.json`;
    const manifest = JSON.parse(read(file));
    let changed = false;
    const set = (object, key, value) => {
      if (object[key] !== value) (object[key] = value), (changed = true);
    };
    if (names.has(manifest.name)) set(manifest, 'version', version);
    // Workspaces pin their siblings exactly; a peer dependency accepts the whole minor line.
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
      for (const name of Object.keys(manifest[field] ?? {})) {
        if (names.has(name)) set(manifest[field], name, field === 'peerDependencies' ? `^${version}` : version);
      }
    }
    if (changed) changes.push({ file, text: json(manifest) });
  }
  for (const { file, pattern } of VERSION_IN_CODE) {
    const source = read(file);
    if (!pattern.test(source)) throw new Error(`${file} has no version string matching ${pattern}`);
    const text = source.replace(pattern, (_match, before, _old, after) => `${before}${version}${after}`);
    if (text !== source) changes.push({ file, text });
  }
  return changes;
}

const [argument] = process.argv.slice(2);
if (argument === '--check') {
  const version = JSON.parse(read(`${PUBLISHED[0].dir}/package.json`)).version;
  const lock = JSON.parse(read('package-lock.json'));
  const stale = [
    ...changesFor(version).map((change) => change.file),
    ...PUBLISHED.filter((pkg) => lock.packages[pkg.dir]?.version !== version).map((pkg) => `package-lock.json (${pkg.dir})`),
  ];
  if (stale.length > 0) {
    console.error(`Out of step with ${PUBLISHED[0].name} ${version}: ${stale.join(', ')}. Run node scripts/set-version.js ${version} && npm install.`);
    process.exit(1);
  }
  console.log(`${PUBLISHED.map((pkg) => pkg.name).join(', ')}: ${version}, in step.`);
} else if (argument && /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(argument)) {
  for (const { file, text } of changesFor(argument)) writeFileSync(join(ROOT, file), text);
  console.log(`${PUBLISHED.map((pkg) => pkg.name).join(', ')} are now ${argument}. Run npm install to update package-lock.json.`);
} else {
  console.error('usage: node scripts/set-version.js <major.minor.patch[-prerelease]> | --check');
  process.exit(1);
}
