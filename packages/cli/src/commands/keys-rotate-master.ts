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
 * Rotates the master key. With the key in the data dir: a new key is generated and put first (old keys kept
 * while re-wrapping, so an interruption loses nothing), every data key is re-wrapped, then the old keys are
 * dropped. With SWITCHBOARD_MASTER_KEY="NEW,OLD": every data key is re-wrapped under NEW; then drop OLD from the
 * variable. Safe to run while servers are up: both keys open everything until the last step.
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
