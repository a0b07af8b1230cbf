import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type MasterKey, masterKeyId } from './envelope.js';

const FILE_NAME = 'master.key';

function parseKeys(text: string, source: string): MasterKey[] {
  const keys = text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((encoded) => {
      const key = Buffer.from(encoded, 'base64');
      if (key.length !== 32) throw new Error(`${source}: each master key must be base64 of exactly 32 bytes`);
      return { id: masterKeyId(key), key };
    });
  if (keys.length === 0) throw new Error(`${source}: no master key found`);
  return keys;
}

export const masterKeyFile = (dataDir: string) => join(dataDir, FILE_NAME);

/**
 * The master keys, active first: from SWITCHBOARD_MASTER_KEY when set, else from `<dataDir>/master.key`,
 * created on first start with mode 0600.
 */
export function loadMasterKeys(options: { masterKey?: string; dataDir: string }): {
  keys: MasterKey[];
  source: 'env' | 'file';
  warnings: string[];
} {
  if (options.masterKey) {
    return { keys: parseKeys(options.masterKey, 'SWITCHBOARD_MASTER_KEY'), source: 'env', warnings: [] };
  }
  const file = masterKeyFile(options.dataDir);
  const warnings: string[] = [];
  if (!existsSync(file)) {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    writeMasterKeyFile(options.dataDir, [{ id: '', key: randomBytes(32) }]);
  } else if ((statSync(file).mode & 0o077) !== 0) {
    warnings.push(`${file} is readable by other users; run chmod 600 on it`);
  }
  return { keys: parseKeys(readFileSync(file, 'utf8'), file), source: 'file', warnings };
}

/** Writes the key file, active key first, readable by the owner only. */
export function writeMasterKeyFile(dataDir: string, keys: MasterKey[]): void {
  const file = masterKeyFile(dataDir);
  writeFileSync(file, keys.map((k) => k.key.toString('base64')).join('\n') + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function generateMasterKey(): MasterKey {
  const key = randomBytes(32);
  return { id: masterKeyId(key), key };
}
