import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, REPORTED_ERROR_CODES } from './error-codes.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** How docs/api.md writes a code's status: `400`, `400, 404`, `4xx`, or `—` for a code reported inside an answer. */
const statusText = (status: number | readonly number[] | '4xx' | undefined) =>
  status === undefined ? '—' : Array.isArray(status) ? status.join(', ') : String(status);

const expected = [
  ...Object.entries(ERROR_CODES).map(([code, { status, meaning }]) => ({ code, status: statusText(status), meaning })),
  ...Object.entries(REPORTED_ERROR_CODES).map(([code, { meaning }]) => ({ code, status: statusText(undefined), meaning })),
];

/** The rows of the table under docs/api.md's "## Error codes": `| status | `CODE` | meaning |`. */
function documentedRows(): { code: string; status: string; meaning: string }[] {
  const text = readFileSync(join(repo, 'docs/api.md'), 'utf8');
  const section = text.split(/^## Error codes$/m)[1]?.split(/^## /m)[0] ?? '';
  return [...section.matchAll(/^\| ([^|]+) \| `([A-Z0-9_]+)` \| (.+) \|$/gm)].map(([, status, code, meaning]) => ({
    code: code!,
    status: status!.trim(),
    meaning: meaning!.trim(),
  }));
}

describe('the error code table', () => {
  it('is docs/api.md\'s error table: every code with its status and meaning, and no code the server no longer has', () => {
    const rows = documentedRows();
    const documented = rows.map((row) => row.code);
    const codes = expected.map((entry) => entry.code);
    expect(codes.filter((code) => !documented.includes(code)), 'codes missing from docs/api.md').toEqual([]);
    expect(documented.filter((code) => !codes.includes(code)), 'codes in docs/api.md that no longer exist').toEqual([]);
    expect(documented.filter((code, index) => documented.indexOf(code) !== index), 'codes documented twice').toEqual([]);
    expect(rows).toEqual(expected);
  });

  it('gives every code a 4xx or 5xx status', () => {
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      const statuses: readonly (number | '4xx')[] = Array.isArray(status) ? status : [status as number | '4xx'];
      expect(statuses.length, code).toBeGreaterThan(0);
      for (const one of statuses) {
        if (one === '4xx') continue;
        expect(Number.isInteger(one) && one >= 400 && one <= 599, `${code}: ${one}`).toBe(true);
      }
      if (Array.isArray(status)) expect(new Set(status).size, `${code} lists a status twice`).toBe(status.length);
    }
    // Only the fallback for a library's unnamed client errors has no status of its own.
    expect(Object.entries(ERROR_CODES).filter(([, { status }]) => status === '4xx').map(([code]) => code)).toEqual(['BAD_REQUEST']);
  });

  it('says what each code means in one line, and no code is in both tables', () => {
    for (const { code, meaning } of expected) {
      expect(code, code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
      expect(meaning.trim(), code).toBe(meaning);
      expect(meaning.length, code).toBeGreaterThan(0);
      expect(meaning.length, `${code}: a meaning is one short line`).toBeLessThanOrEqual(200);
      expect(meaning, code).not.toMatch(/[\r\n|]/);
    }
    expect(Object.keys(REPORTED_ERROR_CODES).filter((code) => code in ERROR_CODES)).toEqual([]);
  });

  it('lists only codes the server still sends: each is written in packages/server/src', () => {
    const root = join(repo, 'packages/server/src');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));
    const source = files.map((file) => readFileSync(join(root, file), 'utf8')).join('\n');
    expect(expected.map((entry) => entry.code).filter((code) => !source.includes(`'${code}'`))).toEqual([]);
  });
});
