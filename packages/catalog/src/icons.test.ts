import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { simpleIcon } from './icons.js';
import { builtInIntegrations } from './index.js';

const builtCatalog = new URL('../dist/index.js', import.meta.url).href;

/** A resolve hook that refuses the simple-icons index (all 3,400 icons in one module), whoever imports it. */
const refuseIndex = `export async function resolve(specifier, context, next) {
  if (specifier === 'simple-icons' || specifier === 'simple-icons/icons') throw new Error('imported the simple-icons index');
  return next(specifier, context);
}`;

/** Imports `url` in a fresh Node with the hook registered; what it printed, or the error it died of. */
function importUnderHook(url: string): string {
  const script = `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(refuseIndex)}));
const loaded = await import(${JSON.stringify(url)});
console.log(Object.keys(loaded).length);`;
  try {
    return execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    return String((error as { stderr?: string }).stderr);
  }
}

describe('brand icons', () => {
  it("reads a brand's icon from simple-icons' file for that brand", () => {
    const file = createRequire(import.meta.url).resolve('simple-icons/icons/github.svg');
    expect(simpleIcon('github')).toBe(readFileSync(file, 'utf8'));
    expect(simpleIcon('github')).toMatch(/^<svg[^>]*><title>GitHub<\/title><path d="[^"]+"\/><\/svg>$/);
    expect(builtInIntegrations.find((definition) => definition.type === 'github')?.iconSvg).toBe(simpleIcon('github'));
  });

  it('names a brand simple-icons does not have in its error', () => {
    expect(() => simpleIcon('no-such-brand')).toThrow(/no-such-brand/);
  });

  it('loads the built catalog without the simple-icons index', () => {
    expect(importUnderHook(builtCatalog).trim()).toMatch(/^\d+$/);
    // The hook does catch the index: the check above could fail.
    expect(importUnderHook('simple-icons')).toMatch(/imported the simple-icons index/);
  });
});
