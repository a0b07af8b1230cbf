import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const adminKeyFile = (dataDir: string) => join(dataDir, 'admin.key');

/** The key that may create projects: SWITCHBOARD_ADMIN_KEY, else one generated into the data dir (0600). */
export function loadAdminKey(options: { adminKey?: string; dataDir: string }): string {
  if (options.adminKey) return options.adminKey;
  const file = adminKeyFile(options.dataDir);
  if (!existsSync(file)) {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `ak_${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return readFileSync(file, 'utf8').trim();
}
