import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { masterKeyId } from './envelope.js';
import { generateMasterKey, loadMasterKeys, masterKeyFile, writeMasterKeyFile } from './master-keys.js';

describe('master keys', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'switchboard-keys-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates <dataDir>/master.key with mode 0600 on first load, and reuses it on the second', () => {
    const dataDir = join(root, 'data');
    const first = loadMasterKeys({ dataDir });
    expect(first.source).toBe('file');
    expect(first.keys).toHaveLength(1);
    expect(first.keys[0]!.key).toHaveLength(32);
    expect(first.keys[0]!.id).toBe(masterKeyId(first.keys[0]!.key));
    expect(statSync(masterKeyFile(dataDir)).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o077).toBe(0);
    expect(first.warnings).toEqual([]);

    const contents = readFileSync(masterKeyFile(dataDir), 'utf8');
    const second = loadMasterKeys({ dataDir });
    expect(second.keys[0]!.key.equals(first.keys[0]!.key)).toBe(true);
    expect(readFileSync(masterKeyFile(dataDir), 'utf8')).toBe(contents);
  });

  it('warns when the key file is readable by others', () => {
    loadMasterKeys({ dataDir: root });
    chmodSync(masterKeyFile(root), 0o644);
    expect(loadMasterKeys({ dataDir: root }).warnings).toEqual([expect.stringContaining('chmod 600')]);
  });

  it('reads several keys from the file, active first', () => {
    const active = generateMasterKey();
    const old = generateMasterKey();
    writeMasterKeyFile(root, [active, old]);
    expect(statSync(masterKeyFile(root)).mode & 0o777).toBe(0o600);
    expect(loadMasterKeys({ dataDir: root }).keys.map((k) => k.id)).toEqual([active.id, old.id]);
  });

  it('parses SWITCHBOARD_MASTER_KEY (comma-separated, active first) and writes no file', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const loaded = loadMasterKeys({ masterKey: `${a.toString('base64')}, ${b.toString('base64')}`, dataDir: join(root, 'unused') });
    expect(loaded.source).toBe('env');
    expect(loaded.keys.map((k) => k.id)).toEqual([masterKeyId(a), masterKeyId(b)]);
    expect(loaded.keys[0]!.key.equals(a)).toBe(true);
    expect(() => statSync(masterKeyFile(join(root, 'unused')))).toThrow();
  });

  it.each([
    ['too short', randomBytes(16).toString('base64')],
    ['too long', randomBytes(48).toString('base64')],
    ['not base64 of 32 bytes', 'not-a-key'],
    ['one good, one bad', `${randomBytes(32).toString('base64')},${randomBytes(31).toString('base64')}`],
  ])('rejects a bad env key (%s), naming the variable', (_name, masterKey) => {
    expect(() => loadMasterKeys({ masterKey, dataDir: root })).toThrow(/SWITCHBOARD_MASTER_KEY.*32 bytes/);
  });

  it('rejects a key file with no key in it', () => {
    writeMasterKeyFile(root, []);
    expect(() => loadMasterKeys({ dataDir: root })).toThrow(/no master key/);
  });
});
