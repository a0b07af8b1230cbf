/**
 * The project explains itself: code, tests and docs cite only files in this repository. Facts Switchboard relies on
 * from the reference product live in docs/compatibility.md, and nothing names a tracker's issue number.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((file) => /\.(ts|tsx|js|md|json|css|html)$/.test(file) && !file.endsWith('package-lock.json') && file !== 'test/repository/self-contained.test.ts');

/** Lines that point outside the repository: the team's shared folder, its notes, or an issue number. */
const OUTSIDE = [/\.\.\/shared\//, /\bwire[- ]notes\b/i, /\bissue\s*#?\d+\b/i, /\bsdk-api-reference\.md\b/, /\bheadless-connect-portal\.md\b/];

describe('the repository cites only itself', () => {
  it('has docs/compatibility.md, where the reference product’s wire facts are restated', () => {
    const text = readFileSync(join(ROOT, 'docs/compatibility.md'), 'utf8');
    for (const topic of ['accessibleFeatures', 'oauth-nonce', 'build-oauth', 'session-id', 'UI_UPDATE', '/integrations/<type>.svg']) expect(text).toContain(topic);
  });

  it('has no line in code, tests or docs that points at a file or issue outside it', () => {
    const found: string[] = [];
    for (const file of files) {
      const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
      lines.forEach((line, index) => {
        if (OUTSIDE.some((pattern) => pattern.test(line))) found.push(`${file}:${index + 1}: ${line.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });
});
