import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { refusingImports } from '../../../test/support/refused-imports.js';
import { simpleIcon } from './icons.js';
import { builtInIntegrations } from './index.js';

const builtCatalog = new URL('../dist/index.js', import.meta.url).href;

/** Imports `url` in a fresh Node that refuses the simple-icons index (all 3,400 icons in one module); what it printed, or the error it died of. */
function importRefusingIndex(url: string): string {
  const script = `const loaded = await import(${JSON.stringify(url)}); console.log(Object.keys(loaded).length);`;
  try {
    return execFileSync(process.execPath, [refusingImports(['simple-icons', 'simple-icons/icons']), '--input-type=module', '-e', script], { encoding: 'utf8', stdio: 'pipe' });
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
    expect(importRefusingIndex(builtCatalog).trim()).toMatch(/^\d+$/);
    // The hook does catch the index: the check above could fail.
    expect(importRefusingIndex('simple-icons')).toMatch(/refused to load simple-icons/);
  });
});
