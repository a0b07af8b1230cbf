import {
  generateMasterKey,
  loadConfig,
  loadMasterKeys,
  openStorage,
  rewrapAllSecrets,
  SecretBox,
  writeMasterKeyFile,
} from '@switchboard/server';

/**
 * Rotates the master key.
 * - Key in the data dir: stop the servers first (a running server keeps sealing with the key it loaded). A new key
 *   is generated and put first, old keys are kept while re-wrapping so an interruption loses nothing, every data
 *   key is re-wrapped, then the old keys are dropped from the file.
 * - Key in SWITCHBOARD_MASTER_KEY: no downtime. Roll out "NEW,OLD" to every server (they seal with NEW and open
 *   both), run this command, then roll out "NEW" alone.
 */
export async function rotateMaster(env: NodeJS.ProcessEnv): Promise<string> {
  const config = loadConfig(env);
  const loaded = loadMasterKeys({ masterKey: config.masterKey, dataDir: config.dataDir });
  const keys = loaded.source === 'file' ? [generateMasterKey(), ...loaded.keys] : loaded.keys;
  if (loaded.source === 'file') writeMasterKeyFile(config.dataDir, keys);
  const storage = await openStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const box = new SecretBox(keys);
    const { rewrapped, total } = await rewrapAllSecrets(storage.db, box);
    if (loaded.source === 'file') writeMasterKeyFile(config.dataDir, [keys[0]!]);
    const next =
      loaded.source === 'file'
        ? 'The old key was removed from the key file.'
        : `Now set SWITCHBOARD_MASTER_KEY to the first key only (id ${box.activeKeyId}) and restart.`;
    return `Re-wrapped ${rewrapped} of ${total} stored secrets under master key ${box.activeKeyId}. ${next}\n`;
  } finally {
    await storage.close();
  }
}
